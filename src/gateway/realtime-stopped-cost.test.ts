// A realtime response stopped before its `response.done` (the session ended or broke while it was
// asked for or under way) had its input sent: it is charged that, the conversation as the router
// knows it (what the last response read and wrote, and the text of the items added since) at the
// deployment's input price, estimated, as a chat try stopped after it was sent is. In its record,
// the settle (the deployment's and the tenant's budgets) and the usage summary. Before 2026-12-06
// it was charged nothing. The gateway and its session's responses (SessionResponses) are driven
// with the upstream's events, over a session that needs no socket; real governance policies.
import { describe, expect, it } from 'vitest';
import { governedBudgets } from '../../test/helpers/memory-budgets.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { SessionResponses } from '../http/realtime/session-responses.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { RequestRecord } from '../store/request-record.js';
import { usageSummary } from '../store/usage-summary.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { ANONYMOUS } from './gateway-types.js';
import { RealtimeGateway, type RealtimeCall } from './realtime-gateway.js';
import { waitFor } from '../../test/helpers/wait-for.js';

/** The realtime deployment's prices, USD per 1M tokens. */
const TEXT_IN = 4;
const AUDIO_IN = 32;
const TEXT_OUT = 16;
const AUDIO_OUT = 64;

async function setup() {
  const input = testConfigInput({
    budgets: { tenants: { default: { dailyUsd: 100 } }, tags: {} },
  });
  input.deployments.push(
    simDeployment('rt', {
      kind: 'realtime',
      model: 'rt-model',
      maxOutputTokens: undefined,
      prices: {
        inputPer1M: TEXT_IN,
        outputPer1M: TEXT_OUT,
        audioInputPer1M: AUDIO_IN,
        audioOutputPer1M: AUDIO_OUT,
      },
      budget: { dailyUsd: 100 },
    }),
  );
  const config = parseConfig(input, {}).config;
  const holder = new ConfigHolder(compileConfig(config));
  const budgets = governedBudgets(holder);
  const { policies, settled } = budgets;
  const records: RequestRecord[] = [];
  const clock = createManualClock();
  const adapter = {
    async openRealtime() {
      return { send: () => {}, close: () => {} };
    },
  } as unknown as ProviderAdapter;
  const gateway = new RealtimeGateway({
    config: holder,
    adapters: { adapterFor: () => adapter },
    clock,
    breakers: new CircuitBreakers(clock),
    recorder: { record: (r) => records.push(r) },
    policies,
  });
  const call = (id: string): RealtimeCall => ({
    auth: ANONYMOUS,
    headers: {},
    signal: new AbortController().signal,
    requestId: id,
    model: 'rt',
  });
  const link = await gateway.connect(call('sess'), {
    message: () => {},
    closed: () => {},
    oversized: () => {},
  });
  const responses = new SessionResponses(gateway, link, () =>
    gateway.startResponse(link, call('vad')),
  );
  /** A `response.create` the client sent, admitted. */
  const ask = async (id: string, response?: object) =>
    responses.admitted(await gateway.admitResponse(link, call(id), response), id);
  const upstream = (event: object) => responses.watch(JSON.stringify(event));
  let items = 0;
  /**
   * A `conversation.item.create` the client sent and the upstream added (its echo, which counts
   * it in the conversation since 2026-12-07).
   */
  const add = (item: Record<string, unknown>) => {
    gateway.noteItem(link, item);
    upstream({ type: 'conversation.item.added', item: { id: `item_${++items}`, ...item } });
  };
  const spent = async () => {
    const { deployment: rt, tenant } = await budgets.spent('rt');
    return { rt, tenant };
  };
  return { gateway, link, responses, ask, upstream, add, records, settled, spent };
}

const responseRecords = (records: RequestRecord[]) =>
  records.filter((r) => r.endpoint === 'realtime');

/** A user message of text parts, as `conversation.item.create` adds it. */
const userItem = (...texts: string[]) => ({
  type: 'message',
  role: 'user',
  content: texts.map((text) => ({ type: 'input_text', text })),
});

describe('a realtime response stopped before response.done is charged its input', () => {
  it("the session's first: the text of the items sent, at the input price", async () => {
    const s = await setup();
    const texts = ['What is the capital of France?', 'Answer in one word, please.'];
    s.add(userItem(...texts));
    await s.ask('evt_1');
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    // The upstream breaks off mid-answer: no response.done.
    s.responses.cut(502, 'upstream_dropped');
    const [record] = responseRecords(s.records);
    const tokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    const expected = (tokens * TEXT_IN) / 1e6;
    expect(record).toMatchObject({ status: 502, errorCode: 'upstream_dropped', deployment: 'rt' });
    expect(record!.promptTokens).toBe(tokens);
    expect(record!.costUsd).toBeCloseTo(expected, 15);
    expect(record!.baselineCostUsd).toBeCloseTo(expected, 15);
    expect(record!.usageEstimated).toBe(true);
    expect(s.settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    const summary = await usageSummary(
      { query: async () => [record!] },
      { since: 0, until: Number.MAX_SAFE_INTEGER, by: 'deployment' },
    );
    expect(summary.groups.find((g) => g.key === 'rt')?.costUsd).toBeCloseTo(expected, 15);
    const live = await s.spent();
    expect(live.rt).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(expected, 12);
  });

  it('after a completed response: what it read and wrote (audio at the audio price) and the new item', async () => {
    const s = await setup();
    s.add(userItem('Hello there.'));
    await s.ask('evt_1');
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    const usage = {
      input_tokens: 120,
      output_tokens: 80,
      input_token_details: { audio_tokens: 50 },
      output_token_details: { audio_tokens: 60 },
    };
    s.upstream({
      type: 'response.done',
      response: { id: 'resp_1', status: 'completed', usage },
    });
    // One the upstream refused (an error naming its response.create) never started: no charge.
    await s.ask('evt_bad');
    s.upstream({ type: 'error', error: { code: 'invalid_value', event_id: 'evt_bad' } });
    const next = 'And what about Spain?';
    s.add(userItem(next));
    // Asked for, not yet started, when the session ends.
    await s.ask('evt_2');
    s.responses.cut(499, 'client_closed_request');
    const records = responseRecords(s.records);
    expect(records).toHaveLength(3);
    expect(records[1]).toMatchObject({ status: 400, errorCode: 'invalid_value', costUsd: 0 });
    const stopped = records[2]!;
    const text = 120 + 80 - (50 + 60) + Math.ceil(next.length / 4);
    const expected = (text * TEXT_IN + (50 + 60) * AUDIO_IN) / 1e6;
    expect(stopped.status).toBe(499);
    expect(stopped.promptTokens).toBe(text + 110);
    expect(stopped.costUsd).toBeCloseTo(expected, 15);
    expect(stopped.usageEstimated).toBe(true);
    await waitFor(() => expect(s.settled).toHaveLength(3));
    expect(s.settled[2]!.costUsd).toBeCloseTo(expected, 15);
    expect((await s.spent()).rt).toBeCloseTo(records[0]!.costUsd + expected, 12);
  });

  it('and the output the client was sent of it: text and audio deltas, at the output prices', async () => {
    const s = await setup();
    await s.ask('evt_1');
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    // Half a second of PCM16 at 24 kHz (24,000 bytes: 10 output audio tokens), its transcript and
    // a text part; a delta of another response (none open) is not this one's.
    const audio = Buffer.alloc(12_000).toString('base64');
    for (const type of ['response.audio.delta', 'response.output_audio.delta'])
      s.upstream({ type, response_id: 'resp_1', delta: audio });
    s.upstream({ type: 'response.audio_transcript.delta', response_id: 'resp_1', delta: 'Par' });
    s.upstream({ type: 'response.output_text.delta', response_id: 'resp_1', delta: 'is, France' });
    s.upstream({ type: 'response.text.delta', response_id: 'resp_9', delta: 'x'.repeat(400) });
    s.responses.cut(502, 'upstream_dropped');
    const [record] = responseRecords(s.records);
    // 13 characters of text: 4 tokens (≈4 a token, rounded up); 10 audio tokens.
    const expected = (4 * TEXT_OUT + 10 * AUDIO_OUT) / 1e6;
    expect(record!.promptTokens).toBe(0);
    expect(record!.completionTokens).toBe(14);
    expect(record!.costUsd).toBeCloseTo(expected, 15);
    expect(record!.usageEstimated).toBe(true);
    expect(s.settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
  });

  it("its audio output at the format its response.create names, over the session's", async () => {
    const s = await setup();
    // The session's PCM16 at 24 kHz; these responses' own G.711 (8,000 bytes a second), GA's
    // `audio.output.format` and beta's `output_audio_format` (openapi.yaml
    // RealtimeResponseCreateParams, RealtimeBetaResponseCreateParams).
    await s.ask('evt_1', { audio: { output: { format: { type: 'audio/pcmu' } } } });
    await s.ask('evt_2', { output_audio_format: 'g711_alaw' });
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    s.upstream({ type: 'response.created', response: { id: 'resp_2' } });
    // A second of G.711 each: 20 output audio tokens (at PCM16's rate, 4).
    const second = Buffer.alloc(8000).toString('base64');
    for (const id of ['resp_1', 'resp_2'])
      s.upstream({ type: 'response.output_audio.delta', response_id: id, delta: second });
    s.responses.cut(499, 'client_closed_request');
    const records = responseRecords(s.records);
    expect(records.map((r) => r.completionTokens)).toEqual([20, 20]);
    expect(records[0]!.costUsd).toBeCloseTo((20 * AUDIO_OUT) / 1e6, 15);
  });

  it("a PCM rate outside 8–48 kHz in its response.create is not taken: the session's is", async () => {
    const s = await setup();
    // The client's word, sent on: a rate near 0 would make a second of audio endless tokens.
    await s.ask('evt_1', { audio: { output: { format: { type: 'audio/pcm', rate: 1e-300 } } } });
    await s.ask('evt_2', { audio: { output: { format: { type: 'audio/pcm', rate: 1e9 } } } });
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    s.upstream({ type: 'response.created', response: { id: 'resp_2' } });
    // A second of PCM16 at the session's 24 kHz: 20 output audio tokens.
    const second = Buffer.alloc(48_000).toString('base64');
    for (const id of ['resp_1', 'resp_2'])
      s.upstream({ type: 'response.output_audio.delta', response_id: id, delta: second });
    s.responses.cut(499, 'client_closed_request');
    const records = responseRecords(s.records);
    expect(records.map((r) => r.completionTokens)).toEqual([20, 20]);
    expect(records[0]!.costUsd).toBeCloseTo((20 * AUDIO_OUT) / 1e6, 15);
  });

  it("and the audio it read: items' input_audio and the buffer the upstream committed", async () => {
    const s = await setup();
    // G.711 in (8,000 bytes a second), as the upstream's session.updated says.
    s.upstream({ type: 'session.updated', session: { input_audio_format: 'g711_ulaw' } });
    const second = Buffer.alloc(8000).toString('base64');
    // A spoken item: a second of audio, 10 input audio tokens.
    s.add({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_audio', audio: second, transcript: 'not sent to the model' }],
    });
    // Two seconds appended and committed (20 tokens); one more appended and cleared (none).
    s.gateway.noteAudioAppended(s.link, 8000);
    s.gateway.noteAudioAppended(s.link, 8000);
    s.upstream({ type: 'input_audio_buffer.committed', item_id: 'item_1' });
    s.gateway.noteAudioAppended(s.link, 8000);
    s.gateway.noteAudioAppended(s.link, 0, true);
    s.upstream({ type: 'input_audio_buffer.committed', item_id: 'item_2' });
    await s.ask('evt_1');
    s.responses.cut(499, 'client_closed_request');
    const [record] = responseRecords(s.records);
    expect(record!.promptTokens).toBe(30);
    expect(record!.costUsd).toBeCloseTo((30 * AUDIO_IN) / 1e6, 15);
    expect(record!.usageEstimated).toBe(true);
  });
});

// What the upstream bills as input on every response besides the conversation: the session's
// instructions (a system message prepended to each response: openapi.yaml
// RealtimeResponseCreateParams `instructions`, whose default `session.created` shows) and its
// tools, or a `response.create`'s own. Counted as the router estimates a chat prompt without an
// exact count (core/prompt-text.ts estimatePromptTokens): the instructions as a system message,
// the tools as their JSON, ≈4 characters a token, and the chat format's 3 tokens a message and 3
// for the reply. Before 2026-12-07 a stopped response was charged none of it.
const INSTRUCTIONS =
  'You are a travel agent for a rail company. Answer in one short sentence, and always ' +
  'quote the fare in euros when the traveller names two cities.';
const TOOLS = [
  {
    type: 'function',
    name: 'find_fare',
    description: 'The cheapest fare between two stations on a date.',
    parameters: {
      type: 'object',
      properties: { from: { type: 'string' }, to: { type: 'string' }, date: { type: 'string' } },
      required: ['from', 'to'],
    },
  },
];
/** Instructions and tools as estimatePromptTokens counts them (a system message and the reply). */
const promptTokens = (instructions: string, tools?: unknown[]) =>
  Math.ceil((instructions.length + (tools ? JSON.stringify(tools).length : 0)) / 4) + 3 * 2;

describe("and the session's instructions and tools, which the upstream bills on every response", () => {
  it('the first response: as session.created states them', async () => {
    const s = await setup();
    s.upstream({
      type: 'session.created',
      session: { instructions: INSTRUCTIONS, tools: TOOLS, output_audio_format: 'pcm16' },
    });
    const item = 'A ticket from Paris to Lyon on Friday, please.';
    s.add(userItem(item));
    await s.ask('evt_1');
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    s.responses.cut(502, 'upstream_dropped');
    const [record] = responseRecords(s.records);
    const tokens = promptTokens(INSTRUCTIONS, TOOLS) + Math.ceil(item.length / 4);
    expect(record!.promptTokens).toBe(tokens);
    expect(record!.costUsd).toBeCloseTo((tokens * TEXT_IN) / 1e6, 15);
    expect(record!.usageEstimated).toBe(true);
    expect(s.settled.at(-1)!.costUsd).toBeCloseTo((tokens * TEXT_IN) / 1e6, 15);
  });

  it('a later one: as the last session.updated states them, counted once', async () => {
    const s = await setup();
    s.upstream({ type: 'session.created', session: { instructions: 'Be brief.', tools: [] } });
    await s.ask('evt_1');
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    // Its input_tokens hold the instructions it was given: not counted twice in the next.
    const usage = { input_tokens: 40, output_tokens: 25 };
    s.upstream({ type: 'response.done', response: { id: 'resp_1', status: 'completed', usage } });
    // session.update: new instructions and tools (an update naming neither keeps them).
    s.upstream({
      type: 'session.updated',
      session: { instructions: INSTRUCTIONS, tools: TOOLS },
    });
    s.upstream({ type: 'session.updated', session: { output_audio_format: 'pcm16' } });
    await s.ask('evt_2');
    s.responses.cut(499, 'client_closed_request');
    const stopped = responseRecords(s.records)[1]!;
    const tokens = 40 - promptTokens('Be brief.') + 25 + promptTokens(INSTRUCTIONS, TOOLS);
    expect(stopped.promptTokens).toBe(tokens);
    expect(stopped.costUsd).toBeCloseTo((tokens * TEXT_IN) / 1e6, 15);
  });

  it("a response.create's own instructions and tools, for that response only", async () => {
    const s = await setup();
    s.upstream({ type: 'session.created', session: { instructions: INSTRUCTIONS, tools: TOOLS } });
    const own = 'Say goodbye in French.';
    await s.ask('evt_1', { instructions: own, tools: [] });
    // One server VAD started, after it: the session's.
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    s.upstream({ type: 'response.created', response: { id: 'resp_2' } });
    s.responses.cut(502, 'upstream_dropped');
    const [first, second] = responseRecords(s.records);
    expect(first!.requestId).toBe('evt_1');
    expect(first!.promptTokens).toBe(promptTokens(own));
    expect(second!.promptTokens).toBe(promptTokens(INSTRUCTIONS, TOOLS));
  });
});

describe('a response outside the default conversation is not carried into it', () => {
  // openapi.yaml RealtimeResponseCreateParams: `conversation: "none"` is an out-of-band response
  // that "will not add items to default conversation"; `input` "creates a new context for this
  // Response instead of using the default conversation" (its output still goes into it).
  const item = 'Hello there.';

  it('conversation "none": neither what it read nor what it wrote is in the next charge', async () => {
    const s = await setup();
    s.add(userItem(item));
    await s.ask('evt_1', { conversation: 'none', output_modalities: ['text'] });
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    const usage = { input_tokens: 300, output_tokens: 200 };
    s.upstream({
      type: 'response.done',
      response: { id: 'resp_1', status: 'completed', conversation_id: null, usage },
    });
    await s.ask('evt_2');
    s.responses.cut(499, 'client_closed_request');
    const stopped = responseRecords(s.records)[1]!;
    // The conversation as it was before the out-of-band response (until 2026-12-07: 500 tokens).
    const tokens = Math.ceil(item.length / 4);
    expect(stopped.promptTokens).toBe(tokens);
    expect(stopped.costUsd).toBeCloseTo((tokens * TEXT_IN) / 1e6, 15);
  });

  it('its own input: what it wrote is added to the conversation, what it read is not', async () => {
    const s = await setup();
    s.add(userItem(item));
    const input = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Summarise.' }] },
    ];
    await s.ask('evt_1', { input });
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    const usage = {
      input_tokens: 300,
      output_tokens: 50,
      output_token_details: { audio_tokens: 20 },
    };
    s.upstream({ type: 'response.done', response: { id: 'resp_1', status: 'completed', usage } });
    await s.ask('evt_2');
    s.responses.cut(499, 'client_closed_request');
    const stopped = responseRecords(s.records)[1]!;
    const text = Math.ceil(item.length / 4) + 30;
    expect(stopped.promptTokens).toBe(text + 20);
    expect(stopped.costUsd).toBeCloseTo((text * TEXT_IN + 20 * AUDIO_IN) / 1e6, 15);
  });
});

describe('a response the session cut short is recorded once', () => {
  // The client cancels mid-output and leaves at once: the router records the response as the
  // session ends (499, estimated) and closes the upstream, whose `response.done` for the cancel
  // was already on the wire and still arrives (ws emits messages until the close handshake
  // completes). Until 2026-12-08 it became a second record, of a response "the upstream started
  // by itself", charged again, and settled against the budgets twice.
  it('the upstream events that come after the session ended record nothing', async () => {
    const s = await setup();
    s.add(userItem('Tell me a long story.'));
    await s.ask('evt_1');
    s.upstream({ type: 'response.created', response: { id: 'resp_1' } });
    s.upstream({ type: 'response.output_text.delta', response_id: 'resp_1', delta: 'Once upon' });
    s.responses.cut(499, 'client_closed_request');
    const settles = s.settled.length;
    const usage = { input_tokens: 40, output_tokens: 3 };
    s.upstream({ type: 'response.done', response: { id: 'resp_1', status: 'cancelled', usage } });
    s.upstream({ type: 'response.created', response: { id: 'resp_2' } });
    s.upstream({ type: 'response.done', response: { id: 'resp_2', status: 'completed', usage } });
    const records = responseRecords(s.records);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 499, errorCode: 'client_closed_request' });
    expect(records[0]!.completionTokens).toBe(Math.ceil('Once upon'.length / 4));
    expect(s.settled).toHaveLength(settles);
  });
});

// A realtime response cancelled after its output started, through the whole router (createRuntime
// listening on a port of 127.0.0.1) over the simulated fleet, which streams its text in deltas
// paced by `simulation.tokensPerSecond` (task hRt5; it sent a response's output whole, so no
// cancel could land mid-output). The client's `response.cancel` ends it as OpenAI's does
// (`response.done` `cancelled`, its item `incomplete`, usage the tokens written), recorded as a
// chat stream the client stops (499 `client_closed_request`) at that usage: not zero, not the
// whole answer. A client that leaves mid-output is charged the input and the output it was sent,
// estimated. A delta is the first output of its own response only.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { recordRequestMetrics, registry } from '../../telemetry/metrics.js';
import {
  openRealtimeClient,
  responseRecord,
  startRealtimeRouter,
  type RealtimeEvent,
} from '../../../test/helpers/realtime-client.js';
import { simDeployment } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

let rt: Runtime;
let url: (model: string) => string;
const records: RequestRecord[] = [];
const sessions: RequestRecord[] = [];

/** USD per 1M tokens. */
const IN = 4;
const OUT = 16;

/** One realtime model on two deployments: the same answers, one streamed 4 tokens a second. */
const realtime = (name: string, simulation: Record<string, number>) =>
  simDeployment(name, {
    kind: 'realtime',
    model: 'rt-model',
    maxOutputTokens: undefined,
    prices: { inputPer1M: IN, outputPer1M: OUT },
    simulation: { answerTokens: 20, ...simulation },
  });

beforeAll(async () => {
  ({ rt, url } = await startRealtimeRouter(
    records,
    [
      realtime('rt-paced', { ttftMs: 0, tokensPerSecond: 4 }),
      // A second's wait before the output: another response's deltas come first.
      realtime('rt-late', { ttftMs: 1000, tokensPerSecond: 4 }),
      realtime('rt-instant', { ttftMs: 0, tokensPerSecond: 1_000_000 }),
    ],
    {},
    sessions,
  ));
});

afterAll(async () => {
  await rt?.close();
});

afterEach(() => {
  records.length = 0;
  sessions.length = 0;
});

const QUESTION = 'Tell me about the sea.';

/** A client on `model` with one user item in its conversation. */
async function open(model: string) {
  const c = await openRealtimeClient(url(model), records);
  const next = async (type: string) => (await c.until(type)).at(-1)!;
  c.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: QUESTION }] },
  });
  await c.until('conversation.item.done');
  return { ...c, next };
}

type Usage = { input_tokens: number; output_tokens: number };

/** The whole answer to QUESTION, from the deployment that streams at once. */
async function wholeAnswer(): Promise<{ text: string; usage: Usage }> {
  const c = await open('rt-instant');
  c.send({ type: 'response.create' });
  const done = (await c.next('response.done')).response as {
    output: { content: { text: string }[] }[];
    usage: Usage;
  };
  await c.leave(1);
  await waitFor(() => expect(sessions).toHaveLength(1));
  records.length = 0;
  sessions.length = 0;
  return { text: done.output[0]!.content[0]!.text, usage: done.usage };
}

const deltasOf = (events: RealtimeEvent[]) =>
  events.filter((e) => e.type === 'response.output_text.delta').map((e) => String(e.delta));

/** The series of metric `name` for the deployment `deployment`. */
const series = async (name: string, deployment: string) =>
  (await registry.getSingleMetric(name)!.get()).values.filter(
    (v) => v.labels.deployment === deployment,
  );

describe('a realtime response cancelled after its output started', () => {
  it('ends cancelled with the tokens written, and is recorded 499 at that usage', async () => {
    const whole = await wholeAnswer();
    expect(whole.usage.output_tokens).toBeGreaterThan(3);
    const c = await open('rt-paced');
    c.send({ type: 'response.create' });
    const before = [
      ...(await c.until('response.output_text.delta')),
      ...(await c.until('response.output_text.delta')),
    ];
    c.send({ type: 'response.cancel', event_id: 'stop' });
    const after = await c.until('response.done');
    const deltas = deltasOf([...before, ...after]);
    const text = deltas.join('');
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(whole.text.startsWith(text)).toBe(true);
    expect(text.length).toBeLessThan(whole.text.length);
    // OpenAI's ending of a response cut short: its text and item done with what was written, the
    // item `incomplete`, then `response.done` `cancelled`.
    const types = after.map((e) => e.type).filter((t) => !t.endsWith('.delta'));
    expect(types).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    expect(after.find((e) => e.type === 'response.output_text.done')).toMatchObject({ text });
    const item = { status: 'incomplete', content: [{ type: 'output_text', text }] };
    expect(after.find((e) => e.type === 'response.output_item.done')).toMatchObject({ item });
    const done = after.at(-1)!.response as { id: string; usage: Usage; output: unknown[] };
    expect(done).toMatchObject({
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'client_cancelled' },
      output: [item],
      // The same input as the whole answer's; one token a delta written.
      usage: { input_tokens: whole.usage.input_tokens, output_tokens: deltas.length },
    });
    // The partial item stays in the conversation: retrieved as it ended, and truncated to 0 ms.
    const itemId = (
      after.find((e) => e.type === 'response.output_item.done')!.item as {
        id: string;
      }
    ).id;
    c.send({ type: 'conversation.item.retrieve', item_id: itemId });
    expect(await c.next('conversation.item.retrieved')).toMatchObject({ item });
    c.send({
      type: 'conversation.item.truncate',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: 0,
    });
    expect(await c.next('conversation.item.truncated')).toMatchObject({ item_id: itemId });
    await c.leave(1);
    const record = responseRecord(records, 1)!;
    // The upstream's usage for the part written, at the deployment's prices: not estimated.
    expect(record).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      deployment: 'rt-paced',
      promptTokens: whole.usage.input_tokens,
      completionTokens: deltas.length,
    });
    expect(record.usageEstimated).toBeFalsy();
    expect(record.costUsd).toBeCloseTo(
      (whole.usage.input_tokens * IN + deltas.length * OUT) / 1e6,
      12,
    );
    expect(record.costUsd).toBeLessThan(
      (whole.usage.input_tokens * IN + whole.usage.output_tokens * OUT) / 1e6,
    );
    expect(record.ttftMs).toEqual(expect.any(Number));
    expect(record.attempts.at(-1)).toMatchObject({ outcome: 'aborted', httpStatus: 499 });
    await waitFor(() => expect(sessions).toHaveLength(1));
    expect(sessions[0]).toMatchObject({ status: 499, errorCode: 'client_closed_request' });
    // The metrics: a 499 request, the tokens written, its cost and first output; no failover.
    registry.resetMetrics();
    recordRequestMetrics(record);
    expect(await series('model_router_requests_total', 'rt-paced')).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ status: '499' }), value: 1 }),
    ]);
    const tokens = await series('model_router_tokens_total', 'rt-paced');
    expect(tokens.find((v) => v.labels.kind === 'completion')?.value).toBe(deltas.length);
    const cost = await series('model_router_cost_usd_total', 'rt-paced');
    expect(cost.reduce((s, v) => s + v.value, 0)).toBeCloseTo(record.costUsd, 12);
    const ttft = await series('model_router_time_to_first_token_seconds', 'rt-paced');
    expect(
      ttft.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value,
    ).toBe(1);
    expect(await series('model_router_failovers_total', 'rt-paced')).toEqual([]);
  });

  it('a client that leaves mid-output: charged its input and the output it was sent', async () => {
    const whole = await wholeAnswer();
    const c = await open('rt-paced');
    c.send({ type: 'response.create' });
    const seen = [
      ...(await c.until('response.output_text.delta')),
      ...(await c.until('response.output_text.delta')),
    ];
    const sent = deltasOf(seen).join('');
    await c.leave(1);
    const record = responseRecord(records, 1)!;
    // No response.done came: estimated, ≈4 characters a token, the conversation it read (the
    // question) and the output as relayed: at least what the client saw (one more delta may
    // have gone as it closed), less than the whole answer.
    expect(record).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      promptTokens: Math.ceil(QUESTION.length / 4),
      usageEstimated: true,
    });
    const output = record.completionTokens;
    expect(output).toBeGreaterThanOrEqual(Math.ceil(sent.length / 4));
    expect(output).toBeLessThan(Math.ceil(whole.text.length / 4));
    expect(record.costUsd).toBeCloseTo((record.promptTokens * IN + output * OUT) / 1e6, 12);
    expect(record.attempts.at(-1)).toMatchObject({ outcome: 'aborted', httpStatus: 499 });
    await waitFor(() => expect(sessions).toHaveLength(1));
    expect(sessions[0]).toMatchObject({ status: 499, errorCode: 'client_closed_request' });
  });

  it("times a response's first output by its own deltas, not another response's", async () => {
    const c = await open('rt-late');
    c.send({ type: 'response.create' });
    const first = (await c.next('response.output_text.delta')).response_id;
    // Out of band, beside it: a second before its own output, while the first's deltas go on.
    c.send({ type: 'response.create', response: { conversation: 'none' } });
    const aside = (await c.next('response.created')).response as { id: string };
    await waitFor(() => {
      const more = deltasOf(c.events.filter((e) => e.response_id === first));
      expect(more.length).toBeGreaterThan(0);
    });
    c.send({ type: 'response.cancel', response_id: aside.id });
    expect((await c.next('response.done')).response).toMatchObject({
      id: aside.id,
      status: 'cancelled',
      usage: { output_tokens: 0 },
    });
    c.send({ type: 'response.cancel' });
    expect((await c.next('response.done')).response).toMatchObject({ status: 'cancelled' });
    await c.leave(2);
    const [byFirst, byAside] = [responseRecord(records, 1)!, responseRecord(records, 2)!];
    expect(byFirst.ttftMs).toEqual(expect.any(Number));
    expect(byAside).toMatchObject({ status: 499, completionTokens: 0 });
    // It wrote nothing: no time to a first output (it had the first response's).
    expect(byAside.ttftMs).toBeUndefined();
  });
});

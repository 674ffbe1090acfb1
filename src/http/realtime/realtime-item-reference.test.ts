// Items referred to by id in a realtime session (task hRt), through the whole router (createRuntime
// listening on a port of 127.0.0.1) against a scripted upstream on 127.0.0.1 that keeps its
// conversation's items as OpenAI's does: a `response.create` whose own `input` holds
// `item_reference` items is charged, when stopped before its `response.done`, the items they point
// to (the client's, the upstream's, committed audio); an unknown id (never added, deleted, or
// blocked by the content filter) is refused with the API's `error` event and goes nowhere; a
// function call's output and arguments go through the input filter as message text does; a
// deleted item, and the audio and transcript a truncation cuts, are no longer in what the next
// response is charged; a spoken item reads as the audio relayed of it, not its transcript.
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import type { Runtime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { openRealtimeClient, startRealtimeRouter } from '../../../test/helpers/realtime-client.js';
import { simDeployment } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

// Ports the system gives (listen on 0): a fixed one in the ephemeral range can be taken by any
// other socket of the suite (CI saw EADDRINUSE).
let UPSTREAM_PORT = 0;
type Event = Record<string, unknown> & { type: string };
type Item = Record<string, unknown> & { id: string };

/** The upstream's frames from the router, per connection, and the upstream's items. */
const seen: { frames: string[] }[] = [];
let server: WebSocketServer;
const records: RequestRecord[] = [];
let rt: Runtime;
let url: (model: string) => string;

/**
 * A scripted upstream that keeps its items (openapi.yaml RealtimeClientEventConversationItemCreate,
 * ...Delete, InputAudioBufferCommit): ids of its own for items sent without one, echoed in
 * `conversation.item.added` / `.done` (the audio left out, as OpenAI's echo leaves it out); a
 * response answers "Hello there, friend." (20 characters: 5 tokens) and is added to the
 * conversation, or is held open when its metadata says `hold`.
 */
function startUpstream(): Promise<void> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    const conn = { frames: [] as string[] };
    seen.push(conn);
    const items: Item[] = [];
    let ids = 0;
    const send = (event: object) => ws.send(JSON.stringify(event));
    const withoutAudio = (item: Item): Item =>
      Array.isArray(item.content)
        ? {
            ...item,
            content: (item.content as Record<string, unknown>[]).map(
              ({ audio: _audio, ...part }) => part,
            ),
          }
        : item;
    const add = (item: Item) => {
      send({ type: 'conversation.item.added', item: { ...withoutAudio(item), content: [] } });
      items.push(item);
      send({ type: 'conversation.item.done', item: withoutAudio(item) });
    };
    send({ type: 'session.created', session: { id: 'sess_up' } });
    ws.on('message', (data) => {
      const text = String(data);
      conn.frames.push(text);
      const event = JSON.parse(text) as Event;
      if (event.type === 'conversation.item.create') {
        const item = event.item as Record<string, unknown>;
        add({ ...item, id: typeof item.id === 'string' ? item.id : `item_up_${++ids}` });
      } else if (event.type === 'conversation.item.delete') {
        const at = items.findIndex((i) => i.id === event.item_id);
        if (at < 0)
          return send({
            type: 'error',
            error: { type: 'invalid_request_error', code: 'item_not_found', message: 'no item' },
          });
        items.splice(at, 1);
        send({ type: 'conversation.item.deleted', item_id: event.item_id });
      } else if (event.type === 'input_audio_buffer.commit') {
        const id = `item_audio_${++ids}`;
        send({ type: 'input_audio_buffer.committed', item_id: id, previous_item_id: null });
        add({ id, type: 'message', role: 'user', content: [{ type: 'input_audio' }] });
      } else if (event.type === 'conversation.item.truncate') {
        const { item_id: itemId, content_index: index, audio_end_ms: ms } = event;
        send({
          type: 'conversation.item.truncated',
          item_id: itemId,
          content_index: index,
          audio_end_ms: ms,
        });
      } else if (event.type === 'response.create') {
        const params = (event.response ?? {}) as { metadata?: { hold?: string; speak?: string } };
        const id = `resp_${++ids}`;
        send({ type: 'response.created', response: { id } });
        if (params.metadata?.hold) return;
        if (params.metadata?.speak) {
          // Three seconds of PCM16 at 24 kHz (60 output audio tokens), its transcript 400
          // characters; the done events leave the audio out, as OpenAI's do.
          const item: Item = {
            id: `item_spoken_${++ids}`,
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_audio', transcript: 't'.repeat(400) }],
          };
          send({
            type: 'response.output_item.added',
            response_id: id,
            item: { ...item, content: [] },
          });
          const audio = Buffer.alloc(144_000).toString('base64');
          send({
            type: 'response.output_audio.delta',
            response_id: id,
            item_id: item.id,
            delta: audio,
          });
          send({ type: 'response.output_item.done', response_id: id, item });
          add(item);
          const usage = {
            total_tokens: 65,
            input_tokens: 5,
            output_tokens: 60,
            output_token_details: { text_tokens: 0, audio_tokens: 60 },
          };
          return send({ type: 'response.done', response: { id, status: 'completed', usage } });
        }
        const item: Item = {
          id: `item_out_${++ids}`,
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Hello there, friend.' }],
        };
        send({ type: 'response.output_item.done', response_id: id, item });
        add(item);
        send({
          type: 'response.done',
          response: {
            id,
            status: 'completed',
            output: [item],
            usage: { total_tokens: 10, input_tokens: 5, output_tokens: 5 },
          },
        });
      }
    });
  });
  return new Promise((resolve) =>
    server.on('listening', () => {
      UPSTREAM_PORT = (server.address() as AddressInfo).port;
      resolve();
    }),
  );
}

beforeAll(async () => {
  vi.stubEnv('RT_REF_KEY', 'sk-upstream-ref');
  await startUpstream();
  ({ rt, url } = await startRealtimeRouter(
    records,
    simDeployment('rt-ref', {
      provider: 'openai',
      kind: 'realtime',
      model: 'rt-ref-model',
      baseUrl: `http://127.0.0.1:${UPSTREAM_PORT}/v1`,
      apiKeyEnv: 'RT_REF_KEY',
      maxOutputTokens: undefined,
      // $/1M: text in 4, out 16; audio in 32, out 64.
      prices: { inputPer1M: 4, outputPer1M: 16, audioInputPer1M: 32, audioOutputPer1M: 64 },
    }),
    {
      contentFilter: {
        enabled: true,
        rules: [
          {
            id: 'kw',
            kind: 'keyword',
            patterns: ['project-x'],
            action: 'block',
            appliesTo: 'input',
          },
          { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'input' },
        ],
      },
    },
  ));
});

afterAll(async () => {
  await rt?.close();
  await new Promise((resolve) => server?.close(resolve));
  vi.unstubAllEnvs();
});

afterEach(() => {
  records.length = 0;
});

/** A client on the router; `until(type)` resolves with the events up to the next of `type`. */
async function open() {
  const { ws, send, until } = await openRealtimeClient(url('rt-ref'));
  return { ws, send, until, sent: seen.at(-1)! };
}

const userText = (text: string, id?: string) => ({
  ...(id ? { id } : {}),
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
});

describe("a response.create's item_reference input items", () => {
  it('are charged, when it stops before its done, as the items they point to', async () => {
    const c = await open();
    // An item the client names (400 characters: 100 tokens), one the upstream names (200: 50),
    // a second of PCM16 at 24 kHz committed from the buffer (10 audio tokens), and the answer of a
    // completed response (20 characters: 5 tokens).
    c.send({ type: 'conversation.item.create', item: userText('a'.repeat(400), 'item_mine') });
    c.send({ type: 'conversation.item.create', item: userText('b'.repeat(200)) });
    await c.until('conversation.item.done');
    const upstreamNamed = (await c.until('conversation.item.done')).at(-1);
    const audio = Buffer.alloc(48_000).toString('base64');
    c.send({ type: 'input_audio_buffer.append', audio });
    c.send({ type: 'input_audio_buffer.commit' });
    const committed = (await c.until('input_audio_buffer.committed')).at(-1)!;
    c.send({ type: 'response.create' });
    const answer = (await c.until('response.output_item.done')).at(-1)!.item as Item;
    await c.until('response.done');
    await waitFor(() => expect(records).toHaveLength(1));

    const ref = (id: unknown) => ({ type: 'item_reference', id });
    const input = [
      ref('item_mine'),
      ref((upstreamNamed!.item as Item).id),
      ref(committed.item_id),
      ref(answer.id),
      userText('Summarise that, please.'.padEnd(40)),
    ];
    c.send({
      type: 'response.create',
      event_id: 'refs',
      response: { conversation: 'none', input, metadata: { hold: '1' } },
    });
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(2));
    // 100 + 50 + 5 + 10 (inline) text tokens, and 10 audio tokens; before, the inline 10 alone.
    expect(records[1]).toMatchObject({ status: 499, promptTokens: 175, usageEstimated: true });
    expect(records[1]!.costUsd).toBeCloseTo((165 * 4 + 10 * 32) / 1e6, 12);
    // The references went upstream as they came.
    const sent = JSON.parse(c.sent.frames.at(-1)!) as { response: { input: unknown[] } };
    expect(sent.response.input.slice(0, 4)).toEqual(input.slice(0, 4));
  });

  it("an unknown id, or a deleted item's, gets the API's error event and goes nowhere", async () => {
    const c = await open();
    c.send({ type: 'conversation.item.create', item: userText('Hello.', 'item_gone') });
    await c.until('conversation.item.done');
    c.send({ type: 'conversation.item.delete', item_id: 'item_gone' });
    await c.until('conversation.item.deleted');
    const framesBefore = c.sent.frames.length;
    for (const [eventId, id] of [
      ['never', 'item_never'],
      ['deleted', 'item_gone'],
    ])
      c.send({
        type: 'response.create',
        event_id: eventId,
        response: { input: [userText('Hi.'), { type: 'item_reference', id }] },
      });
    const errors = [(await c.until('error')).at(-1)!, (await c.until('error')).at(-1)!];
    // openapi.yaml RealtimeServerEventError.
    expect(errors).toEqual(
      ['never', 'deleted'].map((eventId, i) => ({
        type: 'error',
        event_id: expect.any(String),
        error: {
          type: 'invalid_request_error',
          code: 'item_not_found',
          message: expect.stringContaining(['item_never', 'item_gone'][i]!),
          param: 'response.input[1].id',
          event_id: eventId,
        },
      })),
    );
    expect(c.sent.frames.slice(framesBefore)).toEqual([]);
    c.ws.close();
    await new Promise((resolve) => c.ws.once('close', resolve));
    // Refused before it was admitted: no response, no record.
    expect(records).toEqual([]);
  });

  it('cannot reach an item the content filter blocked', async () => {
    const c = await open();
    c.send({
      type: 'conversation.item.create',
      event_id: 'blocked',
      item: userText('all about project-x', 'item_secret'),
    });
    expect((await c.until('error')).at(-1)).toMatchObject({
      error: { code: 'content_filter', event_id: 'blocked' },
    });
    c.send({
      type: 'response.create',
      event_id: 'around',
      response: { input: [{ type: 'item_reference', id: 'item_secret' }] },
    });
    expect((await c.until('error')).at(-1)).toMatchObject({
      error: { code: 'item_not_found', param: 'response.input[0].id', event_id: 'around' },
    });
    expect(c.sent.frames).toEqual([]);
    c.ws.close();
  });
});

describe("function calls' text and the content filter", () => {
  it('a function_call_output and a function_call are filtered as message text is', async () => {
    const c = await open();
    const output = (text: string) => ({
      type: 'function_call_output',
      call_id: 'call_1',
      output: text,
    });
    const call = (args: string) => ({
      type: 'function_call',
      call_id: 'call_2',
      name: 'lookup',
      arguments: args,
    });
    c.send({
      type: 'conversation.item.create',
      event_id: 'out',
      item: output('{"doc":"project-x plans"}'),
    });
    c.send({
      type: 'conversation.item.create',
      event_id: 'args',
      item: call('{"q":"project-x"}'),
    });
    c.send({
      type: 'response.create',
      event_id: 'inline',
      response: { input: [output('{"doc":"project-x plans"}')] },
    });
    for (const id of ['out', 'args', 'inline'])
      expect((await c.until('error')).at(-1)).toMatchObject({
        error: { code: 'content_filter', event_id: id },
      });
    expect(c.sent.frames).toEqual([]);
    c.send({ type: 'conversation.item.create', item: output('{"mail":"ann@example.com"}') });
    c.send({ type: 'conversation.item.create', item: call('{"to":"ann@example.com"}') });
    await c.until('conversation.item.done');
    await c.until('conversation.item.done');
    const [sentOutput, sentCall] = c.sent.frames.map(
      (f) => (JSON.parse(f) as { item: Record<string, string> }).item,
    );
    expect(sentOutput!.output).not.toContain('ann@example.com');
    expect(sentOutput!.output).toContain('"mail":');
    expect(sentCall!.arguments).not.toContain('ann@example.com');
    expect(sentCall!.arguments).toContain('"to":');
    c.ws.close();
  });
});

describe('conversation.item.delete', () => {
  it('takes the deleted item out of what the next response is charged', async () => {
    const c = await open();
    // 4,000 characters (1,000 tokens), deleted; 400 (100) kept.
    c.send({ type: 'conversation.item.create', item: userText('x'.repeat(4_000), 'item_big') });
    c.send({ type: 'conversation.item.create', item: userText('y'.repeat(400)) });
    await c.until('conversation.item.done');
    await c.until('conversation.item.done');
    c.send({ type: 'conversation.item.delete', item_id: 'item_big' });
    await c.until('conversation.item.deleted');
    c.send({ type: 'response.create', response: { metadata: { hold: '1' } } });
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({ status: 499, promptTokens: 100, usageEstimated: true });
  });
});

describe('conversation.item.truncate', () => {
  /** A session whose assistant has spoken 3 s (60 audio tokens), then cut to 1 s by the client. */
  async function spokenThenTruncated() {
    const c = await open();
    c.send({ type: 'response.create', response: { metadata: { speak: '1' } } });
    const spoken = (await c.until('response.output_item.done')).at(-1)!.item as Item;
    await c.until('response.done');
    c.send({
      type: 'conversation.item.truncate',
      item_id: spoken.id,
      content_index: 0,
      audio_end_ms: 1_000,
    });
    await c.until('conversation.item.truncated');
    return { c, spoken };
  }

  it('takes the audio cut, and the transcript, out of what the next response is charged', async () => {
    const { c } = await spokenThenTruncated();
    c.send({ type: 'response.create', response: { metadata: { hold: '1' } } });
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(2));
    // The first response read 5 text tokens and spoke 60 audio tokens; 20 are left (1 s).
    expect(records[1]).toMatchObject({ status: 499, promptTokens: 25, usageEstimated: true });
    expect(records[1]!.costUsd).toBeCloseTo((5 * 4 + 20 * 32) / 1e6, 12);
  });

  it('a reference to the spoken item reads as the audio it kept, not its transcript', async () => {
    const { c, spoken } = await spokenThenTruncated();
    c.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        input: [{ type: 'item_reference', id: spoken.id }],
        metadata: { hold: '1' },
      },
    });
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(2));
    expect(records[1]).toMatchObject({ status: 499, promptTokens: 20, usageEstimated: true });
    expect(records[1]!.costUsd).toBeCloseTo((20 * 32) / 1e6, 12);
  });
});

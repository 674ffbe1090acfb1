// What a realtime session's estimate holds of the client's items (task hRt3), through the whole
// router (createRuntime listening on a port of 127.0.0.1) against a loopback upstream that behaves
// as OpenAI's GA Realtime API does (openapi.yaml RealtimeClientEventConversationItemCreate: "If
// successful, the server will respond with a `conversation.item.created` [GA: `.added`] event,
// otherwise an `error` event", naming the client's `event_id`): an item the upstream refuses (an
// unknown `previous_item_id`, a duplicate id, an invalid item) is not charged and cannot be
// referred to; an item, and a response's own input, are charged as the content filter sent them
// on, not as the client wrote them; a `response.create` the upstream refuses, sent without an
// `event_id` (as the `openai` SDK sends them), is recorded as refused and does not take the place
// of the next response; items added while a response runs stay in the conversation after it.
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import type { Runtime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import {
  openRealtimeClient,
  responseRecord,
  startRealtimeRouter,
} from '../../../test/helpers/realtime-client.js';
import { simDeployment } from '../../../test/helpers/test-config.js';

type Event = Record<string, unknown> & { type: string };
type Item = Record<string, unknown> & { id: string };

let server: WebSocketServer;
let rt: Runtime;
let url: (model: string) => string;
/** The frames the upstream got, per connection. */
const seen: string[][] = [];
const records: RequestRecord[] = [];

/**
 * OpenAI's GA session, as far as these tests go: an item is added (`conversation.item.added`,
 * `.done`, the audio left out) or refused with an `error` naming the event (`event_id`, null when
 * it had none): an item that is no message, function call or output, a message role other than
 * user, assistant or system, an id the conversation holds, a `previous_item_id` it does not. One
 * response at a time in the default conversation (another is refused,
 * `conversation_already_has_active_response`); a response held (`metadata.hold`) runs until
 * `response.cancel`, which ends it `cancelled` with usage (100 input tokens, 3 output).
 */
function startUpstream(): Promise<number> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    const frames: string[] = [];
    seen.push(frames);
    const items: Item[] = [];
    let ids = 0;
    let active: string | undefined;
    const send = (event: object) => ws.send(JSON.stringify({ event_id: `ev_${++ids}`, ...event }));
    const refuse = (event: Event, code: string, message: string, param: string | null) =>
      send({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code,
          message,
          param,
          event_id: typeof event.event_id === 'string' ? event.event_id : null,
        },
      });
    send({ type: 'session.created', session: { id: 'sess_up' } });
    ws.on('message', (data) => {
      const text = String(data);
      frames.push(text);
      const event = JSON.parse(text) as Event;
      if (event.type === 'conversation.item.create') {
        const item = event.item as Record<string, unknown>;
        if (!['message', 'function_call', 'function_call_output'].includes(String(item.type)))
          return refuse(event, 'invalid_value', 'Invalid item type.', 'item.type');
        if (item.type === 'message' && !['user', 'assistant', 'system'].includes(String(item.role)))
          return refuse(event, 'invalid_value', 'Invalid role.', 'item.role');
        if (items.some((i) => i.id === item.id))
          return refuse(event, 'invalid_value', 'Item id already exists.', 'item.id');
        const after = event.previous_item_id;
        if (after !== undefined && after !== 'root' && !items.some((i) => i.id === after))
          return refuse(event, 'item_not_found', 'No previous item.', 'previous_item_id');
        const added = { id: `item_up_${++ids}`, ...item } as Item;
        items.push(added);
        send({ type: 'conversation.item.added', item: added });
        send({ type: 'conversation.item.done', item: added });
      } else if (event.type === 'response.create') {
        const params = (event.response ?? {}) as Record<string, unknown>;
        const outOfBand = params.conversation === 'none';
        if (!outOfBand && active)
          return refuse(
            event,
            'conversation_already_has_active_response',
            'Conversation already has an active response.',
            null,
          );
        const id = `resp_${++ids}`;
        send({ type: 'response.created', response: { id, status: 'in_progress' } });
        if ((params.metadata as { hold?: string } | undefined)?.hold) {
          if (!outOfBand) active = id;
          return;
        }
        const usage = { total_tokens: 10, input_tokens: 5, output_tokens: 5 };
        send({ type: 'response.done', response: { id, status: 'completed', usage } });
      } else if (event.type === 'response.cancel') {
        if (!active) return refuse(event, 'response_cancel_not_active', 'No response.', null);
        const usage = { total_tokens: 103, input_tokens: 100, output_tokens: 3 };
        send({ type: 'response.done', response: { id: active, status: 'cancelled', usage } });
        active = undefined;
      }
    });
  });
  return new Promise((resolve) =>
    server.on('listening', () => resolve((server.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  vi.stubEnv('RT_CONFIRM_KEY', 'sk-upstream-confirm');
  const upstreamPort = await startUpstream();
  ({ rt, url } = await startRealtimeRouter(
    records,
    simDeployment('rt-confirm', {
      provider: 'openai',
      kind: 'realtime',
      model: 'rt-confirm-model',
      baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
      apiKeyEnv: 'RT_CONFIRM_KEY',
      maxOutputTokens: undefined,
      prices: { inputPer1M: 4, outputPer1M: 16 },
    }),
    {
      contentFilter: {
        enabled: true,
        rules: [
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

/** A client on the router, and the frames the upstream got from it. */
async function open() {
  return { ...(await openRealtimeClient(url('rt-confirm'), records)), frames: seen.at(-1)! };
}

const userText = (text: string, id?: string) => ({
  ...(id ? { id } : {}),
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
});
const byResponse = (n: number) => responseRecord(records, n);

describe('conversation.item.create the upstream refuses', () => {
  it('is not charged, cannot be referred to, and leaves the item it duplicates as it was', async () => {
    const c = await open();
    // Refused: after an item that does not exist (4,000 characters), with the client's event_id.
    c.send({
      type: 'conversation.item.create',
      event_id: 'e_orphan',
      previous_item_id: 'item_nowhere',
      item: userText('o'.repeat(4_000), 'item_orphan'),
    });
    // Added: 400 characters (100 tokens), sent without an event_id, as the SDK sends events.
    c.send({ type: 'conversation.item.create', item: userText('k'.repeat(400), 'item_kept') });
    // Refused, without event_ids: a duplicate of its id (4,000 characters), and a role that is none.
    c.send({ type: 'conversation.item.create', item: userText('d'.repeat(4_000), 'item_kept') });
    c.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'robot',
        content: [{ type: 'input_text', text: 'r'.repeat(4_000) }],
      },
    });
    const errors = [(await c.until('error')).at(-1)!];
    await c.until('conversation.item.done');
    errors.push((await c.until('error')).at(-1)!, (await c.until('error')).at(-1)!);
    // Each names the client's event as it was sent: its own event_id, or none.
    expect(errors.map((e) => (e.error as { event_id: unknown }).event_id)).toEqual([
      'e_orphan',
      null,
      null,
    ]);

    const framesBefore = c.frames.length;
    c.send({
      type: 'response.create',
      event_id: 'ref_orphan',
      response: { conversation: 'none', input: [{ type: 'item_reference', id: 'item_orphan' }] },
    });
    expect((await c.until('error')).at(-1)).toMatchObject({
      error: { code: 'item_not_found', param: 'response.input[0].id', event_id: 'ref_orphan' },
    });
    expect(c.frames.slice(framesBefore)).toEqual([]);

    // Held and cut off: one reading the kept item by reference, one the default conversation.
    c.send({
      type: 'response.create',
      response: {
        conversation: 'none',
        input: [{ type: 'item_reference', id: 'item_kept' }],
        metadata: { hold: '1' },
      },
    });
    await c.until('response.created');
    c.send({ type: 'response.create', response: { metadata: { hold: '1' } } });
    await c.until('response.created');
    await c.leave(2);
    // Before 2026-12-07: 1,000 (the duplicate's count) and 3,100 (every item sent).
    expect(byResponse(1)).toMatchObject({ status: 499, promptTokens: 100, usageEstimated: true });
    expect(byResponse(2)).toMatchObject({ status: 499, promptTokens: 100, usageEstimated: true });
  });
});

describe("a client event's event_id", () => {
  it('that no refusal could name (no string, too long) is refused by the router', async () => {
    const c = await open();
    c.send({ type: 'conversation.item.create', event_id: 5, item: userText('Hi.') });
    c.send({ type: 'response.create', event_id: 'e'.repeat(513) });
    for (let i = 0; i < 2; i++)
      expect((await c.until('error')).at(-1)).toMatchObject({
        error: { type: 'invalid_request_error', code: 'invalid_value', param: 'event_id' },
      });
    // A null one is as none: the router's goes upstream.
    c.send({ type: 'conversation.item.create', event_id: null, item: userText('Hi.') });
    await c.until('conversation.item.done');
    expect(c.frames).toHaveLength(1);
    expect(JSON.parse(c.frames[0]!)).toMatchObject({
      event_id: expect.stringMatching(/^event_mr_/),
    });
    c.ws.close();
  });
});

describe('the content filter and the estimate', () => {
  it('charges an item, and a response’s own input, as redacted and sent upstream', async () => {
    const c = await open();
    const text = `Write to ${'a'.repeat(380)}@example.com about it.`;
    c.send({ type: 'conversation.item.create', item: userText(text) });
    await c.until('conversation.item.done');
    c.send({
      type: 'response.create',
      response: { conversation: 'none', input: [userText(text)], metadata: { hold: '1' } },
    });
    await c.until('response.created');
    c.send({ type: 'response.create', response: { metadata: { hold: '1' } } });
    await c.until('response.created');
    const sentItem = JSON.parse(c.frames[0]!) as { item: { content: { text: string }[] } };
    const sentInput = JSON.parse(c.frames[1]!) as {
      response: { input: { content: { text: string }[] }[] };
    };
    const redacted = sentItem.item.content[0]!.text;
    expect(sentInput.response.input[0]!.content[0]!.text).toBe(redacted);
    expect(redacted).not.toContain('@example.com');
    await c.leave(2);
    // The redacted text's tokens (≈4 characters each), not the 100 of what the client wrote.
    const tokens = Math.ceil(redacted.length / 4);
    expect(tokens).toBeLessThan(Math.ceil(text.length / 4));
    expect(byResponse(1)).toMatchObject({ status: 499, promptTokens: tokens });
    expect(byResponse(2)).toMatchObject({ status: 499, promptTokens: tokens });
  });
});

describe('responses in a session, as an OpenAI client drives them', () => {
  it('a refused response.create without an event_id, a cancel, and an item added meanwhile', async () => {
    const c = await open();
    c.send({ type: 'conversation.item.create', item: userText('a'.repeat(400)) });
    await c.until('conversation.item.done');
    c.send({ type: 'response.create', response: { metadata: { hold: '1' } } });
    await c.until('response.created');
    // A second while the first runs: the upstream refuses it, naming the event the router tagged.
    c.send({ type: 'response.create' });
    const refusal = (await c.until('error')).at(-1)!;
    expect(refusal.error).toMatchObject({
      code: 'conversation_already_has_active_response',
      event_id: null,
    });
    // 800 characters (200 tokens) added while the first still runs, which then is cancelled.
    c.send({ type: 'conversation.item.create', item: userText('b'.repeat(800)) });
    await c.until('conversation.item.done');
    c.send({ type: 'response.cancel' });
    await c.until('response.done');
    c.send({ type: 'response.create', response: { metadata: { hold: '1' } } });
    await c.until('response.created');
    await c.leave(3);
    // The cancelled one, from its usage, as a chat stream the client stops (until 2026-12-07 a
    // 200); the refused one, never started, free.
    expect(byResponse(1)).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      promptTokens: 100,
      completionTokens: 3,
    });
    expect(byResponse(2)).toMatchObject({
      status: 400,
      errorCode: 'conversation_already_has_active_response',
      costUsd: 0,
    });
    // What the cancelled one read and wrote, and the item added while it ran (before
    // 2026-12-07: the refused one took this one's place, and the item was lost).
    expect(byResponse(3)).toMatchObject({ status: 499, promptTokens: 303, usageEstimated: true });
  });
});

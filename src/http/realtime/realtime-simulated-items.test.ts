// The default config's simulated `gpt-realtime` through the whole router (createRuntime listening
// on a port of 127.0.0.1), driven by the `openai` SDK's `OpenAIRealtimeWS` as a demanding client would
// (task hRt): `conversation.item.retrieve` and `.truncate` answered as openapi.yaml says (they were
// "Unknown event type"), `previous_item_id` placing an item (it was ignored), and a response with
// its own `input` reading that input, references resolved, with an out-of-band one adding nothing
// to the conversation (it read the conversation, and announced its output as added to it).
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { ResponseCreateEventWithReferencesParam } from 'openai/resources/realtime/realtime';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

// A port the system gives (listen on 0): a fixed one in the ephemeral range can be taken by any
// other socket of the suite (CI saw EADDRINUSE on 47204).
let PORT = 0;
let rt: Runtime;

beforeAll(async () => {
  const raw = parseYaml(readFileSync('config/default.yaml', 'utf8')) as Record<string, unknown>;
  raw.server = { host: '127.0.0.1', port: 8080, logLevel: 'silent' };
  raw.requestLog = { kind: 'none' };
  rt = await createRuntime(parseConfig(raw, {}).config);
  await rt.app.listen({ host: '127.0.0.1', port: 0 });
  PORT = (rt.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await rt?.close();
});

type Event = { type: string } & Record<string, unknown>;

/** An SDK realtime client; `next(type)` is the next server event of `type` (errors included). */
async function session() {
  const client = new OpenAI({ apiKey: 'unused', baseURL: `http://127.0.0.1:${PORT}/v1` });
  const ws = new OpenAIRealtimeWS(
    { model: 'gpt-realtime', options: { createConnection: (o) => connect(o as never) } },
    client,
  );
  const events: Event[] = [];
  ws.on('event', (e) => void events.push(e as unknown as Event));
  // The SDK emits `error` events as errors too: they are read from `events`.
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) =>
    ws.socket.once('open', () => resolve()).once('error', reject),
  );
  const upTo = async (type: string): Promise<Event[]> => {
    await waitFor(() => expect(events.map((e) => e.type)).toContain(type));
    return events.splice(0, events.findIndex((e) => e.type === type) + 1);
  };
  const next = async (type: string): Promise<Event> => (await upTo(type)).at(-1)!;
  await next('session.created');
  const text = (id: string | undefined, words: string, previous?: string) => {
    ws.send({
      type: 'conversation.item.create',
      ...(previous ? { previous_item_id: previous } : {}),
      item: {
        ...(id ? { id } : {}),
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: words }],
      },
    });
  };
  /** The text of the next response's answer, and the events up to its response.done. */
  const answer = async () => {
    const seen = await upTo('response.done');
    const done = seen.at(-1)!.response as { output: { id: string; content: { text: string }[] }[] };
    return { text: done.output[0]!.content[0]!.text, id: done.output[0]!.id, seen };
  };
  return { ws, next, upTo, text, answer };
}

describe('the simulated gpt-realtime, as the openai SDK uses it', () => {
  it('conversation.item.retrieve: the item, or item_not_found', async () => {
    const s = await session();
    s.text('item_a', 'Name a colour.');
    await s.next('conversation.item.done');
    s.ws.send({ type: 'conversation.item.retrieve', item_id: 'item_a', event_id: 'r1' });
    expect(await s.next('conversation.item.retrieved')).toMatchObject({
      item: { id: 'item_a', role: 'user', content: [{ text: 'Name a colour.' }] },
    });
    s.ws.send({ type: 'conversation.item.retrieve', item_id: 'item_none', event_id: 'r2' });
    expect(await s.next('error')).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'item_not_found',
        param: 'item_id',
        event_id: 'r2',
      },
    });
    s.ws.close();
  });

  it("conversation.item.truncate: an assistant's item's part to 0 ms; others refused", async () => {
    const s = await session();
    s.text('item_q', 'Name a colour.');
    s.ws.send({ type: 'response.create' });
    const { id } = await s.answer();
    s.ws.send({
      type: 'conversation.item.truncate',
      item_id: id,
      content_index: 0,
      audio_end_ms: 0,
    });
    expect(await s.next('conversation.item.truncated')).toMatchObject({
      item_id: id,
      content_index: 0,
      audio_end_ms: 0,
    });
    // A content part the item does not have, or no index (until 2026-12-08 either was truncated).
    for (const [item, ms, code, param, index] of [
      [id, 1500, 'invalid_value', 'audio_end_ms', 0],
      ['item_q', 0, 'invalid_value', 'item_id', 0],
      ['item_none', 0, 'item_not_found', 'item_id', 0],
      [id, 0, 'invalid_value', 'content_index', 1],
      [id, 0, 'invalid_value', 'content_index', -1],
      [id, 0, 'invalid_value', 'content_index', undefined],
    ] as const) {
      // Past the SDK's types (content_index left out): on its socket.
      s.ws.socket.send(
        JSON.stringify({
          type: 'conversation.item.truncate',
          event_id: `t_${item}_${ms}_${index}`,
          item_id: item,
          content_index: index,
          audio_end_ms: ms,
        }),
      );
      expect(await s.next('error')).toMatchObject({
        error: { code, param, event_id: `t_${item}_${ms}_${index}` },
      });
    }
    s.ws.close();
  });

  it('previous_item_id places the item: root first, after an id, unknown refused', async () => {
    const s = await session();
    s.text('item_a', 'First written.');
    expect(await s.next('conversation.item.done')).toMatchObject({ previous_item_id: null });
    s.text('item_b', 'Put first.', 'root');
    expect(await s.next('conversation.item.done')).toMatchObject({ previous_item_id: null });
    // The conversation is b, a: an item appended follows a.
    s.text('item_c', 'Appended.');
    expect(await s.next('conversation.item.done')).toMatchObject({ previous_item_id: 'item_a' });
    s.text('item_d', 'After b.', 'item_b');
    expect(await s.next('conversation.item.done')).toMatchObject({ previous_item_id: 'item_b' });
    s.ws.send({
      type: 'conversation.item.create',
      event_id: 'lost',
      previous_item_id: 'item_none',
      item: { id: 'item_e', type: 'message', role: 'user', content: [] },
    });
    const seen = await s.upTo('error');
    expect(seen.map((e) => e.type)).toEqual(['error']);
    expect(seen[0]).toMatchObject({ error: { code: 'item_not_found', event_id: 'lost' } });
    s.ws.close();
  });

  it('conversation.item.create refused as OpenAI refuses it: a duplicate id, an invalid item', async () => {
    const s = await session();
    s.text('item_a', 'Name a colour.');
    await s.next('conversation.item.done');
    // Sent without an event_id, as the SDK sends them: the error names none (task hRt3; the
    // simulated fleet added both until 2026-12-07).
    s.text('item_a', 'Name a fruit instead.');
    expect(await s.next('error')).toMatchObject({
      error: { code: 'invalid_value', param: 'item.id', event_id: null },
    });
    s.ws.send({
      type: 'conversation.item.create',
      event_id: 'robot',
      item: { type: 'message', role: 'robot', content: [] } as never,
    });
    expect(await s.next('error')).toMatchObject({
      error: { code: 'invalid_value', param: 'item.role', event_id: 'robot' },
    });
    s.ws.send({
      type: 'conversation.item.create',
      event_id: 'lost',
      previous_item_id: 'item_none',
      item: { type: 'message', role: 'user', content: [] },
    });
    expect(await s.next('error')).toMatchObject({
      error: { code: 'item_not_found', param: 'previous_item_id', event_id: 'lost' },
    });
    // The conversation holds the first item alone, as it was added.
    s.ws.send({ type: 'conversation.item.retrieve', item_id: 'item_a' });
    expect(await s.next('conversation.item.retrieved')).toMatchObject({
      item: { id: 'item_a', content: [{ text: 'Name a colour.' }] },
    });
    s.ws.close();
  });

  it("calls the session's function tools, and reads the call's output back", async () => {
    const s = await session();
    const ask = 'What is the weather in Paris today?';
    // Without tools: the usage the same question reads.
    s.text(undefined, ask);
    s.ws.send({ type: 'response.create', response: { conversation: 'none' } });
    const plain = (await s.upTo('response.done')).at(-1)!.response as {
      usage: { input_tokens: number };
    };
    s.ws.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        tools: [
          {
            type: 'function',
            name: 'get_weather',
            description: 'The weather in a city.',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      },
    });
    await s.next('session.updated');
    s.ws.send({ type: 'response.create' });
    const seen = await s.upTo('response.done');
    const done = seen.at(-1)!.response as {
      output: { type: string; name: string; call_id: string; arguments: string }[];
      usage: { input_tokens: number };
    };
    const [call] = done.output;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(seen.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({
      call_id: call!.call_id,
      name: 'get_weather',
      arguments: call!.arguments,
    });
    // The tools are read as input, as OpenAI bills them (until 2026-12-07 they were ignored).
    expect(done.usage.input_tokens).toBeGreaterThan(plain.usage.input_tokens);
    s.ws.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: call!.call_id, output: '{"temp_c":12}' },
    });
    await s.next('conversation.item.done');
    s.ws.send({ type: 'response.create' });
    const answer = await s.answer();
    expect(answer.text.length).toBeGreaterThan(0);
    s.ws.close();
  });

  it('a response with its own input reads it (references resolved); out of band, adds nothing', async () => {
    // The same text as a conversation of its own: what an out-of-band response should answer.
    const alone = await session();
    alone.text(undefined, 'Name a colour.');
    alone.text(undefined, 'And now a fruit, please.');
    alone.ws.send({ type: 'response.create' });
    const expected = (await alone.answer()).text;
    alone.ws.close();

    const s = await session();
    s.text('item_a', 'Name a colour.');
    s.text('item_b', 'Tell me everything about the history of the Roman Empire in detail.');
    await s.next('conversation.item.done');
    await s.next('conversation.item.done');
    // The SDK types references on ResponseCreateEventWithReferencesParam; its send takes the
    // RealtimeClientEvent union, which leaves them out.
    const outOfBand: ResponseCreateEventWithReferencesParam = {
      type: 'response.create',
      response: {
        conversation: 'none',
        input: [
          { type: 'item_reference', id: 'item_a' },
          {
            type: 'message',
            role: 'user',
            content: [{ type: 'input_text', text: 'And now a fruit, please.' }],
          },
        ],
      },
    };
    s.ws.send(outOfBand as never);
    const got = await s.answer();
    expect(got.text).toBe(expected);
    expect(got.seen.map((e) => e.type)).not.toContain('conversation.item.added');
    expect(got.seen.map((e) => e.type)).not.toContain('conversation.item.done');
    // Its output is not in the conversation.
    s.ws.send({ type: 'conversation.item.retrieve', item_id: got.id, event_id: 'oob' });
    expect(await s.next('error')).toMatchObject({
      error: { code: 'item_not_found', event_id: 'oob' },
    });
    s.ws.close();
  });
});

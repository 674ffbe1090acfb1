// The Realtime API through the whole router (createRuntime on config/default.yaml's simulated
// fleet, listening on 127.0.0.1), driven by the official `openai` SDK's `OpenAIRealtimeWS`: a
// text conversation with gpt-realtime (session.update, an item, a response with its deltas and
// usage), its request-log record and cost, the simulated fleet's refusal of audio, and auth on
// the upgrade. The SDK always dials wss:; the router here listens without TLS (in production a
// TLS-terminating proxy sits in front), so the test hands `ws` a plain TCP connection.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { WebSocket } from 'ws';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { waitFor } from '../helpers/wait-for.js';

const KEY = 'mr-rt-e2e-key-0123456789abcdef';
const records: RequestRecord[] = [];
let rt: Runtime;
let baseURL: string;

beforeAll(async () => {
  const raw = parseYaml(readFileSync('config/default.yaml', 'utf8')) as Record<string, unknown>;
  raw.server = { host: '127.0.0.1', port: 0, logLevel: 'silent' };
  raw.requestLog = { kind: 'none' };
  raw.auth = { mode: 'keys', keys: [{ id: 'k1', hash: hashApiKey(KEY), tenant: 'acme' }] };
  // gpt-realtime again, streaming 4 tokens a second: a cancel lands mid-output.
  const deployments = raw.deployments as Record<string, unknown>[];
  const realtime = deployments.find((d) => d.name === 'gpt-realtime')!;
  const simulation = { ...(realtime.simulation as object), tokensPerSecond: 4 };
  deployments.push({ ...realtime, name: 'gpt-realtime-paced', simulation });
  rt = await createRuntime(parseConfig(raw, {}).config, {
    // Responses' records; the sessions' own (`realtime.session`) are tested in realtime-proxy.test.ts.
    recorder: { record: (r) => void (r.endpoint === 'realtime' && records.push(r)) },
  });
  baseURL = `${await rt.app.listen({ host: '127.0.0.1', port: 0 })}/v1`;
});

afterAll(async () => {
  await rt?.close();
});

type Event = { type: string } & Record<string, unknown>;

/** An SDK realtime client on the router, and every server event it has seen, in order. */
async function session(apiKey = KEY, model = 'gpt-realtime') {
  const client = new OpenAI({ apiKey, baseURL });
  const ws = new OpenAIRealtimeWS(
    { model, options: { createConnection: (o) => connect(o as never) } },
    client,
  );
  const events: Event[] = [];
  ws.on('event', (e) => void events.push(e as unknown as Event));
  const errors: unknown[] = [];
  ws.on('error', (e) => void errors.push(e));
  await new Promise<void>((resolve, reject) => {
    ws.socket.once('open', () => resolve());
    ws.socket.once('error', reject);
    ws.socket.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error('refused'), { status: res.statusCode })),
    );
  });
  /** The events up to the next of `type`, that one last. */
  const upTo = async (type: string): Promise<Event[]> => {
    await waitFor(() => expect(events.map((e) => e.type)).toContain(type));
    return events.splice(0, events.findIndex((e) => e.type === type) + 1);
  };
  const next = async (type: string): Promise<Event> => (await upTo(type)).at(-1)!;
  return { ws, errors, next, upTo };
}

describe('Realtime API with the openai SDK', () => {
  it('holds a text conversation with the simulated gpt-realtime, logged with its cost', async () => {
    const s = await session();
    const created = await s.next('session.created');
    expect(created).toMatchObject({ session: { model: 'gpt-realtime-2025-08-28' } });
    s.ws.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], instructions: 'Be brief.' },
    });
    expect(await s.next('session.updated')).toMatchObject({
      session: { output_modalities: ['text'], instructions: 'Be brief.' },
    });
    s.ws.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Name three primary colours.' }],
      },
    });
    await s.next('conversation.item.done');
    s.ws.send({ type: 'response.create' });
    const done = (await s.next('response.done')) as Event & {
      response: {
        output: { content: { text: string }[] }[];
        usage: { input_tokens: number; output_tokens: number };
      };
    };
    const text = done.response.output[0]!.content[0]!.text;
    expect(text.length).toBeGreaterThan(0);
    const { input_tokens: input, output_tokens: output } = done.response.usage;
    expect(input).toBeGreaterThan(0);
    expect(output).toBeGreaterThan(0);

    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({
      endpoint: 'realtime',
      deployment: 'gpt-realtime',
      servedModel: 'gpt-realtime-2025-08-28',
      promptTokens: input,
      completionTokens: output,
      status: 200,
      keyId: 'k1',
    });
    // Text only: $4 per 1M in, $16 per 1M out (config/default.yaml).
    expect(records[0]!.costUsd).toBeCloseTo((input * 4 + output * 16) / 1e6, 12);
    expect(s.errors).toEqual([]);
    s.ws.close();
  });

  it('answers the same conversation with the same text (deterministic)', async () => {
    const answer = async () => {
      const s = await session();
      await s.next('session.created');
      s.ws.send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi!' }] },
      });
      s.ws.send({ type: 'response.create', response: { output_modalities: ['text'] } });
      const seen = await s.upTo('response.done');
      s.ws.close();
      const streamed = seen
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => String(e.delta))
        .join('');
      const out = (seen.at(-1)!.response as { output: { content: { text: string }[] }[] }).output;
      expect(streamed).toBe(out[0]!.content[0]!.text);
      expect(seen.map((e) => e.type).slice(0, 2)).toEqual([
        'conversation.item.added',
        'conversation.item.done',
      ]);
      return streamed;
    };
    expect(await answer()).toBe(await answer());
  });

  it('cancels a response mid-output and truncates its item; logged 499 at the usage written', async () => {
    const open = async (model: string) => {
      const s = await session(KEY, model);
      await s.next('session.created');
      s.ws.send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi!' }] },
      });
      s.ws.send({ type: 'response.create' });
      return s;
    };
    // The whole answer, from the same model unpaced.
    const unpaced = await open('gpt-realtime');
    const whole = (await unpaced.next('response.done')) as Event & {
      response: { output: { content: { text: string }[] }[]; usage: { output_tokens: number } };
    };
    unpaced.ws.close();
    const s = await open('gpt-realtime-paced');
    await s.next('response.output_text.delta');
    s.ws.send({ type: 'response.cancel' });
    const seen = await s.upTo('response.done');
    const done = seen.at(-1) as Event & {
      response: {
        status: string;
        output: { id: string; status: string; content: { text: string }[] }[];
        usage: { input_tokens: number; output_tokens: number };
      };
    };
    const written = done.response.output[0]!;
    expect(done.response.status).toBe('cancelled');
    expect(written.status).toBe('incomplete');
    const { input_tokens: input, output_tokens: output } = done.response.usage;
    expect(output).toBeGreaterThan(0);
    // Less than the whole answer: its beginning, and fewer tokens.
    const text = written.content[0]!.text;
    expect(whole.response.output[0]!.content[0]!.text.startsWith(text)).toBe(true);
    expect(output).toBeLessThan(whole.response.usage.output_tokens);
    s.ws.send({
      type: 'conversation.item.truncate',
      item_id: written.id,
      content_index: 0,
      audio_end_ms: 0,
    });
    expect(await s.next('conversation.item.truncated')).toMatchObject({ item_id: written.id });
    s.ws.close();
    await waitFor(() =>
      expect(records.find((r) => r.deployment === 'gpt-realtime-paced')).toBeDefined(),
    );
    const record = records.find((r) => r.deployment === 'gpt-realtime-paced')!;
    expect(record).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      promptTokens: input,
      completionTokens: output,
    });
    expect(record.costUsd).toBeCloseTo((input * 4 + output * 16) / 1e6, 12);
  });

  it('refuses audio on the simulated fleet with an error event', async () => {
    const s = await session();
    await s.next('session.created');
    s.ws.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
    await waitFor(() => expect(s.errors).toHaveLength(1));
    expect(JSON.stringify(s.errors[0])).toContain('audio_not_supported');
    s.ws.close();
  });

  it('refuses a session.update whose session is not an object (input audit F11)', async () => {
    const s = await session();
    await s.next('session.created');
    s.ws.send({ type: 'session.update', session: 5 } as never);
    await waitFor(() => expect(s.errors).toHaveLength(1));
    expect(JSON.stringify(s.errors[0])).toContain("'session' must be an object");
    s.ws.close();
  });

  it('refuses a wrong key with a 401 before the upgrade', async () => {
    await expect(session('mr-wrong-key-0123456789abcdef')).rejects.toMatchObject({ status: 401 });
  });
});

describe('Realtime session limits', () => {
  it('ends a session past realtime.maxConnectionMinutes, and every session on shutdown, with 1001', async () => {
    const raw = parseYaml(readFileSync('config/default.yaml', 'utf8')) as Record<string, unknown>;
    raw.server = { host: '127.0.0.1', port: 0, logLevel: 'silent' };
    raw.requestLog = { kind: 'none' };
    // 30 ms, so the first session outlives it.
    raw.realtime = { maxConnectionMinutes: 0.0005 };
    const short = await createRuntime(parseConfig(raw, {}).config);
    const url = (await short.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const open = async () => {
      const ws = new WebSocket(`${url}/v1/realtime?model=gpt-realtime`);
      const frames: string[] = [];
      ws.on('message', (d) => void frames.push(String(d)));
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return { frames, closed };
    };
    const expiring = await open();
    expect(await expiring.closed).toBe(1001);
    expect(expiring.frames.map((f) => JSON.parse(f) as Event).at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'session_expired' },
    });
    const config = short.config.current.config;
    short.config.apply({ ...config, realtime: { ...config.realtime, maxConnectionMinutes: 60 } });
    const staying = await open();
    await short.close();
    expect(await staying.closed).toBe(1001);
    expect(staying.frames.map((f) => JSON.parse(f) as Event).at(-1)).toMatchObject({
      type: 'error',
      error: { type: 'server_error', code: 'router_shutting_down' },
    });
  });
});

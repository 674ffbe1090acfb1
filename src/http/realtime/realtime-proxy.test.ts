// The realtime proxy through the whole router (createRuntime, listening on 127.0.0.1) against
// scripted upstream WebSocket servers on loopback: the upstream gets the deployment's key, never
// the client's; frames pass unchanged both ways; a pool fails over while connecting; a
// response.done makes a request-log record with its cost; a key over its RPM gets an `error`
// event, not a close; bad keys, scopes and names are refused before the upgrade.
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { hashApiKey } from '../../auth/api-key.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { simDeployment, testConfig, testConfigInput } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

const KEY = 'mr-rt-key-0123456789abcdef';
const LIMITED = 'mr-rt-limited-0123456789abcdef';
const SCOPED = 'mr-rt-scoped-0123456789abcdef';
const BUDGETED = 'mr-rt-budget-0123456789abcdef';
const REVOKED = 'mr-rt-revoked-0123456789abcdef';
const VAD = 'mr-rt-vad-0123456789abcdef';
const ADMIN = 'mr-rt-admin-0123456789abcdef';
type Event = Record<string, unknown> & { type: string };

/** A scripted upstream: what it was sent and with which headers; `refuse` answers the upgrade. */
function upstream(refuse?: number) {
  const seen: { headers: IncomingHttpHeaders; url: string; frames: string[] }[] = [];
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, done) => (refuse ? done(false, refuse) : done(true)),
  });
  server.on('connection', (ws, req) => {
    let vad = 0;
    const conn = { headers: req.headers, url: req.url ?? '', frames: [] as string[] };
    seen.push(conn);
    // Spaced and key-ordered as no JSON.stringify would write it: "unchanged" can be checked.
    ws.send('{ "type": "session.created", "event_id": "ev_1", "session": {"id": "sess_up"} }');
    ws.on('message', (data) => {
      const text = String(data);
      conn.frames.push(text);
      const event = JSON.parse(text) as Event;
      // As OpenAI's: an item the client adds is stated back (`conversation.item.added`), with an id.
      if (event.type === 'conversation.item.create') {
        const item = { id: `item_up_${conn.frames.length}`, ...(event.item as object) };
        ws.send(JSON.stringify({ type: 'conversation.item.added', item }));
      }
      if (event.type === 'response.create') {
        ws.send(JSON.stringify({ type: 'response.created', response: { id: 'resp_1' } }));
        // One asked to hold is left open: the client leaves before its response.done.
        const params = event.response as { metadata?: { hold?: string } } | undefined;
        if (params?.metadata?.hold) return;
        ws.send(
          JSON.stringify({
            type: 'response.output_text.delta',
            response_id: 'resp_1',
            delta: 'Hi',
          }),
        );
        ws.send(
          JSON.stringify({
            type: 'response.done',
            response: {
              id: 'resp_1',
              status: 'completed',
              usage: {
                total_tokens: 1_300,
                input_tokens: 1_100,
                output_tokens: 200,
                input_token_details: {
                  text_tokens: 100,
                  audio_tokens: 1_000,
                  cached_tokens: 0,
                  cached_tokens_details: { text_tokens: 0, audio_tokens: 0 },
                },
                output_token_details: { text_tokens: 50, audio_tokens: 150 },
              },
            },
          }),
        );
      }
      // Server VAD: a committed buffer starts a response the client did not ask for; it ends
      // when the client says `vad.finish` (or cancelled, when the router cancels it).
      if (event.type === 'input_audio_buffer.commit') {
        const id = `resp_vad${++vad}`;
        ws.send(JSON.stringify({ type: 'input_audio_buffer.committed', item_id: `item_${vad}` }));
        ws.send(JSON.stringify({ type: 'response.created', response: { id } }));
      }
      // A quarter second of PCM16 audio out (12,000 bytes: 5 output audio tokens).
      if (event.type === 'vad.speak')
        ws.send(
          JSON.stringify({
            type: 'response.output_audio.delta',
            response_id: `resp_vad${vad}`,
            delta: Buffer.alloc(12_000).toString('base64'),
          }),
        );
      if (event.type === 'vad.finish' || event.type === 'response.cancel') {
        const id = String(event.response_id ?? `resp_vad${vad}`);
        const status = event.type === 'response.cancel' ? 'cancelled' : 'completed';
        const usage = { total_tokens: 30, input_tokens: 20, output_tokens: 10 };
        ws.send(JSON.stringify({ type: 'response.done', response: { id, status, usage } }));
      }
      if (event.type === 'bye') ws.close(4000, 'scripted end');
    });
  });
  const url = new Promise<string>((resolve) =>
    server.on('listening', () => {
      const a = server.address() as { port: number };
      resolve(`http://127.0.0.1:${a.port}/v1`);
    }),
  );
  return { server, seen, url };
}

const down = upstream(503);
const up = upstream();
/** Responses' records (`realtime`), and sessions' (`realtime.session`). */
const records: RequestRecord[] = [];
const sessions: RequestRecord[] = [];
let rt: Runtime;
let base: string;

beforeAll(async () => {
  vi.stubEnv('RT_KEY_DOWN', 'sk-upstream-down');
  vi.stubEnv('RT_KEY_UP', 'sk-upstream-up');
  const realtime = (name: string, baseUrl: string, env: string) =>
    simDeployment(name, {
      provider: 'openai',
      kind: 'realtime',
      model: `${name}-model`,
      baseUrl,
      apiKeyEnv: env,
      maxOutputTokens: undefined,
      // $/1M: text in 4, out 16; audio in 32, out 64.
      prices: { inputPer1M: 4, outputPer1M: 16, audioInputPer1M: 32, audioOutputPer1M: 64 },
    });
  const input = testConfigInput();
  rt = await createRuntime(
    testConfig({
      deployments: [
        ...input.deployments,
        realtime('rt-down', await down.url, 'RT_KEY_DOWN'),
        realtime('rt-up', await up.url, 'RT_KEY_UP'),
        simDeployment('rt-sim', { kind: 'realtime', maxOutputTokens: undefined }),
        {
          ...realtime('rt-azure', (await up.url).replace(/\/v1$/, ''), 'RT_KEY_UP'),
          provider: 'azure',
          apiVersion: '2025-08-28',
        },
      ],
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
      pools: [{ name: 'rt-pool', deployments: ['rt-down', 'rt-up'], strategy: 'priority' }],
      auth: {
        mode: 'keys',
        keys: [
          { id: 'k1', hash: hashApiKey(KEY), tenant: 'acme' },
          { id: 'lim', hash: hashApiKey(LIMITED), tenant: 'acme', rateLimit: { rpm: 1 } },
          { id: 'sc', hash: hashApiKey(SCOPED), tenant: 'acme', scopes: ['big'] },
          // Less than one scripted response costs ($0.0428).
          { id: 'bud', hash: hashApiKey(BUDGETED), tenant: 'acme', budget: { dailyUsd: 0.01 } },
          { id: 'rev', hash: hashApiKey(REVOKED), tenant: 'acme' },
          { id: 'vad', hash: hashApiKey(VAD), tenant: 'acme', rateLimit: { rpm: 1 } },
          { id: 'adm', hash: hashApiKey(ADMIN), tenant: 'acme', admin: true },
        ],
      },
    }),
    {
      recorder: {
        record: (r) => void (r.endpoint === 'realtime.session' ? sessions : records).push(r),
      },
    },
  );
  base = (await rt.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
});

afterAll(async () => {
  await rt?.close();
  down.server.close();
  up.server.close();
  vi.unstubAllEnvs();
});

afterEach(() => {
  records.length = 0;
  sessions.length = 0;
});

/** Opens a client; resolves with the socket and its received frames (raw text). */
async function open(
  path: string,
  headers: Record<string, string> = { authorization: `Bearer ${KEY}` },
  protocols?: string[],
) {
  const ws = new WebSocket(`${base}${path}`, protocols, { headers });
  const frames: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (d) => {
    frames.push(String(d));
    wake?.();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  /** Waits for a frame of `type` and returns the frames up to it. */
  const until = async (type: string): Promise<string[]> => {
    for (;;) {
      const at = frames.findIndex((f) => (JSON.parse(f) as Event).type === type);
      if (at >= 0) return frames.splice(0, at + 1);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { ws, frames, until };
}

/** The HTTP status of an upgrade the router refuses, and its body. */
function refused(
  path: string,
  headers: Record<string, string> = { authorization: `Bearer ${KEY}` },
) {
  return new Promise<{
    status: number;
    body: { error: { code: string; type: string; message: string } };
  }>((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}`, { headers });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += String(b)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
  });
}

describe('realtime proxy, scripted upstreams', () => {
  it('fails over at connect, sends the deployment key, relays frames as read, logs the cost', async () => {
    const before = up.seen.length;
    const c = await open('/v1/realtime?model=rt-pool');
    const [created] = await c.until('session.created');
    expect(created).toBe(
      '{ "type": "session.created", "event_id": "ev_1", "session": {"id": "sess_up"} }',
    );
    // The first member refused the upgrade (503); the second serves, with its own key.
    expect(down.seen).toHaveLength(0);
    const conn = up.seen[before]!;
    expect(conn.headers.authorization).toBe('Bearer sk-upstream-up');
    expect(JSON.stringify(conn.headers)).not.toContain(KEY);
    expect(conn.url).toBe('/v1/realtime?model=rt-up-model');

    const item =
      '{"type":"conversation.item.create",  "item": {"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}';
    c.ws.send(item);
    c.ws.send('{"type":"response.create","event_id":"c1"}');
    const answer = await c.until('response.done');
    expect(answer.map((f) => (JSON.parse(f) as Event).type)).toEqual([
      'conversation.item.added',
      'response.created',
      'response.output_text.delta',
      'response.done',
    ]);
    // The client's events go on as the JSON the router read, written again (compact); an item's
    // event without an event_id gets the router's, which the upstream's error would name.
    expect(conn.frames.slice(0, 2)).toEqual([
      JSON.stringify({ ...(JSON.parse(item) as object), event_id: 'event_mr_1' }),
      '{"type":"response.create","event_id":"c1"}',
    ]);

    await waitFor(() => expect(records).toHaveLength(1));
    const r = records[0]!;
    expect(r).toMatchObject({
      endpoint: 'realtime',
      requestId: expect.stringMatching(/\.rt1$/),
      router: 'rt-pool',
      deployment: 'rt-up',
      servedModel: 'rt-up-model',
      promptTokens: 1_100,
      completionTokens: 200,
      status: 200,
    });
    // The connect's failover is in the first response's record.
    expect(r.attempts.map((a) => [a.deployment, a.outcome, a.httpStatus])).toEqual([
      ['rt-down', 'error', 503],
      ['rt-up', 'ok', undefined],
      ['rt-up', 'ok', undefined],
    ]);
    // 100 text in × 4 + 1,000 audio in × 32 + 50 text out × 16 + 150 audio out × 64, per 1M.
    expect(r.costUsd).toBeCloseTo((400 + 32_000 + 800 + 9_600) / 1e6, 12);
    c.ws.close();
  });

  it('closes the client with an error event when the upstream closes abnormally', async () => {
    const c = await open('/openai/v1/realtime?model=rt-up', { 'api-key': KEY });
    await c.until('session.created');
    const closed = new Promise<number>((resolve) => c.ws.on('close', (code) => resolve(code)));
    c.ws.send('{"type":"bye"}');
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({
      type: 'error',
      error: { type: 'server_error', code: 'upstream_closed' },
    });
    expect(await closed).toBe(1011);
  });

  it('refuses a response.create over the key RPM with an error event, and stays open', async () => {
    const c = await open('/v1/realtime?model=rt-up', { authorization: `Bearer ${LIMITED}` });
    await c.until('session.created');
    const sent = up.seen.at(-1)!;
    c.ws.send('{"type":"response.create","event_id":"one"}');
    await c.until('response.done');
    c.ws.send('{"type":"response.create","event_id":"two"}');
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', event_id: 'two' },
    });
    expect(sent.frames).toEqual(['{"type":"response.create","event_id":"one"}']);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await waitFor(() => expect(records.map((r) => r.status).sort()).toEqual([200, 429]));
    // The type escaped, or given twice, is the same event (security audit F0: picked out by its
    // text, it went upstream unread, past the limit); what goes on is what the router read.
    c.ws.send('{"type":"response\\u002ecreate","event_id":"escaped"}');
    expect(JSON.parse((await c.until('error'))[0]!)).toMatchObject({
      error: { code: 'rate_limit_exceeded', event_id: 'escaped' },
    });
    c.ws.send('{"type":"response.create","type":"input_audio_buffer.clear","event_id":"twice"}');
    c.ws.send('{"type":"input_audio_buffer.clear","type":"response.create","event_id":"twice2"}');
    expect(JSON.parse((await c.until('error'))[0]!)).toMatchObject({
      error: { code: 'rate_limit_exceeded', event_id: 'twice2' },
    });
    await waitFor(() => expect(sent.frames).toHaveLength(2));
    expect(sent.frames[1]).toBe('{"type":"input_audio_buffer.clear","event_id":"twice"}');
    // Not JSON, or no object: refused in-band, not sent on.
    c.ws.send('{"type": response.create}');
    expect(JSON.parse((await c.until('error'))[0]!)).toMatchObject({
      error: { code: 'invalid_json' },
    });
    expect(sent.frames).toHaveLength(2);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('admits a response the upstream starts by itself (server VAD); one refused is cancelled', async () => {
    const c = await open('/v1/realtime?model=rt-up', { authorization: `Bearer ${VAD}` });
    await c.until('session.created');
    const sent = up.seen.at(-1)!;
    // The first takes the key's one RPM and runs to its end.
    c.ws.send('{"type":"input_audio_buffer.commit"}');
    await c.until('response.created');
    c.ws.send('{"type":"vad.finish"}');
    await c.until('response.done');
    // The second is over the RPM: cancelled upstream, the refusal told to the client.
    c.ws.send('{"type":"input_audio_buffer.commit"}');
    await c.until('response.created');
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    await c.until('response.done');
    expect(sent.frames.map((f) => JSON.parse(f) as Event).at(-1)).toEqual({
      type: 'response.cancel',
      response_id: 'resp_vad2',
    });
    // Both recorded and charged what they used; the refused one as refused.
    await waitFor(() => expect(records).toHaveLength(2));
    expect(records.map((r) => [r.status, r.errorCode ?? null, r.promptTokens])).toEqual([
      [200, null, 20],
      [429, 'rate_limit_exceeded', 20],
    ]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('charges a response the client left mid-answer the audio it sent and the audio it was sent', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    // A second of PCM16 at 24 kHz in two appends (10 input audio tokens), and half a second
    // appended then cleared (not in the conversation).
    const half = Buffer.alloc(24_000).toString('base64');
    c.ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: half }));
    c.ws.send(JSON.stringify({ type: 'input_audio_buffer.clear' }));
    for (let i = 0; i < 2; i++)
      c.ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: half }));
    c.ws.send('{"type":"input_audio_buffer.commit"}');
    await c.until('response.created');
    c.ws.send('{"type":"vad.speak"}');
    await c.until('response.output_audio.delta');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({
      status: 499,
      promptTokens: 10,
      completionTokens: 5,
      usageEstimated: true,
    });
    // 10 audio in × 32 + 5 audio out × 64, per 1M.
    expect(records[0]!.costUsd).toBeCloseTo((320 + 320) / 1e6, 12);
  });

  it('charges a response the client left before its done the instructions its response.create gave it', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    // 400 characters of instructions as a system message: 100 tokens and 6 of the chat format's.
    const response = { instructions: 'Answer briefly. '.repeat(25), metadata: { hold: '1' } };
    c.ws.send(JSON.stringify({ type: 'response.create', response }));
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({ status: 499, promptTokens: 106, usageEstimated: true });
  });

  it('charges a response the client left before its done its own input, not the conversation', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    // The conversation: 4,000 characters (1,000 tokens) the response below does not read.
    const long = { type: 'input_text', text: 'Earlier talk. '.repeat(286).slice(0, 4_000) };
    const item = { type: 'message', role: 'user', content: [long] };
    c.ws.send(JSON.stringify({ type: 'conversation.item.create', item }));
    // Its own input (openapi.yaml RealtimeResponseCreateParams `input`: "a new context for this
    // Response instead of using the default conversation"): 400 characters of text (100 tokens),
    // half a second of PCM16 at 24 kHz (5 audio tokens) and a 200-character function output (50).
    const input = [
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'Summarise it. '.repeat(29).slice(0, 400) },
          { type: 'input_audio', audio: Buffer.alloc(24_000).toString('base64') },
        ],
      },
      { type: 'function_call_output', call_id: 'call_1', output: '{"ok":true}'.padEnd(200) },
    ];
    const response = { conversation: 'none', input, metadata: { hold: '1' } };
    c.ws.send(JSON.stringify({ type: 'response.create', response }));
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({ status: 499, promptTokens: 155, usageEstimated: true });
    // 150 text tokens × 4 + 5 audio tokens × 32, per 1M.
    expect(records[0]!.costUsd).toBeCloseTo((600 + 160) / 1e6, 12);
  });

  it('charges a response the client left before its done the tool output the client added', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    // A function call's output, 400 characters (100 tokens): uncounted before 2026-12-07.
    const item = {
      type: 'function_call_output',
      call_id: 'call_1',
      output: 'Rain. '.repeat(67).slice(0, 400),
    };
    c.ws.send(JSON.stringify({ type: 'conversation.item.create', item }));
    c.ws.send(JSON.stringify({ type: 'response.create', response: { metadata: { hold: '1' } } }));
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({ status: 499, promptTokens: 100, usageEstimated: true });
  });

  it('charges a response with an empty input ([]) only its instructions', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    const item = {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: 'Hi. '.repeat(250) }],
    };
    c.ws.send(JSON.stringify({ type: 'conversation.item.create', item }));
    // 400 characters of instructions as a system message: 100 tokens and 6 of the chat format's.
    const instructions = 'Answer briefly. '.repeat(25);
    const response = { input: [], instructions, metadata: { hold: '1' } };
    c.ws.send(JSON.stringify({ type: 'response.create', response }));
    await c.until('response.created');
    c.ws.close();
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({ status: 499, promptTokens: 106, usageEstimated: true });
  });

  it('ends a session whose key is revoked at its next event, not at its next response.create', async () => {
    const c = await open('/v1/realtime?model=rt-up', { authorization: `Bearer ${REVOKED}` });
    await c.until('session.created');
    const sent = up.seen.at(-1)!;
    const closed = new Promise<number>((resolve) => c.ws.on('close', (code) => resolve(code)));
    const revoke = await fetch(`${base.replace('ws', 'http')}/admin/v1/keys/rev`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(revoke.status).toBe(200);
    // Audio, and the commit server VAD would answer: neither goes upstream.
    c.ws.send('{"type":"input_audio_buffer.append","audio":"AAAA"}');
    c.ws.send('{"type":"input_audio_buffer.commit"}');
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(await closed).toBe(1008);
    expect(sent.frames).toEqual([]);
    await waitFor(() =>
      expect(sessions.map((r) => [r.keyId, r.status, r.errorCode])).toContainEqual([
        'rev',
        401,
        'invalid_api_key',
      ]),
    );
  });

  it('checks the budget before each response and at connect', async () => {
    const auth = { authorization: `Bearer ${BUDGETED}` };
    const c = await open('/v1/realtime?model=rt-up', auth);
    await c.until('session.created');
    c.ws.send('{"type":"response.create"}');
    await c.until('response.done');
    // The spend is settled in the background: once it is in, a new session is refused…
    await waitFor(async () =>
      expect(await refused('/v1/realtime?model=rt-up', auth)).toMatchObject({
        status: 429,
        body: { error: { code: 'budget_exceeded' } },
      }),
    );
    // …and so is the open session's next response, in-band.
    c.ws.send('{"type":"response.create","event_id":"again"}');
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({
      error: { code: 'budget_exceeded', event_id: 'again' },
    });
    c.ws.close();
  });

  it('applies the input content filter to conversation.item.create text', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    const sent = up.seen.at(-1)!;
    const item = (text: string, id: string) =>
      JSON.stringify({
        type: 'conversation.item.create',
        event_id: id,
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
      });
    c.ws.send(item('tell me about project-x', 'blocked'));
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({
      error: { code: 'content_filter', event_id: 'blocked' },
    });
    c.ws.send(item('mail me at ann@example.com', 'redacted'));
    c.ws.send('{"type":"response.create"}');
    await c.until('response.done');
    expect(sent.frames).toHaveLength(2);
    const forwarded = JSON.parse(sent.frames[0]!) as { item: { content: { text: string }[] } };
    expect(forwarded.item.content[0]!.text).not.toContain('ann@example.com');
    expect(forwarded.item.content[0]!.text).toContain('mail me at');
    c.ws.close();
  });

  it("applies the input content filter to a response.create's own input items, before admitting it", async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    const sent = up.seen.at(-1)!;
    const create = (text: string, id: string) =>
      JSON.stringify({
        type: 'response.create',
        event_id: id,
        response: {
          input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
        },
      });
    c.ws.send(create('tell me about project-x', 'blocked'));
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({
      error: { code: 'content_filter', event_id: 'blocked' },
    });
    c.ws.send(create('mail me at ann@example.com', 'redacted'));
    await c.until('response.done');
    // The blocked one never went upstream, nor was it a response.
    expect(sent.frames).toHaveLength(1);
    const forwarded = JSON.parse(sent.frames[0]!) as {
      event_id: string;
      response: { input: { content: { text: string }[] }[] };
    };
    expect(forwarded.event_id).toBe('redacted');
    expect(forwarded.response.input[0]!.content[0]!.text).not.toContain('ann@example.com');
    expect(forwarded.response.input[0]!.content[0]!.text).toContain('mail me at');
    await waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({ status: 200 });
    c.ws.close();
  });

  it('refuses an event it reads that nests too deep with an error event, and stays open', async () => {
    const c = await open('/v1/realtime?model=rt-up');
    await c.until('session.created');
    const sent = up.seen.at(-1)!;
    const update = (tools: string, id: string) =>
      `{"type":"session.update","event_id":"${id}","session":{"model":"other","tools":${tools}}}`;
    // 100,000 arrays inside one another: rewriting its model (JSON.stringify) overflowed the stack.
    c.ws.send(update(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'deep'));
    const [error] = await c.until('error');
    expect(JSON.parse(error!)).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', code: 'invalid_json', param: null, event_id: null },
    });
    expect((JSON.parse(error!) as { error: { message: string } }).error.message).toMatch(
      /more than 256 levels deep/,
    );
    // A real one is read and sent on (its model pinned); the session goes on.
    c.ws.send(update('[{"type":"function","name":"f","parameters":{"type":"object"}}]', 'real'));
    c.ws.send('{"type":"response.create"}');
    await c.until('response.done');
    expect(sent.frames.map((f) => (JSON.parse(f) as Event).type)).toEqual([
      'session.update',
      'response.create',
    ]);
    expect(JSON.parse(sent.frames[0]!)).toMatchObject({
      event_id: 'real',
      session: { model: 'rt-up-model' },
    });
    c.ws.close();
  });

  it("opens Azure's GA realtime path with the deployment's api-key", async () => {
    const before = up.seen.length;
    const c = await open('/v1/realtime?model=rt-azure');
    await c.until('session.created');
    const conn = up.seen[before]!;
    expect(conn.url).toBe('/openai/v1/realtime?model=rt-azure-model');
    expect(conn.headers['api-key']).toBe('sk-upstream-up');
    expect(conn.headers.authorization).toBeUndefined();
    c.ws.close();
  });

  it('refuses before the upgrade: no key, a key not scoped, an unknown name, a chat model', async () => {
    const opened = up.seen.length + down.seen.length;
    const none = await refused('/v1/realtime?model=rt-up', {});
    expect(none.status).toBe(401);
    expect(none.body.error.message).toContain('Missing API key');
    const scoped = await refused('/v1/realtime?model=rt-up', { authorization: `Bearer ${SCOPED}` });
    expect(scoped.status).toBe(403);
    const unknown = await refused('/v1/realtime?model=nope');
    expect(unknown.status).toBe(404);
    const chat = await refused('/v1/realtime?model=big');
    expect(chat).toMatchObject({ status: 400, body: { error: { code: 'model_not_realtime' } } });
    const missing = await refused('/v1/realtime');
    expect(missing).toMatchObject({
      status: 400,
      body: { error: { code: 'missing_required_parameter' } },
    });
    // No upstream was opened for any of them.
    expect(up.seen.length + down.seen.length).toBe(opened);
  });

  it('takes a browser key from the subprotocol and echoes only `realtime`', async () => {
    const c = await open('/v1/realtime?model=rt-sim', {}, [
      'realtime',
      `openai-insecure-api-key.${KEY}`,
    ]);
    expect(c.ws.protocol).toBe('realtime');
    const [created] = await c.until('session.created');
    expect(JSON.parse(created!)).toMatchObject({ session: { model: 'rt-sim-sim' } });
    c.ws.close();
  });

  it("serves Azure's dated path by deployment", async () => {
    const c = await open('/openai/realtime?api-version=2025-04-01-preview&deployment=rt-sim', {
      'api-key': KEY,
    });
    await c.until('session.created');
    c.ws.close();
    const missing = await refused('/openai/realtime?deployment=rt-sim', { 'api-key': KEY });
    expect(missing.status).toBe(400);
  });
});

// The Responses API's WebSocket mode through the whole router (createRuntime on its simulated
// fleet, listening on 127.0.0.1), driven by the official `openai` SDK's `ResponsesWS`: chained
// turns with store: false on one connection, tools, bad input answered in-band, auth on the
// upgrade, connection-local continuation, warm-up, the request log, disconnect and time limit.
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import type { ResponsesServerEvent } from 'openai/resources/responses/responses';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { simDeployment, testConfig, testConfigInput } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const KEY = 'mr-ws-key-0123456789abcdef';
const ADMIN_KEY = 'mr-ws-admin-0123456789abcdef';
const records: RequestRecord[] = [];
let rt: Runtime;
let baseUrl: string;

async function start(overrides: Partial<ConfigInput> = {}): Promise<[Runtime, string]> {
  const input = testConfigInput();
  // `slow` streams 2,000 tokens at 20 a second: a turn still running when its client leaves.
  const slow = simDeployment('slow', {
    simulation: { tokensPerSecond: 20, answerTokens: 2_000 },
  });
  const runtime = await createRuntime(
    testConfig({
      deployments: [...input.deployments, slow],
      auth: {
        mode: 'keys',
        keys: [
          { id: 'k1', hash: hashApiKey(KEY), tenant: 'acme' },
          { id: 'ops', hash: hashApiKey(ADMIN_KEY), tenant: 'ops', admin: true },
        ],
      },
      ...overrides,
    }),
    { recorder: { record: (r) => void records.push(r) } },
  );
  const url = await runtime.app.listen({ host: '127.0.0.1', port: 0 });
  return [runtime, url];
}

beforeAll(async () => {
  [rt, baseUrl] = await start();
});

afterAll(async () => {
  await rt?.close();
});

type ServerEvent = ResponsesServerEvent & { stream_id?: string };
const TERMINAL = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
  'response.steer.failed',
  'error',
]);

/** A `ResponsesWS` connection and a reader of its server events, one turn at a time. */
function connect(apiKey = KEY, url = baseUrl) {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
  const ws = new ResponsesWS(client);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const errors: Error[] = [];
  ws.on('error', (err) => void errors.push(err));
  const it = ws.stream()[Symbol.asyncIterator]();
  /** The next server event; undefined once the connection has closed. */
  const next = async (): Promise<ServerEvent | undefined> => {
    for (;;) {
      const r = await it.next();
      if (r.done || r.value.type === 'close') return undefined;
      if (r.value.type === 'message') return r.value.message as ServerEvent;
      // The SDK hands a server `error` event over as an error whose `error` is that event.
      const event =
        r.value.type === 'error' ? (r.value.error as { error?: unknown }).error : undefined;
      if (event) return event as ServerEvent;
    }
  };
  /** Events until a terminal one (completed, an error…), or the connection's close. */
  const until = async (): Promise<ServerEvent[]> => {
    const seen: ServerEvent[] = [];
    for (let e = await next(); e; e = await next()) {
      seen.push(e);
      if (TERMINAL.has(e.type)) break;
    }
    return seen;
  };
  const turn = (event: Record<string, unknown>) => {
    ws.send({ type: 'response.create', ...event } as never);
    return until();
  };
  return { ws, turn, next, until, closed, errors };
}

function completed(events: ServerEvent[]): OpenAI.Responses.Response {
  const last = events.at(-1)!;
  expect(last.type, JSON.stringify(last)).toBe('response.completed');
  return (last as OpenAI.Responses.ResponseCompletedEvent).response;
}

describe('Responses WebSocket mode', () => {
  it('chains two store: false turns on one connection, as the SSE stream sends them', async () => {
    const before = records.length;
    const c = connect();
    const first = await c.turn({ model: 'model-router', input: 'What is 2+2?', store: false });
    expect(first.slice(0, 4).map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(first.map((e) => (e as { sequence_number: number }).sequence_number)).toEqual(
      first.map((_, i) => i),
    );
    const one = completed(first);
    expect((one as unknown as { store: boolean }).store).toBe(false);
    expect(one.model).toBe('small-sim');
    const text = first
      .filter((e) => e.type === 'response.output_text.delta')
      .map((e) => (e as { delta: string }).delta)
      .join('');
    expect((one.output[0] as { content: { text: string }[] }).content[0]!.text).toBe(text);
    const two = completed(
      await c.turn({
        model: 'model-router',
        input: 'And times three?',
        previous_response_id: one.id,
        store: false,
      }),
    );
    expect(two.previous_response_id).toBe(one.id);
    // The second turn carried the first: more input tokens.
    expect(two.usage!.input_tokens).toBeGreaterThan(one.usage!.input_tokens);
    // Not stored: retrievable over HTTP by nobody.
    const got = await fetch(`${baseUrl}/v1/responses/${one.id}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(got.status).toBe(404);
    // Recorded as streamed Responses requests, each turn under the upgrade's id and its number.
    const turns = records.slice(before);
    expect(turns).toHaveLength(2);
    expect(turns[0]!.requestId).toMatch(/^req_.+\.ws1$/);
    expect(turns[1]!.requestId).toBe(turns[0]!.requestId.replace(/1$/, '2'));
    for (const r of turns)
      expect(r).toMatchObject({ endpoint: 'responses', stream: true, status: 200, tenant: 'acme' });
    c.ws.close();
    expect((await c.closed).code).toBe(1000);
  });

  it('calls a tool, then takes its output in the next turn', async () => {
    const c = connect();
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
        strict: false,
      },
    ];
    const events = await c.turn({
      model: 'model-router',
      input: 'Weather in Paris?',
      tools,
      tool_choice: 'required',
      store: false,
    });
    expect(events.map((e) => e.type)).toContain('response.function_call_arguments.done');
    const first = completed(events);
    const call = first.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    const second = completed(
      await c.turn({
        model: 'model-router',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp": 21}' }],
        tools,
        store: false,
      }),
    );
    expect(second.output.some((o) => o.type === 'message')).toBe(true);
    c.ws.close();
  });

  it('answers bad input with an error event naming what to fix, and goes on', async () => {
    const c = connect();
    c.ws.sendRaw('not json');
    const [notJson] = await c.until();
    expect(notJson).toMatchObject({
      type: 'error',
      status: 400,
      error: { type: 'invalid_request_error', code: 'invalid_json' },
    });
    c.ws.send({ type: 'response.frobnicate' } as never);
    const [unknown] = await c.until();
    expect(unknown).toMatchObject({ error: { code: 'unknown_event_type', param: 'type' } });
    // The same 400 a POST gets.
    const [bad] = await c.turn({ model: 'model-router', input: 'hi', temperature: 5 });
    expect(bad).toMatchObject({ type: 'error', status: 400, error: { param: 'temperature' } });
    const [background] = await c.turn({ model: 'model-router', input: 'hi', background: true });
    expect(background).toMatchObject({
      error: { code: 'unsupported_parameter', param: 'background' },
    });
    const [lane] = await c.turn({ model: 'model-router', input: 'hi', stream_id: 7 });
    expect(lane).toMatchObject({ error: { param: 'stream_id' } });
    c.ws.send({ type: 'response.steer', previous_response_id: 'resp_x', input: 'faster' });
    const [steer] = await c.until();
    expect(steer).toMatchObject({
      type: 'response.steer.failed',
      steer: { previous_response_id: 'resp_x', input: 'faster' },
      error: { code: 'steering_not_supported' },
    });
    // Still usable; `stream: true` is accepted and changes nothing.
    const ok = completed(await c.turn({ model: 'model-router', input: 'hello', stream: true }));
    expect(ok.status).toBe('completed');
    c.ws.close();
  });

  it('closes with 1009 on a message larger than a request body may be', async () => {
    const c = connect();
    c.ws.sendRaw(JSON.stringify({ type: 'response.create', input: 'x'.repeat(5 * 1024 * 1024) }));
    expect((await c.closed).code).toBe(1009);
  });

  it('runs the turns of a stream_id lane one at a time, in order, and echoes the lane', async () => {
    // Azure's v1 path as well: the AzureOpenAI client sends Responses calls there.
    const c = connect(KEY, `${baseUrl}/openai`);
    const create = (input: string, stream_id: string) =>
      c.ws.send({ type: 'response.create', model: 'model-router', input, stream_id } as never);
    create('first', 'lane-a');
    create('second', 'lane-a');
    create('third', 'lane-b');
    const events: ServerEvent[] = [];
    while (events.filter((e) => e.type === 'response.completed').length < 3)
      events.push(...(await c.until()));
    const byLane = (lane: string) => events.filter((e) => e.stream_id === lane);
    expect(byLane('lane-a').length + byLane('lane-b').length).toBe(events.length);
    // Lane a: every event of its first response before its second response is created.
    const a = byLane('lane-a').map((e) => (e as { response?: { id: string } }).response?.id);
    const ids = [...new Set(a.filter(Boolean))];
    expect(ids).toHaveLength(2);
    expect(a.lastIndexOf(ids[0])).toBeLessThan(a.indexOf(ids[1]));
    for (const lane of ['lane-a', 'lane-b'])
      expect(byLane(lane).map((e) => (e as { sequence_number: number }).sequence_number)[0]).toBe(
        0,
      );
    c.ws.close();
  });

  it('refuses an upgrade without a valid key with the API 401', async () => {
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const raw = new WebSocket(`${baseUrl.replace('http', 'ws')}/v1/responses`, {
        headers: { authorization: 'Bearer wrong' },
      });
      raw.on('open', () => reject(new Error('the upgrade was accepted')));
      raw.on('error', () => {});
      raw.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(refused.status).toBe(401);
    // As POST /v1/responses answers it.
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'invalid_api_key' });
    // A path that takes no WebSocket refuses the upgrade too, with its 404.
    const elsewhere = await new Promise<number>((resolve, reject) => {
      const raw = new WebSocket(`${baseUrl.replace('http', 'ws')}/v1/models`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      raw.on('open', () => reject(new Error('the upgrade was accepted')));
      raw.on('error', () => {});
      raw.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(elsewhere).toBe(404);
    // The SDK hears it as an error, then the close.
    const c = connect('wrong');
    await c.closed;
    expect(c.errors.map((e) => e.message).join()).toContain('401');
  });

  it('checks the key again on each turn: a key revoked mid-connection gets a 401 and the close', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const issued = await fetch(`${baseUrl}/admin/v1/keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ tenant: 'acme' }),
    });
    expect(issued.status).toBe(201);
    const { key, record } = (await issued.json()) as { key: string; record: { id: string } };
    const c = connect(key);
    completed(await c.turn({ model: 'model-router', input: 'Hello', store: false }));
    const revoked = await fetch(`${baseUrl}/admin/v1/keys/${record.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(revoked.status).toBe(200);
    const refused = await c.turn({ model: 'model-router', input: 'Still there?', store: false });
    expect(refused.at(-1)).toMatchObject({ type: 'error', status: 401 });
    expect(refused.map((e) => e.type)).not.toContain('response.created');
    expect(await c.closed).toMatchObject({ code: 1008 });
  });

  it("a second connection cannot continue the first's store: false response", async () => {
    const a = connect();
    const first = completed(await a.turn({ model: 'model-router', input: 'hi', store: false }));
    const b = connect();
    const [refused] = await b.turn({
      model: 'model-router',
      input: 'and then?',
      previous_response_id: first.id,
    });
    expect(refused).toMatchObject({
      type: 'error',
      status: 400,
      error: { code: 'previous_response_not_found', param: 'previous_response_id' },
    });
    // The first connection still can.
    completed(
      await a.turn({ model: 'model-router', input: 'and then?', previous_response_id: first.id }),
    );
    a.ws.close();
    b.ws.close();
  });

  it('warms up with generate: false: no output, no upstream call, and a response to chain from', async () => {
    const c = connect();
    const before = records.length;
    const events = await c.turn({
      model: 'model-router',
      instructions: 'Answer in French.',
      input: 'My name is Ada.',
      generate: false,
      store: false,
    });
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.completed',
    ]);
    const warm = completed(events);
    expect(warm.output).toEqual([]);
    expect(records.length).toBe(before); // nothing was routed
    const next = completed(
      await c.turn({
        model: 'model-router',
        input: 'What is my name?',
        previous_response_id: warm.id,
        store: false,
      }),
    );
    expect(next.previous_response_id).toBe(warm.id);
    expect(next.usage!.input_tokens).toBeGreaterThan(8);
    c.ws.close();
  });

  it('cancels the upstream call when the client goes away mid-response', async () => {
    const c = connect();
    c.ws.send({ type: 'response.create', model: 'slow', input: 'Tell me a long story' } as never);
    let e = await c.next();
    while (e && e.type !== 'response.output_text.delta' && !TERMINAL.has(e.type))
      e = await c.next();
    expect(e?.type).toBe('response.output_text.delta');
    const before = records.length;
    c.ws.close();
    await waitFor(() => expect(records.length).toBeGreaterThan(before), { timeout: 10_000 });
    expect(records.at(-1)).toMatchObject({
      endpoint: 'responses',
      status: 499,
      servedModel: 'slow-sim',
    });
    expect(records.at(-1)!.completionTokens).toBeLessThan(2_000);
  });

  it('closes a connection at its time limit with a clear reason', async () => {
    const [short, url] = await start({ responses: { websocket: { maxConnectionMinutes: 0.002 } } });
    try {
      const c = connect(KEY, url);
      const [limit] = await c.until();
      expect(limit).toMatchObject({
        type: 'error',
        error: { code: 'websocket_connection_limit_reached' },
      });
      const closed = await c.closed;
      expect(closed.code).toBe(1001);
      expect(closed.reason).toContain('websocket_connection_limit_reached');
    } finally {
      await short.close();
    }
  });

  it('tells open connections the router is going away when it shuts down', async () => {
    const [other, url] = await start();
    const c = connect(KEY, url);
    completed(await c.turn({ model: 'model-router', input: 'hi' }));
    await other.close(); // does not wait for the client to hang up
    expect(await c.closed).toEqual({ code: 1001, reason: 'the router is shutting down' });
  });

  it('names the upgrade in the 101 (x-request-id, as turns are logged) and counts open connections', async () => {
    // Its own router: the gauge reads the last one started.
    const [own, url] = await start();
    const gauge = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/^model_router_websocket_connections (\d+)$/m.exec(text)?.[1]);
    };
    expect(await gauge()).toBe(0);
    const raw = new WebSocket(`${url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'req_ws_trace_1' },
    });
    const upgraded = new Promise<Record<string, unknown>>((resolve, reject) => {
      raw.on('upgrade', (res) => resolve(res.headers));
      raw.on('error', reject);
    });
    const opened = new Promise((resolve) => raw.once('open', resolve));
    expect((await upgraded)['x-request-id']).toBe('req_ws_trace_1');
    await opened;
    expect(await gauge()).toBe(1);
    const done = new Promise<void>((resolve) =>
      raw.on('message', (d) => {
        if ((JSON.parse(String(d)) as { type: string }).type === 'response.completed') resolve();
      }),
    );
    raw.send(JSON.stringify({ type: 'response.create', model: 'model-router', input: 'hi' }));
    await done;
    await waitFor(() =>
      expect(records.some((r) => r.requestId === 'req_ws_trace_1.ws1')).toBe(true),
    );
    // A turn has no headers for its x-router-decision-id: its receipt is found by its request id,
    // by a caller of the same tenant only.
    const receiptOf = (key: string) =>
      fetch(`${url}/v1/router/decisions/req_ws_trace_1.ws1`, {
        headers: { authorization: `Bearer ${key}` },
      });
    const mine = await receiptOf(KEY);
    expect(mine.status).toBe(200);
    const receipt = (await mine.json()) as { id: string; requestId: string; pick: string };
    const logged = records.find((r) => r.requestId === 'req_ws_trace_1.ws1')!;
    expect(receipt).toMatchObject({ id: logged.decisionId, requestId: 'req_ws_trace_1.ws1' });
    expect(receipt.pick).toBe(logged.deployment);
    expect(receipt).not.toHaveProperty('tenant');
    const theirs = await receiptOf(ADMIN_KEY);
    expect(theirs.status).toBe(404);
    expect(((await theirs.json()) as { error: { code: string } }).error.code).toBe(
      'decision_not_found',
    );
    raw.close();
    await waitFor(async () => expect(await gauge()).toBe(0));
    await own.close();
  });

  it('leaves a plain GET /v1/responses a 404 in the API shape', async () => {
    const res = await fetch(`${baseUrl}/v1/responses`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'not_found' });
  });
});

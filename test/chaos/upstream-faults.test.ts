// Real upstream faults through the whole router (createRuntime, the real undici client, a loopback
// fake that speaks OpenAI-compatible, Azure and Anthropic), on every inbound API: Chat Completions
// (JSON and stream), Responses, Azure's deployment path and Anthropic's Messages. A router's
// cheapest deployment misbehaves and a healthy one backs it up. A fault before the first byte
// reaches the client fails over invisibly (the backup serves, the failed attempt is in the
// record, the receipt and the metrics); a fault after it ends the stream with the API's own error
// event, never a hang and never a success terminator after a cut answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Runtime } from '../../src/runtime.js';
import { FAULT_APIS, startFaultRouter, type FaultApi } from '../helpers/fault-router.js';
import {
  deadlinesEnding,
  faultDeployment,
  startFaultUpstream,
  type Fault,
  type FaultProvider,
  type FaultUpstream,
} from '../helpers/fault-upstream.js';

let up: FaultUpstream;
beforeAll(async () => {
  up = await startFaultUpstream(47500, 47520);
});
afterAll(() => up?.close());

type Provider = FaultProvider;

/**
 * The router over `flaky` (cheapest, so picked first) and `backup`, with the request log in hand:
 * `flaky` gets the short deadlines that end `fault` (none when it ends by itself); `backup` and
 * every fault that ends by itself keep the long defaults, so a loaded machine can slow them but
 * not turn their outcome into a timeout.
 */
function startRouter(provider: Provider, fault: Fault, extra: Partial<ConfigInput> = {}) {
  return startFaultRouter(
    {
      deployments: [
        faultDeployment(up, 'flaky', provider, 0.1, deadlinesEnding(fault)),
        faultDeployment(up, 'backup', 'openai-compatible', 1),
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['flaky', 'backup'] }],
      telemetry: { metrics: true },
      ...extra,
    },
    { tmpPrefix: 'mr-faults-' },
  );
}

type Api = FaultApi;
const APIS = FAULT_APIS;

/** The SSE events of a reply: `[event name or '', data]`. */
function sseEvents(payload: string): [string, string][] {
  return payload
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return [event, data];
    });
}

/** A reply's JSON, read loosely (each API's shape is checked where it is read). */
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The answer's text, and how the stream ended: whole (its API's terminator), or its error code. */
function readStream(api: Api, payload: string): { text: string; end: string } {
  const events = sseEvents(payload);
  let text = '';
  for (const [event, data] of events) {
    if (data === '[DONE]') continue;
    const d = JSON.parse(data) as Obj;
    if (api.name === 'chat' || api.name === 'azure') text += d.choices?.[0]?.delta?.content ?? '';
    else if (api.name === 'responses' && event === 'response.output_text.delta') text += d.delta;
    else if (api.name === 'messages' && event === 'content_block_delta') text += d.delta.text;
  }
  const [lastEvent, lastData] = events.at(-1) ?? ['', ''];
  if (api.name === 'chat' || api.name === 'azure') {
    if (lastData === '[DONE]') return { text, end: 'whole' };
    return { text, end: JSON.parse(lastData).error.code };
  }
  if (api.name === 'responses') {
    if (lastEvent === 'response.completed') return { text, end: 'whole' };
    // OpenAI's `error`, then the terminal `response.failed` carrying the same code.
    const [errorEvent, errorData] = events.at(-2) ?? ['', ''];
    expect([errorEvent, lastEvent]).toEqual(['error', 'response.failed']);
    expect(JSON.parse(lastData).response.error.code).toBe(JSON.parse(errorData).code);
    return { text, end: JSON.parse(errorData).code };
  }
  if (lastEvent === 'message_stop') return { text, end: 'whole' };
  expect(lastEvent).toBe('error');
  return { text, end: JSON.parse(lastData).error.type };
}

/** The text of a JSON answer in its API's shape. */
function answerText(api: Api, body: Obj): string {
  if (api.name === 'responses') return body.output[0].content[0].text;
  if (api.name === 'messages') return body.content[0].text;
  return body.choices[0].message.content;
}

/** The sum of the series of `name` that have these labels, in the metrics text. */
function metric(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}')).split(',');
    if (want.every((w) => inside.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function send(rt: Runtime, api: Api, stream: boolean) {
  return rt.app.inject({ method: 'POST', url: api.url, payload: api.body(stream) });
}

/** Faults before any byte of the answer: the backup serves; the first attempt's error code. */
const BEFORE_FIRST_BYTE: [string, Fault, (stream: boolean, p: Provider) => string][] = [
  [
    'upstream 500',
    { kind: 'status', status: 500 },
    (_s, p) => (p === 'anthropic' ? 'api_error' : 'upstream_500'),
  ],
  [
    'upstream 503',
    { kind: 'status', status: 503 },
    (_s, p) => (p === 'anthropic' ? 'api_error' : 'upstream_503'),
  ],
  // The router's own credential refused, or a redirect (a wrong baseUrl): the deployment's fault,
  // failed over, never relayed as the client's 401/403/301 (fault audit F2, F3, 2026-12-06).
  [
    "upstream 401 (the router's key)",
    { kind: 'status', status: 401 },
    () => 'upstream_auth_failed',
  ],
  ['upstream 403', { kind: 'status', status: 403 }, () => 'upstream_auth_failed'],
  ['upstream 301', { kind: 'status', status: 301 }, () => 'upstream_unexpected_status'],
  [
    'connection reset before the headers',
    { kind: 'reset-before-headers' },
    () => 'upstream_unreachable',
  ],
  ['not HTTP at all', { kind: 'not-http' }, () => 'upstream_unreachable'],
  [
    'no first byte',
    { kind: 'no-first-byte' },
    (s) => (s ? 'first_token_timeout' : 'upstream_timeout'),
  ],
  [
    'reset in the middle of the body',
    { kind: 'reset-mid-body' },
    (s) => (s ? 'never' : 'upstream_error'),
  ],
  [
    'malformed JSON / SSE',
    { kind: 'malformed' },
    (s) => (s ? 'upstream_malformed_chunk' : 'upstream_malformed_response'),
  ],
  [
    'a 200 stream that closes with no event',
    { kind: 'empty-stream' },
    (s) => (s ? 'upstream_stream_dropped' : 'upstream_malformed_response'),
  ],
  [
    "the API's in-band error as the first event",
    { kind: 'error-event-first' },
    (s, p) =>
      !s
        ? 'upstream_malformed_response'
        : p === 'anthropic'
          ? 'overloaded_error'
          : 'upstream_stream_error',
  ],
  [
    "a 200 whose body is the API's error",
    { kind: 'error-body-200' },
    (s, p) => (s ? 'upstream_stream_dropped' : p === 'anthropic' ? 'api_error' : 'upstream_502'),
  ],
];

/** Faults after the first chunk of a stream: the API's error event ends it (its code). */
const AFTER_FIRST_BYTE: [string, Fault, string][] = [
  ['connection reset mid-stream', { kind: 'reset-mid-body' }, 'stream_error'],
  ['idle mid-stream', { kind: 'idle-mid-body' }, 'stream_idle_timeout'],
  ['a malformed event mid-stream', { kind: 'malformed-mid-stream' }, 'upstream_malformed_chunk'],
  ['closed cleanly before its end event', { kind: 'eof-mid-stream' }, 'upstream_stream_dropped'],
  ["the API's in-band error mid-stream", { kind: 'error-event-mid' }, 'upstream_stream_error'],
];

const PROVIDERS: Provider[] = ['openai-compatible', 'azure', 'anthropic'];

describe.each(PROVIDERS)('the picked deployment is %s', (provider) => {
  it.each(BEFORE_FIRST_BYTE)(
    '%s before the first byte: the backup serves on every API, invisibly',
    async (_name, fault, codeFor) => {
      const { rt, records } = await startRouter(provider, fault);
      up.fault('flaky', fault);
      try {
        const before = await rt.app.inject({ url: '/metrics' });
        let calls = 0;
        for (const api of APIS)
          for (const stream of [false, true]) {
            const code = codeFor(stream, provider);
            // A reset mid-body is before the first byte only for a JSON answer.
            if (code === 'never') continue;
            calls++;
            const at = `${api.name} stream=${stream}`;
            const res = await send(rt, api, stream);
            expect(res.statusCode, `${at}: ${res.payload}`).toBe(200);
            expect(res.headers['x-router-deployment'], at).toBe('backup');
            expect(res.headers['x-router-attempts'], at).toBe('2');
            if (stream)
              expect(readStream(api, res.payload), at).toEqual({ text: 'pong', end: 'whole' });
            else expect(answerText(api, res.json()), at).toBe('pong');
            // The receipt says what was picked, what failed and who served.
            const receipt = (
              await rt.app.inject({
                url: `/v1/router/decisions/${res.headers['x-router-decision-id']}`,
              })
            ).json();
            expect(receipt.pick, at).toBe('flaky');
            expect(receipt.fallbacks, at).toEqual(['backup']);
            expect(receipt.servedBy, at).toBe('backup');
            expect(
              receipt.attempts.map(
                (a: { deployment: string; outcome: string; errorCode?: string }) => [
                  a.deployment,
                  a.outcome,
                  a.errorCode,
                ],
              ),
              at,
            ).toEqual([
              ['flaky', 'error', code],
              ['backup', 'ok', undefined],
            ]);
            // The request log: the model that served, and the failed attempt before it.
            const record = records.at(-1)!;
            expect(record.deployment, at).toBe('backup');
            expect(record.servedModel, at).toBe('backup');
            expect(record.status, at).toBe(200);
            expect(
              record.attempts.map((a) => a.errorCode ?? 'ok'),
              at,
            ).toEqual([code, 'ok']);
          }
        const after = (await rt.app.inject({ url: '/metrics' })).payload;
        const grew = (name: string, labels: Record<string, string>) =>
          metric(after, name, labels) - metric(before.payload, name, labels);
        const served = {
          router: 'model-router',
          model: 'backup',
          deployment: 'backup',
          status: '200',
        };
        expect(grew('model_router_requests_total', served)).toBe(calls);
        expect(
          grew('model_router_requests_total', { router: 'model-router', deployment: 'flaky' }),
        ).toBe(0);
        expect(
          grew('model_router_failovers_total', { router: 'model-router', deployment: 'flaky' }),
        ).toBe(calls);
      } finally {
        up.fault('flaky', undefined);
        await rt.close();
      }
    },
  );

  it.each(AFTER_FIRST_BYTE)(
    '%s: the stream ends with the API’s error event after the text so far; JSON fails over',
    async (_name, fault, code) => {
      const { rt, records } = await startRouter(provider, fault);
      up.fault('flaky', fault);
      try {
        for (const api of APIS) {
          const at = api.name;
          const res = await send(rt, api, true);
          // Committed to the first deployment once its first chunk went out.
          expect(res.statusCode, at).toBe(200);
          expect(res.headers['x-router-deployment'], at).toBe('flaky');
          const { text, end } = readStream(api, res.payload);
          expect(text, at).toBe('pong');
          // Anthropic's event names its error type; the others the router's code.
          const upstreamCode =
            provider === 'anthropic' && code === 'upstream_stream_error'
              ? 'overloaded_error'
              : code;
          const wanted =
            api.name !== 'messages'
              ? upstreamCode
              : code === 'stream_idle_timeout'
                ? 'timeout_error'
                : upstreamCode === 'overloaded_error'
                  ? upstreamCode
                  : 'api_error';
          expect(end, at).toBe(wanted);
          const record = records.at(-1)!;
          const recordCode =
            provider === 'anthropic' && code === 'upstream_stream_error'
              ? 'overloaded_error'
              : code;
          expect(record.deployment, at).toBe('flaky');
          expect(record.status, at).toBeGreaterThanOrEqual(500);
          expect(record.errorCode, at).toBe(recordCode);
          // The attempt that streamed, then broke, says so in the record and the receipt alike
          // (by decision id and by request id), with the error that ended it: never `ok`.
          const attempt = (a: { deployment: string; outcome: string; errorCode?: string }) => [
            a.deployment,
            a.outcome,
            a.errorCode,
          ];
          const dropped = [['flaky', 'stream_dropped', recordCode]];
          expect(record.attempts.map(attempt), at).toEqual(dropped);
          expect(record.attempts[0]!.httpStatus, at).toBe(record.status);
          for (const id of [res.headers['x-router-decision-id'], res.headers['x-request-id']]) {
            const receipt = (await rt.app.inject({ url: `/v1/router/decisions/${id}` })).json();
            expect(receipt.servedBy, at).toBe('flaky');
            expect(receipt.attempts.map(attempt), at).toEqual(dropped);
          }
          // A JSON request meets the same fault before anything was sent: the backup serves.
          const json = await send(rt, api, false);
          expect(json.statusCode, at).toBe(200);
          expect(json.headers['x-router-deployment'], at).toBe('backup');
        }
        // None of it took the server down.
        const health = await send(rt, APIS[0]!, false);
        expect(health.statusCode).toBe(200);
      } finally {
        up.fault('flaky', undefined);
        await rt.close();
      }
    },
  );
});

// The router's overhead, end to end: the whole router (createRuntime, a SQLite request log) in front
// of a loopback OpenAI-compatible upstream that sleeps a known time before it answers. Each chat
// request's `x-router-overhead-ms`, its record's `overheadMicros` and `model_router_overhead_seconds`
// say how much of the request was the router's own: never below 0, and never more than the time
// the test saw the request take less the upstream's sleeps (a failed attempt's wait included),
// give or take a timer's early millisecond. Nothing here asserts how fast the router is.
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import type { ConfigInput } from '../src/config/schema.js';
import { createRuntime } from '../src/runtime.js';
import type { RequestRecord } from '../src/store/request-record.js';
import { createSqliteRequestStore } from '../src/store/sql/sqlite-request-store.js';
import { listenServerInRange } from './helpers/listen-in-range.js';
import { testConfigInput } from './helpers/test-config.js';

/** How long the upstream sleeps before it answers (a stream: before its first chunk). */
const SLEEP_MS = 200;
/** A stream's sleep before each of its later chunks (two of them). */
const CHUNK_GAP_MS = 50;
/** A failing upstream's sleep before its 500. */
const FAIL_SLEEP_MS = 150;
/** A timer may fire up to a millisecond early; the header is rounded to the microsecond. */
const SLACK_MS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chunk = (fields: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 7, model: 'up', ...fields })}\n\n`;

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const piece of req) text += String(piece);
  return JSON.parse(text) as Record<string, unknown>;
}

let upstream: Server;
let baseUrl = '';

beforeAll(async () => {
  // `slow` answers after SLEEP_MS (a stream: its first chunk, then two more CHUNK_GAP_MS apart);
  // `fails-slow` answers 500 after FAIL_SLEEP_MS.
  upstream = createServer((req, res) => {
    void readBody(req).then(async (body) => {
      if (body.model === 'fails-slow') {
        await sleep(FAIL_SLEEP_MS);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'upstream failed', type: 'server_error' } }));
        return;
      }
      await sleep(SLEEP_MS);
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'up-json',
            object: 'chat.completion',
            created: 7,
            model: 'slow',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'Slowly.' },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        chunk({ choices: [{ index: 0, delta: { content: 'One, ' }, finish_reason: null }] }),
      );
      await sleep(CHUNK_GAP_MS);
      res.write(
        chunk({ choices: [{ index: 0, delta: { content: 'two.' }, finish_reason: null }] }),
      );
      await sleep(CHUNK_GAP_MS);
      res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
      res.end('data: [DONE]\n\n');
    });
  });
  // This suite's own ports (47100-47124), the next one when another run holds one.
  await listenServerInRange(upstream, 47_100, 47_124);
  baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

function configInput(logPath: string): ConfigInput {
  const input = testConfigInput({
    requestLog: { kind: 'sqlite', sqlitePath: logPath },
    cache: { enabled: true },
  });
  input.deployments = ['slow', 'fails-slow'].map((model) => ({
    name: model,
    provider: 'openai-compatible' as const,
    model,
    baseUrl,
    prices: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 128_000,
    maxOutputTokens: 4096,
  }));
  input.routers = [];
  input.pools = [
    { name: 'slow-pool', deployments: ['slow'], strategy: 'priority', cache: false },
    // The first fails after FAIL_SLEEP_MS; the second serves after SLEEP_MS.
    {
      name: 'failover-pool',
      deployments: ['fails-slow', 'slow'],
      strategy: 'priority',
      cache: false,
    },
    { name: 'failing-pool', deployments: ['fails-slow'], strategy: 'priority', cache: false },
    // The answer cache's: a second request the same as the first is answered from it.
    { name: 'cached-pool', deployments: ['slow'], strategy: 'priority' },
  ];
  return input;
}

/** One request as the test saw it: its status, overhead header, and time taken (ms). */
interface Seen {
  status: number;
  header: number;
  tookMs: number;
  payload: string;
}

/** A histogram's _count and _sum for a label set, from /metrics text. */
function series(metrics: string, labels: string): { count: number; sum: number } {
  const read = (suffix: string) => {
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith(`model_router_overhead_seconds_${suffix}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  return { count: read('count'), sum: read('sum') };
}

describe('the router overhead of a request, apart from its upstream', () => {
  const logPath = join(mkdtempSync(join(tmpdir(), 'mr-overhead-')), 'requests.db');
  const seen = new Map<string, Seen>();
  let before = '';
  let after = '';
  let records: RequestRecord[] = [];

  beforeAll(async () => {
    const rt = await createRuntime(parseConfig(configInput(logPath), {}).config);
    try {
      const send = async (id: string, url: string, payload: Record<string, unknown>) => {
        const started = performance.now();
        const res = await rt.app.inject({
          method: 'POST',
          url,
          headers: { 'x-request-id': id, 'anthropic-version': '2023-06-01' },
          payload,
        });
        const tookMs = performance.now() - started;
        const header = res.headers['x-router-overhead-ms'];
        seen.set(id, {
          status: res.statusCode,
          header: header === undefined ? NaN : Number(header),
          tookMs,
          payload: res.payload,
        });
      };
      const messages = [{ role: 'user', content: 'Count to two.' }];
      before = (await rt.app.inject({ method: 'GET', url: '/metrics' })).payload;
      await send('json', '/v1/chat/completions', { model: 'slow-pool', messages });
      await send('stream', '/v1/chat/completions', { model: 'slow-pool', messages, stream: true });
      await send('failover', '/v1/chat/completions', { model: 'failover-pool', messages });
      await send('failover-stream', '/v1/chat/completions', {
        model: 'failover-pool',
        messages,
        stream: true,
      });
      await send('failed', '/v1/chat/completions', { model: 'failing-pool', messages });
      await send('completions', '/v1/completions', { model: 'slow-pool', prompt: 'Count.' });
      await send('responses', '/v1/responses', { model: 'slow-pool', input: 'Count.' });
      await send('messages', '/v1/messages', {
        model: 'slow-pool',
        max_tokens: 50,
        messages,
      });
      await send('cache-miss', '/v1/chat/completions', { model: 'cached-pool', messages });
      await send('cache-hit', '/v1/chat/completions', { model: 'cached-pool', messages });
      after = (await rt.app.inject({ method: 'GET', url: '/metrics' })).payload;
    } finally {
      await rt.close();
    }
    const store = createSqliteRequestStore(logPath);
    records = await store.query(0);
    await store.close();
  });

  const record = (id: string) => {
    const r = records.find((x) => x.requestId === id);
    if (!r) throw new Error(`no record ${id}`);
    return r;
  };
  const get = (id: string) => seen.get(id)!;

  /** The overhead is at least 0 and at most what the test saw less the upstream's own time. */
  function expectWithin(overheadMs: number, tookMs: number, upstreamMs: number) {
    expect(overheadMs).toBeGreaterThanOrEqual(0);
    expect(overheadMs).toBeLessThan(tookMs - upstreamMs + SLACK_MS);
  }

  it('JSON: the header, the record and the histogram say the same overhead, without the sleep', () => {
    const s = get('json');
    expect(s.status).toBe(200);
    expectWithin(s.header, s.tookMs, SLEEP_MS);
    const r = record('json');
    expect(r.overheadMicros).toBeDefined();
    // The header is the record's figure, in ms to the microsecond.
    expect(s.header).toBeCloseTo(r.overheadMicros! / 1000, 3);
    // What is not overhead is the upstream's: at least its sleep.
    expect(r.latencyMs - r.overheadMicros! / 1000).toBeGreaterThanOrEqual(SLEEP_MS - SLACK_MS);
  });

  it('a stream: its header is the part before the first byte; the record has the whole', () => {
    const s = get('stream');
    expect(s.status).toBe(200);
    expect(s.payload).toContain('two.');
    const r = record('stream');
    expect(r.stream).toBe(true);
    const upstreamMs = SLEEP_MS + 2 * CHUNK_GAP_MS;
    expectWithin(r.overheadMicros! / 1000, s.tookMs, upstreamMs);
    expect(r.latencyMs - r.overheadMicros! / 1000).toBeGreaterThanOrEqual(upstreamMs - SLACK_MS);
    // Before the first byte: no more than the whole (an overhead only grows), and not the sleep.
    expectWithin(s.header, s.tookMs, upstreamMs);
    expect(s.header).toBeLessThanOrEqual(r.overheadMicros! / 1000 + 0.001);
  });

  it("a failover: the failed attempt's wait is the upstream's, not the router's", () => {
    for (const id of ['failover', 'failover-stream']) {
      const s = get(id);
      expect(s.status).toBe(200);
      const r = record(id);
      expect(r.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
        ['fails-slow', 'error'],
        ['slow', 'ok'],
      ]);
      const upstreamMs = FAIL_SLEEP_MS + SLEEP_MS + (id === 'failover' ? 0 : 2 * CHUNK_GAP_MS);
      expectWithin(r.overheadMicros! / 1000, s.tookMs, upstreamMs);
      expect(r.latencyMs - r.overheadMicros! / 1000).toBeGreaterThanOrEqual(upstreamMs - SLACK_MS);
      if (id === 'failover') expect(s.header).toBeCloseTo(r.overheadMicros! / 1000, 3);
    }
  });

  it('a request every attempt of which failed: its error says the overhead too', () => {
    const s = get('failed');
    expect(s.status).toBeGreaterThanOrEqual(500);
    expectWithin(s.header, s.tookMs, FAIL_SLEEP_MS);
    const r = record('failed');
    expect(r.status).toBe(s.status);
    expect(r.attempts.map((a) => a.outcome)).toEqual(['error']);
    expect(s.header).toBeCloseTo(r.overheadMicros! / 1000, 3);
  });

  it('legacy Completions, Responses and Messages: the same, through the same gateway path', () => {
    for (const [id, endpoint] of [
      ['completions', 'completions'],
      ['responses', 'responses'],
      ['messages', 'messages'],
    ] as const) {
      const s = get(id);
      expect(s.status, id).toBe(200);
      expectWithin(s.header, s.tookMs, SLEEP_MS);
      const r = record(id);
      expect(r.endpoint).toBe(endpoint);
      expect(s.header).toBeCloseTo(r.overheadMicros! / 1000, 3);
    }
  });

  it('an answer-cache hit: no upstream call, so all of its time is the overhead', () => {
    const miss = get('cache-miss');
    expect(record('cache-miss').cache).toBe('miss');
    expectWithin(miss.header, miss.tookMs, SLEEP_MS);
    const s = get('cache-hit');
    expect(s.status).toBe(200);
    const r = record('cache-hit');
    expect(r.cache).toBe('hit');
    expectWithin(s.header, s.tookMs, 0);
    expect(s.header).toBeCloseTo(r.overheadMicros! / 1000, 3);
    // Nothing was waited on: the overhead is the request's whole time.
    expect(r.overheadMicros! / 1000).toBeCloseTo(r.latencyMs, 3);
  });

  it('model_router_overhead_seconds: one observation a request, by router and stream', () => {
    const delta = (labels: string) => {
      const a = series(after, labels);
      const b = series(before, labels);
      return { count: a.count - b.count, sum: a.sum - b.sum };
    };
    const ids = (pool: string, stream: boolean) =>
      records.filter((r) => r.router === pool && r.stream === stream);
    for (const [pool, stream] of [
      ['slow-pool', false],
      ['slow-pool', true],
      ['failover-pool', false],
      ['failover-pool', true],
      ['failing-pool', false],
      ['cached-pool', false],
    ] as const) {
      const mine = ids(pool, stream);
      expect(mine.length).toBeGreaterThan(0);
      const d = delta(`router="${pool}",stream="${stream}"`);
      expect(d.count).toBe(mine.length);
      const sum = mine.reduce((t, r) => t + r.overheadMicros! / 1e6, 0);
      expect(d.sum).toBeCloseTo(sum, 6);
    }
  });
});

// Estimated usage, end to end: a real loopback OpenAI-compatible upstream that reports usage
// (when asked, as OpenAI does), one that never does (it ignores `stream_options.include_usage`
// and leaves `usage` out of JSON answers), and one that breaks off mid-stream, behind the whole
// router (createRuntime, a SQLite request log). The records of answers without usage say
// `usageEstimated` and carry the router's estimate; those with usage do not. The usage summary
// (JSON and CSV) and the dashboard's overview count them and the spend that rests on them. So do
// the records of chat requests whose semantic-cache lookup was paid at the router's estimate (an
// embedding upstream that sent no usage), whether the lookup found a kept answer or not.
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import type { ConfigInput } from '../src/config/schema.js';
import { estimateStreamedTokens } from '../src/gateway/track-stream.js';
import { createRuntime } from '../src/runtime.js';
import type { RequestRecord } from '../src/store/request-record.js';
import { createSqliteRequestStore } from '../src/store/sql/sqlite-request-store.js';
import { listenServerInRange } from './helpers/listen-in-range.js';
import { testConfigInput } from './helpers/test-config.js';

const ANSWER = ['The answer ', 'is forty-', 'two, as ever.'];
const JSON_ANSWER = 'Forty-two, said the upstream, and nothing about usage.';
const USAGE = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 };

const chunk = (fields: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 7, model: 'up', ...fields })}\n\n`;

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const piece of req) text += String(piece);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * The upstream: `reports` sends usage as OpenAI does (in the last chunk when the stream asked for
 * it, always in JSON); `silent` never sends any; `breaks` streams two deltas and drops the socket.
 */
let upstream: Server;
let baseUrl = '';
const asked: unknown[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    void readBody(req).then((body) => {
      const model = String(body.model);
      // The semantic cache's embedding model: one vector for every text (so a second question is
      // a semantic hit), with usage only from `embed-reports`.
      if (req.url?.endsWith('/embeddings')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model,
            data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8, 0] }],
            ...(model === 'embed-reports' ? { usage: { prompt_tokens: 7, total_tokens: 7 } } : {}),
          }),
        );
        return;
      }
      const stream = body.stream === true;
      const wantsUsage =
        (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      asked.push({ model, stream, wantsUsage });
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'up-json',
            object: 'chat.completion',
            created: 7,
            model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: JSON_ANSWER },
                finish_reason: 'stop',
              },
            ],
            ...(model === 'reports' ? { usage: USAGE } : {}),
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        chunk({
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        }),
      );
      const deltas = model === 'breaks' ? ANSWER.slice(0, 2) : ANSWER;
      for (const d of deltas)
        res.write(chunk({ choices: [{ index: 0, delta: { content: d }, finish_reason: null }] }));
      if (model === 'breaks') {
        // Once what was written has left (a destroy drops what is still buffered).
        res.write('', () => res.socket?.destroy());
        return;
      }
      res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
      if (model === 'reports' && wantsUsage) res.write(chunk({ choices: [], usage: USAGE }));
      res.end('data: [DONE]\n\n');
    });
  });
  // A port of this suite's own range, the next one when another run holds it.
  await listenServerInRange(upstream, 19_400, 19_449);
  baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

const PRICES = { inputPer1M: 1_000, outputPer1M: 2_000 };

function configInput(logPath: string): ConfigInput {
  const input = testConfigInput({
    requestLog: { kind: 'sqlite', sqlitePath: logPath },
    // Unset: the runtime makes a one-off admin key (for the admin and dashboard reads).
    auth: { mode: 'none', adminKeyEnv: 'MR_USAGE_ESTIMATED_TEST_ADMIN_KEY_UNSET' },
  });
  input.deployments = ['reports', 'silent', 'breaks'].map((model) => ({
    name: model,
    provider: 'openai-compatible' as const,
    model,
    baseUrl,
    prices: PRICES,
    contextWindow: 128_000,
    maxOutputTokens: 4096,
  }));
  input.routers = [];
  return input;
}

const cost = (r: RequestRecord) =>
  (r.promptTokens * PRICES.inputPer1M + r.completionTokens * PRICES.outputPer1M) / 1e6;

describe('usage the upstream did not report is recorded as estimated', () => {
  const logPath = join(mkdtempSync(join(tmpdir(), 'mr-usage-est-')), 'requests.db');
  let records: RequestRecord[] = [];
  let usage: Record<string, unknown> = {};
  let csv = '';
  let overview: Record<string, unknown> = {};

  beforeAll(async () => {
    const rt = await createRuntime(parseConfig(configInput(logPath), {}).config);
    const headers = { authorization: `Bearer ${rt.ephemeralAdminKey}` };
    try {
      const send = (model: string, stream: boolean) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { ...headers, 'x-request-id': `${model}-${stream ? 'stream' : 'json'}` },
          payload: { model, stream, messages: [{ role: 'user', content: 'What is the answer?' }] },
        });
      for (const model of ['reports', 'silent']) {
        expect((await send(model, true)).statusCode).toBe(200);
        expect((await send(model, false)).statusCode).toBe(200);
      }
      // Broken off after its first byte: the client's stream ends with an in-band error.
      const broken = await send('breaks', true);
      expect(broken.statusCode).toBe(200);
      expect(broken.payload).toContain('"error"');
      const u = await rt.app.inject({
        method: 'GET',
        headers,
        url: '/admin/v1/usage?since=1h&by=deployment',
      });
      expect(u.statusCode).toBe(200);
      usage = u.json();
      const c = await rt.app.inject({
        method: 'GET',
        headers,
        url: '/admin/v1/usage?since=1h&by=deployment&format=csv',
      });
      csv = c.payload;
      overview = (
        await rt.app.inject({ method: 'GET', url: '/dashboard/api/overview', headers })
      ).json().overview as Record<string, unknown>;
    } finally {
      await rt.close();
    }
    const store = createSqliteRequestStore(logPath);
    records = await store.query(0);
    await store.close();
  });

  const byId = (id: string) => {
    const r = records.find((x) => x.requestId === id);
    if (!r) throw new Error(`no record ${id}`);
    return r;
  };

  it('the router asked every stream for usage; only `reports` answered with it', () => {
    expect(asked).toContainEqual({ model: 'reports', stream: true, wantsUsage: true });
    expect(asked).toContainEqual({ model: 'silent', stream: true, wantsUsage: true });
    expect(records).toHaveLength(5);
  });

  it('usage reported by the upstream: not flagged, its figures as reported', () => {
    for (const id of ['reports-stream', 'reports-json']) {
      const r = byId(id);
      expect(r).toMatchObject({ usageEstimated: false, promptTokens: 9, completionTokens: 4 });
      expect(r.costUsd).toBeCloseTo(cost(r), 12);
    }
  });

  it('a stream without usage: flagged, the answer tokens estimated from what was streamed', () => {
    const r = byId('silent-stream');
    expect(r.status).toBe(200);
    expect(r.usageEstimated).toBe(true);
    // The prompt as the router counted it; the answer as track-stream.ts estimates it: the
    // deltas the router passed through unparsed are a token each.
    expect(r.promptTokens).toBeGreaterThan(0);
    expect(r.completionTokens).toBe(estimateStreamedTokens(0, ANSWER.length));
    expect(r.costUsd).toBeCloseTo(cost(r), 12);
  });

  it('a JSON answer without usage: flagged, its answer tokens estimated from its text', () => {
    const r = byId('silent-json');
    expect(r.usageEstimated).toBe(true);
    expect(r.promptTokens).toBeGreaterThan(0);
    expect(r.completionTokens).toBe(Math.ceil(JSON_ANSWER.length / 4));
    expect(r.costUsd).toBeCloseTo(cost(r), 12);
  });

  it('a stream that broke off: flagged, what the client got estimated and charged', () => {
    const r = byId('breaks-stream');
    expect(r.status).toBeGreaterThanOrEqual(500);
    // Read back from SQLite: the attempt that streamed, then broke, is not `ok`.
    expect(r.attempts.map((a) => [a.deployment, a.outcome, a.errorCode])).toEqual([
      ['breaks', 'stream_dropped', r.errorCode],
    ]);
    // A socket reset mid-stream (not a clean close before the end event) is `stream_error`.
    expect(r.errorCode).toBe('stream_error');
    expect(r.usageEstimated).toBe(true);
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(r.costUsd).toBeCloseTo(cost(r), 12);
  });

  it('the usage summary counts the estimated requests and the spend that rests on them', () => {
    const estimated = records.filter((r) => r.usageEstimated);
    const estimatedCost = estimated.reduce((s, r) => s + r.costUsd, 0);
    expect(usage).toMatchObject({
      object: 'usage.summary',
      requests: 5,
      usageEstimated: 3,
      usageEstimatedRate: 0.6,
    });
    expect(usage.usageEstimatedCostUsd as number).toBeCloseTo(estimatedCost, 6);
    const groups = usage.groups as { key: string; usageEstimated: number }[];
    expect(Object.fromEntries(groups.map((g) => [g.key, g.usageEstimated]))).toEqual({
      reports: 0,
      silent: 2,
      breaks: 1,
    });
  });

  it('the CSV export has the count and the estimated spend per group and in total', () => {
    const rows = csv
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    expect(col('usage_estimated')).toBeGreaterThan(0);
    expect(col('usage_estimated_cost_usd')).toBeGreaterThan(0);
    const row = (key: string) => rows.find((r) => r[0] === key)!;
    expect(row('silent')[col('usage_estimated')]).toBe('2');
    expect(row('reports')[col('usage_estimated')]).toBe('0');
    expect(row('(total)')[col('usage_estimated')]).toBe('3');
    expect(Number(row('reports')[col('usage_estimated_cost_usd')])).toBe(0);
    expect(Number(row('silent')[col('usage_estimated_cost_usd')])).toBeGreaterThan(0);
  });

  it("the dashboard's overview says how many requests and how much spend are estimated", () => {
    expect(overview).toMatchObject({ requests: 5, usageEstimated: 3, usageEstimatedRate: 0.6 });
    expect(overview.usageEstimatedCostUsd as number).toBeGreaterThan(0);
  });
});

describe('a semantic-cache lookup whose embedding upstream sent no usage', () => {
  /** The records (from the SQLite log) and the usage summary of a miss then a semantic hit. */
  async function missThenHit(embedModel: 'embed-silent' | 'embed-reports') {
    const logPath = join(mkdtempSync(join(tmpdir(), 'mr-usage-est-sem-')), 'requests.db');
    const input = configInput(logPath);
    input.deployments.push({
      name: embedModel,
      kind: 'embeddings',
      provider: 'openai-compatible',
      model: embedModel,
      baseUrl,
      prices: { inputPer1M: 100, outputPer1M: 0 },
      contextWindow: 8191,
    });
    input.cache = {
      enabled: true,
      ttlSeconds: 600,
      semantic: { enabled: true, embeddings: embedModel },
    };
    const rt = await createRuntime(parseConfig(input, {}).config);
    const headers = { authorization: `Bearer ${rt.ephemeralAdminKey}` };
    let summary: Record<string, unknown>;
    try {
      for (const [id, content] of [
        ['miss', 'What is the answer to everything?'],
        ['hit', 'What is the answer to it all?'],
      ] as const) {
        const res = await rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { ...headers, 'x-request-id': `${embedModel}-${id}` },
          payload: { model: 'reports', messages: [{ role: 'user', content }] },
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-router-cache']).toBe(id === 'hit' ? 'semantic' : 'miss');
      }
      summary = (
        await rt.app.inject({ method: 'GET', headers, url: '/admin/v1/usage?since=1h' })
      ).json();
    } finally {
      await rt.close();
    }
    const store = createSqliteRequestStore(logPath);
    const logged = await store.query(0);
    await store.close();
    return { logged, summary };
  }

  it('flags the miss and the hit as estimated, and the summary counts them', async () => {
    const { logged, summary } = await missThenHit('embed-silent');
    expect(logged.map((r) => [r.requestId, r.cache, r.usageEstimated])).toEqual([
      ['embed-silent-miss', 'miss', true],
      ['embed-silent-hit', 'semantic', true],
    ]);
    // The chat answer's usage was reported: only the embedding's cost is the router's estimate.
    expect(logged[0]).toMatchObject({ promptTokens: 9, completionTokens: 4 });
    expect(logged[1]!.costUsd).toBeGreaterThan(0);
    expect(summary).toMatchObject({ requests: 2, usageEstimated: 2 });
    expect(summary.usageEstimatedCostUsd as number).toBeCloseTo(
      logged[0]!.costUsd + logged[1]!.costUsd,
      9,
    );
  });

  it('flags neither when the embedding upstream reported its usage', async () => {
    const { logged, summary } = await missThenHit('embed-reports');
    expect(logged.map((r) => [r.cache, r.usageEstimated])).toEqual([
      ['miss', false],
      ['semantic', false],
    ]);
    // The hit cost its embedding call: 7 tokens at the embedding model's price.
    expect(logged[1]!.costUsd).toBeCloseTo((7 * 100) / 1e6, 12);
    expect(summary).toMatchObject({ requests: 2, usageEstimated: 0 });
  });
});

// A call by name (embeddings, moderations, rerank, images, speech, transcriptions) and a semantic
// lookup's embedding call that the upstream had when the router stopped waiting (the deployment's
// timeoutMs, the client leaving) are charged their input at that deployment, as a chat try is
// (execute-with-failover.ts): in the record, the settle (the deployment's and the tenant's
// budgets), the usage summary, /metrics, and the deployment budget a restart seeds from the log.
// The upstream is a loopback server that reads each request whole and never answers, called
// through the real OpenAI-compatible adapter and HTTP client.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { listenInRange, listenServerInRange } from '../../test/helpers/listen-in-range.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createHttpClient } from '../providers/http-client.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import { wavHeader } from '../providers/simulated/simulated-media.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { RequestRecord } from '../store/request-record.js';
import { usageSummary } from '../store/usage-summary.js';
import { metricsText, recordRequestMetrics, registry } from '../telemetry/metrics.js';
import { estimateTokens } from './embedding-batch.js';
import { rerankTokenEstimate, searchUnits } from './rerank-cost.js';
import { multipart } from '../../test/helpers/multipart-form.js';
import { governedBudgets, seededSpend } from '../../test/helpers/memory-budgets.js';
import { waitFor } from '../../test/helpers/wait-for.js';

type DeploymentInput = ConfigInput['deployments'][number];

/** A loopback upstream that reads every request to its end and answers none. */
interface SilentUpstream {
  base: string;
  /** The paths of the requests it read whole. */
  received: string[];
  close(): Promise<void>;
}

/** Replies the upstream does answer, by path: each 200 and billed, but unusable. */
const UNUSABLE: Record<string, object> = {
  // One vector for two inputs, with the usage it bills.
  '/short/v1/embeddings': {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }],
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 40, total_tokens: 40 },
  },
  // A result naming a document that was not sent.
  '/bad/v1/rerank': { results: [{ index: 7, relevance_score: 0.4 }] },
};

async function startSilentUpstream(): Promise<SilentUpstream> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url ?? '');
      const reply = UNUSABLE[req.url ?? ''];
      if (reply)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listenServerInRange(server, 47_175, 47_186);
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let up: SilentUpstream;
beforeAll(async () => {
  up = await startSilentUpstream();
});
afterAll(() => up.close());

/** A deployment of the silent upstream: `kind`, priced as given, a 250 ms deadline, a budget. */
const silent = (
  name: string,
  kind: DeploymentInput['kind'],
  prices: object,
  model = `${name}-model`,
): DeploymentInput =>
  simDeployment(name, {
    kind,
    provider: 'openai-compatible',
    model,
    baseUrl: `${up.base}/v1`,
    simulation: undefined,
    maxOutputTokens: undefined,
    contextWindow: 8191,
    prices: { inputPer1M: 0, outputPer1M: 0, ...prices },
    timeoutMs: 250,
    budget: { dailyUsd: 100 },
  });

/**
 * The router with a silent embedding model ($0.13 per 1M) in a pool before a simulated one, and
 * a silent moderation ($0.20 per 1M), reranker ($0.002 a search unit, $0.05 per 1M), image model
 * ($5 per 1M of prompt, $0.04 an image), speech ($15 per 1M characters) and transcription model
 * ($0.006 a minute); real governance policies whose settles are also kept.
 */
async function setup(overrides: Partial<ConfigInput> = {}) {
  const input = testConfigInput({
    pools: [{ name: 'emb-pool', deployments: ['emb-slow', 'emb'], strategy: 'priority' }],
    budgets: { tenants: { default: { dailyUsd: 100 } }, tags: {} },
    ...overrides,
  });
  input.deployments.push(
    // The simulated member's model: a pool's vectors must be comparable.
    silent('emb-slow', 'embeddings', { inputPer1M: 0.13 }, 'text-embedding-3-small'),
    simEmbeddingDeployment('emb', { budget: { dailyUsd: 100 } }),
    silent('mod-slow', 'moderation', { inputPer1M: 0.2 }),
    silent('rr-slow', 'rerank', { inputPer1M: 0.05, perSearchUnit: 0.002 }),
    silent('img-slow', 'images', { inputPer1M: 5, perImage: 0.04 }),
    silent('tts-slow', 'speech', { inputCharsPer1M: 15 }),
    silent('stt-slow', 'transcription', { perAudioMinute: 0.006 }),
    {
      ...silent('emb-short', 'embeddings', { inputPer1M: 0.13 }, 'text-embedding-3-small'),
      baseUrl: `${up.base}/short/v1`,
    },
    { ...silent('rr-bad', 'rerank', { perSearchUnit: 0.002 }), baseUrl: `${up.base}/bad/v1` },
  );
  const config = parseConfig(input, {}).config;
  const http = createHttpClient();
  const adapters: Record<string, ProviderAdapter> = {
    big: fakeAdapter('big-sim', [{ reply: 'x' }]),
    mid: fakeAdapter('mid-sim', [{ reply: 'x' }]),
    small: fakeAdapter('small-sim', [{ reply: 'x' }]),
  };
  for (const d of config.deployments)
    if (d.provider === 'openai-compatible') adapters[d.name] = createOpenAiAdapter(d, http, {});
    else if (d.name === 'emb') adapters[d.name] = createSimulatedAdapter(d);
  // Budgets on their own state and clock (the app's manual clock starts at the same time).
  const holder = new ConfigHolder(compileConfig(config));
  const { policies, settled, spent } = governedBudgets(holder);
  const t = await buildTestApp(config, adapters, { policies });
  const at = (name: string) => t.config.current.deployments.get(name)!;
  return { t, settled, spent, at, config };
}

const json = (url: string, payload: Record<string, unknown>) => ({
  method: 'POST' as const,
  url,
  payload,
});

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(20);

/** The record's one attempt, timed out at `name` and charged `costUsd`; the record says so. */
function expectChargedTimeout(r: RequestRecord, name: string, costUsd: number, tokens: number) {
  expect(costUsd).toBeGreaterThan(0);
  expect(r).toMatchObject({
    status: 504,
    errorCode: 'upstream_timeout',
    deployment: name,
    promptTokens: tokens,
    usageEstimated: true,
  });
  expect(r.attempts).toEqual([
    expect.objectContaining({ deployment: name, outcome: 'error', errorCode: 'upstream_timeout' }),
  ]);
  expect(r.attempts[0]!.costUsd).toBeCloseTo(costUsd, 15);
  expect(r.costUsd).toBeCloseTo(costUsd, 15);
  expect(r.baselineCostUsd).toBeCloseTo(costUsd, 15);
}

describe('a named call the upstream had when the router stopped waiting is charged its input', () => {
  it('embeddings past the deadline: the inputs, estimated, at the deployment, in the record, budgets, summary, metrics and a seeded budget alike', async () => {
    const { t, settled, spent } = await setup();
    const input = [TEXT, 'a second input'];
    const before = up.received.length;
    const res = await t.app.inject(json('/v1/embeddings', { model: 'emb-slow', input }));
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe('upstream_timeout');
    // The upstream read this whole request (its end may be read after the router hung up); the
    // upstream is shared, so only what it read since counts.
    await waitFor(() => expect(up.received.slice(before)).toContain('/v1/embeddings'));
    const tokens = estimateTokens(input);
    const cost = (tokens * 0.13) / 1e6;
    const record = t.records.at(-1)!;
    expectChargedTimeout(record, 'emb-slow', cost, tokens);
    expect(settled.at(-1)).toMatchObject({ status: 504, costUsd: record.costUsd });
    expect(settled.at(-1)!.attempts?.[0]).toMatchObject({ deployment: 'emb-slow' });
    const live = await spent('emb-slow');
    expect(live.deployment).toBeCloseTo(cost, 12);
    expect(live.tenant).toBeCloseTo(cost, 12);
    // The usage summary by deployment, and /metrics, at the deployment that was called.
    const summary = await usageSummary(
      { query: async () => [record] },
      { since: 0, until: Number.MAX_SAFE_INTEGER, by: 'deployment' },
    );
    expect(summary.groups).toEqual([expect.objectContaining({ key: 'emb-slow', requests: 1 })]);
    expect(summary.groups[0]!.costUsd).toBeCloseTo(cost, 15);
    expect(summary.groups[0]!.usageEstimatedCostUsd).toBeCloseTo(cost, 15);
    registry.resetMetrics();
    recordRequestMetrics(record);
    const metric = new RegExp(
      `^model_router_cost_usd_total\\{router="",model="text-embedding-3-small",deployment="emb-slow"\\} (\\S+)$`,
      'm',
    ).exec(await metricsText());
    expect(Number(metric?.[1])).toBeCloseTo(cost, 15);
    // A restart seeds the deployment's budget from the log to what live counting had.
    expect(await seededSpend(record, t.clock, t.config, 'emb-slow')).toBeCloseTo(cost, 12);
  });

  it('embeddings in a pool: the member that timed out is charged there, the one that answered its usage, both in the record and the settle', async () => {
    const { t, settled, spent } = await setup();
    const res = await t.app.inject(json('/v1/embeddings', { model: 'emb-pool', input: TEXT }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('emb');
    const record = t.records.at(-1)!;
    const atSlow = (estimateTokens(TEXT) * 0.13) / 1e6;
    const answered = (res.json().usage.prompt_tokens * 0.02) / 1e6;
    expect(record.attempts.map((a) => [a.deployment, a.outcome, a.errorCode])).toEqual([
      ['emb-slow', 'error', 'upstream_timeout'],
      ['emb', 'ok', undefined],
    ]);
    expect(record.attempts[0]!.costUsd).toBeCloseTo(atSlow, 15);
    expect(record.costUsd).toBeCloseTo(atSlow + answered, 15);
    expect(record.usageEstimated).toBe(true);
    expect(settled.at(-1)).toMatchObject({ status: 200, costUsd: record.costUsd });
    expect(settled.at(-1)!.deployment?.name).toBe('emb');
    expect(settled.at(-1)!.attempts?.[0]).toMatchObject({ deployment: 'emb-slow' });
    expect((await spent('emb-slow')).deployment).toBeCloseTo(atSlow, 12);
    expect((await spent('emb')).deployment).toBeCloseTo(answered, 12);
  });

  it('embeddings the client left while the upstream had them: aborted, charged there', async () => {
    const { t, settled } = await setup();
    await listenInRange((port) => t.app.listen({ host: '127.0.0.1', port }), 47_187, 47_199);
    const port = (t.app.server.address() as AddressInfo).port;
    const before = up.received.length;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/embeddings',
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ model: 'emb-slow', input: TEXT }));
    await waitFor(() => expect(up.received.length).toBeGreaterThan(before));
    req.destroy();
    await waitFor(() => expect(t.records).toHaveLength(1));
    const record = t.records[0]!;
    const cost = (estimateTokens(TEXT) * 0.13) / 1e6;
    expect(record).toMatchObject({ status: 499, deployment: 'emb-slow', usageEstimated: true });
    expect(record.attempts).toEqual([
      expect.objectContaining({ deployment: 'emb-slow', outcome: 'aborted' }),
    ]);
    expect(record.attempts[0]!.costUsd).toBeCloseTo(cost, 15);
    expect(record.costUsd).toBeCloseTo(cost, 15);
    expect(settled.at(-1)).toMatchObject({ status: 499, costUsd: record.costUsd });
    await t.app.close();
  });

  it("a semantic lookup's embedding call past cache.semantic.timeoutMs: a miss charged the conversation at the embedding deployment", async () => {
    const { t } = await setup({
      cache: {
        enabled: true,
        ttlSeconds: 600,
        semantic: { enabled: true, embeddings: 'emb-slow', timeoutMs: 50 },
      },
    });
    const before = up.received.length;
    const res = await t.app.inject(
      json('/v1/chat/completions', {
        model: 'model-router',
        messages: [{ role: 'user', content: TEXT }],
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-cache']).toBe('miss');
    // The lookup's embedding call reached the (shared) upstream: read since this request.
    await waitFor(() => expect(up.received.slice(before)).toContain('/v1/embeddings'));
    const record = t.records.at(-1)!;
    const lookup = record.attempts[0]!;
    expect(lookup).toMatchObject({
      deployment: 'emb-slow',
      lookup: 'semantic_cache',
      outcome: 'error',
      errorCode: 'upstream_timeout',
    });
    expect(lookup.costUsd).toBeGreaterThan(0);
    // The embedding's estimate (≈4 characters a token) at $0.13 per 1M, on top of the answer.
    expect(lookup.costUsd! / 0.13e-6).toBeGreaterThanOrEqual(TEXT.length / 4);
    const chat = record.attempts[1]!;
    expect(chat.outcome).toBe('ok');
    expect(record.costUsd).toBeGreaterThan(lookup.costUsd!);
    expect(record.usageEstimated).toBe(true);
  });

  it('a reply it cannot use was answered, so billed: an embeddings reply short of vectors at its usage, a rerank reply naming no document sent at its estimate', async () => {
    const { t, settled, spent } = await setup();
    const short = await t.app.inject(
      json('/v1/embeddings', { model: 'emb-short', input: ['one', 'two'] }),
    );
    expect(short.statusCode).toBe(502);
    const record = t.records.at(-1)!;
    expect(record.attempts).toEqual([
      expect.objectContaining({
        deployment: 'emb-short',
        errorCode: 'upstream_malformed_response',
      }),
    ]);
    const cost = (40 * 0.13) / 1e6; // the usage it reported
    expect(record.attempts[0]!.costUsd).toBeCloseTo(cost, 15);
    expect(record.costUsd).toBeCloseTo(cost, 15);
    expect(settled.at(-1)!.costUsd).toBeCloseTo(cost, 15);
    expect((await spent('emb-short')).deployment).toBeCloseTo(cost, 12);
    const docs = ['Berlin is the capital of Germany.', 'Cats sleep all day.'];
    const bad = await t.app.inject(
      json('/v1/rerank', { model: 'rr-bad', query: 'capital', documents: docs }),
    );
    expect(bad.statusCode).toBe(502);
    const rerankCost = searchUnits('capital', docs) * 0.002;
    expect(t.records.at(-1)!.attempts[0]!.costUsd).toBeCloseTo(rerankCost, 15);
    expect(t.records.at(-1)!.costUsd).toBeCloseTo(rerankCost, 15);
  });

  const wav = (seconds: number) =>
    Buffer.concat([wavHeader(seconds * 16_000), Buffer.alloc(seconds * 16_000)]);
  const DOCS = ['Berlin is the capital of Germany.', 'Cats sleep all day.'];
  const cases: {
    what: string;
    name: string;
    /** Where the upstream was sent it. */
    path: string;
    send: (t: TestApp) => Promise<{ statusCode: number }>;
    cost: (d: DeploymentConfig) => number;
    tokens: number;
  }[] = [
    {
      what: 'a moderation: its texts at the input price',
      name: 'mod-slow',
      path: '/v1/moderations',
      send: (t) => t.app.inject(json('/v1/moderations', { model: 'mod-slow', input: TEXT })),
      cost: () => (Math.ceil(TEXT.length / 4) * 0.2) / 1e6,
      tokens: Math.ceil(TEXT.length / 4),
    },
    {
      what: 'a rerank: its search units and tokens, by the router’s count',
      name: 'rr-slow',
      path: '/v1/rerank',
      send: (t) =>
        t.app.inject(json('/v1/rerank', { model: 'rr-slow', query: TEXT, documents: DOCS })),
      cost: () => searchUnits(TEXT, DOCS) * 0.002 + (rerankTokenEstimate(TEXT, DOCS) * 0.05) / 1e6,
      tokens: rerankTokenEstimate(TEXT, DOCS),
    },
    {
      what: 'an image generation: its prompt at the input price, not the images it did not get',
      name: 'img-slow',
      path: '/v1/images/generations',
      send: (t) =>
        t.app.inject(json('/v1/images/generations', { model: 'img-slow', prompt: TEXT, n: 2 })),
      cost: () => (Math.ceil(TEXT.length / 4) * 5) / 1e6,
      tokens: Math.ceil(TEXT.length / 4),
    },
    {
      what: 'speech: its characters at inputCharsPer1M',
      name: 'tts-slow',
      path: '/v1/audio/speech',
      send: (t) =>
        t.app.inject(json('/v1/audio/speech', { model: 'tts-slow', input: TEXT, voice: 'alloy' })),
      cost: () => (TEXT.length * 15) / 1e6,
      tokens: Math.ceil(TEXT.length / 4),
    },
    {
      what: 'a transcription of a WAV: its minutes at perAudioMinute',
      name: 'stt-slow',
      path: '/v1/audio/transcriptions',
      send: async (t) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/audio/transcriptions',
          ...(await multipart(
            { model: 'stt-slow', file: new Blob([wav(90)], { type: 'audio/wav' }) },
            'a.wav',
          )),
        }),
      cost: () => 1.5 * 0.006,
      tokens: 0,
    },
  ];

  it.each(cases)('$what', async ({ name, path, send, cost, tokens }) => {
    const { t, settled, spent, at } = await setup();
    const res = await send(t);
    expect(res.statusCode).toBe(504);
    await waitFor(() => expect(up.received).toContain(path));
    const expected = cost(at(name));
    expectChargedTimeout(t.records.at(-1)!, name, expected, tokens);
    expect(settled.at(-1)).toMatchObject({ status: 504 });
    expect(settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    const live = await spent(name);
    expect(live.deployment).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(expected, 12);
  });
});

// The content filter's calls to a priced moderation deployment on the inputs of a request called
// by name (embeddings, rerank, image generation, speech) are paid for by that request, as on chat
// (content-filter-moderation-cost.test.ts): listed in its record's attempts (`lookup:
// 'content_filter'`), in its `costUsd` and baseline (no savings claimed), and counted at the
// moderation deployment in the usage summary, /metrics, the live deployment and tenant budgets and
// a budget seeded from the log; `x-router-attempts` stays the named call's. Before 2026-12-06 they
// counted nowhere on these routes. Real governance policies and content filter, simulated models.
import { describe, expect, it } from 'vitest';
import { seededSpend } from '../../test/helpers/memory-budgets.js';
import {
  filterCalls,
  metricCostAt,
  moderationCost,
  pricedModerationApp,
  promptText,
  summaryAt,
} from '../../test/helpers/priced-moderation-filter.js';
import { simDeployment, simEmbeddingDeployment } from '../../test/helpers/test-config.js';
import type { RequestRecord } from '../store/request-record.js';

const media = { maxOutputTokens: undefined, contextWindow: 4096 };

/** The fleet and `mod`, with an embedding model, a reranker, an image model and a speech model. */
const setup = (overrides = {}) =>
  pricedModerationApp({
    overrides,
    deployments: [
      simEmbeddingDeployment('emb', { budget: { dailyUsd: 100 } }),
      simDeployment('rr', {
        ...media,
        kind: 'rerank',
        model: 'rr-model',
        prices: { inputPer1M: 0, outputPer1M: 0, perSearchUnit: 0.002 },
      }),
      simDeployment('img', {
        ...media,
        kind: 'images',
        model: 'img-model',
        prices: { inputPer1M: 5, outputPer1M: 0, perImage: 0.04 },
      }),
      simDeployment('tts', {
        ...media,
        kind: 'speech',
        model: 'tts-model',
        prices: { inputPer1M: 0, outputPer1M: 0, inputCharsPer1M: 15 },
      }),
    ],
  });

/**
 * The checks every route shares: one call at `mod` costing `expected`, its own cost besides, the
 * settle, summary, metrics, live and seeded budgets counting it at `mod`.
 */
async function expectCountedAtMod(
  app: Awaited<ReturnType<typeof setup>>,
  record: RequestRecord,
  served: string | undefined,
  expected: number,
) {
  const { t, settled, spent } = app;
  expect(filterCalls(record).map((a) => [a.deployment, a.outcome])).toEqual([['mod', 'ok']]);
  expect(filterCalls(record)[0]!.costUsd).toBeCloseTo(expected, 15);
  expect(record.deployment ?? '').toBe(served ?? '');
  expect(record.costUsd).toBeGreaterThanOrEqual(expected);
  expect(record.baselineCostUsd).toBeCloseTo(record.costUsd, 15); // called by name: no savings
  expect(record.usageEstimated).toBe(true);
  expect(settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
  expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
  if (served)
    expect((await summaryAt([record], served))?.costUsd).toBeCloseTo(record.costUsd - expected, 15);
  expect(await metricCostAt(record, 'mod')).toBeCloseTo(expected, 15);
  const live = await spent();
  expect(live.at).toBeCloseTo(expected, 12);
  expect(live.tenant).toBeCloseTo(record.costUsd, 12);
  expect(await seededSpend(record, t.clock, t.config, 'mod')).toBeCloseTo(expected, 12);
}

describe("the content filter's moderation calls count in the named request they checked", () => {
  it('embeddings: its text inputs checked at mod', async () => {
    const app = await setup();
    const inputs = ['The quick brown fox jumps over the lazy dog.', 'A second, shorter input.'];
    const res = await app.t.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'emb', input: inputs },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-attempts']).toBe('1');
    const record = app.t.records.at(-1)!;
    expect(record.attempts.filter((a) => !a.lookup)).toEqual([
      expect.objectContaining({ deployment: 'emb', outcome: 'ok' }),
    ]);
    expect(record.costUsd).toBeGreaterThan(moderationCost(promptText(...inputs)));
    await expectCountedAtMod(app, record, 'emb', moderationCost(promptText(...inputs)));
  });

  it('embeddings answered whole from the cache: the check is all it costs', async () => {
    const app = await setup({ cache: { enabled: true, ttlSeconds: 600 } });
    const payload = { model: 'emb', input: 'A sentence worth embedding twice.' };
    const first = await app.t.app.inject({ method: 'POST', url: '/v1/embeddings', payload });
    expect(first.statusCode).toBe(200);
    const hit = await app.t.app.inject({ method: 'POST', url: '/v1/embeddings', payload });
    expect(hit.headers['x-router-cache']).toBe('hit');
    const record = app.t.records.at(-1)!;
    const expected = moderationCost(promptText(payload.input));
    expect(record.costUsd).toBeCloseTo(expected, 15);
    expect(filterCalls(record)).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', costUsd: expected }),
    ]);
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect(await metricCostAt(record, 'mod')).toBeCloseTo(expected, 15);
  });

  it('embeddings the moderation model blocks: the 400 costs its call, at mod', async () => {
    const app = await setup();
    const input = 'I want to kill them.';
    const res = await app.t.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'emb', input },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('content_filter');
    const record = app.t.records.at(-1)!;
    const expected = moderationCost(promptText(input));
    expect(record.attempts).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', lookup: 'content_filter' }),
    ]);
    expect(record.costUsd).toBeCloseTo(expected, 15);
    await expectCountedAtMod(app, record, undefined, expected);
  });

  it('rerank: the query and each document checked at mod', async () => {
    const app = await setup();
    const query = 'Which river is the longest?';
    const documents = ['The Nile is about 6,650 km long.', 'The Danube flows into the Black Sea.'];
    const res = await app.t.app.inject({
      method: 'POST',
      url: '/v1/rerank',
      payload: { model: 'rr', query, documents },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-attempts']).toBe('1');
    const record = app.t.records.at(-1)!;
    expect(record.attempts.filter((a) => !a.lookup)).toEqual([
      expect.objectContaining({ deployment: 'rr', outcome: 'ok' }),
    ]);
    const expected = moderationCost(promptText(query, ...documents));
    expect(record.costUsd).toBeGreaterThan(expected); // a search unit besides
    await expectCountedAtMod(app, record, 'rr', expected);
  });

  it('an image generation: its prompt checked at mod', async () => {
    const app = await setup();
    const prompt = 'A lighthouse on a cliff at dawn, in watercolour.';
    const res = await app.t.app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { model: 'img', prompt },
    });
    expect(res.statusCode).toBe(200);
    const record = app.t.records.at(-1)!;
    const expected = moderationCost(promptText(prompt));
    expect(record.costUsd).toBeGreaterThan(expected); // the image besides
    await expectCountedAtMod(app, record, 'img', expected);
  });

  it('speech: its text and instructions checked at mod', async () => {
    const app = await setup();
    const input = 'Good morning, and welcome aboard.';
    const instructions = 'Speak warmly and slowly.';
    const res = await app.t.app.inject({
      method: 'POST',
      url: '/v1/audio/speech',
      payload: { model: 'tts', input, voice: 'alloy', instructions },
    });
    expect(res.statusCode).toBe(200);
    const record = app.t.records.at(-1)!;
    const expected = moderationCost(promptText(input, instructions));
    expect(record.costUsd).toBeGreaterThan(expected); // the characters spoken besides
    await expectCountedAtMod(app, record, 'tts', expected);
  });
});

// Receipts and the dashboard's JSON show figures without floating-point noise (an audit found
// `predictedCostUsd: 0.00009680000000000001`, `band: 0.1299999999999999`, `latencyMs:
// 766.538266999999`): rounded where they are put into the response, not in the routing math.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { roundMs, roundRatio, roundUsd } from '../core/round-figures.js';
import { buildReceipt, DecisionStore } from '../routing/receipt.js';
import type { RequestRecord } from '../store/request-record.js';
import { summarizeRecords } from '../store/request-summary.js';
import { roundSummary } from '../store/round-summary.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { LiveStats } from './live-stats.js';

const NOISY_COST = 0.00009680000000000001;
const NOISY_BAND = 0.1299999999999999;
const NOISY_MS = 766.538266999999;
/** Ten or more decimals: noise, not a figure anyone meant. */
const NOISE = /\.\d{10,}/;

function record(i: number): RequestRecord {
  return {
    time: Date.now() - 1000 + i,
    requestId: `req_${i}`,
    endpoint: 'chat',
    deployment: 'small',
    servedModel: 'small-sim',
    attempts: [{ deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: NOISY_MS }],
    stream: false,
    promptTokens: 10,
    cachedTokens: 0,
    completionTokens: 5,
    reasoningTokens: 0,
    // 0.1 + 0.2 + 0.3… sums to 0.6000000000000001.
    costUsd: 0.1 * (i + 1),
    baselineCostUsd: 0.7 * (i + 1),
    ttftMs: NOISY_MS / 3,
    latencyMs: NOISY_MS,
    status: 200,
  };
}

describe('rounded figures', () => {
  it('rounds costs to 6 significant digits, bands and shares to 4 decimals, latencies to 0.1 ms', () => {
    expect(roundUsd(NOISY_COST)).toBe(0.0000968);
    expect(roundUsd(0.1 + 0.2)).toBe(0.3);
    expect(roundUsd(1234.56789)).toBe(1234.57);
    expect(roundUsd(0)).toBe(0);
    expect(roundRatio(NOISY_BAND)).toBe(0.13);
    expect(roundMs(NOISY_MS)).toBe(766.5);
  });

  it('shows a receipt’s band, predicted costs and qualities, and attempt latencies rounded', async () => {
    const decisions = new DecisionStore(10);
    const stored = buildReceipt({
      id: 'd1',
      time: 1,
      requestId: 'req_1',
      router: 'model-router',
      decision: {
        mode: 'balanced',
        version: 'v1',
        band: NOISY_BAND,
        ordered: ['small', 'big'],
        scores: [
          {
            deployment: 'small',
            predictedQuality: 0.7000000000000001,
            predictedCostUsd: NOISY_COST,
            expectedOutputTokens: 100,
          },
          {
            deployment: 'big',
            predictedQuality: 0.9,
            predictedCostUsd: 0.0021,
            expectedOutputTokens: 100,
          },
        ],
        reason: 'small is cheap enough',
        topDeployment: 'big',
      },
      checks: [
        { deployment: 'small', failed: [] },
        { deployment: 'big', failed: [] },
      ],
    });
    stored.attempts.push({
      deployment: 'small',
      model: 'small-sim',
      outcome: 'ok',
      latencyMs: NOISY_MS,
    });
    decisions.put(stored);
    const receipt = decisions.get('d1')!;
    expect(receipt.band).toBe(0.13);
    expect(receipt.candidates.map((c) => [c.predictedQuality, c.predictedCostUsd])).toEqual([
      [0.7, 0.0000968],
      [0.9, 0.0021],
    ]);
    expect(receipt.attempts[0]!.latencyMs).toBe(766.5);
    expect(JSON.stringify(receipt)).not.toMatch(NOISE);
    // What was stored, and routed by, is untouched.
    expect(stored.band).toBe(NOISY_BAND);
    expect(stored.attempts[0]!.latencyMs).toBe(NOISY_MS);

    // The dashboard's JSON: the same receipt, and the overview's totals, groups and series.
    const t = await buildTestApp(testConfig(), {});
    const stats = new LiveStats(100);
    for (let i = 0; i < 3; i++) stats.record(record(i));
    const app = Fastify();
    app.decorateRequest('auth', null as never);
    app.addHook('onRequest', async (request) => {
      request.auth = { keyId: 'k', tenant: 't', admin: true, scopes: ['*'] } as never;
    });
    registerDashboardRoutes(app, { config: t.config, stats, decisions });
    const overview = await app.inject({ method: 'GET', url: '/dashboard/api/overview' });
    expect(overview.statusCode).toBe(200);
    const o = overview.json().overview;
    expect([o.costUsd, o.baselineCostUsd, o.savingsUsd]).toEqual([0.6, 4.2, 3.6]);
    expect(o.models[0]).toMatchObject({ latencyP50Ms: 766.5, ttftP50Ms: 255.5, costUsd: 0.6 });
    expect(overview.body).not.toMatch(NOISE);
    const listed = await app.inject({ method: 'GET', url: '/dashboard/api/decisions' });
    expect(listed.json().data[0].band).toBe(0.13);
    expect(listed.body).not.toMatch(NOISE);
    await app.close();
    await t.app.close();
  });

  it('rounds a usage summary (GET /admin/v1/usage, report --json) but computes it unrounded', () => {
    const records = [0, 1, 2].map(record);
    const summary = summarizeRecords(records, 'model', 0, Date.now() + 1000);
    expect(JSON.stringify(summary)).toMatch(NOISE);
    const shown = roundSummary(summary);
    expect(JSON.stringify(shown)).not.toMatch(NOISE);
    expect(shown.costUsd).toBe(0.6);
    expect(shown.groups[0]!.latencyP95Ms).toBe(766.5);
    expect(shown.savingsRatio).toBe(roundRatio(summary.savingsRatio));
  });
});

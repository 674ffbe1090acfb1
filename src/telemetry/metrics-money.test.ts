// /metrics against the request log (observability audit, 2026-12-06): savings net of the
// requests that cost more than the top model would have (F1: the savings counter dropped them,
// so /metrics said $0.086 saved where the summary said -$0.049), and error labels an upstream
// cannot grow without end (F3: each new upstream `error.code` was a new series).
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../store/request-record.js';
import { errorLabel, metricsText, recordRequestMetrics, registry } from './metrics.js';

const base: RequestRecord = {
  time: 1_700_000_000_000,
  requestId: 'req_m',
  endpoint: 'chat',
  router: 'r-money',
  deployment: 'cheap',
  servedModel: 'cheap-model',
  attempts: [{ deployment: 'cheap', model: 'cheap-model', outcome: 'ok', latencyMs: 5 }],
  stream: false,
  promptTokens: 10,
  cachedTokens: 0,
  completionTokens: 5,
  reasoningTokens: 0,
  costUsd: 0.01,
  baselineCostUsd: 0.05,
  latencyMs: 10,
  status: 200,
};

const value = (text: string, metric: string, labels: string) =>
  Number(new RegExp(`^${metric}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('metrics of money and errors', () => {
  it('net savings (baseline − cost) come out as the summary counts them, dearer requests too', async () => {
    registry.resetMetrics();
    recordRequestMetrics(base); // saved 0.04
    // A failover to a dearer model: cost 0.15 against a 0.015 baseline, -0.135.
    recordRequestMetrics({
      ...base,
      deployment: 'pricey',
      servedModel: 'pricey-model',
      costUsd: 0.15,
      baselineCostUsd: 0.015,
    });
    const text = await metricsText();
    const sum = (metric: string) =>
      ['cheap', 'pricey']
        .map((d) => value(text, metric, `router="r-money",model="${d}-model",deployment="${d}"`))
        .map((v) => (Number.isNaN(v) ? 0 : v))
        .reduce((a, b) => a + b, 0);
    const net = sum('model_router_baseline_cost_usd_total') - sum('model_router_cost_usd_total');
    expect(net).toBeCloseTo(0.04 - 0.135, 12);
    // The gross savings counter keeps what it said: only the requests that cost less.
    expect(sum('model_router_savings_usd_total')).toBeCloseTo(0.04, 12);
  });

  it('an attempt charged though it gave no answer (a timeout) costs at its own deployment, estimated', async () => {
    registry.resetMetrics();
    recordRequestMetrics({
      ...base,
      router: 'r-timeout',
      attempts: [
        {
          deployment: 'slow',
          model: 'slow-model',
          outcome: 'error',
          httpStatus: 504,
          errorCode: 'upstream_timeout',
          latencyMs: 30_000,
          costUsd: 0.002,
        },
        ...base.attempts,
      ],
      costUsd: 0.012,
      usageEstimated: true,
    });
    const text = await metricsText();
    const at = (metric: string, d: string) =>
      value(text, metric, `router="r-timeout",model="${d}-model",deployment="${d}"`);
    expect(at('model_router_cost_usd_total', 'slow')).toBeCloseTo(0.002, 12);
    expect(at('model_router_cost_usd_total', 'cheap')).toBeCloseTo(0.01, 12);
    expect(at('model_router_usage_estimated_cost_usd_total', 'slow')).toBeCloseTo(0.002, 12);
  });

  it('an upstream error code becomes a label only while few are in use, and only when short and plain', async () => {
    registry.resetMetrics();
    for (let i = 0; i < 100; i++)
      recordRequestMetrics({
        ...base,
        router: 'r-codes',
        attempts: [
          {
            deployment: 'flaky',
            model: 'flaky-model',
            outcome: 'error',
            httpStatus: 503,
            errorCode: `err_${1796535789578 + i}_${i.toString(36)}`,
            latencyMs: 1,
          },
          ...base.attempts,
        ],
      });
    const text = await metricsText();
    const labels = [
      ...text.matchAll(/^model_router_failovers_total\{router="r-codes",[^}]*error="([^"]*)"\}/gm),
    ].map((m) => m[1]);
    expect(labels.length).toBeLessThanOrEqual(65);
    expect(labels).toContain('other');
    expect(errorLabel('x'.repeat(65))).toBe('other');
    expect(errorLabel('a code with spaces')).toBe('other');
  });
});

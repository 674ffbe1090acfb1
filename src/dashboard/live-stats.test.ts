import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../store/request-record.js';
import { summarizeRecords } from '../store/request-summary.js';
import { LiveStats } from './live-stats.js';

const T0 = 1_700_000_000_000;

function rec(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: T0 + i * 1000,
    requestId: `req_${i}`,
    endpoint: 'chat',
    deployment: i % 3 ? 'small' : 'big',
    servedModel: i % 3 ? 'small-sim' : 'big-sim',
    attempts:
      i % 4 === 0
        ? [
            { deployment: 'big', model: 'big-sim', outcome: 'error', latencyMs: 2 },
            { deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.5 },
          ]
        : [{ deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.5 }],
    stream: i % 2 === 0,
    promptTokens: 10 + i,
    cachedTokens: i % 5,
    completionTokens: 5 + i,
    reasoningTokens: i % 2,
    costUsd: 0.001 * i,
    baselineCostUsd: 0.01 * i,
    ttftMs: i % 2 === 0 ? 12.5 + i : undefined,
    latencyMs: 20 + i * 0.25,
    status: i % 7 === 0 ? 429 : 200,
    ...(i % 3 === 1 ? { cache: i % 6 === 1 ? ('hit' as const) : ('miss' as const) } : {}),
    ...extra,
  };
}

describe('LiveStats', () => {
  it('summarises the newest records exactly as the report does, across the ring wrapping', () => {
    const stats = new LiveStats(8);
    const all = Array.from({ length: 21 }, (_, i) => rec(i + 1));
    for (const r of all) stats.record(r);
    const kept = all.slice(-8);
    const since = T0;
    const o = stats.overview(since, 5000);
    const want = summarizeRecords(kept, 'model', since, Date.now());
    expect(o.requests).toBe(8);
    expect(o.costUsd).toBeCloseTo(want.costUsd, 12);
    expect(o.baselineCostUsd).toBeCloseTo(want.baselineCostUsd, 12);
    expect(o.errorRate).toBe(want.errorRate);
    expect(o.failoverRate).toBe(want.failoverRate);
    expect(o.cacheHits).toBe(kept.filter((r) => r.cache === 'hit').length);
    expect(o.cacheHits).toBeGreaterThan(0);
    expect(o.cacheHitRate).toBe(want.cacheHitRate);
    expect(o.models).toEqual(want.groups);
    expect(
      o.series.reduce((n, b) => n + Object.values(b.byModel).reduce((a, c) => a + c, 0), 0),
    ).toBe(8);
    expect(o.series.reduce((n, b) => n + b.failovers, 0)).toBe(
      kept.filter((r) => r.attempts.length > 1).length,
    );
  });

  it('a lone failed call is an error, not a failover; a 400 after one is no invalid request', () => {
    // Ops audit F3 (2026-12-06): one deployment failing 500 read as "100% failovers".
    const failed = (i: number, status: number, ...more: RequestRecord['attempts']) =>
      rec(i, {
        status,
        attempts: [
          {
            deployment: 'big',
            model: 'big-sim',
            outcome: 'error',
            httpStatus: status,
            latencyMs: 2,
          },
          ...more,
        ],
      });
    const records = [
      failed(1, 500),
      failed(2, 400),
      failed(3, 502, { deployment: 'mid', model: 'mid-sim', outcome: 'skipped', latencyMs: 0 }),
      failed(5, 200, { deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3 }),
    ];
    const stats = new LiveStats(8);
    for (const r of records) stats.record(r);
    const o = stats.overview(T0, 5000);
    const report = summarizeRecords(records, 'model', T0, Date.now());
    for (const s of [o, report]) {
      expect(s.failoverRate).toBe(1 / 4);
      expect(s.errorRate).toBe(3 / 4);
    }
    expect(report.invalidRequests).toBe(0);
    expect(o.series.reduce((n, b) => n + b.failovers, 0)).toBe(1);
  });

  it('leaves out records older than the window and groups by bucket start', () => {
    const stats = new LiveStats(100);
    for (let i = 1; i <= 10; i++) stats.record(rec(i));
    const o = stats.overview(T0 + 6000, 2000);
    expect(o.requests).toBe(5);
    expect(o.series.map((b) => b.t)).toEqual([T0 + 6000, T0 + 8000, T0 + 10_000]);
    expect(o.series.map((b) => b.errors)).toEqual([1, 0, 0]);
    stats.record(rec(10, { status: 499 }));
    expect(stats.overview(T0 + 6000, 2000).series.map((b) => b.errors)).toEqual([1, 0, 0]);
  });

  it("gives the router's overhead of the window's chat requests that measured it: count, median, p99", () => {
    const stats = new LiveStats(200);
    // 100 chat requests at 10, 20, …, 1,000 µs, and others (an embeddings request) with none.
    for (let i = 1; i <= 100; i++) stats.record(rec(i, { overheadMicros: i * 10 }));
    for (let i = 101; i <= 120; i++) stats.record(rec(i, { endpoint: 'embeddings' }));
    const o = stats.overview(T0, 60_000);
    expect(o.requests).toBe(120);
    expect(o.overhead?.requests).toBe(100);
    expect(o.overhead?.p50Ms).toBeCloseTo(0.5, 6);
    expect(o.overhead?.p99Ms).toBeCloseTo(0.99, 6);
    // Only the window's: the last 10 (910–1,000 µs) of those that measured it.
    expect(stats.overview(T0 + 91_000, 60_000).overhead).toMatchObject({ requests: 10 });
    expect(stats.overview(T0 + 101_000, 60_000).overhead).toBeUndefined();
  });

  it('counts served-model names past its limit together instead of growing without bound', () => {
    const stats = new LiveStats(3000);
    for (let i = 0; i < 1100; i++) stats.record(rec(1, { servedModel: `m${i}` }));
    const o = stats.overview(0, 60_000);
    expect(o.models).toHaveLength(1024);
    expect(o.models.find((g) => g.key === '(other)')?.requests).toBe(1100 - 1023);
  });

  it('says from when its records are complete: since it started, then since the latest it dropped', () => {
    const stats = new LiveStats(4, T0 - 5000);
    expect(stats.coverage()).toEqual({ from: T0 - 5000, reason: 'started', capacity: 4 });
    // Records come as requests finish, not in the order they started: 3 started before 2.
    for (const i of [1, 3, 2, 4]) stats.record(rec(i));
    expect(stats.coverage().reason).toBe('started');
    stats.record(rec(5)); // drops 1
    expect(stats.coverage()).toEqual({ from: T0 + 1000, reason: 'capacity', capacity: 4 });
    stats.record(rec(6)); // drops 3, which started after 2 (still held): nothing before 3 is sure
    expect(stats.coverage().from).toBe(T0 + 3000);
    stats.record(rec(7)); // drops 2: the latest dropped is still 3
    expect(stats.coverage().from).toBe(T0 + 3000);
  });
});

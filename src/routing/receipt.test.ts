import { describe, expect, it } from 'vitest';
import { DecisionStore, buildReceipt } from './receipt.js';

function stored(id: string, tenant?: string, requestId = `req_${id}`) {
  return buildReceipt({
    id,
    time: 1,
    requestId,
    ...(tenant !== undefined ? { tenant } : {}),
    router: 'model-router',
    decision: {
      mode: 'balanced',
      version: 'v1',
      band: 0.9,
      ordered: ['small', 'big'],
      scores: [
        {
          deployment: 'small',
          predictedQuality: 0.95,
          predictedCostUsd: 0.001,
          expectedOutputTokens: 100,
        },
        {
          deployment: 'big',
          predictedQuality: 1,
          predictedCostUsd: 0.01,
          expectedOutputTokens: 100,
        },
      ],
      reason: 'small is cheap enough',
      topDeployment: 'big',
    },
    checks: [
      { deployment: 'small', failed: [] },
      { deployment: 'big', failed: [] },
      { deployment: 'vision-only', failed: ['context_window'] },
    ],
  });
}

describe('DecisionStore', () => {
  it('writes the summary out when a receipt is read, from what the receipt holds then', () => {
    const store = new DecisionStore(10);
    const r = stored('d1');
    store.put(r);
    expect(r).not.toHaveProperty('summary');
    r.servedBy = 'big';
    const got = store.get('d1')!;
    expect(got.servedBy).toBe('big');
    expect(got.summary).toBe(
      'Router model-router in balanced mode picked small: small is cheap enough. Fallbacks in order: big. Excluded: vision-only (context_window).',
    );
  });

  it('keeps candidates packed and gives them back as they were scored', () => {
    const r = stored('d2');
    expect(r).not.toHaveProperty('candidates');
    const store = new DecisionStore(10);
    store.put(r);
    expect(store.get('d2')!.candidates).toEqual([
      {
        deployment: 'small',
        eligible: true,
        failedRules: [],
        predictedQuality: 0.95,
        predictedCostUsd: 0.001,
        expectedOutputTokens: 100,
      },
      {
        deployment: 'big',
        eligible: true,
        failedRules: [],
        predictedQuality: 1,
        predictedCostUsd: 0.01,
        expectedOutputTokens: 100,
      },
      {
        deployment: 'vision-only',
        eligible: false,
        failedRules: [
          {
            rule: 'context_window',
            description: 'prompt plus requested output does not fit its context window',
          },
        ],
        predictedQuality: undefined,
        predictedCostUsd: undefined,
        expectedOutputTokens: undefined,
      },
    ]);
    expect(Object.keys(store.get('d2')!)).toEqual([
      'id',
      'time',
      'requestId',
      'router',
      'mode',
      'version',
      'band',
      'pick',
      'fallbacks',
      'candidates',
      'reason',
      'attempts',
      'sessionAffinity',
      'servedBy',
      'summary',
    ]);
  });

  it('evicts the oldest past its capacity and lists the newest first', () => {
    const store = new DecisionStore(3);
    for (const id of ['a', 'b', 'c', 'd']) store.put(stored(id));
    expect(store.get('a')).toBeUndefined();
    expect(store.recent(10).map((r) => r.id)).toEqual(['d', 'c', 'b']);
    expect(store.recent(2).map((r) => [r.id, typeof r.summary])).toEqual([
      ['d', 'string'],
      ['c', 'string'],
    ]);
  });

  it("finds a request's latest receipt by its request id within the caller's tenant only", () => {
    const store = new DecisionStore(3);
    store.put(stored('d1', 'acme', 'req_1'));
    store.put(stored('d2', 'acme', 'req_1')); // the same request routed again (a fallback model)
    store.put(stored('d3', 'other', 'req_3'));
    expect(store.forRequest('acme', 'req_1')?.id).toBe('d2');
    expect(store.forRequest('other', 'req_1')).toBeUndefined();
    expect(store.forRequest('acme', 'req_3')).toBeUndefined();
    expect(store.forRequest('other', 'req_3')?.id).toBe('d3');
    expect(store.forRequest('other', 'req_3')).not.toHaveProperty('tenant');
    // Evicting d1 keeps req_1 pointing at d2; evicting d2 forgets req_1.
    store.put(stored('d4', 'acme', 'req_4'));
    expect(store.forRequest('acme', 'req_1')?.id).toBe('d2');
    store.put(stored('d5', 'acme', 'req_5'));
    expect(store.forRequest('acme', 'req_1')).toBeUndefined();
    // A receipt without a tenant is found by its decision id only.
    store.put(stored('d6'));
    expect(store.get('d6')?.requestId).toBe('req_d6');
    expect(store.forRequest('undefined', 'req_d6')).toBeUndefined();
  });
});

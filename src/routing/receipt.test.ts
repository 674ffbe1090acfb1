import { describe, expect, it } from 'vitest';
import { DecisionStore, buildReceipt } from './receipt.js';

function stored(id: string) {
  return buildReceipt({
    id,
    time: 1,
    requestId: `req_${id}`,
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
});

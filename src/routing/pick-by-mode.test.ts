import { describe, expect, it } from 'vitest';
import {
  orderByMode,
  pickByMode,
  tradeoffCharge,
  type Bands,
  type ScoredCandidate,
} from './pick-by-mode.js';

const tradeoff = (balanced: number, cost = balanced - 0.1): Bands => ({
  balanced,
  cost,
  rule: 'tradeoff',
});

describe('the tradeoff rule', () => {
  // Relative qualities (best single model averages 1); costs in USD.
  const ref: ScoredCandidate = { name: 'big', quality: 1.0, cost: 0.01, reference: true };
  const small: ScoredCandidate = { name: 'small', quality: 0.97, cost: 0.001 };
  const tiny: ScoredCandidate = { name: 'tiny', quality: 0.93, cost: 0.0001 };

  it('takes a cheaper model when the quality it gives up is less than the charge on the cost it saves', () => {
    // band 0.95: charge 0.05 per reference-cost. small: 0.97 − 0.005 = 0.965 beats big: 1 − 0.05.
    expect(orderByMode([ref, small, tiny], 'balanced', tradeoff(0.95))).toEqual([
      'small',
      'big',
      'tiny',
    ]);
    // band 0.99: charge 0.01. big: 0.99 beats small: 0.969 — the quality gap is worth the price.
    expect(orderByMode([ref, small, tiny], 'balanced', tradeoff(0.99))[0]).toBe('big');
    // Cost band 0.7: small 0.97 − 0.03 = 0.94 beats tiny 0.93 − 0.003; at 0.5, tiny 0.925 beats 0.92.
    expect(orderByMode([ref, small, tiny], 'cost', tradeoff(0.95, 0.7))[0]).toBe('small');
    expect(orderByMode([ref, small, tiny], 'cost', tradeoff(0.95, 0.5))[0]).toBe('tiny');
  });

  it('pays for a better model that costs no more than the reference when it is worth it', () => {
    const better: ScoredCandidate = { name: 'better-cheap', quality: 1.05, cost: 0.002 };
    expect(orderByMode([ref, small, better], 'balanced', tradeoff(0.98))[0]).toBe('better-cheap');
    const dear: ScoredCandidate = { name: 'dear', quality: 1.02, cost: 0.05 };
    // dear: 1.02 − 0.02 × 5 = 0.92 loses to big's 0.98.
    expect(orderByMode([ref, dear], 'balanced', tradeoff(0.98))[0]).toBe('big');
    // Even when its net value is higher, a model dearer than the reference is only a fallback.
    const much: ScoredCandidate = { name: 'much-better', quality: 1.5, cost: 0.011 };
    expect(orderByMode([much, ref, small], 'balanced', tradeoff(0.99))).toEqual([
      'big',
      'small',
      'much-better',
    ]);
  });

  it('scales the charge with the quality scale of the predictions (raw grades in training)', () => {
    const raw = [
      { ...ref, quality: 0.5 },
      { ...small, quality: 0.485 },
    ];
    // On a 0.5 scale the same band charges half as much quality.
    expect(orderByMode(raw, 'balanced', { ...tradeoff(0.99), scale: 0.5 })[0]).toBe('big');
    expect(orderByMode(raw, 'balanced', { ...tradeoff(0.95), scale: 0.5 })[0]).toBe('small');
    expect(tradeoffCharge(raw, raw[0]!, 0.95, 0.5)).toBeCloseTo((0.05 * 0.5) / 0.01, 12);
  });

  it('charges nothing at band 1 or when every candidate is free, and prices a free reference by the dearest', () => {
    expect(orderByMode([ref, small], 'balanced', tradeoff(1, 1))[0]).toBe('big');
    const free = [
      { ...ref, cost: 0 },
      { ...small, cost: 0 },
    ];
    expect(tradeoffCharge(free, free[0]!, 0.9, 1)).toBe(0);
    expect(orderByMode(free, 'cost', tradeoff(0.9, 0.5))[0]).toBe('big');
    const freeRef = [{ ...ref, cost: 0 }, small];
    expect(tradeoffCharge(freeRef, freeRef[0]!, 0.9, 1)).toBeCloseTo(0.1 / 0.001, 9);
  });

  it('breaks exact ties on cost, then name, whatever the input order', () => {
    const a = { name: 'a', quality: 0.9, cost: 0.001 };
    const b = { name: 'b', quality: 0.9, cost: 0.001 };
    expect(orderByMode([ref, b, a], 'balanced', tradeoff(0.9))).toEqual(
      orderByMode([a, ref, b], 'balanced', tradeoff(0.9)),
    );
  });

  it('under tradeoff-margin, a model other than the reference first gives up the quality margin', () => {
    // Priced like the reference and predicted a little better: nothing is saved by leaving it.
    const twin = { name: 'twin', quality: 1.02, cost: 0.01 };
    const margin = (balanced: number): Bands => ({
      ...tradeoff(balanced),
      rule: 'tradeoff-margin',
      qualityMargin: 0.03,
    });
    expect(orderByMode([ref, twin], 'balanced', tradeoff(0.95))[0]).toBe('twin');
    expect(
      orderByMode([ref, twin], 'balanced', { ...tradeoff(0.95), qualityMargin: 0.03 })[0],
    ).toBe('twin');
    expect(orderByMode([ref, twin, small], 'balanced', margin(0.99))).toEqual([
      'big',
      'twin',
      'small',
    ]);
    expect(orderByMode([ref, { ...twin, quality: 1.04 }], 'balanced', margin(0.95))[0]).toBe(
      'twin',
    );
    // A cheaper model still wins when the cost it saves pays for the margin as well.
    // (Net of the charge, small is ahead of big by 0.9 × (1 − band) − 0.03, less the margin.)
    expect(orderByMode([ref, small], 'balanced', margin(0.9))[0]).toBe('small');
    expect(orderByMode([ref, small], 'balanced', margin(0.95))[0]).toBe('big');
    expect(orderByMode([ref, small], 'balanced', tradeoff(0.95))[0]).toBe('small');
  });

  it('leaves Quality mode to the margin rule', () => {
    const better = { name: 'better', quality: 1.03, cost: 0.02 };
    expect(
      orderByMode([ref, better], 'quality', { ...tradeoff(0.9), qualityMargin: 0.05 })[0],
    ).toBe('big');
    expect(
      orderByMode([ref, better], 'quality', { ...tradeoff(0.9), qualityMargin: 0.01 })[0],
    ).toBe('better');
  });
});

describe('where Quality mode holds', () => {
  const ref: ScoredCandidate = { name: 'big', quality: 1.0, cost: 0.01, reference: true };
  const better: ScoredCandidate = { name: 'better', quality: 1.2, cost: 0.02 };
  const twin: ScoredCandidate = { name: 'twin', quality: 1.2, cost: 0.01 };
  const small: ScoredCandidate = { name: 'small', quality: 0.97, cost: 0.001 };
  const holds: Bands = {
    ...tradeoff(0.9),
    rule: 'tradeoff-margin',
    qualityMargin: 0.01,
    qualityHolds: true,
  };

  it('Quality mode keeps the reference, however much better another is predicted, and orders the rest by quality', () => {
    expect(orderByMode([small, better, ref, twin], 'quality', holds)).toEqual([
      'big',
      'twin',
      'better',
      'small',
    ]);
    expect(orderByMode([small, better, ref], 'quality', { ...holds, qualityHolds: false })[0]).toBe(
      'better',
    );
    // Without the reference among the candidates, the highest predicted quality leads as before.
    expect(orderByMode([small, better, twin], 'quality', holds)).toEqual([
      'twin',
      'better',
      'small',
    ]);
  });

  it('the saving modes do not lead with a model priced like the reference, and still save with a cheaper one', () => {
    expect(orderByMode([twin, ref], 'balanced', holds)[0]).toBe('big');
    expect(orderByMode([twin, ref], 'balanced', { ...holds, qualityHolds: false })[0]).toBe('twin');
    expect(orderByMode([twin, ref, small], 'cost', { ...holds, cost: 0.5 })[0]).toBe('small');
  });
});

describe('where a saving mode holds (calibrate-bands found no band that keeps its promise)', () => {
  const ref: ScoredCandidate = { name: 'big', quality: 1.0, cost: 0.01, reference: true };
  const better: ScoredCandidate = { name: 'better', quality: 1.2, cost: 0.005 };
  const small: ScoredCandidate = { name: 'small', quality: 0.99, cost: 0.001 };
  const dear: ScoredCandidate = { name: 'dear', quality: 1.3, cost: 0.05 };
  const bands: Bands = { ...tradeoff(0.5), rule: 'tradeoff-margin', qualityMargin: 0.01 };

  it('leads with the reference, the others following in the order of the mode', () => {
    const routed = orderByMode([small, dear, better, ref], 'balanced', bands);
    expect(routed[0]).not.toBe('big');
    const held = orderByMode([small, dear, better, ref], 'balanced', {
      ...bands,
      balancedHolds: true,
    });
    expect(held).toEqual(['big', ...routed.filter((n) => n !== 'big')]);
    expect(
      pickByMode([small, dear, better, ref], 'balanced', { ...bands, balancedHolds: true }),
    ).toBe('big');
    // Each mode holds on its own flag.
    expect(pickByMode([small, better, ref], 'cost', { ...bands, balancedHolds: true })).not.toBe(
      'big',
    );
    expect(pickByMode([small, better, ref], 'cost', { ...bands, costHolds: true })).toBe('big');
    expect(pickByMode([small, better, ref], 'balanced', { ...bands, costHolds: true })).not.toBe(
      'big',
    );
    // Under the ratio rule too.
    const ratio: Bands = { balanced: 0.9, cost: 0.8, balancedHolds: true };
    expect(orderByMode([small, ref], 'balanced', { ...ratio, balancedHolds: false })[0]).toBe(
      'small',
    );
    expect(orderByMode([small, ref], 'balanced', ratio)).toEqual(['big', 'small']);
  });

  it('without the reference among the candidates, routes by the band as before', () => {
    const held = { ...bands, balancedHolds: true, costHolds: true };
    for (const mode of ['balanced', 'cost'] as const)
      expect(orderByMode([small, dear, better], mode, held)).toEqual(
        orderByMode([small, dear, better], mode, bands),
      );
  });
});

describe('pickByMode', () => {
  it('picks what orderByMode puts first, for every mode and rule, ties included', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // Coarse values so that equal qualities, costs and net values (ties) are common.
    const coarse = (scale: number) => Math.round(rand() * 4) * scale;
    let compared = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const n = 1 + Math.floor(rand() * 6);
      const candidates: ScoredCandidate[] = Array.from({ length: n }, (_, i) => ({
        name: `m${(i * 7 + trial) % n}`,
        quality: 0.5 + coarse(0.1),
        cost: coarse(0.001),
        reference: i === trial % (n + 1),
      }));
      const bands: Bands = {
        balanced: 0.5 + coarse(0.2),
        cost: 0.2 + coarse(0.2),
        qualityMargin: coarse(0.02),
        rule: (['ratio', 'tradeoff', 'tradeoff-margin'] as const)[trial % 3],
        scale: 1,
        ...(trial % 5 < 2 ? { qualityHolds: true } : {}),
        ...(trial % 7 === 1 ? { balancedHolds: true } : {}),
        ...(trial % 11 === 2 ? { costHolds: true } : {}),
      };
      for (const mode of ['quality', 'balanced', 'cost'] as const) {
        expect(pickByMode(candidates, mode, bands)).toBe(orderByMode(candidates, mode, bands)[0]);
        compared++;
      }
    }
    expect(compared).toBe(9000);
  });
});

describe('pick by mode', () => {
  const c = [
    { name: 'top', quality: 0.9, cost: 10, reference: true },
    { name: 'mid', quality: 0.86, cost: 2 },
    { name: 'low', quality: 0.7, cost: 0.5 },
  ];
  it('quality picks the best predicted; balanced the cheapest within its band; cost a wider band', () => {
    const bands = { balanced: 0.95, cost: 0.75, qualityMargin: 0.01 };
    expect(orderByMode(c, 'quality', bands)).toEqual(['top', 'mid', 'low']);
    expect(orderByMode(c, 'balanced', bands)).toEqual(['mid', 'top', 'low']);
    expect(orderByMode(c, 'cost', bands)).toEqual(['low', 'mid', 'top']);
  });
  it('breaks ties deterministically', () => {
    const tie = [
      { name: 'b', quality: 0.8, cost: 1 },
      { name: 'a', quality: 0.8, cost: 1 },
    ];
    expect(orderByMode(tie, 'balanced', { balanced: 0.9, cost: 0.8 })).toEqual(['a', 'b']);
    expect(orderByMode([...tie].reverse(), 'balanced', { balanced: 0.9, cost: 0.8 })).toEqual([
      'a',
      'b',
    ]);
  });
});

// Head variants: task-mean targets, and when they are offered.
import { describe, expect, it } from 'vitest';
import { smoothedTargets } from './heads.js';
import { headVariants } from './training-plan.js';
import { dataRow } from '../test/helpers/data-rows.js';

describe('task-mean targets', () => {
  it('draws each grade toward its source mean, shrunk toward the overall mean by 20 prompts', () => {
    // Source a: 10 prompts, all 1. Source b: 30 prompts, 6 right. Overall mean 16/40 = 0.4.
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => dataRow(i, 'x/a', 1)),
      ...Array.from({ length: 30 }, (_, i) => dataRow(10 + i, 'x/b', i < 6 ? 1 : 0)),
    ];
    const t = smoothedTargets(rows, 'm', 0.8);
    const meanA = (10 + 20 * 0.4) / 30;
    const meanB = (6 + 20 * 0.4) / 50;
    expect(t[0]).toBeCloseTo(0.2 * 1 + 0.8 * meanA, 12);
    expect(t[10]).toBeCloseTo(0.2 * 1 + 0.8 * meanB, 12);
    expect(t[39]).toBeCloseTo(0.8 * meanB, 12);
    expect([...smoothedTargets(rows, 'm', 0)]).toEqual(rows.map((r) => r.scores.m));
  });

  it('is offered only when a group has two sources with enough prompts, and never over explicit settings', () => {
    const one = Array.from({ length: 60 }, (_, i) => dataRow(i, 'x/a', i % 2));
    expect(headVariants(one, { seed: 1 }).map((v) => v.name)).toEqual(['grades']);
    const two = [...one, ...Array.from({ length: 20 }, (_, i) => dataRow(60 + i, 'x/b', 1))];
    expect(headVariants(two, { seed: 1 }).map((v) => v.name)).toEqual(['grades', 'task-means']);
    const thin = [...one, ...Array.from({ length: 19 }, (_, i) => dataRow(60 + i, 'x/b', 1))];
    expect(headVariants(thin, { seed: 1 }).map((v) => v.name)).toEqual(['grades']);
    expect(headVariants(two, { seed: 1, c: 1 })).toEqual([
      { name: 'fixed', settings: { c: 1, sourceSmoothing: undefined } },
    ]);
  });
});

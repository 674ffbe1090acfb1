// The training budget: how a group steps down to fit it, and, for a file of very many models,
// heads fitted on a sample of the prompts.
import { describe, expect, it } from 'vitest';
import { DENSE_SIZE } from '../src/routing/features.js';
import { promptHash } from './prompt-hash.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { featurize, hashSizeFor } from './heads.js';
import { learnIdf } from '../src/routing/term-weights.js';
import { trainArtefact } from './train-artefact.js';
import { SAMPLE_MIN_PROMPTS, WORK_BUDGET, trainingPlans } from './training-plan.js';
import { dataRow } from '../test/helpers/data-rows.js';

describe('the training budget', () => {
  // Two sources of 40 prompts each, so both head variants are offered.
  const rows = Array.from({ length: 80 }, (_, i) => ({
    ...dataRow(i, i < 40 ? 'x/a' : 'x/b', i % 3 === 0 ? 1 : 0),
    prompt: `${i < 40 ? 'solve the sum' : 'name the city'} number ${i} ${'word '.repeat(i % 7)}`,
    scores: { m: i % 3 === 0 ? 1 : 0, n: i % 2 },
  }));
  const plan = (work: number, budget: number, extra = {}) =>
    trainingPlans([{ group: 'g', rows, nonZeros: work, pool: ['m'] }], {
      seed: 1,
      workBudget: budget,
      ...extra,
    }).get('g')!;

  it('steps a group down to fewer folds, one variant, 2 folds, a hold-out, shorter fits, only as far as needed', () => {
    // Work per plan = non-zeros × models × (variants × (folds − 1) + 1), or with a hold-out
    // (variants × the share fitted + 1), × the iteration cap / 100: 9, 5, 3, 2, 1.4 and 0.7 units.
    const steps = [9, 5, 3, 2, 1.4, 0.7].map((units) => plan(1, units));
    expect(
      steps.map((p) => [
        p.variants.map((v) => v.name),
        p.folds,
        p.calibrationFraction,
        p.maxIterations,
        Number(p.work.toFixed(6)),
      ]),
    ).toEqual([
      [['grades', 'task-means'], 5, 0.3, 100, 9],
      [['grades', 'task-means'], 3, 0.3, 100, 5],
      [['grades'], 3, 0.3, 100, 3],
      [['grades'], 2, 0.3, 100, 2],
      [['grades'], 0, 0.6, 100, 1.4],
      [['grades'], 0, 0.6, 50, 0.7],
    ]);
    expect(plan(1, 8.9).folds).toBe(3);
    expect(steps.map((p) => p.reduced)).toEqual([false, true, true, true, true, true]);
    // Nothing is cheaper than the last step; explicit folds and iterations are never changed.
    expect(plan(1, 0.5)).toMatchObject({ folds: 0, maxIterations: 50 });
    expect(plan(1, 0.5, { calibrationFolds: 4 })).toMatchObject({ folds: 4, maxIterations: 100 });
    expect(plan(1, 0.5, { calibrationFolds: 4 }).variants).toHaveLength(2);
    expect(plan(1, 0.5, { maxIterations: 80 })).toMatchObject({ folds: 0, maxIterations: 80 });
  });

  it('takes the heaviest group down first and leaves the others as they are', () => {
    const plans = trainingPlans(
      [
        { group: 'big', rows, nonZeros: 100, pool: Array.from({ length: 10 }, (_, i) => `m${i}`) },
        { group: 'small', rows, nonZeros: 10, pool: ['m', 'n'] },
      ],
      // big alone: 9,000 units at full settings; small: 230 (180, and 50 for its pair head).
      { seed: 1, workBudget: 5_500 },
    );
    expect(plans.get('big')).toMatchObject({ folds: 3, work: 5_000 });
    expect(plans.get('small')).toMatchObject({ folds: 5, work: 230 });
    expect(WORK_BUDGET).toBeGreaterThan(178.4e6); // the shared files' total (docs/routing.md)
  });

  it('a group over the budget is trained on the smaller plan, and the run says so', () => {
    const prices = () =>
      new Map<string, Price>([
        ['m', { inputPer1M: 1, outputPer1M: 2 }],
        ['n', { inputPer1M: 0.1, outputPer1M: 0.2 }],
      ]);
    const groups = new Map([['g.jsonl', rows]]);
    const full = trainArtefact(groups, prices, { seed: 1 });
    expect(full.warnings).toEqual([]);
    expect(full.artefact.training['g.jsonl']).toMatchObject({ calibrationFolds: 5 });
    const events: string[] = [];
    const small = trainArtefact(groups, prices, {
      seed: 1,
      workBudget: 1,
      onWarning: () => events.push('warning'),
      onProgress: () => events.push('progress'),
    });
    // Said before the fitting starts, not after it.
    expect(events[0]).toBe('warning');
    expect(events.filter((e) => e === 'warning')).toHaveLength(1);
    expect(small.warnings).toEqual([
      expect.stringMatching(
        /^g\.jsonl: 80 prompts × 2 models is more fitting than the training budget allows; calibrating on a 60% hold-out with grades heads only, at most 50 iterations per head fit/,
      ),
    ]);
    const notes = small.artefact.training['g.jsonl'] as {
      calibrationFolds: number;
      calibrationFraction: number;
      maxIterations: number;
      variantsTried: { variant: string }[];
    };
    expect(notes).toMatchObject({
      calibrationFolds: 0,
      calibrationFraction: 0.6,
      maxIterations: 50,
    });
    expect(notes.variantsTried.map((v) => v.variant)).toEqual(['grades']);
    expect(small.artefact.models.map((m) => m.name)).toEqual(['m', 'n']);
  });
});

describe('a file of many models', () => {
  // 12,000 prompts of one source: the plan's last step (a 60% hold-out, 50 iterations) costs 0.7
  // units per non-zero and model.
  const many: DataRow[] = Array.from({ length: 12_000 }, (_, i) => ({
    ...dataRow(i, 'x/a', 0),
    prompt: `${i % 3 ? 'solve the sum' : 'name the city'} number ${i} ${'word '.repeat(i % 5)}`,
    scores: { m: i % 3 ? 1 : 0, n: i % 2 },
  }));
  const planFor = (budget: number, extra = {}) =>
    trainingPlans([{ group: 'g', rows: many, nonZeros: 1, pool: ['m'] }], {
      seed: 1,
      workBudget: budget,
      ...extra,
    }).get('g')!;

  it('past the last step fits the heads on a sample of the prompts, as large as the budget allows', () => {
    expect(planFor(0.7)).toMatchObject({ folds: 0, maxIterations: 50, sample: 1 });
    const half = planFor(0.35);
    expect(half).toMatchObject({ folds: 0, maxIterations: 50, sample: 0.5 });
    expect(half.work).toBeCloseTo(0.35, 12);
    // Never on fewer than SAMPLE_MIN_PROMPTS prompts (then over the budget, as before).
    expect(planFor(0.01).sample).toBe(SAMPLE_MIN_PROMPTS / many.length);
    // Explicit folds or iterations are kept, and nothing is sampled.
    expect(planFor(0.01, { calibrationFolds: 4 }).sample).toBe(1);
    expect(planFor(0.01, { maxIterations: 80 }).sample).toBe(1);
  });

  it('trains on the sample, says so, and notes it in the artefact', () => {
    const prices = () =>
      new Map<string, Price>([
        ['m', { inputPer1M: 1, outputPer1M: 2 }],
        ['n', { inputPer1M: 0.1, outputPer1M: 0.2 }],
      ]);
    const rows = many.slice(0, 6000);
    const groups = new Map([['g.jsonl', rows]]);
    // Counted on the rows as the heads read them: tf-idf, one index per distinct bucket.
    const idf = learnIdf(
      featurize(rows).map((r) => r.features),
      hashSizeFor(rows.length),
    );
    const nonZeros = featurize(rows, idf).reduce(
      (n, f) => n + f.features.indices.length + DENSE_SIZE,
      0,
    );
    // Two models at the last step: 2 × 0.7 units per non-zero, and their pair head (one head
    // more) 0.7; the budget allows 80% of that.
    const { artefact, warnings } = trainArtefact(groups, prices, {
      seed: 1,
      workBudget: nonZeros * 3 * 0.7 * 0.8,
    });
    const notes = artefact.training['g.jsonl'] as { sample: number; finalFit: number };
    expect(notes.sample).toBeCloseTo(0.8, 9);
    const inSample = rows.filter((r) => promptHash(r.prompt, 'sample:1') < notes.sample).length;
    expect(notes.finalFit).toBe(inSample);
    expect(inSample).toBeGreaterThan(0.75 * rows.length);
    expect(inSample).toBeLessThan(0.85 * rows.length);
    expect(warnings).toEqual([
      expect.stringContaining('and heads fitted on a sample of 80% of the prompts'),
    ]);
    expect(artefact.models.map((m) => m.name)).toEqual(['m', 'n']);
  });
});

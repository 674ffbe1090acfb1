import { describe, expect, it } from 'vitest';
import { routerSchema } from '../src/config/schema.js';
import { deploymentSchema } from '../src/config/deployment-schema.js';
import { DENSE_SIZE, extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { parseArtefact, serializeArtefact } from '../src/routing/routing-model.js';
import { coverageTrust, predictQuality } from '../src/routing/predict-quality.js';
import { createTrainedRouter } from '../src/routing/trained-router.js';
import { simDeployment } from '../test/helpers/test-config.js';
import { promptHash, type DataRow, type Price } from './dataset.js';
import { scoreTestRows } from './evaluate.js';
import { featurize, smoothedTargets } from './heads.js';
import {
  BEST_SINGLE_COVERAGE,
  MIN_SCORED_PROMPTS,
  bestSingleModel,
  modelStrengths,
} from './model-pool.js';
import { expertSources, trainExperts } from './source-heads.js';
import { trainArtefact } from './train-artefact.js';
import { SAMPLE_MIN_PROMPTS, WORK_BUDGET, headVariants, trainingPlans } from './training-plan.js';

function row(i: number, source: string, score: number): DataRow {
  return {
    id: `r${i}`,
    source,
    prompt: `prompt ${i}`,
    scores: { m: score },
    contaminated: false,
    group: 'g.jsonl',
  };
}

describe('task-mean targets', () => {
  it('draws each grade toward its source mean, shrunk toward the overall mean by 20 prompts', () => {
    // Source a: 10 prompts, all 1. Source b: 30 prompts, 6 right. Overall mean 16/40 = 0.4.
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => row(i, 'x/a', 1)),
      ...Array.from({ length: 30 }, (_, i) => row(10 + i, 'x/b', i < 6 ? 1 : 0)),
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
    const one = Array.from({ length: 60 }, (_, i) => row(i, 'x/a', i % 2));
    expect(headVariants(one, { seed: 1 }).map((v) => v.name)).toEqual(['grades']);
    const two = [...one, ...Array.from({ length: 20 }, (_, i) => row(60 + i, 'x/b', 1))];
    expect(headVariants(two, { seed: 1 }).map((v) => v.name)).toEqual(['grades', 'task-means']);
    const thin = [...one, ...Array.from({ length: 19 }, (_, i) => row(60 + i, 'x/b', 1))];
    expect(headVariants(thin, { seed: 1 }).map((v) => v.name)).toEqual(['grades']);
    expect(headVariants(two, { seed: 1, c: 1 })).toEqual([
      { name: 'fixed', settings: { c: 1, sourceSmoothing: undefined } },
    ]);
  });
});

describe('the training budget', () => {
  // Two sources of 40 prompts each, so both head variants are offered.
  const rows = Array.from({ length: 80 }, (_, i) => ({
    ...row(i, i < 40 ? 'x/a' : 'x/b', i % 3 === 0 ? 1 : 0),
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
      // big alone: 9,000 units at full settings; small: 180.
      { seed: 1, workBudget: 5_500 },
    );
    expect(plans.get('big')).toMatchObject({ folds: 3, work: 5_000 });
    expect(plans.get('small')).toMatchObject({ folds: 5, work: 180 });
    expect(WORK_BUDGET).toBeGreaterThan(157e6); // the shared files' total (docs/routing.md)
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
    ...row(i, 'x/a', 0),
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
    const nonZeros = featurize(rows).reduce(
      (n, f) => n + f.features.indices.length + DENSE_SIZE,
      0,
    );
    // Two models at the last step: 2 × 0.7 units per non-zero; the budget allows 80% of that.
    const { artefact, warnings } = trainArtefact(groups, prices, {
      seed: 1,
      workBudget: nonZeros * 2 * 0.7 * 0.8,
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

describe('models scored on part of a file', () => {
  // 400 prompts: `strong` right on 80%, `weak` on 50%; `lucky` is scored on 20 prompts, all right.
  const rows: DataRow[] = Array.from({ length: 400 }, (_, i) => ({
    ...row(i, i % 2 ? 'x/a' : 'x/b', 0),
    prompt: `${i % 2 ? 'solve the sum' : 'name the city'} number ${i}`,
    scores: {
      strong: i % 5 ? 1 : 0,
      weak: i % 2,
      ...(i % 20 === 0 ? { lucky: 1 } : {}),
    },
  }));
  const prices = () =>
    new Map<string, Price>([
      ['strong', { inputPer1M: 10, outputPer1M: 30 }],
      ['weak', { inputPer1M: 0.1, outputPer1M: 0.3 }],
      ['lucky', { inputPer1M: 0.01, outputPer1M: 0.01 }],
    ]);
  /** The 400 prompts with `strong` and `weak` as above and `extra(i)`'s models. */
  const withScores = (extra: (i: number) => Record<string, number>): DataRow[] =>
    rows.map((r, i) => ({
      ...r,
      scores: { strong: r.scores.strong!, weak: r.scores.weak!, ...extra(i) },
    }));

  it('are not the best single model unless scored on nearly as many prompts as any', () => {
    expect(BEST_SINGLE_COVERAGE).toBe(0.9);
    expect(bestSingleModel(rows, ['lucky', 'strong', 'weak'])).toBe('strong');
    // Scored on 90% of the prompts and better there: it is.
    const most = rows.map((r, i) => (i % 10 ? { ...r, scores: { ...r.scores, most: 1 } } : r));
    expect(bestSingleModel(most, ['most', 'strong', 'weak'])).toBe('most');
    const fewer = most.map((r, i) => (i % 10 === 1 ? { ...r, scores: { strong: 1, weak: 0 } } : r));
    expect(bestSingleModel(fewer, ['most', 'strong', 'weak'])).toBe('strong');
  });

  it('are left out of training, with a warning, when scored on too few prompts', () => {
    expect(MIN_SCORED_PROMPTS).toBe(200);
    const { artefact, warnings } = trainArtefact(new Map([['g.jsonl', rows]]), prices, {
      seed: 1,
    });
    expect(warnings).toEqual([
      'g.jsonl: model "lucky" is scored on 20 of 400 prompts, too few to fit its head with the others (200 needed); left out of the pool (add it to a trained artefact with `model-router calibrate`, from ~200 scored prompts)',
    ]);
    expect(artefact.models.map((m) => m.name).sort()).toEqual(['strong', 'weak']);
    expect(artefact.groups[0]!.bestSingle).toBe('strong');
    // The left-out model does not hold the others' per-source heads back either.
    expect(expertSources(rows)).toEqual(['x/a', 'x/b']);
    expect(artefact.training['g.jsonl']).toMatchObject({
      sourceHeads: { compared: [{ source: 'x/a' }, { source: 'x/b' }] },
    });
    // A small file needs half its prompts scored: 20 of 30 is enough.
    const small = rows.slice(0, 30).map((r, i) => ({
      ...r,
      scores: { strong: r.scores.strong!, weak: r.scores.weak!, ...(i % 3 ? { lucky: 1 } : {}) },
    }));
    // It is kept, though too partly scored to be the best single model (said, not refused).
    expect(trainArtefact(new Map([['g.jsonl', small]]), prices, { seed: 1 }).warnings).toEqual([
      'g.jsonl: model "lucky" is scored on 20 of 30 prompts, too few to be the best single model: it is not the reference beside the models that are, its head is levelled by how strong did on its prompts, it is trusted only on prompts like them, and `eval` can score it only where it is scored (mean 1.000 on its own prompts; strength 1.000 against strong\'s 0.800, measured where both are scored)',
    ]);
  });

  it('are measured against the best single model where both are scored, levelled for how their prompts were chosen, and never the reference beside it', () => {
    // `easy` is scored only where `strong` is right (320 prompts) and right on 87.5% of them: above
    // `strong`'s 0.8 on its own prompts, 0.125 below it where both are scored. `wide` is scored on
    // 320 prompts, among them the 80 that `strong` misses, and right on all: 0.25 above it there.
    const more = withScores((i) => ({
      ...(i % 5 ? { easy: i % 10 === 1 ? 0 : 1 } : {}),
      ...(i % 5 !== 1 ? { wide: 1 } : {}),
    }));
    const pool = ['easy', 'strong', 'weak', 'wide'];
    expect(bestSingleModel(more, pool)).toBe('strong');
    const strengths = modelStrengths(more, pool, 'strong');
    expect(strengths.get('strong')).toBe(0.8);
    expect(strengths.get('weak')).toBe(0.5);
    expect(strengths.get('easy')).toBeCloseTo(0.675, 10);
    expect(strengths.get('wide')).toBeCloseTo(1.05, 10);

    const { artefact, warnings } = trainArtefact(
      new Map([['g.jsonl', more]]),
      () =>
        new Map([
          ...prices(),
          ['easy', { inputPer1M: 0.01, outputPer1M: 0.01 }],
          ['wide', { inputPer1M: 20, outputPer1M: 60 }],
        ]),
      { seed: 1 },
    );
    expect(warnings).toEqual([
      'g.jsonl: model "easy" is scored on 320 of 400 prompts, too few to be the best single model: it is not the reference beside the models that are, its head is levelled by how strong did on its prompts, it is trusted only on prompts like them, and `eval` can score it only where it is scored (mean 0.875 on its own prompts; strength 0.675 against strong\'s 0.800, measured where both are scored)',
      'g.jsonl: model "wide" is scored on 320 of 400 prompts, too few to be the best single model: it is not the reference beside the models that are, its head is levelled by how strong did on its prompts, it is trusted only on prompts like them, and `eval` can score it only where it is scored (mean 1.000 on its own prompts; strength 1.050 against strong\'s 0.800, measured where both are scored)',
    ]);
    const head = (name: string) => artefact.models.find((m) => m.name === name)!;
    for (const m of artefact.models) expect(m.meanScore).toBeCloseTo(strengths.get(m.name)!, 10);
    expect(artefact.models.filter((m) => m.partial).map((m) => m.name)).toEqual(['easy', 'wide']);
    const reread = parseArtefact(serializeArtefact(artefact));
    expect(reread.models.filter((m) => m.partial).map((m) => m.name)).toEqual(['easy', 'wide']);
    // Levelled: on `easy`'s prompts `strong` was right every time, above what its head predicts
    // there; `easy`'s head predicts its 0.875 less that excess, not the 0.875 it was fitted to.
    const featured = featurize(more);
    const meanOn = (name: string, model: string) => {
      const on = featured.filter((r) => r.row.scores[model] !== undefined);
      return on.reduce((a, r) => a + predictQuality(head(name), r.features), 0) / on.length;
    };
    const excess = 1 - meanOn('strong', 'easy');
    expect(excess).toBeGreaterThan(0.1);
    expect(meanOn('easy', 'easy')).toBeCloseTo(0.875 - excess, 6);
    // Serving anchors on the strongest candidate that is not partial: `strong`, though `wide` is
    // stronger where both are scored; among partial candidates alone, the stronger of them.
    const router = createTrainedRouter(artefact);
    const deployment = (name: string) =>
      deploymentSchema.parse(
        simDeployment(name, {
          prices: prices().get(name) ?? { inputPer1M: name === 'easy' ? 0.01 : 20, outputPer1M: 1 },
        }),
      );
    const referenceAmong = (names: string[]) =>
      router.decide({
        request: requestFromPrompt('solve the sum number 7'),
        router: routerSchema.parse({ modelSubset: names }),
        mode: 'balanced',
        candidates: names.map(deployment),
        promptTokens: 10,
      }).topDeployment;
    expect(referenceAmong(['easy', 'strong', 'weak'])).toBe('strong');
    expect(referenceAmong(['easy', 'strong', 'weak', 'wide'])).toBe('strong');
    expect(referenceAmong(['easy', 'weak', 'wide'])).toBe('weak');
    expect(referenceAmong(['easy', 'wide'])).toBe('wide');
    // Beside a deployment the artefact does not know (scored at 0.5 relative), by strength.
    expect(referenceAmong(['easy', 'stranger'])).toBe('easy');
    // The operator is told when a partial model stronger than the trained ones is passed over.
    const names = ['easy', 'strong', 'weak', 'wide'];
    const notes = router.describeSubset!(
      routerSchema.parse({ name: 'r', modelSubset: names }),
      names.map(deployment),
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(
      'deployment wide maps to g.jsonl:wide, which is stronger on average',
    );
    // Calibration and `eval` anchor on the best single model, as serving does with it present.
    const { outcomes } = scoreTestRows(artefact, more);
    expect(outcomes).toHaveLength(400);
    for (const o of outcomes) expect(o.bestSingle).toBe('strong');
  });

  it('are trusted only on prompts like those they were scored on (coverage heads)', () => {
    // `solver` is scored on the 200 "solve the sum" prompts only, right on every one: fitted on
    // them alone, its head would predict it right on the "name the city" prompts too.
    const data = withScores((i): Record<string, number> => (i % 2 ? { solver: 1 } : {}));
    const { artefact } = trainArtefact(
      new Map([['g.jsonl', data]]),
      () => new Map([...prices(), ['solver', { inputPer1M: 0.01, outputPer1M: 0.01 }]]),
      { seed: 1 },
    );
    const solver = artefact.models.find((m) => m.name === 'solver')!;
    expect(solver.partial).toBe(true);
    expect(solver.coverage!.typical).toBeGreaterThan(0.8);
    const features = (prompt: string) => extractFeatures(requestFromPrompt(prompt));
    const sum = features('solve the sum number 1001');
    const city = features('name the city number 1002');
    expect(coverageTrust(solver, sum)).toBe(1);
    expect(coverageTrust(solver, city)).toBeLessThan(0.1);
    expect(predictQuality(solver, city)).toBeGreaterThan(0.5);
    // The coverage head is saved with the artefact.
    const reread = parseArtefact(serializeArtefact(artefact)).models.find(
      (m) => m.name === 'solver',
    )!;
    expect(coverageTrust(reread, city)).toBeCloseTo(coverageTrust(solver, city), 5);
    // So serving does not send it the city prompts, even in Quality mode, and still does the sums.
    const router = createTrainedRouter(artefact);
    const pick = (prompt: string) =>
      router.decide({
        request: requestFromPrompt(prompt),
        router: routerSchema.parse({ modelSubset: ['solver', 'strong', 'weak'] }),
        mode: 'quality',
        candidates: ['solver', 'strong', 'weak'].map((name) =>
          deploymentSchema.parse(
            simDeployment(name, {
              prices: prices().get(name) ?? { inputPer1M: 0.01, outputPer1M: 0.01 },
            }),
          ),
        ),
        promptTokens: 10,
      }).ordered[0];
    expect(pick('name the city number 1002')).not.toBe('solver');
    expect(pick('solve the sum number 1001')).toBe('solver');
  });

  it("do not hold the other models' per-source heads back, and keep their pooled heads where a source does not score them", () => {
    // `sampled` is scored on the 160 of x/a's 200 prompts that `strong` gets right, and on 50 of
    // x/b's: a partial model (210 of 400 prompts).
    const sampled = withScores((i): Record<string, number> =>
      (i % 2 ? i % 5 !== 0 : i % 8 === 0) ? { sampled: i % 3 ? 1 : 0 } : {},
    );
    const n = (source: string) =>
      sampled.filter((r) => r.source === source && r.scores.sampled !== undefined).length;
    expect([n('x/a'), n('x/b')]).toEqual([160, 50]);
    expect(expertSources(sampled)).toEqual(['x/a', 'x/b']);
    const fitExperts = (level?: Parameters<typeof trainExperts>[7]) =>
      trainExperts(
        featurize(sampled),
        ['sampled', 'strong', 'weak'],
        'g.jsonl',
        new Map([...prices(), ['sampled', { inputPer1M: 1, outputPer1M: 1 }]]),
        { seed: 1 },
        ['x/a', 'x/b'],
        new Map(),
        level,
      );
    const experts = fitExperts();
    const modelsOf = (source: string) =>
      experts.heads
        .filter((h) => h.source === source)
        .map((h) => h.model)
        .sort();
    expect(modelsOf('x/a')).toEqual(['sampled', 'strong', 'weak']);
    expect(modelsOf('x/b')).toEqual(['strong', 'weak']);
    // As a partial model, its x/a head is levelled by the strong model's x/a head on its prompts.
    const levelled = fitExperts({ partial: new Set(['sampled']), best: 'strong' });
    const sourceHead = (e: typeof experts, model: string) =>
      e.heads.find((h) => h.source === 'x/a' && h.model === model)!;
    const on = featurize(sampled).filter(
      (r) => r.row.source === 'x/a' && r.row.scores.sampled !== undefined,
    );
    const mean = (f: (r: (typeof on)[number]) => number) =>
      on.reduce((a, r) => a + f(r), 0) / on.length;
    const target = mean(
      (r) =>
        r.row.scores.sampled! -
        r.row.scores.strong! +
        predictQuality(sourceHead(levelled, 'strong'), r.features),
    );
    expect(mean((r) => predictQuality(sourceHead(levelled, 'sampled'), r.features))).toBeCloseTo(
      target,
      6,
    );
    // Chosen where `strong` is right, its prompts are easier than its head could tell: lowered.
    expect(sourceHead(levelled, 'sampled').bias).toBeLessThan(sourceHead(experts, 'sampled').bias);
  });
});

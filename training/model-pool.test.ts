// Models scored on part of a file: never the best single model beside fuller ones, left out when
// scored on too few prompts, measured against the best single model, levelled and given coverage.
import { describe, expect, it } from 'vitest';
import { routerSchema } from '../src/config/schema.js';
import { deploymentSchema } from '../src/config/deployment-schema.js';
import { extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { parseArtefact, serializeArtefact } from '../src/routing/artefact-json.js';
import { coverageTrust, predictQuality } from '../src/routing/predict-quality.js';
import { createTrainedRouter } from '../src/routing/trained-router.js';
import { simDeployment } from '../test/helpers/test-config.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { scoreTestRows } from './score-test-rows.js';
import { featurize } from './heads.js';
import {
  BEST_SINGLE_COVERAGE,
  MIN_SCORED_PROMPTS,
  bestSingleModel,
  modelStrengths,
} from './model-pool.js';
import { expertSources, trainExperts } from './source-heads.js';
import { trainArtefact } from './train-artefact.js';
import { dataRow } from '../test/helpers/data-rows.js';

describe('models scored on part of a file', () => {
  // 400 prompts: `strong` right on 80%, `weak` on 50%; `lucky` is scored on 20 prompts, all right.
  const rows: DataRow[] = Array.from({ length: 400 }, (_, i) => ({
    ...dataRow(i, i % 2 ? 'x/a' : 'x/b', 0),
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

  it('is, among models of equal mean, the cheapest on these prompts, whatever their names', () => {
    // `twin` scores exactly as `strong` does, at a tenth of its price: a cost-aware user's reference
    // is the one that costs less for the same quality. Named either side of `strong`.
    for (const twin of ['a-twin', 'z-twin']) {
      const tied = withScores((i) => ({ [twin]: i % 5 ? 1 : 0 }));
      const priced = new Map([...prices(), [twin, { inputPer1M: 1, outputPer1M: 3 }]]);
      expect(bestSingleModel(tied, [twin, 'strong', 'weak'].sort(), priced)).toBe(twin);
      // Dearer than `strong` it is not, wherever its name sorts.
      const dear = new Map([...prices(), [twin, { inputPer1M: 20, outputPer1M: 60 }]]);
      expect(bestSingleModel(tied, [twin, 'strong', 'weak'].sort(), dear)).toBe('strong');
    }
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
    // (0.15 on tf-idf rows, feature version 4; under 0.1 on the raw features before.)
    expect(coverageTrust(solver, city)).toBeLessThan(0.2);
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

  it('are measured against the most-scored model, so a file of only partly scored models trains', () => {
    // Each model judged on a different 60% of the prompts (none on half of 400 + 1): before,
    // every one was "too few to fit" and train stopped with "no model … has a price".
    const halves = rows.map((r, i) => ({
      ...r,
      scores: {
        ...(i % 5 < 3 ? { strong: r.scores.strong! } : {}),
        ...(i % 5 > 1 ? { weak: r.scores.weak! } : {}),
      },
    }));
    const { artefact, warnings } = trainArtefact(new Map([['g.jsonl', halves]]), prices, {
      seed: 1,
    });
    expect(artefact.models.map((m) => m.name).sort()).toEqual(['strong', 'weak']);
    expect(warnings).toEqual([]);
    // A model scored on fewer than half as many as the most-scored one is still left out.
    const few = halves.map((r, i) =>
      i % 40 === 2 ? { ...r, scores: { ...r.scores, lucky: 1 } } : r,
    );
    expect(trainArtefact(new Map([['g.jsonl', few]]), prices, { seed: 1 }).warnings).toEqual([
      'g.jsonl: model "lucky" is scored on 10 of 400 prompts, too few to fit its head with the others (120 needed); left out of the pool (add it to a trained artefact with `model-router calibrate`, from ~200 scored prompts)',
    ]);
  });

  it('say why nothing can be trained: no prompts, or no priced model', () => {
    const none = new Map([
      ['empty.jsonl', []],
      ['g.jsonl', rows],
    ]);
    expect(() => trainArtefact(none, () => new Map(), { seed: 1 })).toThrow(
      'nothing to train: empty.jsonl: no prompts to train on; g.jsonl: no model it scores has a price in the price file',
    );
    expect(() => trainArtefact(new Map([['g.jsonl', rows]]), () => new Map(), { seed: 1 })).toThrow(
      'no model of g.jsonl has a price in the price file, so there is nothing to train',
    );
  });
});

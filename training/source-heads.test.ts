import { describe, expect, it } from 'vitest';
import { prng } from '../src/core/prng.js';
import { DENSE_SIZE, extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { parseArtefact, serializeArtefact } from '../src/routing/artefact-json.js';
import { type RoutingArtefact } from '../src/routing/routing-model.js';
import { expertLookup, predictQuality } from '../src/routing/predict-quality.js';
import { learnIdf } from '../src/routing/term-weights.js';
import { createTrainedRouter } from '../src/routing/trained-router.js';
import { routerSchema } from '../src/config/schema.js';
import { deploymentsAt, strongWeakPrices } from '../test/helpers/data-rows.js';
import type { DataRow } from './load-rows.js';
import { evaluate } from './evaluate.js';
import { DEFAULT_EPOCHS, GATE_MAX_ITERATIONS, featurize, hashSizeFor } from './heads.js';
import {
  EXPERT_SOURCE_PROMPTS,
  GATE_MIN_RECALL,
  expertSources,
  gateRows,
  keepsSourceHeads,
  trainExperts,
  type RawSourceRows,
} from './source-heads.js';
import { trainArtefact } from './train-artefact.js';
import { trainingPlans } from './training-plan.js';

const FILLER = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');

/**
 * Two sources told apart by their form ("question:" prompts, "task:" prompts), where the same
 * word means opposite things: in quiz prompts "alpha" marks what the weak model gets wrong, in
 * task prompts "beta" does. Word by word the pooled heads see no signal (each word is as often
 * easy as hard); per source it is plain.
 */
function rows(n: number, seed: number, offset = 0): DataRow[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const quiz = i % 2 === 0;
    const alpha = rand() < 0.5;
    const filler = Array.from({ length: 6 }, () => FILLER[Math.floor(rand() * FILLER.length)]);
    const prompt = quiz
      ? `question: ${filler.slice(0, 3).join(' ')} ${alpha ? 'alpha' : 'beta'} ${filler.slice(3).join(' ')} item ${i}?`
      : `Task ${filler.slice(0, 3).join(' ')} ${alpha ? 'alpha' : 'beta'} ${filler.slice(3).join(' ')} number ${i}.`;
    const hard = quiz === alpha;
    const flip = rand() < 0.05;
    return {
      id: `r${i}`,
      source: quiz ? 'synth/quiz' : 'synth/task',
      prompt,
      scores: { strong: 1, weak: hard !== flip ? 0 : 1 },
      contaminated: false,
      group: 'synth.jsonl',
    };
  });
}

const prices = strongWeakPrices;

describe('per-source heads behind a gate', () => {
  it('are offered for sources with enough prompts, with heads for the models scored on half of them', () => {
    const many = rows(2 * EXPERT_SOURCE_PROMPTS, 1);
    expect(expertSources(many)).toEqual(['synth/quiz', 'synth/task']);
    // One large source among small ones: nothing the pooled heads do not already fit.
    const quiz = many.filter((r) => r.source === 'synth/quiz');
    const task = many.filter((r) => r.source === 'synth/task');
    expect(quiz).toHaveLength(EXPERT_SOURCE_PROMPTS);
    expect(expertSources([...quiz, ...task.slice(0, 10)])).toEqual([]);
    expect(expertSources([...quiz, ...task.slice(1)])).toEqual([]);
    // A model scored on under half a source's prompts gets no head of that source (its pooled
    // head scores them); the source and the other models' heads are not held back.
    const thin = many.map((r, i) =>
      r.source === 'synth/task' && i % 8 !== 1 ? { ...r, scores: { strong: 1 } } : r,
    );
    expect(expertSources(thin)).toEqual(['synth/quiz', 'synth/task']);
    const experts = trainExperts(
      featurize(thin),
      ['strong', 'weak'],
      'synth.jsonl',
      prices(),
      { seed: 1 },
      ['synth/quiz', 'synth/task'],
      new Map(),
    );
    expect(experts.heads.map((h) => `${h.source} ${h.model}`).sort()).toEqual([
      'synth/quiz strong',
      'synth/quiz weak',
      'synth/task strong',
    ]);
  });

  it("fit a source's heads and pair head on the raw features where told, the gate on the group's rows", () => {
    const data = rows(2 * EXPERT_SOURCE_PROMPTS, 1);
    const plain = featurize(data);
    const idf = learnIdf(
      plain.map((r) => r.features),
      1 << 12,
    );
    const weighed = featurize(data, idf);
    const sources = ['synth/quiz', 'synth/task'];
    const fit = (rs: typeof plain, raw?: RawSourceRows) =>
      trainExperts(
        rs,
        ['strong', 'weak'],
        'synth.jsonl',
        prices(),
        { seed: 1, hashSize: 1 << 12 },
        sources,
        new Map(),
        undefined,
        { strong: 'strong', sources },
        raw,
      );
    const tfidf = fit(weighed);
    const allRaw = fit(plain);
    const mixed = fit(weighed, { rows: plain, sources: ['synth/task'] });
    const sameWeights = (a: { sparse: Float32Array }, b: { sparse: Float32Array }) =>
      expect([...a.sparse]).toEqual([...b.sparse]);
    const own = (ex: typeof tfidf, s: string) => [
      ...ex.heads.filter((h) => h.source === s),
      ...(ex.pairs ?? []).filter((h) => h.source === s),
    ];
    // Two heads and a pair head a source.
    expect(own(mixed, 'synth/task')).toHaveLength(3);
    own(mixed, 'synth/task').forEach((h, i) => {
      expect(h.raw).toBe(true);
      sameWeights(h, own(allRaw, 'synth/task')[i]!);
    });
    own(mixed, 'synth/quiz').forEach((h, i) => {
      expect(h.raw).toBeUndefined();
      sameWeights(h, own(tfidf, 'synth/quiz')[i]!);
    });
    mixed.gate.forEach((h, i) => sameWeights(h, tfidf.gate[i]!));
    // A gate given is used as it is, not fitted again.
    const reused = fit(weighed, { rows: plain, sources, gate: tfidf.gate });
    expect(reused.gate).toBe(tfidf.gate);
    own(reused, 'synth/quiz').forEach((h, i) => sameWeights(h, own(allRaw, 'synth/quiz')[i]!));
    // Scoring them: raw heads read the raw rows, the gate the weighed ones.
    const pooled = new Map(
      plain.map((r) => [
        r.row,
        {
          row: r.row,
          predicted: new Map([
            ['strong', 0.5],
            ['weak', 0.5],
          ]),
        },
      ]),
    );
    const gated = gateRows(weighed.slice(0, 20), mixed, pooled, plain.slice(0, 20));
    gated.forEach((g, k) => {
      const task = mixed.heads.find((h) => h.source === 'synth/task' && h.model === 'weak')!;
      expect(g.own.get('synth/task')!.get('weak')).toBe(predictQuality(task, plain[k]!.features));
    });
    expect(() => gateRows(weighed.slice(0, 2), mixed, pooled)).toThrow(/raw features/);
  });

  it('are the first thing a plan over the budget gives up', () => {
    const data = rows(2 * EXPERT_SOURCE_PROMPTS, 1);
    const plan = (budget: number) =>
      trainingPlans([{ group: 'g', rows: data, nonZeros: 1, pool: ['strong', 'weak'] }], {
        seed: 1,
        workBudget: budget,
      }).get('g')!;
    // Pooled fit sets: 2 variants × 4 folds + 1; the sources' own heads add (2 gate heads at 30
    // of 100 iterations + (2 models + their pair head) × every prompt) / 2 models = 1.8 sets per
    // fold and the final: 9 + 1.8 × 5 = 18 units of 2.
    expect(GATE_MAX_ITERATIONS).toBe(30);
    expect(plan(100)).toMatchObject({ experts: ['synth/quiz', 'synth/task'], folds: 5 });
    expect(plan(100).work).toBeCloseTo(36, 9);
    expect(plan(100)).toMatchObject({ reduced: false, pooledReduced: false });
    // Leaving the per-source heads out leaves the pooled heads' plan whole (the run says only
    // that the per-source heads were not tried), with the two models' pair head over every
    // prompt instead (0.5 sets per fold and the final: 9 + 0.5 × 5 = 11.5 units of 2); the next
    // step takes folds away.
    expect(plan(30.9)).toMatchObject({
      experts: [],
      folds: 5,
      work: 23,
      reduced: true,
      pooledReduced: false,
    });
    expect(plan(17.9)).toMatchObject({ experts: [], folds: 3, pooledReduced: true });
  });

  it("with tf-idf rows, count their second cross-fit on the raw features in the plan's work", () => {
    const data = rows(2 * EXPERT_SOURCE_PROMPTS, 1);
    const plan = (budget: number, rawNonZeros?: number) =>
      trainingPlans(
        [{ group: 'g', rows: data, nonZeros: 1, rawNonZeros, pool: ['strong', 'weak'] }],
        {
          seed: 1,
          workBudget: budget,
        },
      ).get('g')!;
    // Raw rows with twice the non-zeros: each calibration fold fits the sources' own heads and
    // pair head again on them, (2 models + 1) × every prompt × 2 / 2 models = 3 sets per fold,
    // the gate not again and the final fit not twice: 36 + 3 × 4 folds × 2 = 60 units.
    expect(plan(100, 2)).toMatchObject({ experts: ['synth/quiz', 'synth/task'], folds: 5 });
    expect(plan(100, 2).work).toBeCloseTo(60, 9);
    expect(plan(100).work).toBeCloseTo(36, 9);
    // So a budget the first cross-fit alone fits leaves the per-source heads out; without them
    // nothing is fitted on the raw features (the pooled heads' plan, 23 units, as before).
    expect(plan(50, 2)).toMatchObject({ experts: [], folds: 5, work: 23, reduced: true });
    expect(plan(50)).toMatchObject({ experts: ['synth/quiz', 'synth/task'], reduced: false });
  });

  it('training counts the raw cross-fit it runs, in the budget and in the progress it reports', () => {
    const data = rows(2 * EXPERT_SOURCE_PROMPTS, 1);
    const groups = new Map([['synth.jsonl', data]]);
    // The plan's work on the rows as training counts them: tf-idf and raw.
    const raw = featurize(data);
    const idf = learnIdf(
      raw.map((r) => r.features),
      hashSizeFor(data.length),
    );
    const count = (fs: { features: { indices: ArrayLike<number> } }[]) =>
      fs.reduce((n, f) => n + f.features.indices.length + DENSE_SIZE, 0);
    const work = (rawNonZeros?: number) =>
      trainingPlans(
        [
          {
            group: 'g',
            rows: data,
            nonZeros: count(featurize(data, idf)),
            rawNonZeros,
            pool: ['strong', 'weak'],
          },
        ],
        { seed: 1, workBudget: Infinity },
      ).get('g')!.work;
    const withRaw = work(count(raw));
    expect(withRaw).toBeGreaterThan(work() * 1.2);
    // A budget between the two: training that tries the raw features must leave its per-source
    // heads out; with `rawSourceHeads: false` it keeps them.
    const budget = (work() + withRaw) / 2;
    const progress: [number, number, string][] = [];
    const both = trainArtefact(groups, prices, {
      seed: 1,
      workBudget: budget,
      onProgress: (done, total, label) => progress.push([done, total, label]),
    });
    expect(both.warnings).toEqual([expect.stringContaining('per-source heads not tried')]);
    const tfidfOnly = trainArtefact(groups, prices, {
      seed: 1,
      workBudget: budget,
      rawSourceHeads: false,
    });
    expect(tfidfOnly.warnings).toEqual([]);
    expect(tfidfOnly.artefact.training['synth.jsonl']).toHaveProperty('sourceHeads');
    // With the budget, the raw cross-fit's folds are steps of the progress, which ends at its total.
    const ticks: [number, number, string][] = [];
    trainArtefact(groups, prices, {
      seed: 1,
      onProgress: (done, total, label) => ticks.push([done, total, label]),
    });
    const rawTicks = ticks.filter(([, , l]) => l.includes('per-source, raw features'));
    expect(rawTicks).toHaveLength(DEFAULT_EPOCHS * 5);
    expect(ticks.at(-1)![0]).toBe(ticks.at(-1)![1]);
    expect(ticks.every(([done, total], i) => done === i + 1 && total === ticks.length)).toBe(true);
    expect(progress.at(-1)![0]).toBe(progress.at(-1)![1]);
  });

  it('are kept when they route better out of sample, and the router scores by them', () => {
    const train = rows(1600, 2);
    const test = rows(400, 3, 100_000);
    const { artefact } = trainArtefact(new Map([['synth.jsonl', train]]), prices, { seed: 1 });
    const group = artefact.groups[0]!;
    const notes = artefact.training['synth.jsonl'] as {
      sourceHeads: {
        kept: string[];
        compared: { own: number; pooled: number; sourcePrompts: number; recognised: number }[];
      };
    };
    expect(notes.sourceHeads.kept).toEqual(['synth/quiz', 'synth/task']);
    expect(group.experts?.gate.map((g) => g.source)).toEqual(['synth/quiz', 'synth/task']);
    // Each source's heads read the tf-idf rows or the raw features, whichever routed its prompts
    // better out of sample (and kept them); the notes hold both cross-fits.
    const { rawFeatures } = notes.sourceHeads as unknown as {
      rawFeatures: {
        sources: string[];
        tfidf: { own: number }[];
        raw: { own: number; keep: boolean }[];
      };
    };
    ['synth/quiz', 'synth/task'].forEach((s, i) => {
      const raw = rawFeatures.raw[i]!.own > rawFeatures.tfidf[i]!.own && rawFeatures.raw[i]!.keep;
      expect(rawFeatures.sources.includes(s)).toBe(raw);
      expect(notes.sourceHeads.compared[i]!.own).toBe(
        (raw ? rawFeatures.raw : rawFeatures.tfidf)[i]!.own,
      );
      for (const h of group.experts!.heads.filter((x) => x.source === s))
        expect(h.raw === true).toBe(raw);
    });
    const tfidfOnly = trainArtefact(new Map([['synth.jsonl', train]]), prices, {
      seed: 1,
      rawSourceHeads: false,
    }).artefact;
    expect(tfidfOnly.groups[0]!.experts!.heads.some((h) => h.raw)).toBe(false);
    expect(
      (tfidfOnly.training['synth.jsonl'] as { sourceHeads: Record<string, unknown> }).sourceHeads,
    ).not.toHaveProperty('rawFeatures');
    for (const c of notes.sourceHeads.compared) {
      expect(c.own).toBeGreaterThan(c.pooled);
      // Out of sample the gate tells the two forms apart on every training prompt.
      expect(c).toMatchObject({ sourcePrompts: 800, recognised: 800 });
    }

    // The gate reads the form: every test prompt goes to its own source.
    const lookup = expertLookup(group.experts);
    const features = (r: DataRow) => extractFeatures(requestFromPrompt(r.prompt));
    expect(test.filter((r) => lookup(features(r))?.source === r.source)).toHaveLength(test.length);

    // With the sources' heads the router finds the prompts the weak model fails; without them
    // (the same artefact, pooled heads only) it cannot. Half the prompts are hard, so a perfect
    // ranking has APGR 0.75 and a random one 0.5.
    const pooledOnly: RoutingArtefact = { ...artefact, groups: [{ ...group, experts: undefined }] };
    const withExperts = evaluate(artefact, test).report;
    const without = evaluate(pooledOnly, test).report;
    expect(withExperts.apgr!).toBeGreaterThan(0.68);
    expect(without.apgr!).toBeLessThan(0.55);

    // What is saved is what is read back, and serving picks as eval does.
    const back = parseArtefact(serializeArtefact(artefact));
    expect(back.groups[0]!.experts!.heads.map((h) => [h.source, h.model])).toEqual(
      group.experts!.heads.map((h) => [h.source, h.model]),
    );
    // A per-source head must belong to one of the group's models and gated sources.
    const tampered = JSON.parse(serializeArtefact(artefact)) as {
      groups: { experts: { heads: { model: string }[] } }[];
    };
    tampered.groups[0]!.experts.heads[0]!.model = 'nobody';
    expect(() => parseArtefact(JSON.stringify(tampered), 'a.json')).toThrow(
      /a\.json: group synth\.jsonl has a synth\/quiz head for nobody, which is not one of its models/,
    );
    const hard = test.find((r) => r.source === 'synth/task' && r.scores.weak === 0)!;
    const easy = test.find((r) => r.source === 'synth/task' && r.scores.weak === 1)!;
    const taskWeak = back.groups[0]!.experts!.heads.find(
      (h) => h.source === 'synth/task' && h.model === 'weak',
    )!;
    expect(predictQuality(taskWeak, features(easy))).toBeGreaterThan(
      predictQuality(taskWeak, features(hard)) + 0.3,
    );
    const router = createTrainedRouter(back);
    const candidates = deploymentsAt(prices());
    const decide = (r: DataRow) =>
      router.decide({
        request: requestFromPrompt(r.prompt),
        router: routerSchema.parse({ modelSubset: ['strong', 'weak'] }),
        // Cost mode: Balanced keeps ≥ 0.99× quality, so it sends the weak model only the prompts
        // it is surest of, and this one easy prompt may be just outside them.
        mode: 'cost',
        candidates,
        promptTokens: Math.ceil(r.prompt.length / 4),
      });
    expect(decide(easy).ordered[0]).toBe('weak');
    expect(decide(hard).ordered[0]).toBe('strong');
    expect(decide(hard).reason).toContain(
      "read as a synth/task prompt: scored by that source's own heads",
    );
  });

  it('are kept only for a source the gate recognises on at least half its prompts', () => {
    expect(GATE_MIN_RECALL).toBe(0.5);
    const clear = { sourcePrompts: 400, recognised: 390, prompts: 395, gain: 0.03, se: 0.01 };
    expect(keepsSourceHeads(clear, 1)).toBe(true);
    // The same gain, read on the few prompts of a source the gate mostly does not recognise
    // (one of many similar subjects, say): not kept.
    expect(keepsSourceHeads({ ...clear, recognised: 12, prompts: 14 }, 1)).toBe(false);
    expect(keepsSourceHeads({ ...clear, recognised: 200 }, 1)).toBe(true);
    expect(keepsSourceHeads({ ...clear, recognised: 199 }, 1)).toBe(false);
    // A gain within z standard errors, or measured on fewer than two prompts, is not kept.
    expect(keepsSourceHeads({ ...clear, gain: 0.01 }, 1)).toBe(false);
    expect(keepsSourceHeads({ ...clear, gain: 0.01 }, 0.5)).toBe(true);
    expect(keepsSourceHeads({ ...clear, sourcePrompts: 1, recognised: 1, prompts: 1 }, 1)).toBe(
      false,
    );
  });
});

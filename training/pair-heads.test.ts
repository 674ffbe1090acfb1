import { describe, expect, it } from 'vitest';
import { prng } from '../src/core/prng.js';
import { extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { parseArtefact, serializeArtefact } from '../src/routing/artefact-json.js';
import {
  expertLookup,
  gatedQuality,
  pairedQuality,
  predictQuality,
} from '../src/routing/predict-quality.js';
import { createTrainedRouter } from '../src/routing/trained-router.js';
import { routerSchema } from '../src/config/schema.js';
import { deploymentsAt, strongWeakPrices } from '../test/helpers/data-rows.js';
import type { DataRow } from './load-rows.js';
import { scoreTestRows } from './score-test-rows.js';
import { costHeads, featurize } from './heads.js';
import { comparePairs, fitGroupPair } from './pair-heads.js';
import { trainExperts, type GatedRow } from './source-heads.js';
import { trainArtefact } from './train-artefact.js';
import { headsNote } from '../src/cli/train.js';

const FILLER = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');
const SOURCES = ['synth/quiz', 'synth/task'];

/**
 * Two sources of two models: on "alpha" prompts of either the weak model fails, on the others
 * the strong one fails one time in four, so the difference between them is what the text tells.
 */
function rows(n: number, seed: number, offset = 0): DataRow[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const quiz = i % 2 === 0;
    const alpha = rand() < 0.5;
    const filler = Array.from({ length: 5 }, () => FILLER[Math.floor(rand() * FILLER.length)]);
    const prompt = `${quiz ? 'question:' : 'Task'} ${filler.join(' ')} ${alpha ? 'alpha' : 'beta'} ${i}${quiz ? '?' : '.'}`;
    return {
      id: `r${i}`,
      source: quiz ? 'synth/quiz' : 'synth/task',
      prompt,
      scores: { strong: alpha || rand() < 0.75 ? 1 : 0, weak: alpha ? 0 : 1 },
      contaminated: false,
      group: 'synth.jsonl',
    };
  });
}

const prices = strongWeakPrices;

const features = (r: DataRow) => extractFeatures(requestFromPrompt(r.prompt));

describe('pair heads for a source of two models', () => {
  it('learn the difference, predict the weak model from the strong one, and serve as eval scores', () => {
    const train = rows(800, 1);
    const test = rows(200, 2, 100_000);
    const experts = trainExperts(
      featurize(train),
      ['strong', 'weak'],
      'synth.jsonl',
      prices(),
      { seed: 1, c: 0.3 },
      SOURCES,
      new Map(),
      undefined,
      { strong: 'strong', sources: SOURCES },
    );
    expect(experts.pairs!.map((p) => [p.source, p.strong, p.weak])).toEqual([
      ['synth/quiz', 'strong', 'weak'],
      ['synth/task', 'strong', 'weak'],
    ]);
    // Its probability is that of (strong − weak + 1) / 2: high where the weak model fails.
    const hard = test.find((r) => r.source === 'synth/task' && r.scores.weak === 0)!;
    const easy = test.find((r) => r.source === 'synth/task' && r.scores.weak === 1)!;
    const pair = experts.pairs![1]!;
    expect(predictQuality(pair, features(hard))).toBeGreaterThan(0.8);
    expect(predictQuality(pair, features(easy))).toBeLessThan(0.5);
    const gated = expertLookup(experts)(features(hard))!;
    expect(gated.pair).toBe(pair);
    const strongHere = predictQuality(gated.heads.get('strong')!, features(hard));
    expect(gatedQuality(gated, 'weak', features(hard))).toBe(
      pairedQuality(strongHere, predictQuality(pair, features(hard))),
    );
    expect(gatedQuality(gated, 'strong', features(hard))).toBe(strongHere);
    expect(pairedQuality(0.9, 0.1)).toBe(1);
    expect(pairedQuality(0.2, 0.9)).toBe(0);

    // An artefact with them: saved and read back whole, and serving predicts as eval does.
    const { artefact } = trainArtefact(new Map([['synth.jsonl', train]]), prices, { seed: 1 });
    const withPairs = {
      ...artefact,
      groups: artefact.groups.map((g) => ({ ...g, experts })),
    };
    const back = parseArtefact(serializeArtefact(withPairs));
    expect(back.groups[0]!.experts!.pairs!.map((p) => p.source)).toEqual(SOURCES);
    // `train` says what it kept.
    expect(headsNote(back.groups[0]!)).toBe(
      '; own heads for synth/quiz, synth/task; a pair head for synth/quiz (weak as strong less their difference); a pair head for synth/task (weak as strong less their difference)',
    );
    expect([...back.groups[0]!.experts!.pairs![1]!.sparse]).toEqual([...pair.sparse]);
    const router = createTrainedRouter(back);
    const candidates = deploymentsAt(prices());
    const { outcomes } = scoreTestRows(back, test);
    const bestMean = back.groups[0]!.bestMean;
    for (const o of outcomes.slice(0, 40)) {
      const subset = (names: string[]) =>
        router.decide({
          request: requestFromPrompt(o.row.prompt),
          router: routerSchema.parse({ modelSubset: names }),
          mode: 'balanced',
          candidates: candidates.filter((c) => names.includes(c.name)),
          promptTokens: Math.ceil(o.row.prompt.length / 4),
        }).scores;
      const served = subset(['strong', 'weak']);
      const gatedHere = expertLookup(back.groups[0]!.experts)(features(o.row));
      const reason = router.decide({
        request: requestFromPrompt(o.row.prompt),
        router: routerSchema.parse({ modelSubset: ['strong', 'weak'] }),
        mode: 'balanced',
        candidates,
        promptTokens: 10,
      }).reason;
      if (gatedHere)
        expect(reason).toContain(
          'weak predicted as strong less their predicted difference on such prompts (pair head)',
        );
      else expect(reason).not.toContain('pair head');
      for (const s of served)
        expect(s.predictedQuality).toBeCloseTo(o.predicted.get(s.deployment)!, 4);
      // The weak model alone is still read from the strong model's head and the pair head.
      expect(subset(['weak'])[0]!.predictedQuality).toBeCloseTo(o.predicted.get('weak')!, 4);
      if (gatedHere)
        expect(o.predicted.get('weak')).toBe(
          gatedQuality(gatedHere, 'weak', features(o.row))! / bestMean,
        );
    }
    expect(
      outcomes.filter((o) => expertLookup(back.groups[0]!.experts)(features(o.row))),
    ).not.toHaveLength(0);

    // A pair head must name two models with heads of their own on its source.
    const tampered = JSON.parse(serializeArtefact(withPairs)) as {
      groups: { experts: { pairs: { weak: string }[] } }[];
    };
    tampered.groups[0]!.experts.pairs[0]!.weak = 'strong';
    expect(() => parseArtefact(JSON.stringify(tampered), 'a.json')).toThrow(
      /a\.json: group synth\.jsonl's synth\/quiz pair head for strong over strong needs two different models/,
    );
  });

  it('are kept where, out of sample, they route better than the two heads', () => {
    const data = rows(400, 3);
    const pricing = costHeads(featurize(data), ['strong', 'weak'], 'synth.jsonl', prices());
    const rand = prng(4);
    // The own heads know nothing of the weak model's failures; the pair head knows them all.
    const gated = (pairKnows: boolean): GatedRow[] =>
      data.map((row) => {
        const blind = new Map([
          ['strong', 0.9],
          ['weak', 0.5 + 0.3 * rand()],
        ]);
        const knowing = new Map([
          ['strong', 0.9],
          ['weak', row.scores.weak === 1 ? 0.9 : 0.2],
        ]);
        const source = row.source;
        return {
          row,
          gate: Float64Array.of(1, 0),
          source,
          own: new Map([[source, pairKnows ? blind : knowing]]),
          paired: new Map([[source, pairKnows ? knowing : blind]]),
          pooled: { row, predicted: blind },
        };
      });
    const kept = comparePairs(gated(true), SOURCES, pricing, 'strong', 1);
    expect(kept.map((v) => [v.source, v.keep])).toEqual([
      ['synth/quiz', true],
      ['synth/task', true],
    ]);
    for (const v of kept) expect(v.paired).toBeGreaterThan(v.own);
    const dropped = comparePairs(gated(false), SOURCES, pricing, 'strong', 1);
    expect(dropped.every((v) => !v.keep && v.paired < v.own)).toBe(true);
    // A source without a pair head, or with fewer than two prompts, has no verdict.
    const none = gated(true).map((r) => ({ ...r, paired: new Map() }));
    expect(comparePairs(none, SOURCES, pricing, 'strong', 1)).toEqual([]);
  });

  it('for a two-model file without gated sources: tried, and when kept saved and served as eval scores', () => {
    const one = (r: DataRow): DataRow => ({ ...r, source: 'synth/one' });
    const train = rows(600, 5).map(one);
    const test = rows(200, 6, 100_000).map(one);
    const { artefact } = trainArtefact(new Map([['synth.jsonl', train]]), prices, { seed: 1 });
    // Tried (no gated sources, two models) and judged as a source's pair head is.
    const notes = artefact.training['synth.jsonl'] as { pairHead?: { keep: boolean } };
    expect(notes.pairHead).toMatchObject({ prompts: 600 });
    expect(!!artefact.groups[0]!.pair).toBe(notes.pairHead!.keep);
    // A group kept one: it is saved and read back, and serving predicts as eval does.
    const pair = fitGroupPair(featurize(train), 'strong', 'weak', 1 << 14, { seed: 1 });
    const withPair = { ...artefact, groups: [{ ...artefact.groups[0]!, pair }] };
    const back = parseArtefact(serializeArtefact(withPair));
    expect([...back.groups[0]!.pair!.sparse]).toEqual([...pair.sparse]);
    expect(headsNote(back.groups[0]!)).toBe('; a pair head (weak as strong less their difference)');
    const router = createTrainedRouter(back);
    const candidates = deploymentsAt(prices());
    const strongHead = back.models.find((m) => m.name === 'strong')!;
    const { outcomes } = scoreTestRows(back, test);
    for (const o of outcomes.slice(0, 30)) {
      const f = features(o.row);
      const read = back.groups[0]!.pair!;
      const expected = pairedQuality(predictQuality(strongHead, f), predictQuality(read, f));
      expect(o.predicted.get('weak')).toBe(expected / back.groups[0]!.bestMean);
      const decision = router.decide({
        request: requestFromPrompt(o.row.prompt),
        router: routerSchema.parse({ modelSubset: ['weak'] }),
        mode: 'balanced',
        candidates: candidates.filter((c) => c.name === 'weak'),
        promptTokens: 10,
      });
      expect(decision.scores[0]!.predictedQuality).toBeCloseTo(o.predicted.get('weak')!, 4);
      expect(decision.reason).toContain('weak predicted as strong less their predicted difference');
    }
    // Without it, the weak model's own head answers.
    const plain = scoreTestRows(
      artefact.groups[0]!.pair
        ? { ...artefact, groups: [{ ...artefact.groups[0]!, pair: undefined }] }
        : artefact,
      test,
    );
    const weakHead = artefact.models.find((m) => m.name === 'weak')!;
    expect(plain.outcomes[0]!.predicted.get('weak')).toBe(
      predictQuality(weakHead, features(plain.outcomes[0]!.row)) / artefact.groups[0]!.bestMean,
    );
    // A group's pair head must name two different models of the group.
    const tampered = JSON.parse(serializeArtefact(withPair)) as {
      groups: { pair: { weak: string } }[];
    };
    tampered.groups[0]!.pair.weak = 'nobody';
    expect(() => parseArtefact(JSON.stringify(tampered), 'a.json')).toThrow(
      /a\.json: group synth\.jsonl's pair head for strong over nobody needs two different models of the group/,
    );
  });
});

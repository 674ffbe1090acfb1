// The low-rank (matrix factorisation) family: one prompt projection shared by a group's models,
// a rank-R embedding per model.
import { describe, expect, it } from 'vitest';
import { extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import type { DataRow } from './load-rows.js';
import { featurize } from './heads.js';
import { buildLowRank, fitLowRank } from './lowrank.js';

const CODE = 'python rust golang java kotlin swift haskell scala ruby perl'.split(' ');
const CHAT = 'story poem joke fable riddle song letter toast speech ballad'.split(' ');
const FILL = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');
// Planted rank-1 structure: the three "c" models are right on code prompts only, the three "t"
// models on chat prompts only; each training row scores just two of the six models, so no model
// sees more than a third of the prompts and the projection is learnt from all of them together.
const MODELS = ['c1', 'c2', 'c3', 't1', 't2', 't3'];

function rows(n: number, offset = 0, sparse = true): DataRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const code = i % 2 === 0;
    const word = (code ? CODE : CHAT)[(i >> 1) % 10]!;
    const scores: Record<string, number> = {};
    MODELS.forEach((m, j) => {
      if (!sparse || j % 3 === (i >> 1) % 3) scores[m] = (m[0] === 'c') === code ? 1 : 0;
    });
    return {
      id: `l${i}`,
      source: 'synthetic/l',
      prompt: `${word} ${FILL[i % 10]} ${FILL[(i * 7) % 10]} ${i}`,
      scores,
      contaminated: false,
      group: 'l.jsonl',
    };
  });
}

const features = (r: DataRow) => extractFeatures(requestFromPrompt(r.prompt));

describe('low-rank family', () => {
  it('learns a planted low-rank structure from sparsely scored rows', () => {
    const model = buildLowRank(featurize(rows(300)), MODELS, { seed: 3 });
    // Ranks above the six models are fitted at six (the same model class).
    expect([4, 6]).toContain(model.rank);
    const test = rows(60, 50_000, false);
    let right = 0;
    for (const r of test) {
      const p = model.predict(features(r), MODELS);
      for (const m of MODELS) if ((p.get(m)! > 0.5 ? 1 : 0) === r.scores[m]) right++;
    }
    expect(right / (test.length * MODELS.length)).toBeGreaterThan(0.95);
    // A model it was not trained on is predicted at the neutral 0.5.
    expect(model.predict(features(test[0]!), ['stranger']).get('stranger')).toBe(0.5);
  });

  it('fits no rank above the number of models', () => {
    const two = ['c1', 't1'];
    const train = featurize(rows(120)).filter(({ row }) => two.some((m) => m in row.scores));
    expect(buildLowRank(train, two, { seed: 2, l2: 1e-2 }).rank).toBe(2);
    expect(buildLowRank(train, two, { seed: 2, rank: 5, l2: 1e-2 }).rank).toBe(5);
  });

  it('is deterministic for a seed', () => {
    const train = featurize(rows(120));
    const probe = features(rows(1, 9_999)[0]!);
    const a = buildLowRank(train, MODELS, { seed: 7 }).predict(probe, MODELS);
    const b = buildLowRank(train, MODELS, { seed: 7 }).predict(probe, MODELS);
    expect([...a]).toEqual([...b]);
    const c = fitLowRank(train, MODELS, 4, 1e-2, 8).predict(probe, MODELS);
    const d = fitLowRank(train, MODELS, 4, 1e-2, 9).predict(probe, MODELS);
    expect([...c]).not.toEqual([...d]);
  });

  it('rejects bad input clearly', () => {
    const train = featurize(rows(20));
    expect(() => fitLowRank(train, [], 4, 0.01)).toThrow(/no models/);
    expect(() => fitLowRank(train, ['c1', 'c1'], 4, 0.01)).toThrow(/duplicate/);
    expect(() => fitLowRank([], MODELS, 4, 0.01)).toThrow(/no training rows/);
    expect(() => fitLowRank(train, MODELS, 0, 0.01)).toThrow(/bad rank/);
    expect(() => fitLowRank(train, MODELS, 2.5, 0.01)).toThrow(/bad rank/);
    expect(() => fitLowRank(train, MODELS, 4, -1)).toThrow(/bad l2/);
    expect(() => fitLowRank(train, ['nobody'], 4, 0.01)).toThrow(/no row has a score/);
    const bad = featurize(rows(4));
    bad[0]!.row.scores.c1 = 3;
    expect(() => fitLowRank(bad, ['c1'], 4, 0.01)).toThrow(/outside \[0, 1\]/);
    expect(() => buildLowRank(train, MODELS, { ranks: [] })).toThrow(/nothing to choose/);
  });
});

// The model families `eval --family` compares: each learns, from training prompts, which model
// answers which kind of prompt, and says so on prompts it has not seen.
import { describe, expect, it } from 'vitest';
import { extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { FAMILIES, trainFamily } from './families.js';
import { buildKnn } from './knn.js';
import { buildMlp } from './mlp.js';
import { featurize } from './heads.js';
import { trustedQuality } from '../src/routing/predict-quality.js';
import { trainArtefact } from './train-artefact.js';

const WORDS = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');
// Many words of each kind, so that none is in more than a few percent of the prompts (kNN leaves
// out words as common as that).
const CODE =
  'python rust golang java kotlin swift haskell scala ruby perl lua julia elixir ocaml clojure erlang dart zig nim crystal'.split(
    ' ',
  );
const CHAT =
  'story poem joke fable riddle song letter toast speech limerick ballad sonnet haiku legend myth parable anecdote tale ode elegy'.split(
    ' ',
  );

/** A coder right on code prompts only, a talker right on chat prompts only. */
function rows(n: number, offset = 0): DataRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const code = i % 2 === 0;
    const filler = `${WORDS[i % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]}`;
    const kind = (code ? CODE : CHAT)[Math.floor(i / 2) % 20]!;
    const other = (code ? CODE : CHAT)[Math.floor(i / 7) % 20]!;
    return {
      id: `f${i}`,
      source: 'synthetic/f',
      prompt: `${kind} ${other} ${filler} ${i}`,
      scores: { coder: code ? 1 : 0, talker: code ? 0 : 1 },
      contaminated: false,
      group: 'f.jsonl',
    };
  });
}

const prices = () =>
  new Map<string, Price>([
    ['coder', { inputPer1M: 1, outputPer1M: 1 }],
    ['talker', { inputPer1M: 1, outputPer1M: 1 }],
  ]);

/** How often the predicted better model of the two is the one that is right, on new prompts. */
function accuracy(predict: (row: DataRow) => Map<string, number>): number {
  const test = rows(100, 10_000);
  const right = test.filter((r) => {
    const p = predict(r);
    return (
      (p.get('coder')! > p.get('talker')! ? 'coder' : 'talker') ===
      (r.scores.coder ? 'coder' : 'talker')
    );
  });
  return right.length / test.length;
}

describe('model families', () => {
  const features = (r: DataRow) => extractFeatures(requestFromPrompt(r.prompt));

  it('kNN and the MLP tell the coder from the talker on prompts they have not seen', () => {
    const train = featurize(rows(400));
    const knn = buildKnn(train);
    const mlp = buildMlp(train, ['coder', 'talker'], { seed: 1 });
    expect(accuracy((r) => knn.predict(features(r), ['coder', 'talker']))).toBeGreaterThan(0.95);
    expect(accuracy((r) => mlp.predict(features(r), ['coder', 'talker']))).toBeGreaterThan(0.95);
    // A model it was not trained on is predicted at the neutral 0.5.
    expect(mlp.predict(features(rows(1)[0]!), ['stranger']).get('stranger')).toBe(0.5);
  });

  it('each family trains, calibrates its own bands and predicts for every group model', () => {
    const groups = new Map([['f.jsonl', rows(400)]]);
    const { artefact, crossFitted } = trainArtefact(groups, () => prices(), { seed: 1 });
    // What the artefact's heads predict, as `scoreTestRows` hands it to a family.
    const own = (r: DataRow) =>
      new Map(artefact.models.map((h) => [h.name, trustedQuality(h, features(r))] as const));
    for (const family of FAMILIES.filter((f) => f !== 'logistic') as Exclude<
      (typeof FAMILIES)[number],
      'logistic'
    >[]) {
      const { predictor, bands } = trainFamily(
        artefact,
        groups,
        () => prices(),
        family,
        1,
        undefined,
        crossFitted,
      );
      expect(bands.get('f.jsonl')).toBeDefined();
      expect(
        accuracy((r) => predictor(r, features(r), 'f.jsonl', ['coder', 'talker'], own(r))),
      ).toBeGreaterThan(0.95);
    }
  });
});

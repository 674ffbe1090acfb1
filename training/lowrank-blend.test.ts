// The heads blended with the low-rank family: the weight is chosen on the heads' cross-fitted
// predictions of the training prompts, and the heads alone are kept where the blend gains nothing.
import { describe, expect, it } from 'vitest';
import { prng } from '../src/core/prng.js';
import { extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { trustedQuality } from '../src/routing/predict-quality.js';
import type { RoutingArtefact } from '../src/routing/routing-model.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { BLEND_WEIGHTS, describeBlendChoice, trainLowRankBlend } from './lowrank-blend.js';
import { trainArtefact } from './train-artefact.js';

const CODE = 'python rust golang java kotlin swift haskell scala ruby perl'.split(' ');
const CHAT = 'story poem joke fable riddle song letter toast speech ballad'.split(' ');
const FILL = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');

/**
 * A coder right on code prompts, a talker (graded 0.98 there) on chat prompts, so the coder is the
 * best single model and not a tie that goes to the cheaper talker; or both right at random (`noise`).
 */
function rows(n: number, offset = 0, noise = false): DataRow[] {
  const rand = prng(offset + 11);
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const code = i % 2 === 0;
    const word = (code ? CODE : CHAT)[(i >> 1) % 10]!;
    return {
      id: `b${i}`,
      source: 'synthetic/b',
      prompt: `${word} ${FILL[i % 10]} ${FILL[(i * 7) % 10]} ${i}`,
      scores: noise
        ? { coder: rand() < 0.5 ? 1 : 0, talker: rand() < 0.5 ? 1 : 0 }
        : { coder: code ? 1 : 0, talker: code ? 0 : 0.98 },
      contaminated: false,
      group: 'b.jsonl',
    };
  });
}

// The talker is cheaper, so the modes have a reason to route.
const prices = () =>
  new Map<string, Price>([
    ['coder', { inputPer1M: 10, outputPer1M: 10 }],
    ['talker', { inputPer1M: 1, outputPer1M: 1 }],
  ]);
const features = (r: DataRow) => extractFeatures(requestFromPrompt(r.prompt));
const ownOf = (artefact: RoutingArtefact, r: DataRow) =>
  new Map(artefact.models.map((h) => [h.name, trustedQuality(h, features(r))] as const));

describe('lowrank-blend', () => {
  it('takes the low-rank model where the heads, cross-fitted, rank nothing', () => {
    const groups = new Map([['b.jsonl', rows(400)]]);
    const { artefact, crossFitted } = trainArtefact(groups, () => prices(), { seed: 1 });
    // Heads whose out-of-sample predictions say nothing: every prompt the same.
    const flat = new Map(
      [...crossFitted].map(([g, c]) => [
        g,
        {
          folds: c.folds,
          foldKey: c.foldKey,
          outOfSample: c.outOfSample.map((r) => ({
            row: r.row,
            predicted: new Map([...r.predicted.keys()].map((m) => [m, 0.5])),
          })),
        },
      ]),
    );
    const { predictor, choices } = trainLowRankBlend(artefact, groups, flat, 1);
    const [choice] = choices;
    expect(choice!.weight).toBeGreaterThan(0);
    expect(choice!.frontier).toHaveLength(BLEND_WEIGHTS.length);
    expect(choice!.gain).toBeGreaterThan(choice!.se);
    expect(describeBlendChoice(choice!, ' with salt a')).toContain(
      `b.jsonl weight ${choice!.weight}`,
    );
    // Served heads that say nothing either: the blend ranks by the low-rank model alone.
    const test = rows(100, 10_000);
    const flatOwn = new Map([
      ['coder', 0.5],
      ['talker', 0.5],
    ]);
    const right = test.filter((r) => {
      const p = predictor(r, features(r), 'b.jsonl', ['coder', 'talker'], flatOwn);
      return p.get('coder')! > p.get('talker')! === (r.scores.coder === 1);
    });
    expect(right.length).toBeGreaterThan(95);
  });

  it('keeps the heads and their bands where the blend gains nothing', () => {
    const groups = new Map([['b.jsonl', rows(400, 0, true)]]);
    const { artefact, crossFitted } = trainArtefact(groups, () => prices(), { seed: 1 });
    const { predictor, bands, choices } = trainLowRankBlend(artefact, groups, crossFitted, 1);
    expect(choices[0]!.weight).toBe(0);
    expect(bands.get('b.jsonl')).toEqual(artefact.groups[0]!.bands);
    const r = rows(1, 20_000)[0]!;
    const own = ownOf(artefact, r);
    expect(predictor(r, features(r), 'b.jsonl', ['coder', 'talker'], own)).toBe(own);
  });
});

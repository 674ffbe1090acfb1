// Near-copies of a prompt share a calibration fold: otherwise the heads learn a prompt's grades
// from one copy and are "scored out of sample" on another, and the bands are calibrated in-sample.
import { describe, expect, it } from 'vitest';
import { prng } from '../src/core/prng.js';
import { calibrationFold, foldKeys } from './cross-fit.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { nearCopyGroups } from './near-duplicates.js';
import { trainArtefact } from './train-artefact.js';

const MORAL = 'which of these two scenarios does the main character do something clearly morally';
const STANDARDS = 'according to ordinary moral standards in the us as of 2020';
const VOCABULARY = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}q`);

/**
 * Prompts of twelve random words whose grades the text cannot tell: the strong model is right on
 * 80%, the cheap one on half, at random. Each prompt `copies` times, a suffix on every copy.
 */
function rows(n: number, copies: number): DataRow[] {
  const rand = prng(7);
  const out: DataRow[] = [];
  for (let i = 0; i < n; i++) {
    // Two words of its own, which heads fitted on a copy can learn the grades by.
    const words = Array.from({ length: 10 }, () => VOCABULARY[Math.floor(rand() * 400)]!);
    words.push(`u${i}x`, `v${i}y`);
    const scores = { strong: rand() < 0.8 ? 1 : 0, cheap: rand() < 0.5 ? 1 : 0 };
    for (let c = 0; c < copies; c++)
      out.push({
        id: `p${i}/${c}`,
        source: 'synthetic/near-copies',
        prompt:
          copies > 1 ? `${words.join(' ')} (variant ${c} w${(i * 7 + c) % 1000})` : words.join(' '),
        scores,
        contaminated: false,
        group: 'n.jsonl',
      });
  }
  return out;
}

const prices = () =>
  new Map<string, Price>([
    ['strong', { inputPer1M: 10, outputPer1M: 10 }],
    ['cheap', { inputPer1M: 1, outputPer1M: 1 }],
  ]);

const bandsOf = (data: DataRow[]) =>
  trainArtefact(new Map([['n.jsonl', data]]), () => prices(), { seed: 1, calibrationFolds: 3 })
    .artefact.groups[0]!.bands;

describe('near-copies in training folds', () => {
  it('groups a prompt with its suffixed and edited copies, and nothing else', () => {
    const base = 'who won season 2 of total drama island';
    const groups = nearCopyGroups([
      `${base} (variant 0 w195)`,
      `${base} (variant 1 w196)`,
      `  ${base.toUpperCase()} (variant 1 w196)`,
      `${MORAL} wrong, ${STANDARDS}`,
      `${MORAL} right, ${STANDARDS}`,
      'write a function to find the nth delannoy number.',
    ]);
    const names = new Set(groups.values());
    // The suffixed copies (and the exact copy), the two questions one word apart, the other one.
    expect(names.size).toBe(3);
    // Named by the smallest member, whatever the order.
    expect(groups.get(`${base} (variant 1 w196)`)).toBe(`${base} (variant 0 w195)`);
    expect(groups.get('write a function to find the nth delannoy number.')).toBe(
      'write a function to find the nth delannoy number.',
    );
    const key = foldKeys([`${base} (variant 0 w195)`, `${base} (variant 1 w196)`]);
    expect(calibrationFold(key(`${base} (variant 1 w196)`), 1, 5)).toBe(
      calibrationFold(key(`${base} (variant 0 w195)`), 1, 5),
    );
  });

  it('calibrates the same bands on suffixed copies of a file as on the file alone', () => {
    const alone = bandsOf(rows(300, 1));
    const copies = bandsOf(rows(300, 3));
    // In-sample, the heads recall each copy's grades and the cheap model looks right where it
    // was: Balanced and Cost would route to it more (bands lower: 0.1725 and 0.1575 against the
    // file's 0.28 and 0.27 when the folds went by exact text) than the file allows.
    expect(copies.balanced).toBeGreaterThan(alone.balanced - 0.05);
    expect(copies.cost).toBeGreaterThan(alone.cost - 0.05);
  });
});

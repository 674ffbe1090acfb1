// A calibration's rows as the modes see them: each held-out prompt's predicted quality per
// model (`ScoredRow`), its candidates with predicted and realised score and cost (`PreparedRow`),
// and routing them at one band or, bisecting, at every band of a grid (calibrate-bands.ts).
import { pickByMode, type Bands, type ScoredCandidate } from '../src/routing/pick-by-mode.js';
import { type ModelHead } from '../src/routing/routing-model.js';
import { trustedQuality } from '../src/routing/predict-quality.js';
import { promptCost } from './prompt-cost.js';
import type { DataRow } from './load-rows.js';
import type { FeaturedRow } from './heads.js';

export interface ScoredRow {
  row: DataRow;
  /** model → predicted quality */
  predicted: Map<string, number>;
}

export function scoreRows(rows: FeaturedRow[], heads: ModelHead[]): ScoredRow[] {
  return rows.map(({ row, features }) => ({
    row,
    predicted: new Map(
      heads
        .filter((h) => row.scores[h.name] !== undefined)
        .map((h) => [h.name, trustedQuality(h, features)]),
    ),
  }));
}

/** Predicted cost used for picking: prompt chars/4 × input + expected output × output price. */
export function predictedCost(head: ModelHead, promptChars: number): number {
  return (
    ((promptChars / 4) * head.prices.inputPer1M +
      head.expectedOutputTokens * head.prices.outputPer1M) /
    1e6
  );
}

/** A row's candidates as the modes see them, with what each would really score and cost. */
export interface PreparedRow {
  candidates: ScoredCandidate[];
  score: number[];
  cost: number[];
}

export function prepareRows(
  rows: ScoredRow[],
  heads: Map<string, ModelHead>,
  reference: string,
): PreparedRow[] {
  return rows.map((r) => {
    const candidates = [...r.predicted].map(([name, quality]) => ({
      name,
      quality,
      cost: predictedCost(heads.get(name)!, r.row.prompt.length),
      reference: name === reference,
    }));
    return {
      candidates,
      score: candidates.map((c) => r.row.scores[c.name] ?? 0),
      cost: candidates.map((c) => promptCost(r.row, c.name, heads.get(c.name)!.prices)),
    };
  });
}

/** Realised mean quality and cost when routing prepared rows in a mode at given bands. */
export function routePrepared(
  rows: PreparedRow[],
  mode: 'quality' | 'balanced',
  bands: Bands,
): { quality: number; cost: number; picks: number[] } {
  let q = 0;
  let c = 0;
  const picks: number[] = [];
  for (const r of rows) {
    const i = pickIndex(r, mode, bands);
    picks.push(i);
    q += r.score[i]!;
    c += r.cost[i]!;
  }
  return { quality: q / Math.max(1, rows.length), cost: c / Math.max(1, rows.length), picks };
}

/** The position of a row's pick among its candidates. */
export function pickIndex(r: PreparedRow, mode: 'quality' | 'balanced', bands: Bands): number {
  const pick = pickByMode(r.candidates, mode, bands);
  return r.candidates.findIndex((x) => x.name === pick);
}

/**
 * Balanced routing at every band of `grid` (descending), as `routePrepared` band by band would
 * give it: each band's realised mean quality and cost, and the sum and sum of squares of the
 * per-prompt quality difference to the reference (for its paired standard error), every sum added
 * up prompt by prompt in order. Under the tradeoff rules a prompt's pick is the best of lines in
 * the charge for cost, which only grows as the band widens (under `ratio`, wider bands admit
 * supersets), so where two bands give a prompt the same pick every band between them does: each
 * prompt is routed at the grid's two ends and, by bisection, only inside intervals whose ends'
 * picks differ — a few dozen picks a prompt instead of one per band (1,401).
 */
export function routeCurve(
  rows: PreparedRow[],
  grid: readonly number[],
  bandsAt: (band: number) => Bands,
  referenceScore: (k: number) => number,
): { quality: Float64Array; cost: Float64Array; sum: Float64Array; sq: Float64Array } {
  const G = grid.length;
  const quality = new Float64Array(G);
  const cost = new Float64Array(G);
  const sum = new Float64Array(G);
  const sq = new Float64Array(G);
  const picks = new Int32Array(G);
  rows.forEach((r, k) => {
    picks.fill(-1);
    const at = (g: number) =>
      picks[g]! >= 0 ? picks[g]! : (picks[g] = pickIndex(r, 'balanced', bandsAt(grid[g]!)));
    const fill = (lo: number, hi: number): void => {
      const a = at(lo);
      if (a === at(hi)) picks.fill(a, lo + 1, hi);
      else if (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        fill(lo, mid);
        fill(mid, hi);
      }
    };
    if (G > 0) fill(0, G - 1);
    const ref = referenceScore(k);
    for (let g = 0; g < G; g++) {
      const i = picks[g]!;
      const score = r.score[i]!;
      quality[g]! += score;
      cost[g]! += r.cost[i]!;
      const d = score - ref;
      sum[g]! += d;
      sq[g]! += d * d;
    }
  });
  const n = Math.max(1, rows.length);
  for (let g = 0; g < G; g++) {
    quality[g]! /= n;
    cost[g]! /= n;
  }
  return { quality, cost, sum, sq };
}

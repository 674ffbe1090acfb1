// The second model family tried: k-nearest-neighbour routing over tf-idf weighted hashed n-grams
// (cosine similarity through an inverted index). A prompt's predicted quality for a model is the
// similarity-weighted mean score of its nearest training prompts, shrunk toward the model's mean.
import type { Features } from '../src/routing/features.js';
import type { FeaturedRow } from './heads.js';

export interface KnnModel {
  predict(f: Features, models: readonly string[]): Map<string, number>;
}

export function buildKnn(
  rows: FeaturedRow[],
  opts: { k?: number; maxDfShare?: number; prior?: number } = {},
): KnnModel {
  const k = opts.k ?? 25;
  const prior = opts.prior ?? 1;
  const n = rows.length;
  const df = new Map<number, number>();
  for (const r of rows)
    for (const idx of new Set(r.features.indices)) df.set(idx, (df.get(idx) ?? 0) + 1);
  const maxDf = Math.max(2, (opts.maxDfShare ?? 0.05) * n);
  const idf = (idx: number) => {
    const d = df.get(idx) ?? 0;
    return d === 0 || d > maxDf ? 0 : Math.log(n / d);
  };
  const vector = (f: Features) => {
    const tf = new Map<number, number>();
    for (const idx of f.indices) tf.set(idx, (tf.get(idx) ?? 0) + 1);
    let norm = 0;
    const out: [number, number][] = [];
    for (const [idx, c] of tf) {
      const w = c * idf(idx);
      if (w > 0) {
        out.push([idx, w]);
        norm += w * w;
      }
    }
    norm = Math.sqrt(norm) || 1;
    for (const e of out) e[1] /= norm;
    return out;
  };
  const postings = new Map<number, { row: number; w: number }[]>();
  rows.forEach((r, row) => {
    for (const [idx, w] of vector(r.features)) {
      let list = postings.get(idx);
      if (!list) postings.set(idx, (list = []));
      list.push({ row, w });
    }
  });
  const means = new Map<string, number>();
  const sims = new Float64Array(n);
  return {
    predict(f, models) {
      const touched: number[] = [];
      for (const [idx, w] of vector(f)) {
        for (const p of postings.get(idx) ?? []) {
          if (sims[p.row] === 0) touched.push(p.row);
          sims[p.row]! += w * p.w;
        }
      }
      touched.sort((a, b) => sims[b]! - sims[a]! || a - b);
      const top = touched.slice(0, k);
      const out = new Map<string, number>();
      for (const m of models) {
        let mean = means.get(m);
        if (mean === undefined) {
          const ys = rows.map((r) => r.row.scores[m]).filter((y): y is number => y !== undefined);
          mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
          means.set(m, mean);
        }
        let num = prior * mean;
        let den = prior;
        for (const row of top) {
          const y = rows[row]!.row.scores[m];
          if (y === undefined) continue;
          num += sims[row]! * y;
          den += sims[row]!;
        }
        out.set(m, num / den);
      }
      for (const row of touched) sims[row] = 0;
      return out;
    },
  };
}

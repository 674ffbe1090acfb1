// tf-idf over the hashed n-grams (artefacts from 2026-12-03, feature version 4): a group may carry
// an idf per hash bucket, learned from its training prompts; its heads then read each distinct
// bucket at (1 + ln count) × idf, the row scaled to unit length, as scikit-learn's
// `TfidfVectorizer(sublinear_tf=True)` weighs a hashed vocabulary. Groups without one read the
// raw features (each occurrence at 1/√n), as every artefact before did, and so do a gated source's
// heads marked `raw` in a group with one (feature version 5, `RawFeatures`).
import { HASH_SIZE, type Features } from './features.js';

/**
 * scikit-learn's smoothed idf, ln((1 + n) / (1 + df)) + 1, per bucket of `size` (a power of two):
 * df = how many of the prompts have an n-gram in the bucket. Kept as float32, as the artefact
 * stores it, so training weighs rows exactly as serving will.
 */
export function learnIdf(features: readonly Features[], size: number): Float32Array {
  const mask = size - 1;
  const df = new Int32Array(size);
  const seen = new Int32Array(size).fill(-1);
  features.forEach((f, k) => {
    for (let i = 0; i < f.indices.length; i++) {
      const b = f.indices[i]! & mask;
      if (seen[b] !== k) {
        seen[b] = k;
        df[b]!++;
      }
    }
  });
  const n = features.length;
  const idf = new Float32Array(size);
  for (let b = 0; b < size; b++) idf[b] = Math.log((1 + n) / (1 + df[b]!)) + 1;
  return idf;
}

/**
 * A row's count of each bucket while it is weighed: one 16-bit counter per bucket of the
 * largest hash space (128 KB), all zero between rows (a row clears those it counted). Counting
 * is then one read and one write per index with no branch to mispredict, where the probes of a
 * small open-addressing table (thirtieth session) took twice as long: a repeated bucket or a new
 * one, taken in turn at random (3.8 against 9.0 µs for a real 2k-token prompt's 1,400 indices,
 * thirty-sixth session).
 */
const COUNTS = new Uint16Array(HASH_SIZE);

/** 1 + ln c for the counts a row has (c ≥ 2), computed once: the same doubles as Math.log each time. */
const SUBLINEAR_TF = Float64Array.from({ length: 256 }, (_, c) => (c < 2 ? 1 : 1 + Math.log(c)));

/**
 * Writes the tf-idf terms of raw `indices` into `outIndices` / `outValues` (distinct buckets of
 * the idf's size, in order of first occurrence) and returns how many. The same arithmetic in
 * training and serving, so their predictions agree to the bit.
 */
function weighInto(
  indices: Int32Array,
  idf: Float32Array,
  outIndices: Int32Array,
  outValues: Float64Array,
): number {
  // A bank that keeps the idf in its rows (`keepIdfInRows`) is read there; else the idf itself,
  // a row of one float per bucket. The same floats either way, so the same terms to the bit.
  const at = ROWS.get(idf);
  const rows = at ? at.rows : idf;
  const stride = at ? at.stride : 1;
  const lane = at ? at.lane : 0;
  const mask = idf.length - 1;
  // A row has at most 2 × MAX_WORDS indices: far fewer than a counter holds.
  if (mask >= COUNTS.length || indices.length > 0xffff)
    throw new RangeError(`cannot weigh ${indices.length} indices by an idf of ${idf.length}`);
  const counts = COUNTS;
  let n = 0;
  for (let i = 0; i < indices.length; i++) {
    const b = indices[i]! & mask;
    const c = counts[b]!;
    counts[b] = c + 1;
    // Written every time, kept (n moves on) only at the bucket's first occurrence.
    outIndices[n] = b;
    n += (c - 1) >>> 31;
  }
  let sq = 0;
  for (let k = 0; k < n; k++) {
    const b = outIndices[k]!;
    const c = counts[b]!;
    counts[b] = 0;
    const v = (c < 256 ? SUBLINEAR_TF[c]! : 1 + Math.log(c)) * rows[b * stride + lane]!;
    outValues[k] = v;
    sq += v * v;
  }
  const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  for (let k = 0; k < n; k++) outValues[k]! *= scale;
  return n;
}

/**
 * A group's idf kept beside its heads' weights, for serving (`keepIdfInRows`): bucket b's idf at
 * float `b × stride + lane` of `rows`. The weighing then reads one cache line per distinct bucket
 * that the bank's sums find in the cache next, where it read a line of the idf and the sums
 * another of the bank (see docs/routing.md, "Speed").
 */
export interface IdfRows {
  rows: Float32Array;
  stride: number;
  lane: number;
}

/** Each idf's rows, where serving keeps them: the weighing reads them instead of the idf. */
const ROWS = new WeakMap<Float32Array, IdfRows>();

/** Weighs by `idf` from `rows` from now on (the same values: the rows hold the idf's floats). */
export function keepIdfInRows(idf: Float32Array, rows: IdfRows): void {
  if (rows.rows.length < idf.length * rows.stride || rows.lane >= rows.stride)
    throw new RangeError(`rows of ${rows.stride} floats cannot hold an idf of ${idf.length}`);
  for (let b = 0; b < idf.length; b++) rows.rows[b * rows.stride + rows.lane] = idf[b]!;
  ROWS.set(idf, rows);
}

/** `f` weighed by `idf` (training keeps these): its terms as indices with their own values. */
export function weighFeatures(f: Features, idf: Float32Array): Features {
  const indices = new Int32Array(f.indices.length);
  const values = new Float64Array(f.indices.length);
  const n = weighInto(f.indices, idf, indices, values);
  return {
    indices: indices.slice(0, n),
    values: values.slice(0, n),
    idf,
    sparseValue: 1,
    dense: f.dense,
    chars: f.chars,
  };
}

/** The last weighing on demand: its raw features, idf and result (in reused buffers). */
let last: { raw: Features; idf: Float32Array; weighed: Features } | undefined;
let scratchIndices = new Int32Array(0);
let scratchValues = new Float64Array(0);

/**
 * The features a head reads: `f` itself for a head without idf (one marked `raw` must be given raw
 * features), or features already weighed by
 * its idf (training's rows); else `f` weighed by the head's idf, on demand. The result of an
 * on-demand weighing lives in buffers reused by the next one (for another prompt or idf), so use
 * it at once; the same prompt and idf asked again (every head of a group, in a decision) are
 * weighed once.
 */
export function featuresFor(head: { idf?: Float32Array; raw?: true }, f: Features): Features {
  const idf = head.idf;
  if (head.raw && f.idf !== undefined)
    throw new Error('features weighed by an idf were given to a head that reads the raw features');
  if (idf === undefined || f.idf === idf) return f;
  if (f.idf !== undefined)
    throw new Error('features weighed by one idf were given to a head with another');
  if (last && last.raw === f && last.idf === idf) return last.weighed;
  if (scratchIndices.length < f.indices.length) {
    scratchIndices = new Int32Array(f.indices.length * 2);
    scratchValues = new Float64Array(f.indices.length * 2);
  }
  const n = weighInto(f.indices, idf, scratchIndices, scratchValues);
  const weighed: Features = {
    indices: scratchIndices.subarray(0, n),
    values: scratchValues.subarray(0, n),
    idf,
    sparseValue: 1,
    dense: f.dense,
    chars: f.chars,
  };
  last = { raw: f, idf, weighed };
  return weighed;
}

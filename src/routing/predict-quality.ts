// Predicting from the artefact's heads (routing-model.ts): one model's quality for a prompt's
// features, a set of heads at once from head banks (the hot path of a routing decision), how far a
// partly scored model is trusted on a prompt (its coverage head), which source's own heads
// score it (the gate), and a source's pair head (the weak model as the strong one less their
// predicted difference).
import type { Features } from './features.js';
import type { HeadWeights, ModelHead, PairHead, SourceExperts } from './routing-model.js';
import { featuresFor, keepIdfInRows } from './term-weights.js';

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/**
 * Predicted quality in [0, 1] of one model for these features (weighed by the head's idf first
 * where its group has one, `featuresFor`).
 */
export function predictQuality(head: HeadWeights, raw: Features): number {
  const f = featuresFor(head, raw);
  const w = head.sparse;
  const idx = f.indices;
  const mask = w.length - 1;
  const v = f.values;
  let s = 0;
  if (v) for (let i = 0; i < idx.length; i++) s += (w[idx[i]! & mask] as number) * v[i]!;
  else for (let i = 0; i < idx.length; i++) s += w[(idx[i] as number) & mask] as number;
  return fromSparseSum(head, s, f);
}

/**
 * How far a partial model's prediction is trusted on these features: its coverage head's
 * probability that the prompt is like those it was scored on, against half its typical value on
 * them (`COVERAGE_TRUST`), capped at 1 (1 without a coverage head). A model scored on a random
 * sample is trusted everywhere (the probability is about the same on every prompt); one scored on
 * a task's prompts, hardly on other tasks.
 */
export function coverageTrust(head: ModelHead, f: Features): number {
  const c = head.coverage;
  if (!c) return 1;
  return Math.min(1, predictQuality(c, f) / (COVERAGE_TRUST * c.typical));
}

/** A prompt whose coverage probability reaches this share of the typical one is trusted fully. */
export const COVERAGE_TRUST = 0.5;

/** A model's pooled-head prediction as the modes see it: `predictQuality` × `coverageTrust`. */
export function trustedQuality(head: ModelHead, f: Features): number {
  return predictQuality(head, f) * coverageTrust(head, f);
}

/**
 * `predictQuality` of several heads at once, bit for bit: two heads share each pass over the
 * feature indices (two independent sums keep the CPU busier than one: 14% less time per head
 * in a scratch loop). For `eval` and training's gates; serving reads `headBanks`, which also
 * spare the cache misses of reading each head's own array.
 */
export function predictQualities(heads: readonly HeadWeights[], f: Features): Float64Array {
  const out = new Float64Array(heads.length);
  const idx = f.indices;
  let k = 0;
  for (; k + 1 < heads.length; k += 2) {
    const a = heads[k]!;
    const b = heads[k + 1]!;
    if (a.idf || b.idf || f.values) {
      // Weighed features: each head alone (the same sums, in the same order).
      out[k] = predictQuality(a, f);
      out[k + 1] = predictQuality(b, f);
      continue;
    }
    const wa = a.sparse;
    const wb = b.sparse;
    const ma = wa.length - 1;
    const mb = wb.length - 1;
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < idx.length; i++) {
      const j = idx[i] as number;
      sa += wa[j & ma] as number;
      sb += wb[j & mb] as number;
    }
    out[k] = fromSparseSum(a, sa, f);
    out[k + 1] = fromSparseSum(b, sb, f);
  }
  if (k < heads.length) out[k] = predictQuality(heads[k]!, f);
  return out;
}

/** Heads per `HeadBank` at most: sixteen heads' float32 weights for one index fill 64 bytes. */
const BANK_HEADS = 16;

/**
 * Up to sixteen heads of one size with their sparse weights interleaved: row j holds every head's
 * weight for hashed index j side by side (a row of 4, 8 or 16 floats, one cache line at most), so a
 * pass over a prompt's indices reads about one cache line per index for all the heads, where
 * separate heads read one per head. A real prompt has hundreds of distinct indices and the next request's are
 * others, so the weights are read from all over memory: that is most of a decision's time (see
 * docs/routing.md, "Speed"). Sums are taken eight heads at a pass (four for the rest), all of a
 * bank's heads at once, and each head's is accumulated in the same order as `predictQuality`'s,
 * so the predictions are bit-identical.
 */
interface HeadBank {
  mask: number;
  /** Its heads' group's idf, if any: they read the features weighed by it. */
  idf?: Float32Array;
  /**
   * Lanes summed: the heads rounded up to a multiple of four (missing lanes are zeros, or the
   * idf's).
   */
  lanes: number;
  /** Floats per row: the heads' lanes and the idf's (`keepIdfInRows`), up to a power of two. */
  stride: number;
  weights: Float32Array;
  /** Per decision: every head's sum, and the decision (`stamp`) they were taken for. */
  sums: Float64Array;
  summed: number;
}

// Node's global, which this project's TypeScript libraries (no DOM) do not declare.
const WASM = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (pages: { initial: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/**
 * `length` zeros in memory that starts a page, so a cache line: a `WebAssembly.Memory` (pages of
 * 64 KB), whose buffer is an `ArrayBuffer` like another. A typed array of its own starts wherever
 * glibc's `calloc` puts it (16 bytes into a line when the block is mapped for it, anywhere 16 bytes
 * apart when it comes from the heap), and rows of 16 floats from there straddle two lines three
 * times in four: two misses where one would do. Where the memory cannot be had (an address-space
 * limit), a typed array of its own: the same results, a little slower.
 */
function alignedFloats(length: number): Float32Array {
  try {
    const memory = new WASM.Memory({ initial: Math.ceil((length * 4) / 65536) });
    return new Float32Array(memory.buffer, 0, length);
  } catch {
    return new Float32Array(length);
  }
}

/**
 * A bank of `heads` (one size, one idf), its rows a power of two floats from the start of a cache
 * line, so a row is one line (up to 16 floats). `withIdf`: the heads' idf in the lane past theirs,
 * where the weighing reads it (`keepIdfInRows`), so the prompt's rows are in the cache when the
 * sums read them.
 */
function headBank(heads: readonly HeadWeights[], withIdf: boolean): HeadBank {
  const size = heads[0]!.sparse.length;
  const lanes = Math.ceil(heads.length / 4) * 4;
  // The idf's lane: the first past the heads' (summed with them when it is one of the lanes: a
  // sum no head reads).
  const idfLane = heads.length;
  const stride = 1 << Math.ceil(Math.log2(Math.max(lanes, withIdf ? idfLane + 1 : 0)));
  const weights = alignedFloats(size * stride);
  heads.forEach((h, lane) => {
    for (let j = 0; j < size; j++) weights[j * stride + lane] = h.sparse[j]!;
  });
  const idf = heads[0]!.idf;
  if (withIdf && idf) keepIdfInRows(idf, { rows: weights, stride, lane: idfLane });
  return {
    mask: size - 1,
    ...(idf ? { idf } : {}),
    lanes,
    stride,
    weights,
    sums: new Float64Array(lanes),
    summed: -1,
  };
}

/**
 * Every head's sparse sum into `bank.sums`: eight lanes a pass, then four. One pass over the
 * prompt's indices for eight heads, rather than two of four, reads each row once instead of twice
 * (a 12-head bank on real prompts, one pass of eight and one of four against three of four: sums
 * 30% faster in a scratch loop, thirty-first session).
 */
function sumBank(bank: HeadBank, f: Features): void {
  let q = 0;
  for (; q + 8 <= bank.lanes; q += 8) sumEight(bank, q, f);
  if (q < bank.lanes) sumFour(bank, q, f);
}

/** The sparse sums of heads `q` … `q + 7` of the bank, into `bank.sums`. */
function sumEight(bank: HeadBank, q: number, f: Features): void {
  const w = bank.weights;
  const mask = bank.mask;
  const stride = bank.stride;
  const idx = f.indices;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  const v = f.values;
  if (v)
    for (let i = 0; i < idx.length; i++) {
      const b = ((idx[i] as number) & mask) * stride + q;
      const x = v[i]!;
      s0 += (w[b] as number) * x;
      s1 += (w[b + 1] as number) * x;
      s2 += (w[b + 2] as number) * x;
      s3 += (w[b + 3] as number) * x;
      s4 += (w[b + 4] as number) * x;
      s5 += (w[b + 5] as number) * x;
      s6 += (w[b + 6] as number) * x;
      s7 += (w[b + 7] as number) * x;
    }
  else
    for (let i = 0; i < idx.length; i++) {
      const b = ((idx[i] as number) & mask) * stride + q;
      s0 += w[b] as number;
      s1 += w[b + 1] as number;
      s2 += w[b + 2] as number;
      s3 += w[b + 3] as number;
      s4 += w[b + 4] as number;
      s5 += w[b + 5] as number;
      s6 += w[b + 6] as number;
      s7 += w[b + 7] as number;
    }
  const sums = bank.sums;
  sums[q] = s0;
  sums[q + 1] = s1;
  sums[q + 2] = s2;
  sums[q + 3] = s3;
  sums[q + 4] = s4;
  sums[q + 5] = s5;
  sums[q + 6] = s6;
  sums[q + 7] = s7;
}

/** The sparse sums of heads `q` … `q + 3` of the bank, into `bank.sums`. */
function sumFour(bank: HeadBank, q: number, f: Features): void {
  const w = bank.weights;
  const mask = bank.mask;
  const stride = bank.stride;
  const idx = f.indices;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const v = f.values;
  if (v)
    for (let i = 0; i < idx.length; i++) {
      const b = ((idx[i] as number) & mask) * stride + q;
      const x = v[i]!;
      s0 += (w[b] as number) * x;
      s1 += (w[b + 1] as number) * x;
      s2 += (w[b + 2] as number) * x;
      s3 += (w[b + 3] as number) * x;
    }
  else
    for (let i = 0; i < idx.length; i++) {
      const b = ((idx[i] as number) & mask) * stride + q;
      s0 += w[b] as number;
      s1 += w[b + 1] as number;
      s2 += w[b + 2] as number;
      s3 += w[b + 3] as number;
    }
  bank.sums[q] = s0;
  bank.sums[q + 1] = s1;
  bank.sums[q + 2] = s2;
  bank.sums[q + 3] = s3;
}

/**
 * Predictions over banks of heads, for serving. `sets` are heads that are often asked for
 * together (a group's gate and pooled heads, a source's heads); each set's heads of one size make
 * banks of up to sixteen. `predict` gives `predictQuality` of each head, bit for bit, summing
 * all of a bank's heads the first time one of them is asked for in a call (a group's gate, asked
 * first, so sums its pooled heads too); a head in no set is predicted alone.
 */
export function headBanks(sets: readonly (readonly HeadWeights[])[]): {
  predict(heads: readonly HeadWeights[], f: Features): Float64Array;
} {
  // Each set's heads by size, sixteen to a bank, built now: at start-up, not on a request.
  const where = new Map<HeadWeights, { bank: HeadBank; slot: number }>();
  const rowsOf = new Set<Float32Array>();
  for (const set of sets) {
    // Heads of one size and idf (a set is one group's, so one idf) share banks.
    const bySize = new Map<string, HeadWeights[]>();
    const idfs = new Map<Float32Array | undefined, number>();
    for (const h of new Set(set))
      if (!where.has(h)) {
        if (!idfs.has(h.idf)) idfs.set(h.idf, idfs.size);
        const key = `${h.sparse.length}:${idfs.get(h.idf)}`;
        bySize.set(key, [...(bySize.get(key) ?? []), h]);
      }
    for (const heads of bySize.values())
      for (let from = 0; from < heads.length; from += BANK_HEADS) {
        const members = heads.slice(from, from + BANK_HEADS);
        // The idf goes into the rows of the first bank of its size with a lane to spare (a
        // group's gate and pooled heads, which read every prompt of the group).
        const idf = members[0]!.idf;
        const withIdf =
          idf !== undefined &&
          !rowsOf.has(idf) &&
          idf.length === members[0]!.sparse.length &&
          members.length < BANK_HEADS;
        const bank = headBank(members, withIdf);
        if (withIdf) rowsOf.add(idf);
        members.forEach((h, slot) => where.set(h, { bank, slot }));
      }
  }
  let stamp = 0;
  let last: Features | undefined;
  return {
    predict(heads, f) {
      // A new decision's features, or the same features asked again (a gate, then its heads).
      if (f !== last) {
        stamp++;
        last = f;
      }
      const out = new Float64Array(heads.length);
      for (let k = 0; k < heads.length; k++) {
        const head = heads[k]!;
        const at = where.get(head);
        if (!at) {
          out[k] = predictQuality(head, f);
          continue;
        }
        if (at.bank.summed !== stamp) {
          sumBank(at.bank, featuresFor(at.bank, f));
          at.bank.summed = stamp;
        }
        out[k] = fromSparseSum(head, at.bank.sums[at.slot]!, featuresFor(head, f));
      }
      return out;
    },
  };
}

/** The head's prediction given its sum of sparse weights: bias, scaled sum, dense part, sigmoid. */
function fromSparseSum(head: HeadWeights, s: number, f: Features): number {
  let z = head.bias;
  z += s * f.sparseValue;
  const d = head.dense;
  // Older artefacts have weights for the first LEGACY_DENSE_SIZE features only.
  for (let i = 0; i < d.length; i++) z += (d[i] as number) * (f.dense[i] as number);
  return sigmoid(z);
}

/**
 * The source a gate assigns a prompt to, from its heads' probabilities `p` (in the order of
 * `sources`): the most likely one when it is more likely than not (ties to the first); otherwise
 * none, and the pooled heads answer. With `among`, only those sources' heads count (one-vs-rest
 * heads are fitted apart, so a gate of fewer sources is these heads less the others).
 */
export function mostLikelySource(
  p: ArrayLike<number>,
  sources: readonly string[],
  among?: readonly string[],
): string | undefined {
  let best = -1;
  for (let i = 0; i < p.length; i++)
    if ((!among || among.includes(sources[i]!)) && p[i]! > 0.5 && (best < 0 || p[i]! > p[best]!))
      best = i;
  return best < 0 ? undefined : sources[best];
}

/** A group's per-source heads: source → model → head. */
export function headsBySource(
  experts: SourceExperts,
): Map<string, Map<string, SourceExperts['heads'][number]>> {
  const bySource = new Map<string, Map<string, SourceExperts['heads'][number]>>();
  for (const h of experts.heads) {
    let m = bySource.get(h.source);
    if (!m) bySource.set(h.source, (m = new Map()));
    m.set(h.model, h);
  }
  return bySource;
}

/**
 * The weak model's predicted quality on a source with a pair head: the strong model's prediction
 * less the predicted difference (2p − 1, p the pair head's probability), kept in [0, 1].
 */
export function pairedQuality(strong: number, pairProbability: number): number {
  return Math.min(1, Math.max(0, strong - (2 * pairProbability - 1)));
}

/** What scores a prompt of a gated source: its heads by model, and its pair head if it has one. */
export interface GatedHeads {
  source: string;
  heads: Map<string, HeadWeights>;
  pair?: PairHead;
}

/**
 * For a group's per-source heads: from features to the gated source and its heads by model, or
 * undefined when the pooled heads answer (no per-source heads, or no source more likely than not).
 */
export function expertLookup(
  experts: SourceExperts | undefined,
  predict: (heads: readonly HeadWeights[], f: Features) => Float64Array = predictQualities,
): (f: Features) => GatedHeads | undefined {
  if (!experts) return () => undefined;
  const bySource = headsBySource(experts);
  const pairs = new Map((experts.pairs ?? []).map((p) => [p.source, p]));
  const sources = experts.gate.map((h) => h.source);
  return (f) => {
    const source = mostLikelySource(predict(experts.gate, f), sources);
    const heads = source === undefined ? undefined : bySource.get(source);
    if (!heads) return undefined;
    const pair = pairs.get(source!);
    return pair ? { source: source!, heads, pair } : { source: source!, heads };
  };
}

/**
 * `model`'s prediction from a gated source's heads, as training, `eval` and serving read it: its
 * own head's, or for the weak model of a pair, `pairedQuality`; undefined for a model without a
 * head on the source (its pooled head answers).
 */
export function gatedQuality(gated: GatedHeads, model: string, f: Features): number | undefined {
  const head = gated.heads.get(model);
  if (!head) return undefined;
  const pair = gated.pair;
  if (pair?.weak !== model) return predictQuality(head, f);
  return pairedQuality(predictQuality(gated.heads.get(pair.strong)!, f), predictQuality(pair, f));
}

/** Estimated prompt tokens from characters when no exact count is at hand. */
export function tokensFromChars(chars: number): number {
  return Math.ceil(chars / 4);
}

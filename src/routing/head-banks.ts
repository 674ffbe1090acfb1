// Head banks, the hot path of a routing decision: the heads asked for together, their sparse
// weights interleaved a row per hashed index in page-aligned memory, summed all at once and turned
// into predictions bit-identical to `predictQuality`'s (see docs/routing.md, "Speed").
import type { Features } from './features.js';
import { fromSparseSum, predictQuality } from './predict-quality.js';
import type { HeadWeights } from './routing-model.js';
import { featuresFor, keepIdfInRows } from './term-weights.js';

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

// Predicting from the artefact's heads (routing-model.ts): one model's quality for a prompt's
// features, a set of heads at once (serving reads them from head banks, head-banks.ts), how far a
// partly scored model is trusted on a prompt (its coverage head), which source's own heads
// score it (the gate), and a source's pair head (the weak model as the strong one less their
// predicted difference).
import type { Features } from './features.js';
import type { HeadWeights, ModelHead, PairHead, SourceExperts } from './routing-model.js';
import { featuresFor } from './term-weights.js';

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

/** The head's prediction given its sum of sparse weights: bias, scaled sum, dense part, sigmoid. */
export function fromSparseSum(head: HeadWeights, s: number, f: Features): number {
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

// The routing model artefact and its predictions: per model, calibrated quality (logistic over
// the shared features) and expected output tokens. Models are grouped by the data file they were
// trained on: scores are comparable only within a group, so serving compares quality relative to
// the group's best single model.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatZodIssues } from '../config/load-config.js';
import { DENSE_SIZE, HASH_SIZE, LEGACY_DENSE_SIZE, type Features } from './features.js';
import type { BandRule } from './pick-by-mode.js';

/** A logistic head's weights over the shared features. */
export interface HeadWeights {
  bias: number;
  /** A power of two (≤ HASH_SIZE) weights, little-endian float32, base64 in the file; feature
   * index i reads weight i & (length − 1). */
  sparse: Float32Array;
  dense: Float64Array;
}

export interface ModelHead extends HeadWeights {
  name: string;
  group: string;
  expectedOutputTokens: number;
  /**
   * Its strength on the group, by which the reference (strongest candidate) is taken: its mean
   * score; for a `partial` model, the best single model's mean plus its mean difference to it
   * where both are scored (training/model-pool.ts, `modelStrengths`).
   */
  meanScore: number;
  prices: { inputPer1M: number; outputPer1M: number };
  /**
   * A model scored on part of the training prompts (under 90% of the most-scored model's), or
   * added by `calibrate`: it could not be the best single model the bands were calibrated
   * against, so it is the reference only when no candidate is a model the artefact was trained
   * with (artefacts from the eleventh session; absent means false).
   */
  partial?: boolean;
  /**
   * A partial model's coverage head (artefacts from the eleventh session): how likely a prompt is
   * to be among those its scores came from, and that probability's mean over them (`typical`).
   * Its predictions are trusted in proportion (`coverageTrust`): a model scored on one task's
   * prompts is not predicted on other tasks by extrapolating from them.
   */
  coverage?: HeadWeights & { typical: number };
}

export interface GroupInfo {
  name: string;
  models: string[];
  bestSingle: string;
  bestMean: number;
  /** Bands calibrated on held-out data, and how Balanced and Cost use them (src/routing/pick-by-mode.ts). */
  bands: {
    balanced: number;
    cost: number;
    qualityMargin?: number;
    rule?: BandRule;
    /** Quality mode keeps the best single model: leaving it gained nothing beyond noise. */
    qualityHolds?: boolean;
  };
  /**
   * Heads of the group's large sources (artefacts from 2026-11-30f, where cross-fitting chose
   * them): a prompt the gate assigns to one of them is scored by that source's heads, any other
   * by the group's pooled heads (`models`).
   */
  experts?: SourceExperts;
}

/**
 * Per-source heads behind a gate. The gate is one-vs-rest: a head per source predicting that a
 * prompt is of it; the most likely source answers when it is more likely than not.
 */
export interface SourceExperts {
  gate: (HeadWeights & { source: string })[];
  /** A head per model and gated source, fitted on that source's prompts only. */
  heads: (HeadWeights & { model: string; source: string })[];
}

export interface RoutingArtefact {
  version: string;
  createdAt: string;
  featureVersion: number;
  hashSize: number;
  seed: number;
  groups: GroupInfo[];
  models: ModelHead[];
  /** Free-form training notes (data, sizes, validation numbers). */
  training: Record<string, unknown>;
}

/**
 * 3: the form features appended to the dense ones (artefacts from 2026-11-30c). 2 is read too:
 * its heads weigh the first LEGACY_DENSE_SIZE dense features, which are computed as they were.
 */
export const FEATURE_VERSION = 3;
const READABLE_FEATURE_VERSIONS = [2, 3];

/** A head's sparse size: a power of two the extracted features can be folded into. */
function headSizeOk(n: unknown): boolean {
  return (
    typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= HASH_SIZE && (n & (n - 1)) === 0
  );
}

type WeightsJson<T extends HeadWeights> = Omit<T, 'sparse' | 'dense'> & {
  sparse: string;
  dense: number[];
};
type ModelHeadJson = WeightsJson<ModelHead>;

function weightsJson<T extends HeadWeights>(h: T): WeightsJson<T> {
  return {
    ...h,
    sparse: Buffer.from(h.sparse.buffer, h.sparse.byteOffset, h.sparse.byteLength).toString(
      'base64',
    ),
    dense: [...h.dense].map((v) => Math.round(v * 1e6) / 1e6),
  };
}

export function serializeArtefact(a: RoutingArtefact): string {
  const groups = a.groups.map((g) =>
    g.experts
      ? {
          ...g,
          experts: {
            gate: g.experts.gate.map(weightsJson),
            heads: g.experts.heads.map(weightsJson),
          },
        }
      : g,
  );
  const models = a.models.map((m) =>
    m.coverage ? { ...weightsJson(m), coverage: weightsJson(m.coverage) } : weightsJson(m),
  );
  return JSON.stringify({ ...a, groups, models });
}

const finite = z.number().finite();
const weights = { bias: finite, sparse: z.string(), dense: z.array(finite) };
/** The file's shape, checked before use: a hand-edited or truncated artefact gets the path of what
 * is wrong, not a TypeError deep in a prediction. */
const artefactSchema = z.object({
  version: z.string(),
  createdAt: z.string(),
  featureVersion: z.number(),
  hashSize: z.number(),
  seed: finite,
  groups: z.array(
    z.object({
      name: z.string(),
      models: z.array(z.string()),
      bestSingle: z.string(),
      bestMean: finite,
      bands: z.object({
        balanced: finite,
        cost: finite,
        qualityMargin: finite.optional(),
        rule: z.enum(['ratio', 'tradeoff', 'tradeoff-margin']).optional(),
        qualityHolds: z.boolean().optional(),
      }),
      experts: z
        .object({
          gate: z.array(z.object({ source: z.string(), ...weights })),
          heads: z.array(z.object({ model: z.string(), source: z.string(), ...weights })),
        })
        .optional(),
    }),
  ),
  models: z.array(
    z.object({
      name: z.string(),
      group: z.string(),
      bias: finite,
      sparse: z.string(),
      dense: z.array(finite),
      expectedOutputTokens: finite,
      meanScore: finite,
      prices: z.object({ inputPer1M: finite, outputPer1M: finite }),
      partial: z.boolean().optional(),
      coverage: z.object({ typical: finite.positive(), ...weights }).optional(),
    }),
  ),
  training: z.record(z.string(), z.unknown()),
});

/** A routing artefact file that cannot be used, with what is wrong in it. */
export class ArtefactError extends Error {}

export function parseArtefact(text: string, source = 'artefact'): RoutingArtefact {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ArtefactError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const checked = artefactSchema.safeParse(json);
  if (!checked.success)
    throw new ArtefactError(
      `${source}: not a routing artefact (${formatZodIssues(checked.error).slice(0, 3).join('; ')})`,
    );
  const raw = checked.data as Omit<RoutingArtefact, 'models' | 'groups'> & {
    models: ModelHeadJson[];
    groups: (Omit<GroupInfo, 'experts'> & {
      experts?: {
        gate: WeightsJson<SourceExperts['gate'][number]>[];
        heads: WeightsJson<SourceExperts['heads'][number]>[];
      };
    })[];
  };
  const groupNames = new Set(raw.groups.map((g) => g.name));
  for (const m of raw.models)
    if (!groupNames.has(m.group))
      throw new ArtefactError(
        `${source}: model ${m.name} names group "${m.group}", which it does not have`,
      );
  for (const g of raw.groups)
    if (!g.models.includes(g.bestSingle))
      throw new ArtefactError(
        `${source}: group ${g.name}'s best single model ${g.bestSingle} is not one of its models`,
      );
  if (!READABLE_FEATURE_VERSIONS.includes(raw.featureVersion) || !headSizeOk(raw.hashSize))
    throw new ArtefactError(
      `${source}: feature version ${raw.featureVersion}/${raw.hashSize} does not match this build (${READABLE_FEATURE_VERSIONS.join(' or ')}, hash size a power of two ≤ ${HASH_SIZE}); retrain it.`,
    );
  const decode = <T extends HeadWeights>(h: WeightsJson<T>, what: string): T => {
    // Decoded straight into the weights' own memory: no intermediate copy at start-up (a 2^16
    // head is 256 KB; the 2026-11-30b/c artefacts hold 5 MB of them).
    const bytes = Buffer.byteLength(h.sparse, 'base64');
    const sparse = new Float32Array(bytes % 4 === 0 ? bytes / 4 : 0);
    Buffer.from(sparse.buffer).write(h.sparse, 'base64');
    if (
      !headSizeOk(sparse.length) ||
      (h.dense.length !== DENSE_SIZE && h.dense.length !== LEGACY_DENSE_SIZE)
    )
      throw new ArtefactError(`${source}: ${what} has the wrong shape`);
    return { ...h, sparse, dense: Float64Array.from(h.dense) } as unknown as T;
  };
  const models = raw.models.map((m) => {
    const head = decode<ModelHead>(m, `model ${m.name}`);
    const coverage = (m as { coverage?: WeightsJson<HeadWeights & { typical: number }> }).coverage;
    return coverage
      ? { ...head, coverage: decode(coverage, `model ${m.name}'s coverage head`) }
      : head;
  });
  const groups = raw.groups.map((g): GroupInfo => {
    const { experts, ...rest } = g;
    if (!experts) return rest;
    const gate = experts.gate.map((h) => decode(h, `group ${g.name}'s gate for ${h.source}`));
    const sources = new Set(gate.map((h) => h.source));
    const heads = experts.heads.map((h) => {
      if (!g.models.includes(h.model) || !sources.has(h.source))
        throw new ArtefactError(
          `${source}: group ${g.name} has a ${h.source} head for ${h.model}, which is not one of its models and gated sources`,
        );
      return decode(h, `group ${g.name}'s ${h.source} head for ${h.model}`);
    });
    return { ...rest, experts: { gate, heads } };
  });
  return { ...raw, groups, models };
}

export function loadArtefactFile(file: string): RoutingArtefact {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ArtefactError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseArtefact(text, file);
}

/** The file names `latest` chooses among (the newest by name): dated artefacts. */
export const DATED_ARTEFACT = /^\d{4}-\d{2}-\d{2}.*\.json$/;

/** `models/<version>.json`; `latest` = the newest `YYYY-MM-DD*.json` in the folder. */
export function resolveArtefactPath(dir: string, version: string): string {
  if (version !== 'latest') return join(dir, `${version}.json`);
  const files = readdirSync(dir)
    .filter((f) => DATED_ARTEFACT.test(f))
    .sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`no routing artefact (YYYY-MM-DD.json) in ${dir}`);
  return join(dir, newest);
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Predicted quality in [0, 1] of one model for these features. */
export function predictQuality(head: HeadWeights, f: Features): number {
  const w = head.sparse;
  const idx = f.indices;
  const mask = w.length - 1;
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += w[(idx[i] as number) & mask] as number;
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
 * weight for hashed index j side by side (a row of 4, 8, 12 or 16 floats), so a pass over a
 * prompt's indices reads about one cache line per index for all the heads, where separate heads
 * read one per head. A real prompt has hundreds of distinct indices and the next request's are
 * others, so the weights are read from all over memory: that is most of a decision's time (see
 * docs/routing.md, "Speed"). Sums are taken four heads at a time, and each head's is accumulated
 * in the same order as `predictQuality`'s, so the predictions are bit-identical.
 */
interface HeadBank {
  mask: number;
  /** Floats per row: the heads rounded up to a multiple of four (missing lanes are zeros). */
  width: number;
  weights: Float32Array;
  /** Per decision: the sums of each four heads, and the decision (`stamp`) they were taken for. */
  sums: Float64Array;
  summed: Float64Array;
}

function headBank(heads: readonly HeadWeights[]): HeadBank {
  const size = heads[0]!.sparse.length;
  const width = Math.ceil(heads.length / 4) * 4;
  const weights = new Float32Array(size * width);
  heads.forEach((h, lane) => {
    for (let j = 0; j < size; j++) weights[j * width + lane] = h.sparse[j]!;
  });
  return {
    mask: size - 1,
    width,
    weights,
    sums: new Float64Array(width),
    summed: new Float64Array(width / 4).fill(-1),
  };
}

/** The sparse sums of heads `q` … `q + 3` of the bank, into `bank.sums`. */
function sumFour(bank: HeadBank, q: number, idx: Int32Array): void {
  const w = bank.weights;
  const mask = bank.mask;
  const width = bank.width;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < idx.length; i++) {
    const b = ((idx[i] as number) & mask) * width + q;
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
 * each four heads it needs once per call; a head in no set is predicted alone.
 */
export function headBanks(sets: readonly (readonly HeadWeights[])[]): {
  predict(heads: readonly HeadWeights[], f: Features): Float64Array;
} {
  // Each set's heads by size, sixteen to a bank, built now: at start-up, not on a request.
  const where = new Map<HeadWeights, { bank: HeadBank; slot: number }>();
  for (const set of sets) {
    const bySize = new Map<number, HeadWeights[]>();
    for (const h of new Set(set))
      if (!where.has(h)) bySize.set(h.sparse.length, [...(bySize.get(h.sparse.length) ?? []), h]);
    for (const heads of bySize.values())
      for (let from = 0; from < heads.length; from += BANK_HEADS) {
        const members = heads.slice(from, from + BANK_HEADS);
        const bank = headBank(members);
        members.forEach((h, slot) => where.set(h, { bank, slot }));
      }
  }
  let stamp = 0;
  return {
    predict(heads, f) {
      stamp++;
      const out = new Float64Array(heads.length);
      for (let k = 0; k < heads.length; k++) {
        const head = heads[k]!;
        const at = where.get(head);
        if (!at) {
          out[k] = predictQuality(head, f);
          continue;
        }
        const four = at.slot >> 2;
        if (at.bank.summed[four] !== stamp) {
          sumFour(at.bank, four << 2, f.indices);
          at.bank.summed[four] = stamp;
        }
        out[k] = fromSparseSum(head, at.bank.sums[at.slot]!, f);
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
export function headsBySource(experts: SourceExperts): Map<string, Map<string, HeadWeights>> {
  const bySource = new Map<string, Map<string, HeadWeights>>();
  for (const h of experts.heads) {
    let m = bySource.get(h.source);
    if (!m) bySource.set(h.source, (m = new Map()));
    m.set(h.model, h);
  }
  return bySource;
}

/**
 * For a group's per-source heads: from features to the gated source and its heads by model, or
 * undefined when the pooled heads answer (no per-source heads, or no source more likely than not).
 */
export function expertLookup(
  experts: SourceExperts | undefined,
  predict: (heads: readonly HeadWeights[], f: Features) => Float64Array = predictQualities,
): (f: Features) => { source: string; heads: Map<string, HeadWeights> } | undefined {
  if (!experts) return () => undefined;
  const bySource = headsBySource(experts);
  const sources = experts.gate.map((h) => h.source);
  return (f) => {
    const source = mostLikelySource(predict(experts.gate, f), sources);
    const heads = source === undefined ? undefined : bySource.get(source);
    return heads && { source: source!, heads };
  };
}

/** Estimated prompt tokens from characters when no exact count is at hand. */
export function tokensFromChars(chars: number): number {
  return Math.ceil(chars / 4);
}

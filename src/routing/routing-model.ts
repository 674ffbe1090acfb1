// The routing model artefact: per model, a calibrated quality head (logistic over the shared
// features), expected output tokens and prices; its JSON form, strict parsing and loading by
// version. Models are grouped by the data file they were trained on: scores are comparable only
// within a group, so serving compares quality relative to the group's best single model.
// Predicting from it is predict-quality.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatZodIssues } from '../config/load-config.js';
import { DENSE_SIZE, HASH_SIZE, LEGACY_DENSE_SIZE } from './features.js';
import type { BandRule } from './pick-by-mode.js';

/** A logistic head's weights over the shared features. */
export interface HeadWeights {
  bias: number;
  /** A power of two (≤ HASH_SIZE) weights, little-endian float32, base64 in the file; feature
   * index i reads weight i & (length − 1). */
  sparse: Float32Array;
  dense: Float64Array;
  /**
   * Its group's idf (`GroupInfo.idf`), set when the artefact is read (never written per head):
   * the head reads the features weighed by it (src/routing/term-weights.ts).
   */
  idf?: Float32Array;
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
  /**
   * A two-model group without gated sources: its pair head (artefacts from 2026-12-01c), where
   * cross-fitting kept it. Prompts are scored as by a source's pair head (`PairHead`).
   */
  pair?: PairWeights;
  /**
   * Artefacts from 2026-12-03 (feature version 4): the idf of each hash bucket over the group's
   * training prompts; every head of the group reads the sparse features as tf-idf rows of unit
   * length (sublinear tf), as scikit-learn's TfidfVectorizer would (docs/routing.md, "Eighteenth
   * round"), but a source's heads marked `raw` (`RawFeatures`, from feature version 5). Without
   * it, the raw features (each occurrence at 1/√n), as before.
   */
  idf?: Float32Array;
}

/**
 * Per-source heads behind a gate. The gate is one-vs-rest: a head per source predicting that a
 * prompt is of it; the most likely source answers when it is more likely than not.
 */
export interface SourceExperts {
  gate: (HeadWeights & { source: string })[];
  /** A head per model and gated source, fitted on that source's prompts only. */
  heads: (HeadWeights & { model: string; source: string } & RawFeatures)[];
  /**
   * Pair heads (artefacts from 2026-12-02): for a gated source of two models, a head of the
   * difference between them, where cross-fitting found it ranks that source's prompts better
   * than the difference of the two models' own heads (docs/routing.md, "Fifteenth round").
   */
  pairs?: PairHead[];
}

/**
 * On prompts of `source`, the probability p that `strong` (the group's best single model) scores
 * better than `weak`, as (score(strong) − score(weak) + 1) / 2: the weak model is predicted
 * `pairedQuality` (the strong model's source head, less 2p − 1), its own head unread.
 */
export type PairHead = PairWeights & { source: string } & RawFeatures;

/**
 * A gated source's own heads and pair head may read the raw features although their group has an
 * idf (artefacts from 2026-12-03b): where cross-fitting found the source's prompts routed better so
 * (docs/routing.md, "Nineteenth round"). Absent: they read the group's tf-idf rows as its other heads.
 */
export interface RawFeatures {
  raw?: true;
}

/** A pair head's weights and models: on a gated source (`PairHead`) or a whole two-model group. */
export type PairWeights = HeadWeights & { strong: string; weak: string };

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
 * 5: a gated source's own heads may read the raw features in a group with an idf (`RawFeatures`,
 * artefacts from 2026-12-03b; a build before would give them the idf and mispredict, so it refuses
 * the version). 4: a group may carry an idf, and its heads read tf-idf rows (artefacts from 2026-12-03; a build
 * before would ignore the idf and mispredict, so it refuses the version). 3: the form features
 * appended to the dense ones (from 2026-11-30c). 2 is read too: its heads weigh the first
 * LEGACY_DENSE_SIZE dense features, which are computed as they were.
 */
export const FEATURE_VERSION = 5;
const READABLE_FEATURE_VERSIONS = [2, 3, 4, 5];
/** The first feature version whose groups may carry an idf. */
const IDF_FEATURE_VERSION = 4;
/** The first feature version whose source heads may read the raw features (`RawFeatures`). */
const RAW_HEADS_FEATURE_VERSION = 5;

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

function base64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function weightsJson<T extends HeadWeights>(h: T): WeightsJson<T> {
  // The group's idf is written once, on the group.
  const { idf: _idf, ...rest } = h;
  return {
    ...(rest as Omit<T, 'idf'>),
    sparse: base64(h.sparse),
    dense: [...h.dense].map((v) => Math.round(v * 1e6) / 1e6),
  } as unknown as WeightsJson<T>;
}

export function serializeArtefact(a: RoutingArtefact): string {
  const groups = a.groups.map((g) => ({
    ...g,
    ...(g.experts
      ? {
          experts: {
            gate: g.experts.gate.map(weightsJson),
            heads: g.experts.heads.map(weightsJson),
            ...(g.experts.pairs ? { pairs: g.experts.pairs.map(weightsJson) } : {}),
          },
        }
      : {}),
    ...(g.pair ? { pair: weightsJson(g.pair) } : {}),
    ...(g.idf ? { idf: base64(g.idf) } : {}),
  }));
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
          heads: z.array(
            z.object({
              model: z.string(),
              source: z.string(),
              raw: z.literal(true).optional(),
              ...weights,
            }),
          ),
          pairs: z
            .array(
              z.object({
                source: z.string(),
                strong: z.string(),
                weak: z.string(),
                raw: z.literal(true).optional(),
                ...weights,
              }),
            )
            .optional(),
        })
        .optional(),
      pair: z.object({ strong: z.string(), weak: z.string(), ...weights }).optional(),
      idf: z.string().optional(),
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
    groups: (Omit<GroupInfo, 'experts' | 'pair' | 'idf'> & {
      idf?: string;
      pair?: WeightsJson<PairWeights>;
      experts?: {
        gate: WeightsJson<SourceExperts['gate'][number]>[];
        heads: WeightsJson<SourceExperts['heads'][number]>[];
        pairs?: WeightsJson<PairHead>[];
      };
    })[];
  };
  const groupNames = new Set(raw.groups.map((g) => g.name));
  for (const m of raw.models)
    if (!groupNames.has(m.group))
      throw new ArtefactError(
        `${source}: model ${m.name} names group "${m.group}", which it does not have`,
      );
  const headNames = new Set(raw.models.map((m) => `${m.group}\u0000${m.name}`));
  for (const g of raw.groups) {
    if (!g.models.includes(g.bestSingle))
      throw new ArtefactError(
        `${source}: group ${g.name}'s best single model ${g.bestSingle} is not one of its models`,
      );
    // Evaluation and serving read a head for every model a group lists.
    const missing = g.models.filter((m) => !headNames.has(`${g.name}\u0000${m}`));
    if (missing.length)
      throw new ArtefactError(
        `${source}: group ${g.name} lists ${missing.join(', ')} but has no head for ${missing.length === 1 ? 'it' : 'them'} in "models"`,
      );
  }
  if (!READABLE_FEATURE_VERSIONS.includes(raw.featureVersion) || !headSizeOk(raw.hashSize))
    throw new ArtefactError(
      `${source}: feature version ${raw.featureVersion}/${raw.hashSize} does not match this build (${READABLE_FEATURE_VERSIONS.join(' or ')}, hash size a power of two ≤ ${HASH_SIZE}); retrain it.`,
    );
  const decode = <T extends HeadWeights>(h: WeightsJson<T>, what: string): T => {
    if ((h as { raw?: true }).raw && raw.featureVersion < RAW_HEADS_FEATURE_VERSION)
      throw new ArtefactError(
        `${source}: ${what} reads the raw features, which feature version ${raw.featureVersion} does not know`,
      );
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
    const { experts, pair: pairJson, idf: idfJson, ...plain } = g;
    const group: GroupInfo = plain;
    if (idfJson !== undefined) {
      if (raw.featureVersion < IDF_FEATURE_VERSION)
        throw new ArtefactError(
          `${source}: group ${g.name} has an idf, which feature version ${raw.featureVersion} does not read`,
        );
      const bytes = Buffer.byteLength(idfJson, 'base64');
      const idf = new Float32Array(bytes % 4 === 0 ? bytes / 4 : 0);
      Buffer.from(idf.buffer).write(idfJson, 'base64');
      if (!headSizeOk(idf.length) || !idf.every((v) => Number.isFinite(v) && v > 0))
        throw new ArtefactError(
          `${source}: group ${g.name}'s idf must be a power of two (≤ ${HASH_SIZE}) of positive numbers`,
        );
      group.idf = idf;
    }
    let rest: GroupInfo = group;
    if (pairJson) {
      const what = `group ${g.name}'s pair head for ${pairJson.strong} over ${pairJson.weak}`;
      if (
        pairJson.strong === pairJson.weak ||
        !g.models.includes(pairJson.strong) ||
        !g.models.includes(pairJson.weak)
      )
        throw new ArtefactError(`${source}: ${what} needs two different models of the group`);
      rest = { ...group, pair: decode<PairWeights>(pairJson, what) };
    }
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
    if (!experts.pairs) return { ...rest, experts: { gate, heads } };
    // A pair head predicts its weak model from the strong one's head on the same source.
    const pairs = experts.pairs.map((h) => {
      const what = `group ${g.name}'s ${h.source} pair head for ${h.strong} over ${h.weak}`;
      const own = (m: string) => heads.some((x) => x.source === h.source && x.model === m);
      if (h.strong === h.weak || !own(h.strong) || !own(h.weak))
        throw new ArtefactError(
          `${source}: ${what} needs two different models with ${h.source} heads of their own`,
        );
      return decode(h, what);
    });
    if (new Set(pairs.map((h) => h.source)).size !== pairs.length)
      throw new ArtefactError(`${source}: group ${g.name} has two pair heads for one source`);
    return { ...rest, experts: { gate, heads, pairs } };
  });
  return { ...raw, ...withGroupIdf(groups, models, source) };
}

/**
 * Every head of a group with an idf (its models' heads and coverage heads, its gate, source and
 * pair heads) given that idf, as serving and `eval` read them, but a source's heads that read the
 * raw features (`RawFeatures`); a head larger than the idf could not read the weighed features.
 */
export function withGroupIdf(
  groups: GroupInfo[],
  models: ModelHead[],
  source = 'artefact',
): { groups: GroupInfo[]; models: ModelHead[] } {
  const idfs = new Map(groups.flatMap((g) => (g.idf ? [[g.name, g.idf] as const] : [])));
  if (idfs.size === 0) return { groups, models };
  const give = <T extends HeadWeights & RawFeatures>(h: T, group: string, what: string): T => {
    const idf = idfs.get(group);
    // A source's head that reads the raw features (`RawFeatures`) is given none.
    if (!idf || h.raw) return h;
    if (h.sparse.length > idf.length)
      throw new ArtefactError(
        `${source}: ${what} has ${h.sparse.length} weights, more than group ${group}'s idf (${idf.length})`,
      );
    return { ...h, idf };
  };
  return {
    groups: groups.map((g) => {
      if (!g.idf) return g;
      const experts = g.experts && {
        gate: g.experts.gate.map((h) => give(h, g.name, `group ${g.name}'s gate for ${h.source}`)),
        heads: g.experts.heads.map((h) =>
          give(h, g.name, `group ${g.name}'s ${h.source} head for ${h.model}`),
        ),
        ...(g.experts.pairs
          ? {
              pairs: g.experts.pairs.map((h) =>
                give(h, g.name, `group ${g.name}'s ${h.source} pair head`),
              ),
            }
          : {}),
      };
      return {
        ...g,
        ...(experts ? { experts } : {}),
        ...(g.pair ? { pair: give(g.pair, g.name, `group ${g.name}'s pair head`) } : {}),
      };
    }),
    models: models.map((m) => {
      const head = give(m, m.group, `model ${m.name}`);
      return m.coverage
        ? { ...head, coverage: give(m.coverage, m.group, `model ${m.name}'s coverage head`) }
        : head;
    }),
  };
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

/**
 * An artefact named on the command line (`eval --model`, `calibrate --model`): a file, or a
 * version of those in `dir` as a router's `version:` names them (`latest`, `2026-12-01b`).
 */
export function artefactPathFor(value: string, dir: string): string {
  if (existsSync(value) || value.includes('/') || value.endsWith('.json')) return value;
  const versions = artefactVersions(dir);
  if (value !== 'latest' && !versions.includes(value))
    throw new ArtefactError(
      `no artefact "${value}": not a file, nor a version in ${dir} (${versions.length ? `versions: ${versions.join(', ')}, or latest` : 'none there'})`,
    );
  return resolveArtefactPath(dir, value);
}

/** The versions a router can name: every `<version>.json` in the models folder, sorted. */
export function artefactVersions(modelsDir: string): string[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
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

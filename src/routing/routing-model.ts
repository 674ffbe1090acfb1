// The routing model artefact: per model, a calibrated quality head (logistic over the shared
// features), expected output tokens and prices. Models are grouped by the data file they were
// trained on: scores are comparable only within a group, so serving compares quality relative to
// the group's best single model. Its JSON form and strict parsing are artefact-json.ts, its files
// and versions artefact-files.ts; predicting from it is predict-quality.ts.
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
    /**
     * Balanced (Cost) keeps the best single model: on the operator's scored prompts no band kept
     * the mode's promise (`model-router calibrate-bands`).
     */
    balancedHolds?: boolean;
    costHolds?: boolean;
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
  /** What it is known by: its file's name in the models folder (the router serves it as that). */
  version: string;
  /** The artefact `calibrate` or `calibrate-bands` wrote this one from, by its version. */
  derivedFrom?: string;
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
 * 6: a character of a script written without spaces (Han, Kana, Thai…) or a Hangul syllable is a
 * word by itself (`CHARACTER_WORDS_VERSION`, artefacts from 2026-12-04): serving extracts each
 * artefact's features by its own version, so older ones decide exactly as before. 5: a gated source's own heads may read the raw features in a group with an idf (`RawFeatures`,
 * artefacts from 2026-12-03b; a build before would give them the idf and mispredict, so it refuses
 * the version). 4: a group may carry an idf, and its heads read tf-idf rows (artefacts from 2026-12-03; a build
 * before would ignore the idf and mispredict, so it refuses the version). 3: the form features
 * appended to the dense ones (from 2026-11-30c). 2 is read too: its heads weigh the first
 * LEGACY_DENSE_SIZE dense features, which are computed as they were.
 */
export const FEATURE_VERSION = 6;

/** A routing artefact file that cannot be used, with what is wrong in it. */
export class ArtefactError extends Error {}

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

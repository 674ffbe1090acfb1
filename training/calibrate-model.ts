// Adding a model the artefact does not know from a small scored set (`model-router calibrate`):
// its head is a correction to a known model's head, lowered by a standard error of its level,
// with a coverage head where background prompts say where its scores came from.
import {
  type GroupInfo,
  type HeadWeights,
  type ModelHead,
  type SourceExperts,
} from '../src/routing/routing-model.js';
import { predictQuality } from '../src/routing/predict-quality.js';
import { DENSE_SIZE } from '../src/routing/features.js';
import { weighFeatures } from '../src/routing/term-weights.js';
import { DataError } from './data-error.js';
import { promptKey } from './prompt-hash.js';
import type { Price } from './load-prices.js';
import { boundedStandardError } from './score-uncertainty.js';
import { DEFAULT_TARGETS } from './band-targets.js';
import { fitAll, packRows, type FitTask } from './fit-pool.js';
import { headStats, logit, meanOfSigmoids, shiftToMean, type FeaturedRow } from './heads.js';
import { withCoverage } from './model-pool.js';

/**
 * A head for `model` fitted from a small scored set as a correction to a known model's head (the
 * anchor): the anchor's logit on each row is a fixed offset, and the fit (C = `c`, default 0.3;
 * the bias free) learns how `model` differs from it. The head is the anchor's weights plus the
 * correction; the correction is returned too, for the anchor's per-source heads.
 */
export function fitOnAnchor(
  rows: FeaturedRow[],
  model: string,
  anchor: ModelHead,
  prices: Map<string, Price>,
  c = 0.3,
): { head: ModelHead; correction: HeadWeights; logLoss: number } {
  const scored = rows.filter((r) => r.row.scores[model] !== undefined);
  const size = anchor.sparse.length;
  const offsets = Float64Array.from(scored, (r) => logit(predictQuality(anchor, r.features)));
  const task: FitTask = {
    rows: Int32Array.from(scored, (_, k) => k),
    targets: Float64Array.from(scored, (r) => r.row.scores[model]!),
    c,
    size,
    bias: 0,
    offsets,
  };
  const [x] = fitAll(packRows(scored.map((r) => r.features)), [task]) as [Float64Array];
  const correction: HeadWeights = {
    bias: x[size + DENSE_SIZE]!,
    sparse: Float32Array.from(x.subarray(0, size)),
    dense: x.slice(size, size + DENSE_SIZE),
  };
  const head: ModelHead = {
    name: model,
    group: anchor.group,
    ...withCorrection(anchor, correction),
    ...headStats(scored, model, prices),
  };
  let loss = 0;
  for (const r of scored) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, predictQuality(head, r.features)));
    const y = r.row.scores[model]!;
    loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return { head, correction, logLoss: loss / Math.max(1, scored.length) };
}

/**
 * `head` plus `correction`, as one head. A head smaller than the correction (a per-source head
 * sized by its source's prompts) is first widened by repeating its weights, which reads every
 * feature index exactly as before (index i reads weight i mod size).
 */
export function withCorrection(head: HeadWeights, correction: HeadWeights): HeadWeights {
  const size = Math.max(head.sparse.length, correction.sparse.length);
  const hm = head.sparse.length - 1;
  const cm = correction.sparse.length - 1;
  const sparse = new Float32Array(size);
  for (let i = 0; i < size; i++) sparse[i] = head.sparse[i & hm]! + correction.sparse[i & cm]!;
  const dense = new Float64Array(Math.max(head.dense.length, correction.dense.length));
  for (let i = 0; i < dense.length; i++)
    dense[i] = (head.dense[i] ?? 0) + (correction.dense[i] ?? 0);
  return { bias: head.bias + correction.bias, sparse, dense };
}

/**
 * A model the artefact does not know, fitted from a small scored set (`calibrate`): as a
 * correction to the known head of `group` that, so corrected, fits the set best (lowest log-loss),
 * or to `anchor` when given. Where the anchor has per-source heads, the new model gets them too,
 * with the same correction. Then its bias is lowered until its mean predicted quality on the set
 * is z standard errors of its mean score below the fitted one (z = 1, as the bands' bound): from
 * ~200 prompts its level is known only to within that, and the group's bands were calibrated
 * without it. The standard error is `boundedStandardError`'s, never 0 from a few answers that agree. Measured on llmrouter (docs/routing.md, "Eighth round"): this routes better than a
 * head fitted from scratch, and keeps Balanced's quality nearer the promise than the unshifted fit.
 * The head is `partial`: beside the group's best single model (or any model the group was trained
 * with) it is never the reference, as the bands were calibrated against that model. Its strength
 * (`meanScore`, which ranks it among partial candidates) is the best single model's mean plus the
 * new model's mean difference to it on the set: to its scores where the set has them, else to its
 * head's prediction, kept within [0, 1]. The set's own mean would rank a model tried on easy
 * prompts too high.
 * With `background` prompts (the group's training file, say: those in the set are left out), it
 * gets a coverage head (`withCoverage`) and no per-source heads: its scores are trusted on prompts
 * like the set's only, so a model scored on code prompts is not predicted on every other task
 * from them. Without, its correction applies everywhere, as before the twelfth session.
 * `opts`: the anchor, z (default the bands' `confidenceZ`), the correction's C (default 0.3) and
 * the background.
 */
export function calibrateModel(
  featured: FeaturedRow[],
  model: string,
  group: GroupInfo,
  known: ModelHead[],
  prices: Map<string, Price>,
  opts: { anchor?: string; z?: number; c?: number; background?: FeaturedRow[] } = {},
): {
  head: ModelHead;
  /** Its mean score on the set (the head's `meanScore` is its strength, measured as above). */
  meanScore: number;
  anchor: string;
  logLoss: number;
  standardError: number;
  biasShift: number;
  sourceHeads: SourceExperts['heads'];
  /** Background prompts its coverage head was fitted against (0: none, trusted everywhere). */
  background: number;
} {
  const { anchor } = opts;
  // A group with an idf (feature version 4): the new heads are fitted on the features its heads
  // read, weighed by it.
  const weighed = (rs: FeaturedRow[]) =>
    group.idf
      ? rs.map((r) =>
          r.features.idf === group.idf
            ? r
            : { ...r, features: weighFeatures(r.features, group.idf!) },
        )
      : rs;
  const rows = weighed(featured);
  const given = weighed(opts.background ?? []);
  const z = opts.z ?? DEFAULT_TARGETS.confidenceZ ?? 0;
  // The group's own heads: a model trained in two groups (gpt-4-1106-preview in arenabench and
  // routellm) has a head in each, and the other's reads features weighed by another idf.
  const candidates = known.filter(
    (h) => h.group === group.name && (anchor === undefined || h.name === anchor),
  );
  if (candidates.length === 0)
    throw new DataError(
      anchor === undefined
        ? `group ${group.name} has no model heads to calibrate ${model} against`
        : `--anchor ${anchor} is not a model of group ${group.name} (its models: ${group.models.join(', ')})`,
    );
  const fits = candidates
    .map((a) => ({ anchor: a.name, ...fitOnAnchor(rows, model, a, prices, opts.c) }))
    .sort((a, b) => a.logLoss - b.logLoss || a.anchor.localeCompare(b.anchor));
  const best = fits[0]!;
  const scored = rows.filter((r) => r.row.scores[model] !== undefined);
  // From a few prompts the sample's spread can be 0 (two answers that agree): the standard error
  // is bounded away from it by the widest spread a 0–1 score has (`boundedStandardError`).
  const standardError = scored.length
    ? boundedStandardError(scored.map((r) => r.row.scores[model]!))
    : 0;
  // The bias shift that lowers the mean predicted quality on the set by z standard errors.
  const logits = scored.map((r) => logit(predictQuality(best.head, r.features)));
  const drop = z * standardError;
  const biasShift = drop > 0 ? shiftToMean(logits, meanOfSigmoids(logits, 0) - drop) : 0;
  // Its strength (the reference is the strongest candidate): measured against the best single
  // model on the same prompts, by its scores where the set has them, else by its head's
  // prediction, as `modelStrengths` does for a model scored on part of a training file.
  const bestHead = known.find((h) => h.name === group.bestSingle && h.group === group.name);
  let strength = best.head.meanScore;
  if (bestHead && scored.length) {
    let diff = 0;
    for (const r of scored)
      diff +=
        r.row.scores[model]! -
        (r.row.scores[group.bestSingle] ?? predictQuality(bestHead, r.features));
    // A mean of 0–1 scores is within [0, 1]: the difference measured on a few prompts (+1 on two
    // where the reference failed) can carry it out, where it would outrank every model.
    strength = Math.min(1, Math.max(0, group.bestMean + diff / scored.length));
  }
  const head: ModelHead = {
    ...best.head,
    bias: best.head.bias + biasShift,
    meanScore: strength,
    partial: true,
  };
  // Prompts it was not scored on: a coverage head, as a model scored on part of a training file
  // gets, trusts its scores only on prompts like the scored ones. Its pooled head then answers
  // everywhere (the anchor's per-source heads would carry the correction, untrusted, onto sources
  // the set may not have).
  const background = coverageBackground(rows, given);
  const covered = background.length
    ? withCoverage([head], [...rows, ...background], new Set([model]), head.sparse.length)[0]!
    : undefined;
  // Heads of a group with an idf read the features weighed by it, as the artefact gives them when
  // it is read: raw features (`eval`, serving) are weighed on demand.
  const idf = group.idf ? { idf: group.idf } : {};
  const sourceHeads = covered
    ? []
    : (group.experts?.heads ?? [])
        .filter((h) => h.model === best.anchor)
        .map((h) => ({
          model,
          source: h.source,
          ...withCorrection(h, { ...best.correction, bias: best.correction.bias + biasShift }),
          // An anchor's source head on the raw features (`RawFeatures`) gives a head that reads
          // them too: the correction, fitted on the group's tf-idf rows, is read on raw rows there
          // (both of about unit length), where the anchor's weights could not be read on tf-idf.
          ...(h.raw ? { raw: true as const } : idf),
        }));
  const out = covered ?? head;
  return {
    head: {
      ...out,
      ...idf,
      ...(out.coverage ? { coverage: { ...out.coverage, ...idf } } : {}),
    },
    meanScore: best.head.meanScore,
    anchor: best.anchor,
    logLoss: best.logLoss,
    standardError,
    biasShift,
    sourceHeads,
    background: background.length,
  };
}

/** Background prompts for a calibrated model's coverage head: those not in its scored set. */
function coverageBackground(rows: FeaturedRow[], background: FeaturedRow[]): FeaturedRow[] {
  const scored = new Set(rows.map((r) => promptKey(r.row.prompt)));
  return background.filter((r) => !scored.has(promptKey(r.row.prompt)));
}

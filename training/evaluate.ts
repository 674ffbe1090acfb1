// Evaluating a routing artefact on test prompts: the three modes against the best single model
// (best on the training prompts), oracle, random at matched cost and always-cheapest; APGR and
// CPT(50%/80%) as the RouteLLM paper defines them for two-model files; per source as well as pooled.
import type { RoutingMode } from '../src/config/schema.js';
import { extractFeatures, requestFromPrompt, type Features } from '../src/routing/features.js';
import { pickByMode, type Bands } from '../src/routing/pick-by-mode.js';
import {
  type GroupInfo,
  type ModelHead,
  type RoutingArtefact,
} from '../src/routing/routing-model.js';
import {
  expertLookup,
  gatedQuality,
  pairedQuality,
  predictQuality,
  trustedQuality,
} from '../src/routing/predict-quality.js';
import { standardErrorOfMean } from './calibrate-bands.js';
import { predictedCost } from './route-prepared.js';
import { promptCost, sourceGroup, type DataRow } from './dataset.js';
import {
  artefactModelNames,
  groupsForTestFiles,
  modelsOutOfPlay,
  type PartialBaseline,
  type TestRowNotes,
} from './test-rows.js';

export interface ModeResult {
  quality: number;
  cost: number;
  /** Against the best single model; null where that is 0 and this is not (see `ratioTo`). */
  quality_ratio: number | null;
  /**
   * Standard error of `quality_ratio` from these test prompts alone (paired: the spread of the
   * pick's score less the best single model's, over √n, on the best single model's scale). A
   * ratio a standard error or two from a target says little about the target.
   */
  quality_ratio_se: number | null;
  cost_ratio: number | null;
  share: Record<string, number>;
}

export interface EvalSummary {
  models: string[];
  prompts: number;
  best_single: { model: string; quality: number; cost: number };
  oracle: { quality: number; cost: number };
  random: { quality: number; cost: number };
  cheapest: { model: string; quality: number; cost: number };
  modes: Record<RoutingMode, ModeResult>;
  apgr: number | null;
  cpt50: number | null;
  cpt80: number | null;
  /**
   * Two-model sets: the gap APGR is a share of, on these test prompts: the strong (best single)
   * model's mean score less the weak one's, with its paired standard error (null under two
   * prompts). APGR and CPT are null where the gap is not positive; within two standard errors
   * of none they are shares of noise, and `eval` says so (`apgrGapNotes`).
   */
  apgr_gap?: { strong: string; weak: string; pairs: number; gap: number; gap_se: number | null };
}

export interface EvalReport extends EvalSummary {
  by_source: Record<string, EvalSummary>;
  /**
   * With `eval --model`: the test files with prompts the artefact was trained on (by a fingerprint
   * of its training prompts; older artefacts: files named as its groups), whose figures are
   * in-sample for those prompts (training/in-sample.ts).
   */
  in_sample?: {
    /** `prompt content` for artefacts that keep a fingerprint of their prompts, else `file name`. */
    basis: 'prompt content' | 'file name';
    files: {
      file: string;
      /** The training file (group) of the same name; by content, the one holding most of them. */
      trained_on: string;
      trained_prompts: number | null;
      /** By content: the file's distinct prompts, those trained on, and their share. */
      test_prompts?: number;
      in_sample_prompts?: number;
      in_sample_fraction?: number;
    }[];
  };
}

/** Models named in a mode's share; the rest are summed as "N others". */
const SHARES_LISTED = 8;

/** A mode's share per model for tables, largest first (the JSON keeps every model's). */
export function shareText(share: Record<string, number>): string {
  const sorted = Object.entries(share).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = sorted.slice(0, SHARES_LISTED).map(([m, s]) => `${m} ${(s * 100).toFixed(0)}%`);
  const rest = sorted.slice(SHARES_LISTED);
  if (rest.length)
    named.push(`${rest.length} others ${(rest.reduce((a, [, s]) => a + s, 0) * 100).toFixed(0)}%`);
  return named.join(', ');
}

/**
 * `value` as a multiple of `reference` (the best single model's mean quality or cost). Where the
 * reference is 0 (a free pool, or a source its best model gets wholly wrong), the same value is
 * 1× and any other has no ratio (null), rather than a 0 that reads as "lost everything".
 */
export function ratioTo(value: number, reference: number): number | null {
  if (reference > 0) return value / reference;
  return value === reference ? 1 : null;
}

/** Everything known about one test prompt: predictions, real scores and costs per model. */
export interface PromptOutcome {
  row: DataRow;
  models: string[];
  predicted: Map<string, number>;
  predictedCost: Map<string, number>;
  cost: Map<string, number>;
  /** The reference the modes charge against, as serving takes it (the best fully scored model). */
  bestSingle: string;
  /**
   * The model ratios and APGR are measured against where it is not `bestSingle`: the best single
   * model on the training prompts, a model scored on part of them (`evalBaselines`).
   */
  baseline?: string;
  cheapest: string;
  bands: Bands;
}

const MODES: RoutingMode[] = ['quality', 'balanced', 'cost'];

/**
 * Another model family's predictions (quality per model) for a test prompt; `own` is what the
 * artefact's heads predict for it, as serving has it (a blend starts from it).
 */
export type Predictor = (
  row: DataRow,
  features: Features,
  group: string,
  models: readonly string[],
  own: Map<string, number>,
) => Map<string, number>;

export type GroupBands = Map<string, Bands>;

/** Models `calibrate` added to each group (`group\u0000model`): not trained on its prompts. */
function calibratedModels(artefact: RoutingArtefact): Set<string> {
  const added = new Set<string>();
  for (const [key, note] of Object.entries(artefact.training)) {
    if (!key.startsWith('calibrated:')) continue;
    const { group, models } = note as { group?: unknown; models?: unknown };
    if (typeof group !== 'string' || !Array.isArray(models)) continue;
    for (const m of models as { model?: unknown }[])
      if (typeof m?.model === 'string') added.add(`${group}\u0000${m.model}`);
  }
  return added;
}

/**
 * The model `eval` measures each group against: the best single model on the training prompts.
 * Of the models trained with the group (not those `calibrate` added), the strongest by its head's
 * `meanScore`: a fully scored model's mean score; a partly scored one's mean difference to the
 * reference on the training prompts both are scored on, plus the reference's mean
 * (`modelStrengths`), so it is compared where both answered, not on its own (perhaps easier)
 * prompts. Ties keep the reference (`bestSingle`). Only groups where it is another model are listed.
 */
export function evalBaselines(artefact: RoutingArtefact): PartialBaseline[] {
  const added = calibratedModels(artefact);
  const out: PartialBaseline[] = [];
  for (const g of artefact.groups) {
    let best = artefact.models.find((m) => m.group === g.name && m.name === g.bestSingle);
    if (!best) continue;
    const reference = best;
    for (const m of artefact.models)
      if (
        m.group === g.name &&
        g.models.includes(m.name) &&
        !added.has(`${g.name}\u0000${m.name}`) &&
        m.meanScore > best.meanScore
      )
        best = m;
    if (best !== reference)
      out.push({
        group: g.name,
        model: best.name,
        strength: best.meanScore,
        reference: g.bestSingle,
        referenceMean: reference.meanScore,
      });
  }
  return out;
}

export function scoreTestRows(
  artefact: RoutingArtefact,
  rows: DataRow[],
  bandsOverride?: Partial<{ balanced: number; cost: number }>,
  predictor?: Predictor,
  groupBands?: GroupBands,
  /**
   * `eval`: each group's best single model on the training prompts where the reference is not
   * (`evalBaselines`); ratios are against it, on the prompts that score it. Without it (`calibrate-bands`,
   * whose bands are the reference's), ratios are against the reference.
   */
  baselines: PartialBaseline[] = [],
): {
  outcomes: PromptOutcome[];
  skipped: TestRowNotes;
  /** The artefact group each test file's rows were scored with (none: left out). */
  byFile: Map<string, GroupInfo | undefined>;
} {
  const heads = new Map<string, ModelHead>(
    artefact.models.map((m) => [`${m.group}\u0000${m.name}`, m]),
  );
  const experts = new Map(artefact.groups.map((g) => [g.name, expertLookup(g.experts)]));
  const outcomes: PromptOutcome[] = [];
  const { rows: named, renamed } = artefactModelNames(artefact, rows);
  const { byFile, matched } = groupsForTestFiles(artefact, named);
  const skipped: TestRowNotes = {
    total: 0,
    unknownGroup: 0,
    unscoredBest: new Map(),
    matched,
    renamed,
    ...modelsOutOfPlay(named, byFile),
  };
  const baselineByGroup = new Map(baselines.map((b) => [b.group, b.model]));
  const usedBaselines = new Set<PartialBaseline>();
  for (const row of named) {
    if (row.contaminated) continue;
    const g = byFile.get(row.group);
    if (!g) {
      skipped.total++;
      skipped.unknownGroup++;
      continue;
    }
    const models = g.models.filter((m) => row.scores[m] !== undefined);
    const baseline = baselineByGroup.get(g.name);
    // Every ratio is against the baseline on the same prompts; the modes need the reference among
    // the candidates to charge against it as serving does.
    const missing =
      baseline !== undefined && row.scores[baseline] === undefined
        ? baseline
        : models.length === 0 || row.scores[g.bestSingle] === undefined
          ? g.bestSingle
          : undefined;
    if (missing !== undefined) {
      skipped.total++;
      const counts =
        missing === baseline || baseline === undefined
          ? skipped.unscoredBest
          : (skipped.unscoredReference ??= new Map());
      counts.set(missing, (counts.get(missing) ?? 0) + 1);
      continue;
    }
    const partialBaseline = baselines.find((b) => b.group === g.name);
    if (partialBaseline) usedBaselines.add(partialBaseline);
    const features = extractFeatures(requestFromPrompt(row.prompt), false, artefact.featureVersion);
    const predicted = new Map<string, number>();
    const pCost = new Map<string, number>();
    const cost = new Map<string, number>();
    // As serving compares them: relative to the best single model's mean on the training prompts.
    const unit = g.bestMean > 0 ? g.bestMean : 1;
    const gated = experts.get(g.name)!(features);
    const own = new Map<string, number>();
    for (const m of models) {
      const h = heads.get(`${g.name}\u0000${m}`)!;
      // As serving has it: the gated source's head (or its pair head, `gatedQuality`) where there
      // is one, else the pooled head, trusted as far as the prompt is like the model's scored ones.
      own.set(
        m,
        (gated && gatedQuality(gated, m, features)) ??
          (!gated && g.pair?.weak === m
            ? pairedQuality(
                trustedQuality(heads.get(`${g.name}\u0000${g.pair.strong}`)!, features),
                predictQuality(g.pair, features),
              )
            : trustedQuality(h, features)),
      );
    }
    const other = predictor?.(row, features, g.name, models, own);
    for (const m of models) {
      const h = heads.get(`${g.name}\u0000${m}`)!;
      predicted.set(m, (other?.get(m) ?? own.get(m)!) / unit);
      pCost.set(m, predictedCost(h, row.prompt.length));
      cost.set(m, promptCost(row, m, h.prices));
    }
    const cheapest = [...models].sort((a, b) => {
      const ha = heads.get(`${g.name}\u0000${a}`)!;
      const hb = heads.get(`${g.name}\u0000${b}`)!;
      return (
        ha.prices.inputPer1M +
          ha.prices.outputPer1M -
          (hb.prices.inputPer1M + hb.prices.outputPer1M) || a.localeCompare(b)
      );
    })[0]!;
    outcomes.push({
      row,
      models,
      predicted,
      predictedCost: pCost,
      cost,
      bestSingle: g.bestSingle,
      ...(baseline === undefined ? {} : { baseline }),
      cheapest,
      bands: { ...(groupBands?.get(g.name) ?? g.bands), ...bandsOverride, scale: 1 },
    });
  }
  if (usedBaselines.size) skipped.baselines = [...usedBaselines];
  return { outcomes, skipped, byFile };
}

/** The model a mode picks for one prompt. */
export function pickFor(o: PromptOutcome, mode: RoutingMode, bands = o.bands): string {
  const cands = o.models.map((name) => ({
    name,
    quality: o.predicted.get(name)!,
    cost: o.predictedCost.get(name)!,
    reference: name === o.bestSingle,
  }));
  return pickByMode(cands, mode, bands);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** The model a prompt's ratios are measured against: the best single model on the training prompts. */
function baselineOf(o: PromptOutcome): string {
  return o.baseline ?? o.bestSingle;
}

/**
 * RouteLLM's APGR and CPT for a strong/weak pair: sweep the share of prompts sent to strong, the
 * best single model on the training prompts (`baselineOf`). Only for two-model sets (null when
 * the prompts name more models); a prompt that has one of the two scored (a judge that gave no
 * grade) is left out, as a pairwise comparison needs both.
 */
export function apgrAndCpt(
  outcomes: PromptOutcome[],
): Pick<EvalSummary, 'apgr' | 'cpt50' | 'cpt80' | 'apgr_gap'> {
  const named = new Set(outcomes.flatMap((o) => o.models));
  const pairs = outcomes.filter((o) => o.models.length === 2);
  if (pairs.length === 0 || named.size !== 2) return { apgr: null, cpt50: null, cpt80: null };
  const strong = baselineOf;
  const weak = (o: PromptOutcome) => o.models.find((m) => m !== baselineOf(o))!;
  const qStrong = mean(pairs.map((o) => o.row.scores[strong(o)]!));
  const qWeak = mean(pairs.map((o) => o.row.scores[weak(o)]!));
  const gap = qStrong - qWeak;
  const apgr_gap = {
    strong: strong(pairs[0]!),
    weak: weak(pairs[0]!),
    pairs: pairs.length,
    gap,
    gap_se:
      pairs.length < 2
        ? null
        : standardErrorOfMean(pairs.length, (i) => {
            const o = pairs[i]!;
            return o.row.scores[strong(o)]! - o.row.scores[weak(o)]!;
          }),
  };
  // A strong model no better than the weak one on these prompts leaves no gap to recover: any
  // share of it (−0.6, 27) would read as a result.
  if (!(gap > 1e-9)) return { apgr: null, cpt50: null, cpt80: null, apgr_gap };
  // Router score: how much the strong model is predicted to win by.
  const ranked = [...pairs].sort((a, b) => {
    const sa = a.predicted.get(strong(a))! - a.predicted.get(weak(a))!;
    const sb = b.predicted.get(strong(b))! - b.predicted.get(weak(b))!;
    return sb - sa || a.row.id.localeCompare(b.row.id);
  });
  const n = ranked.length;
  let total = mean(ranked.map((o) => o.row.scores[weak(o)]!)) * n;
  const pgr: number[] = [0];
  for (let k = 0; k < n; k++) {
    const o = ranked[k]!;
    total += o.row.scores[strong(o)]! - o.row.scores[weak(o)]!;
    pgr.push((total / n - qWeak) / gap);
  }
  // Average PGR over the strong-call share from 0 to 100% (trapezoid rule).
  let area = 0;
  for (let k = 1; k <= n; k++) area += (pgr[k - 1]! + pgr[k]!) / 2;
  const apgr = area / n;
  const cpt = (target: number) => {
    for (let k = 0; k <= n; k++) if (pgr[k]! >= target) return k / n;
    return 1;
  };
  return { apgr, cpt50: cpt(0.5), cpt80: cpt(0.8), apgr_gap };
}

/**
 * What `eval` says of APGR where its gap says little (`where`: "" pooled, else a source): not
 * reported for no positive gap, noise for a gap within two standard errors of none.
 */
export function apgrGapNotes(summary: EvalSummary, where: string): string[] {
  const g = summary.apgr_gap;
  if (!g) return [];
  const of = where ? ` for ${where}` : '';
  const gapText = `${g.gap.toFixed(3)}${g.gap_se === null ? '' : ` ± ${g.gap_se.toFixed(3)}`} over ${g.pairs} prompt${g.pairs === 1 ? '' : 's'}`;
  if (summary.apgr === null)
    return [
      `APGR and CPT${of} are not reported: on the test prompts ${g.strong} (the best single model on the training prompts) does not score above ${g.weak} (gap ${gapText}), so there is no gap for a router to recover`,
    ];
  if (g.gap_se !== null && g.gap < 2 * g.gap_se)
    return [
      `APGR${of} (${summary.apgr.toFixed(3)}) is a share of a gap within two standard errors of none (${g.strong} − ${g.weak}: ${gapText}): read it and CPT as noise`,
    ];
  return [];
}

export function summarize(outcomes: PromptOutcome[]): EvalSummary {
  const n = outcomes.length;
  const models = [...new Set(outcomes.flatMap((o) => o.models))].sort();
  const bestNames = [...new Set(outcomes.map(baselineOf))];
  const best = {
    model: bestNames.join('|'),
    quality: mean(outcomes.map((o) => o.row.scores[baselineOf(o)]!)),
    cost: mean(outcomes.map((o) => o.cost.get(baselineOf(o))!)),
  };
  const cheapestNames = [...new Set(outcomes.map((o) => o.cheapest))];
  const cheapest = {
    model: cheapestNames.join('|'),
    quality: mean(outcomes.map((o) => o.row.scores[o.cheapest]!)),
    cost: mean(outcomes.map((o) => o.cost.get(o.cheapest)!)),
  };
  const oracle = {
    quality: mean(outcomes.map((o) => Math.max(...o.models.map((m) => o.row.scores[m]!)))),
    cost: mean(
      outcomes.map((o) => {
        const top = Math.max(...o.models.map((m) => o.row.scores[m]!));
        return Math.min(
          ...o.models.filter((m) => o.row.scores[m] === top).map((m) => o.cost.get(m)!),
        );
      }),
    ),
  };
  const modes = {} as Record<RoutingMode, ModeResult>;
  for (const mode of MODES) {
    const picks = outcomes.map((o) => pickFor(o, mode));
    const counts = new Map<string, number>();
    for (const p of picks) counts.set(p, (counts.get(p) ?? 0) + 1);
    // Counted, then divided: a model with every pick has a share of exactly 1.
    const share = Object.fromEntries([...counts].map(([m, c]) => [m, c / n]));
    const quality = mean(outcomes.map((o, i) => o.row.scores[picks[i]!]!));
    const cost = mean(outcomes.map((o, i) => o.cost.get(picks[i]!)!));
    // Paired with the best single model, prompt by prompt, as the bands' bound is.
    const se = standardErrorOfMean(n, (i) => {
      const o = outcomes[i]!;
      return o.row.scores[picks[i]!]! - o.row.scores[baselineOf(o)]!;
    });
    modes[mode] = {
      quality,
      cost,
      quality_ratio: ratioTo(quality, best.quality),
      // One prompt has no spread to measure: unknown (null), not a standard error of 0.
      quality_ratio_se: n < 2 ? null : best.quality > 0 ? se / best.quality : se === 0 ? 0 : null,
      cost_ratio: ratioTo(cost, best.cost),
      share,
    };
  }
  // Random at matched cost: a coin between the best single and the cheapest model whose expected
  // cost equals Balanced's.
  const target = modes.balanced.cost;
  const p =
    best.cost === cheapest.cost
      ? 1
      : Math.min(1, Math.max(0, (target - cheapest.cost) / (best.cost - cheapest.cost)));
  const random = {
    quality: p * best.quality + (1 - p) * cheapest.quality,
    cost: p * best.cost + (1 - p) * cheapest.cost,
  };
  return {
    models,
    prompts: n,
    best_single: best,
    oracle,
    random,
    cheapest,
    modes,
    ...apgrAndCpt(outcomes),
  };
}

export function evaluate(
  artefact: RoutingArtefact,
  rows: DataRow[],
  bandsOverride?: Partial<{ balanced: number; cost: number }>,
  family?: { predictor: Predictor; bands: GroupBands },
): { report: EvalReport; skipped: TestRowNotes; outcomes: PromptOutcome[] } {
  const { outcomes, skipped, byFile } = scoreTestRows(
    artefact,
    rows,
    bandsOverride,
    family?.predictor,
    family?.bands,
    evalBaselines(artefact),
  );
  const groups = [...new Set(outcomes.map((o) => byFile.get(o.row.group)!.name))].sort();
  if (groups.length > 1) skipped.pooledGroups = groups;
  const bySource = new Map<string, PromptOutcome[]>();
  for (const o of outcomes) {
    const key = sourceGroup(o.row.source);
    let list = bySource.get(key);
    if (!list) bySource.set(key, (list = []));
    list.push(o);
  }
  // Defined, not assigned: a source named `__proto__` is a key like any other.
  const by_source: Record<string, EvalSummary> = Object.fromEntries(
    [...bySource].sort(([a], [b]) => a.localeCompare(b)).map(([k, list]) => [k, summarize(list)]),
  );
  return { report: { ...summarize(outcomes), by_source }, skipped, outcomes };
}

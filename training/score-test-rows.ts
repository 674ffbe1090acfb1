// Scoring test prompts as serving would: per prompt, each model's predicted quality (the
// artefact's heads, or another family's), its predicted and real cost, and the pick of a mode.
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
import { predictedCost } from './route-prepared.js';
import { promptCost } from './prompt-cost.js';
import type { DataRow } from './load-rows.js';
import {
  artefactModelNames,
  groupsForTestFiles,
  modelsOutOfPlay,
  type PartialBaseline,
  type TestRowNotes,
} from './test-rows.js';

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

/**
 * Each test row the artefact can route, as serving would route it: the predicted quality of every
 * model it scores (`predictor`'s where given), predicted and real costs, bands; and the rows left out.
 */
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
    if (row.contaminated) {
      skipped.total++;
      skipped.contaminated = (skipped.contaminated ?? 0) + 1;
      continue;
    }
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

/** The model a prompt's ratios are measured against: the best single model on the training prompts. */
export function baselineOf(o: PromptOutcome): string {
  return o.baseline ?? o.bestSingle;
}

// The heads blended with the low-rank family (`eval --family lowrank-blend`): each model's
// predicted quality is (1 − w) × the heads' (as serving has it: source heads, pair heads) + w × the
// low-rank model's. The weight is chosen per group on the training prompts only, as a source's own
// heads are kept (`chooseSourceHeads`): the low-rank model is cross-fitted on the folds the heads'
// bands were calibrated on, each weight of `BLEND_WEIGHTS` routes the blended out-of-sample
// predictions (`frontierQuality`), and the best is kept only where it beats the heads alone by more
// than z paired standard errors (else w = 0: the heads). Bands are calibrated on the blend.
import type { RoutingArtefact } from '../src/routing/routing-model.js';
import {
  calibrateBandsFromScores,
  frontierQuality,
  standardErrorOfMean,
} from './calibrate-bands.js';
import type { ScoredRow } from './route-prepared.js';
import { DEFAULT_TARGETS, type BandTargets } from './band-targets.js';
import type { DataRow } from './load-rows.js';
import type { GroupBands, Predictor } from './score-test-rows.js';
import { featurize, type FeaturedRow } from './heads.js';
import { buildLowRank, fitLowRank, type LowRankModel } from './lowrank.js';
import { calibrationFold } from './cross-fit.js';
import type { TrainResult } from './train-artefact.js';

export const BLEND_WEIGHTS = [0, 0.25, 0.5, 0.75, 1] as const;

export interface BlendChoice {
  group: string;
  weight: number;
  rank: number;
  l2: number;
  /** Frontier quality of each weight's out-of-sample routing (`BLEND_WEIGHTS`' order). */
  frontier: number[];
  /** The best weight's paired gain over the heads alone, and its standard error. */
  gain: number;
  se: number;
}

/** One group's choice, for a note beside `eval`'s figures. */
export function describeBlendChoice(c: BlendChoice, forSalt = ''): string {
  const frontier = c.frontier.map((q) => q.toFixed(4)).join(' ');
  return `lowrank-blend${forSalt}: ${c.group} weight ${c.weight} (rank ${c.rank}, l2 ${c.l2}; frontier quality at weights ${BLEND_WEIGHTS.join('/')}: ${frontier}; the best's gain ${c.gain.toFixed(4)} ± ${c.se.toFixed(4)})`;
}

const blend = (heads: Map<string, number>, low: Map<string, number>, w: number) =>
  new Map([...heads].map(([m, q]) => [m, (1 - w) * q + w * (low.get(m) ?? q)]));

/**
 * Out-of-sample low-rank predictions on the heads' calibration prompts: one fit per fold on the
 * other folds' prompts (or, for a single hold-out, on the prompts outside it).
 */
function crossFitLowRank(
  featured: FeaturedRow[],
  models: readonly string[],
  outOfSample: ScoredRow[],
  folds: number,
  foldKey: (prompt: string) => string,
  setting: LowRankModel & { seed: number },
  featureVersion: number,
): Map<DataRow, Map<string, number>> {
  const held = new Set(outOfSample.map((r) => r.row.prompt));
  const foldOf = (prompt: string) =>
    folds >= 2 ? calibrationFold(foldKey(prompt), setting.seed, folds) : held.has(prompt) ? 0 : -1;
  const out = new Map<DataRow, Map<string, number>>();
  for (let k = 0; k < Math.max(1, folds); k++) {
    const rest = outOfSample.filter((r) => foldOf(r.row.prompt) === k);
    if (!rest.length) continue;
    const fit = featured.filter((f) => foldOf(f.row.prompt) !== k);
    const m = fitLowRank(fit, models, setting.rank, setting.l2, setting.seed);
    for (const { row, features } of featurize(
      rest.map((r) => r.row),
      undefined,
      featureVersion,
    ))
      out.set(row, m.predict(features, models));
  }
  return out;
}

export function trainLowRankBlend(
  artefact: RoutingArtefact,
  groups: Map<string, DataRow[]>,
  crossFitted: TrainResult['crossFitted'],
  seed: number,
  targets: BandTargets = DEFAULT_TARGETS,
): { predictor: Predictor; bands: GroupBands; choices: BlendChoice[] } {
  const bands: GroupBands = new Map();
  const finals = new Map<string, { model: LowRankModel; weight: number }>();
  const choices: BlendChoice[] = [];
  const z = targets.confidenceZ ?? 0;
  for (const g of artefact.groups) {
    const rows = groups.get(g.name);
    const fitted = crossFitted.get(g.name);
    if (!rows || !fitted) continue;
    const featured = featurize(rows, undefined, artefact.featureVersion);
    // The rank and L2 are chosen once on all training prompts (buildLowRank's own hold-out); the
    // folds' fits use them.
    const final = buildLowRank(featured, g.models, { seed });
    const low = crossFitLowRank(
      featured,
      g.models,
      fitted.outOfSample,
      fitted.folds,
      fitted.foldKey,
      { ...final, seed },
      artefact.featureVersion,
    );
    const heads = artefact.models.filter((m) => m.group === g.name);
    const scoredAt = (w: number): ScoredRow[] =>
      fitted.outOfSample.map((r) => ({
        row: r.row,
        predicted: blend(r.predicted, low.get(r.row)!, w),
      }));
    const routed = BLEND_WEIGHTS.map((w) => frontierQuality(scoredAt(w), heads, g.bestSingle));
    let best = 0;
    routed.forEach((r, i) => {
      if (r.quality > routed[best]!.quality) best = i;
    });
    const diff = (k: number) => routed[best]!.perRow[k]! - routed[0]!.perRow[k]!;
    const n = routed[0]!.perRow.length;
    let gain = 0;
    for (let k = 0; k < n; k++) gain += diff(k) / n;
    const se = standardErrorOfMean(n, diff);
    const weight = best > 0 && gain > z * se ? BLEND_WEIGHTS[best]! : 0;
    choices.push({
      group: g.name,
      weight,
      rank: final.rank,
      l2: final.l2,
      frontier: routed.map((r) => r.quality),
      gain,
      se,
    });
    bands.set(
      g.name,
      weight === 0
        ? g.bands
        : calibrateBandsFromScores(scoredAt(weight), heads, g.bestSingle, targets).bands,
    );
    finals.set(g.name, { model: final, weight });
  }
  const predictor: Predictor = (_row, features, group, models, own) => {
    const f = finals.get(group);
    if (!f || f.weight === 0) return own;
    return blend(own, f.model.predict(features, models), f.weight);
  };
  return { predictor, bands, choices };
}

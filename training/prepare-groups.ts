// The first step of training (`trainArtefact`): per data file (group), before any fitting, its
// priced pool of models, best single model, strengths and partly scored models (with a warning
// for each), its head size, idf and featurised rows, and the size of the fitting work
// (`trainingPlans` plans within the budget from it).
import { DENSE_SIZE, extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { learnIdf } from '../src/routing/term-weights.js';
import { pricesByBareName, type Price } from './load-prices.js';
import type { DataRow } from './load-rows.js';
import { featurize, hashSizeFor, type FeaturedRow, type TrainOptions } from './heads.js';
import {
  bestSingleModel,
  meanScoreOf,
  modelStrengths,
  partlyScored,
  poolModels,
  scoredCounts,
} from './model-pool.js';

/** A group ready to fit: its rows and pool, and what every later step reads of them. */
export interface PreparedGroup {
  group: string;
  rows: DataRow[];
  prices: Map<string, Price>;
  pool: string[];
  featured: FeaturedRow[];
  nonZeros: number;
  /** Row non-zeros of the raw features, where the sources' heads are also tried on them. */
  rawNonZeros: number | undefined;
  best: string;
  strengths: Map<string, number>;
  partial: Set<string>;
  hashSize: number;
  idf: Float32Array | undefined;
}

/** Each group with a model to fit, sorted by name; the others are skipped with a warning. */
export function prepareGroups(
  rowsByGroup: Map<string, DataRow[]>,
  pricesFor: (group: string) => Map<string, Price>,
  opts: TrainOptions,
  warnings: string[],
  /** Filled with each group skipped and why (`emptyPoolReason`). */
  skipped = new Map<string, string>(),
): PreparedGroup[] {
  return [...rowsByGroup]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([group, rows]) => {
      const scoredModels = new Set(rows.flatMap((r) => Object.keys(r.scores)));
      const prices = pricesByBareName(pricesFor(group), scoredModels, group, (w) =>
        warnings.push(w),
      );
      const pool = poolModels(rows, prices, group, warnings);
      if (pool.length === 0) {
        skipped.set(group, emptyPoolReason(rows));
        warnings.push(`${group}: ${skipped.get(group)!}; group skipped`);
        return [];
      }
      const best = bestSingleModel(rows, pool, prices);
      if (pool.length === 1)
        warnings.push(
          `${group}: only one model, "${best}", is in the pool: there is nothing to route between, so every mode serves it (its bands are the conservative defaults); give the file's other models prices to route among them`,
        );
      const strengths = modelStrengths(rows, pool, best);
      const counts = scoredCounts(rows);
      const partial = partlyScored(rows, pool);
      // Serving measures every model against the best one's mean score: at 0 it treats them all
      // as equal (src/routing/trained-router.ts, `qualityUnit`), which is worth saying up front.
      if (pool.length >= 2 && strengths.get(best) === 0)
        warnings.push(
          `${group}: every score of its ${partial.size ? 'fully scored ' : ''}models is 0 (${pool.length - partial.size} models, ${rows.length} prompts): the routing model cannot tell them apart, so every mode serves the cheapest; check that the scores are on the 0–1 scale, 1 for a good answer`,
        );
      for (const m of partial)
        warnings.push(
          `${group}: model "${m}" is scored on ${counts.get(m) ?? 0} of ${rows.length} prompts, too few to be the best single model: it is not the reference beside the models that are, its head is levelled by how ${best} did on its prompts, it is trusted only on prompts like them, and \`eval\` can score it only where it is scored (mean ${meanScoreOf(rows, m).toFixed(3)} on its own prompts; strength ${strengths.get(m)!.toFixed(3)} against ${best}'s ${strengths.get(best)!.toFixed(3)}, measured where both are scored)`,
        );
      // One head size per group (and per gated source), for the calibration folds and the final
      // fit alike; the idf over the group's training prompts is at that size (text only, no
      // grades: the calibration folds share it).
      const hashSize = opts.hashSize ?? hashSizeFor(rows.length);
      const raws =
        opts.idf === false
          ? undefined
          : rows.map((r) => extractFeatures(requestFromPrompt(r.prompt)));
      const idf = raws && learnIdf(raws, hashSize);
      const featured = featurize(rows, idf);
      const nonZeros = featured.reduce((n, f) => n + f.features.indices.length + DENSE_SIZE, 0);
      // With an idf, gated sources' own heads are cross-fitted on the raw features as well: their
      // rows' size counts in the plan (`trainingPlans`), and its presence says they are tried.
      const rawNonZeros =
        raws && opts.rawSourceHeads !== false
          ? raws.reduce((n, f) => n + f.indices.length + DENSE_SIZE, 0)
          : undefined;
      return [
        {
          group,
          rows,
          prices,
          pool,
          featured,
          nonZeros,
          rawNonZeros,
          best,
          strengths,
          partial,
          hashSize,
          idf,
        },
      ];
    });
}

export const NO_PRICED_MODEL = 'no model it scores has a price in the price file';

/**
 * Why a group has no model to fit, in the words `trainArtefact`'s error repeats: no prompts left
 * (`eval` held them all out) or no model priced (a priced model scored on any prompt is the
 * widest or within `poolModels`' reach of it).
 */
export function emptyPoolReason(rows: DataRow[]): string {
  return rows.length === 0 ? 'no prompts to train on' : NO_PRICED_MODEL;
}

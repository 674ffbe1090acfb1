// Evaluating a routing artefact on test prompts: the three modes against the best single model
// (best on the training prompts), oracle, random at matched cost and always-cheapest; APGR and
// CPT(50%/80%) for two-model files (apgr-and-cpt.ts); per source as well as pooled. The prompts
// are scored as serving would score them (score-test-rows.ts).
import type { RoutingMode } from '../src/config/schema.js';
import type { RoutingArtefact } from '../src/routing/routing-model.js';
import { standardErrorOfMean } from './calibrate-bands.js';
import { sourceGroup } from './source-group.js';
import type { DataRow } from './load-rows.js';
import type { TestRowNotes } from './test-rows.js';
import { apgrAndCpt } from './apgr-and-cpt.js';
import { evalBaselines } from './eval-baselines.js';
import { mean, type EvalSummary, type ModeResult } from './eval-summary.js';
import {
  baselineOf,
  pickFor,
  scoreTestRows,
  type GroupBands,
  type Predictor,
  type PromptOutcome,
} from './score-test-rows.js';

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

/**
 * `value` as a multiple of `reference` (the best single model's mean quality or cost). Where the
 * reference is 0 (a free pool, or a source its best model gets wholly wrong), the same value is
 * 1× and any other has no ratio (null), rather than a 0 that reads as "lost everything".
 */
export function ratioTo(value: number, reference: number): number | null {
  if (reference > 0) return value / reference;
  return value === reference ? 1 : null;
}

const MODES: RoutingMode[] = ['quality', 'balanced', 'cost'];

/** The figures of one set of test outcomes: each mode and every baseline, APGR and CPT. */
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

/**
 * `eval`'s report: the artefact (its bands, `bandsOverride`'s, or another `family`'s predictions
 * and bands) on the test rows, pooled and per source, with the rows left out and each outcome.
 */
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

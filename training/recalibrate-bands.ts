// Calibrating a trained artefact's bands again on scored prompts of the traffic it serves
// (`model-router calibrate-bands`). The bands keep their promise on the mix of prompts they were
// calibrated on; on a kind of prompt training never saw, the heads' ranking carries over better
// than their level, and Balanced can fall far below the best single model (docs/routing.md, "A
// task the router never saw"). Given a few hundred prompts scored for the group's models, the
// bands are found again on them, as training finds them on held-out prompts: the heads are not
// touched, only how much predicted quality the saving modes give up for cost.
import type { Bands } from '../src/routing/pick-by-mode.js';
import type { GroupInfo, RoutingArtefact } from '../src/routing/routing-model.js';
import type { BandTargets } from './band-targets.js';
import { calibrateBandsFromScores } from './calibrate-bands.js';
import type { ScoredRow } from './route-prepared.js';
import { DataError } from './data-error.js';
import { countOf } from './count-of.js';
import type { DataRow } from './load-rows.js';
import { scoreTestRows, type PromptOutcome } from './score-test-rows.js';
import { describeTestRows } from './test-rows.js';
import { summarize } from './evaluate.js';
import type { EvalSummary } from './eval-summary.js';

/**
 * Fewer scored prompts than this say too little about a band: a per-prompt difference to the best
 * single model with a standard deviation of 0.5 has a standard error of 0.07 at 50 prompts.
 */
export const MIN_BAND_PROMPTS = 50;

export interface GroupRecalibration {
  group: string;
  /** The prompts the bands were found on: scoring the best single model and another. */
  prompts: number;
  before: GroupInfo['bands'];
  after: GroupInfo['bands'];
  /** The modes on these same prompts at the artefact's bands, and at the new ones (in-sample). */
  routedBefore: EvalSummary;
  routedAfter: EvalSummary;
  /** The saving modes that hold: even quality alone kept under their target on these prompts. */
  held: HeldMode[];
  report: Record<string, unknown>;
}

export interface HeldMode {
  mode: 'balanced' | 'cost';
  /** What the narrowest band (quality alone) kept on these prompts, and its standard error. */
  qualityRatio: number;
  se: number;
}

/**
 * New bands for each artefact group the rows score (or only `only`), from the artefact's own
 * predictions on them as serving makes them (gates, source heads, pair heads). Each group needs
 * MIN_BAND_PROMPTS rows scoring its best single model and at least one other of its models.
 */
export function recalibrateBands(
  artefact: RoutingArtefact,
  rows: DataRow[],
  targets: BandTargets,
  only?: string,
  /** Told how the rows were read (names taken as the artefact's, models and rows left out). */
  note: (message: string) => void = () => {},
): GroupRecalibration[] {
  if (only !== undefined && !artefact.groups.some((g) => g.name === only))
    throw new DataError(
      `--group ${only}: the artefact has no such group (it has ${artefact.groups.map((g) => g.name).join(', ')})`,
    );
  const { outcomes, byFile, skipped } = scoreTestRows(artefact, rows);
  // What eval says of its test rows, said here too: a file whose model names are spelled
  // otherwise, or that scores none of the group's models, was read without a word before.
  for (const m of describeTestRows(skipped)) note(m.replace(/\btest (file|prompt)/g, '$1'));
  const byGroup = new Map<GroupInfo, PromptOutcome[]>();
  for (const o of outcomes) {
    const g = byFile.get(o.row.group);
    if (!g || (only !== undefined && g.name !== only) || o.models.length < 2) continue;
    let list = byGroup.get(g);
    if (!list) byGroup.set(g, (list = []));
    list.push(o);
  }
  if (byGroup.size === 0)
    throw new DataError(
      `no prompt scores ${only ? `group ${only}'s` : "a group's"} best single model and another of its models (${artefact.groups.map((g) => `${g.name}: ${g.bestSingle}`).join('; ')})${skipped.contaminated ? ' among the prompts not marked "meta.routellm_contaminated" (see the note above)' : ''}: bands compare the models on the same prompts`,
    );
  return [...byGroup].map(([g, list]) => {
    if (list.length < MIN_BAND_PROMPTS)
      throw new DataError(
        `group ${g.name}: ${countOf(list.length, 'prompt')} ${list.length === 1 ? 'scores' : 'score'} ${g.bestSingle} and another of its models; at least ${MIN_BAND_PROMPTS} are needed (about 200 give bands worth having)`,
      );
    // Serving compares predictions relative to the best single model's mean on the training
    // prompts (scale 1); the calibration charges a share of the best single model's mean on
    // these prompts. The predictions are put on that scale, so the order of the candidates
    // under any band is serving's.
    const bestHere = list.reduce((a, o) => a + o.row.scores[g.bestSingle]!, 0) / list.length;
    const scale = bestHere > 0 ? bestHere : 1;
    const scored: ScoredRow[] = list.map((o) => ({
      row: o.row,
      predicted: new Map([...o.predicted].map(([m, q]) => [m, q * scale])),
    }));
    const heads = artefact.models.filter((m) => m.group === g.name);
    const fresh = calibrateBandsFromScores(
      scored,
      heads,
      g.bestSingle,
      targets,
      g.bands.rule ?? 'tradeoff-margin',
    );
    const at = (bands: Bands) =>
      summarize(list.map((o) => ({ ...o, bands: { ...bands, scale: 1 } })));
    // Where no band passes, the calibration returns the narrowest (quality alone). If that keeps
    // less than the mode's target on these prompts, routing by it would break the promise on this
    // traffic: the mode holds instead (serves the best single model wherever it is eligible).
    // (Its lower bound is not asked for: the narrowest band is the fallback, not a saving chosen
    // on the curve.)
    const after: GroupInfo['bands'] = { ...fresh.bands };
    const byBand = at(after);
    const falls = (mode: 'balanced' | 'cost') =>
      (byBand.modes[mode].quality_ratio ?? 0) < targets[mode] + targets.margin - 1e-9;
    const held: HeldMode[] = [];
    for (const mode of ['balanced', 'cost'] as const)
      if (falls(mode)) {
        after[mode === 'balanced' ? 'balancedHolds' : 'costHolds'] = true;
        held.push({
          mode,
          qualityRatio: byBand.modes[mode].quality_ratio ?? 0,
          se: byBand.modes[mode].quality_ratio_se ?? 0,
        });
      }
    const routedAfter = held.length ? at(after) : byBand;
    return {
      group: g.name,
      prompts: list.length,
      before: g.bands,
      after,
      routedBefore: at(g.bands),
      routedAfter,
      held,
      report: fresh.report,
    };
  });
}

// How much fitting a training run plans for each group: the head variants cross-fitted, the
// calibration folds, whether sources' own heads are tried, the iteration cap and (for a file of
// very many models) a sample of the prompts, stepped down until the whole run fits the budget.
import { sourceGroup } from './source-group.js';
import { DataError } from './data-error.js';
import type { DataRow } from './load-rows.js';
import { FIT_LIMITS } from './fit-pool.js';
import { GATE_MAX_ITERATIONS, SOURCE_PRIOR_PROMPTS, type TrainOptions } from './heads.js';
import { expertSources } from './source-heads.js';
import { triesGroupPair } from './pair-heads.js';

const DEFAULT_FOLDS = 5;

/**
 * The fitting work a training run plans for, in row non-zeros (hashed indices + dense features)
 * × head fits (× iteration cap / 100). Machines of the same kind differ: the same build trained
 * the shared files in 52–68 s on one 2-core machine and in 142 s on another, and a 20,000-prompt,
 * 11-model synthetic file (332 million) in 181 s and 421 s. So the budget is set on the slower:
 * there, 111 million (that file on 3 folds, `grades`) took 128 s and 142 million (60 models on
 * the last step) 212 s, so 160 million should take about 240 s there (estimated from that rate;
 * docs/routing.md, "Training time"). It was 400 million, set on the faster machine. The shared
 * files needed 168 million (157 million before pair heads, 90 million before per-source heads),
 * never stepped down, so since pair heads the budget was 170 million (160 before; about 255 s on
 * that slower machine at its rate). Since the thirteenth session (heads in lockstep, the band
 * curve by bisection) the same plans take about half to two thirds of the time (docs/routing.md),
 * so the budget leaves room for a machine two to three times slower than that session's. On
 * tf-idf rows the shared files count 130.9 million, and 178.4 million with the sources' own heads
 * cross-fitted again on the raw features (counted since the thirtieth session): the budget is 180
 * million so that they are still never stepped down (docs/routing.md, "Training budget").
 */
export const WORK_BUDGET = 180e6;

/**
 * `--work-budget <millions>` from the command line: the planned fitting work in millions (a
 * positive number); undefined leaves `WORK_BUDGET`.
 */
export function workBudgetOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const millions = Number(v);
  if (!Number.isFinite(millions) || millions <= 0)
    throw new DataError(
      `--work-budget must be a positive number of millions of fitting work (the default is ${WORK_BUDGET / 1e6}), got "${v}"`,
    );
  return millions * 1e6;
}

/**
 * The fewest prompts a group's heads are fitted on when the budget samples them (the last step of
 * `trainingPlans`): a file of many models is trained within the budget on a sample of its prompts
 * rather than past it on all of them, but never on fewer than these (or all, if it has fewer).
 */
export const SAMPLE_MIN_PROMPTS = 4000;

/** A head setting cross-fitting tries (`headVariants`): its name and the options it fixes. */
export interface HeadVariant {
  name: string;
  settings: Pick<TrainOptions, 'c' | 'sourceSmoothing'>;
}

/**
 * The head settings cross-fitting chooses between for a group. `grades`: the models' own 0/1 or
 * graded scores, strongly regularised (C = 0.3). `task-means`: targets drawn 80% toward each
 * model's mean on the prompt's source, which are far less noisy, so the heads are regularised
 * less (C = 3); offered only when the group has at least two sources with enough prompts to have
 * a mean. Explicit `c` / `sourceSmoothing` options fix the settings instead. (Sources' own heads
 * are tried on top of the chosen variant: `expertSources`.)
 */
export function headVariants(rows: DataRow[], opts: TrainOptions): HeadVariant[] {
  if (opts.c !== undefined || opts.sourceSmoothing !== undefined || opts.optimizer === 'adagrad')
    return [{ name: 'fixed', settings: { c: opts.c, sourceSmoothing: opts.sourceSmoothing } }];
  const perSource = new Map<string, number>();
  for (const r of rows) perSource.set(r.source, (perSource.get(r.source) ?? 0) + 1);
  const sizable = [...perSource.values()].filter((n) => n >= SOURCE_PRIOR_PROMPTS).length;
  const grades: HeadVariant = { name: 'grades', settings: { c: 0.3, sourceSmoothing: 0 } };
  if (sizable < 2) return [grades];
  return [grades, { name: 'task-means', settings: { c: 3, sourceSmoothing: 0.8 } }];
}

/**
 * How a group is trained: the head variants cross-fitted, the number of calibration folds (below 2:
 * a single hold-out of `calibrationFraction` of the prompts) and the iterations per head fit.
 */
export interface TrainingPlan {
  variants: HeadVariant[];
  /** Sources whose own heads are cross-fitted against the pooled ones (`expertSources`). */
  experts: string[];
  folds: number;
  calibrationFraction: number;
  maxIterations: number;
  /**
   * Share of the group's prompts its heads are fitted on (a sample by prompt hash; calibration
   * still scores every held-out prompt): 1 but past the ladder's last step (`SAMPLE_MIN_PROMPTS`).
   */
  sample: number;
  /** Row non-zeros × head fits × iteration cap / 100 of this plan. */
  work: number;
  /** Stepped down from the full plan to fit the budget. */
  reduced: boolean;
  /** Stepped down past leaving out the per-source heads: the pooled heads' calibration is smaller. */
  pooledReduced: boolean;
}

/**
 * Plans per group within the work budget. Every group starts with all its head variants on
 * `folds` folds (and its large sources' own heads tried); while the total is over budget, the
 * group with the most work steps down: without sources' own heads, to 3 folds, then the `grades`
 * variant alone, then 2 folds, then a single hold-out (calibration heads fitted on 40% of the
 * prompts, the other 60% calibrating), then at most 50 iterations per head fit instead of 100,
 * and past that (a file of very many models) the heads are fitted on a sample of the prompts, as
 * large as the budget allows and at least `SAMPLE_MIN_PROMPTS`, while every held-out prompt still
 * calibrates the bands.
 * Fewer folds fit the calibration heads on fewer prompts, so their predictions are weaker and the
 * bands tend to come out narrower (safer, with less saving); the shorter fits
 * stop before convergence (on held-out prompts of the shared files a head's log-loss at 40–60
 * iterations matched the converged one, docs/routing.md). Explicit `calibrationFolds` (or a single
 * hold-out) and `maxIterations` are kept as given, and then nothing is sampled. Deterministic: it
 * counts features, it does not time anything.
 */
export function trainingPlans(
  groups: {
    group: string;
    rows: DataRow[];
    nonZeros: number;
    /**
     * Row non-zeros of the raw features, given when the rows are tf-idf and the sources' own
     * heads are cross-fitted a second time on the raw features (`trainArtefact`'s `raw` rows).
     */
    rawNonZeros?: number;
    pool: readonly string[];
  }[],
  opts: TrainOptions,
): Map<string, TrainingPlan> {
  const explicit = opts.calibrationFolds !== undefined;
  const folds = opts.calibrationFolds ?? DEFAULT_FOLDS;
  const calibrationFraction = opts.calibrationFraction ?? 0.3;
  const maxIterations = opts.maxIterations ?? FIT_LIMITS.maxIterations;
  const ladder = (
    variants: HeadVariant[],
    experts: string[],
  ): Omit<TrainingPlan, 'work' | 'reduced' | 'pooledReduced'>[] => {
    const plan = {
      variants,
      experts: [] as string[],
      folds,
      calibrationFraction,
      maxIterations,
      sample: 1,
    };
    const steps = experts.length ? [{ ...plan, experts }, plan] : [plan];
    if (explicit || folds < 2) return steps;
    if (folds > 3) steps.push({ ...plan, folds: 3 });
    const one = variants.slice(0, 1);
    if (variants.length > 1) steps.push({ ...plan, variants: one, folds: Math.min(folds, 3) });
    steps.push({ ...plan, variants: one, folds: 2 });
    const holdOut = { ...plan, variants: one, folds: 0, calibrationFraction: 0.6 };
    steps.push(holdOut);
    if (opts.maxIterations === undefined && maxIterations > 50)
      steps.push({ ...holdOut, maxIterations: 50 });
    return steps;
  };
  const state = groups.map((g) => {
    const models = g.pool.length;
    const steps = ladder(headVariants(g.rows, opts), expertSources(g.rows)).map((p) => {
      // Sources' own heads, in pooled fit sets: a gate head per source over every prompt (at its
      // shorter iteration cap), every model over the sources' prompts, and for two models a pair
      // head over them (`trainExperts`); without sources, two models' pair head over every prompt.
      const own = g.rows.filter((r) => p.experts.includes(sourceGroup(r.source))).length;
      const gate = Math.min(1, GATE_MAX_ITERATIONS / p.maxIterations);
      const heads = models === 2 ? models + 1 : models;
      const experts = p.experts.length
        ? (p.experts.length * gate + (heads * own) / g.rows.length) / models
        : triesGroupPair(g.pool, p.experts)
          ? 1 / models
          : 0;
      // With tf-idf rows, the calibration fits the sources' own heads (and pair heads) a second
      // time on the raw features, whose rows have more non-zeros (an index per n-gram, not per
      // distinct bucket); the gate is not fitted again, and the final fit reads one or the other.
      const raw =
        p.experts.length && g.rawNonZeros !== undefined
          ? (heads * own * g.rawNonZeros) / (g.rows.length * g.nonZeros * models)
          : 0;
      // Each fit set of the calibration sees (folds − 1) / folds of the rows (a hold-out's, the
      // rest); the final fit all. A fit's work is taken to scale with its iteration cap.
      return {
        ...p,
        work:
          ((g.nonZeros * models * p.maxIterations) / FIT_LIMITS.maxIterations) *
          ((p.variants.length + experts + raw) *
            (p.folds >= 2 ? p.folds - 1 : 1 - p.calibrationFraction) +
            1 +
            experts),
      };
    });
    return {
      group: g.group,
      prompts: g.rows.length,
      steps,
      at: 0,
      full: steps[0]!.experts.length ? 1 : 0,
      // Only a ladder that ran to its end (no explicit folds or iterations) is sampled past it.
      sampled: !explicit && folds >= 2 && opts.maxIterations === undefined,
    };
  });
  const budget = opts.workBudget ?? WORK_BUDGET;
  const total = () => state.reduce((n, s) => n + s.steps[s.at]!.work, 0);
  while (total() > budget) {
    const movable = state.filter((s) => s.at < s.steps.length - 1);
    if (movable.length === 0) break;
    const heaviest = movable.reduce((a, b) =>
      b.steps[b.at]!.work > a.steps[a.at]!.work ||
      (b.steps[b.at]!.work === a.steps[a.at]!.work && b.group < a.group)
        ? b
        : a,
    );
    heaviest.at++;
  }
  // Past every step: the groups at their last step are fitted on a sample of their prompts, one
  // share for all of them, as large as the budget allows (at least SAMPLE_MIN_PROMPTS prompts).
  const last = state.filter((s) => s.sampled && s.at === s.steps.length - 1);
  const lastWork = last.reduce((n, s) => n + s.steps[s.at]!.work, 0);
  const over = total() - budget;
  if (over > 0 && lastWork > 0) {
    const share = (lastWork - over) / lastWork;
    for (const s of last) {
      const step = s.steps[s.at]!;
      const sample = Math.min(1, Math.max(share, SAMPLE_MIN_PROMPTS / s.prompts));
      if (sample < 1) s.steps.push({ ...step, sample, work: step.work * sample });
      s.at = s.steps.length - 1;
    }
  }
  return new Map(
    state.map((s) => [
      s.group,
      { ...s.steps[s.at]!, reduced: s.at > 0, pooledReduced: s.at > s.full },
    ]),
  );
}

/** "3 folds", or "a 60% hold-out". */
export function describeCalibration(plan: TrainingPlan): string {
  return plan.folds >= 2
    ? `${plan.folds} folds`
    : `a ${Math.round(plan.calibrationFraction * 100)}% hold-out`;
}

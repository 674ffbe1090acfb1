// Cross-fitting a group's heads: every training prompt scored by heads fitted without it, fold by
// fold (or on one hold-out), so the bands and the choices between heads are judged out of sample.
import type { FeaturedRow } from './heads.js';
import type { DataRow } from './load-rows.js';
import { nearCopyGroups } from './near-duplicates.js';
import { promptHash, promptKey, splitByHash } from './prompt-hash.js';
import type { ScoredRow } from './route-prepared.js';

/** The calibration fold of a prompt when a group is cross-fitted on `folds` ≥ 2 folds. */
export function calibrationFold(prompt: string, seed: number, folds: number): number {
  return Math.floor(promptHash(prompt, `calibration:${seed}`) * folds);
}

/**
 * What a prompt's fold or side of a split is hashed from: its near-copy group's first member
 * (`nearCopyGroups`), so near-copies (and exact copies) of a prompt always land together and
 * cannot calibrate each other; a prompt with no near-copy is hashed as itself.
 */
export function foldKeys(prompts: Iterable<string>): (prompt: string) => string {
  const groups = nearCopyGroups(prompts);
  return (prompt) => groups.get(promptKey(prompt)) ?? prompt;
}

/** Fits on `fit` and scores the rest, fold by fold, as `trainArtefact` cross-fits. */
export type CrossFit = (
  name: string,
  fitAndScore: (
    fit: FeaturedRow[],
    rest: FeaturedRow[],
    progress: (fits?: string) => void,
  ) => ScoredRow[],
) => { outOfSample: ScoredRow[]; fitPrompts: number };

/** A group's `CrossFit`, and the key its folds are hashed from (`foldKeys`), for fits beside it. */
export type GroupCrossFit = CrossFit & { foldKey: (prompt: string) => string };

/**
 * A group's `CrossFit`: on `folds` ≥ 2 folds (`calibrationFold` of each prompt's `foldKeys`), else
 * on one hold-out of `calibrationFraction` of the prompts (by the same key); each fit takes the
 * `sampled` prompts outside its fold, and its progress is told to `tick`, labelled with the
 * group, the fit and the fold.
 */
export function groupCrossFit(args: {
  group: string;
  featured: FeaturedRow[];
  folds: number;
  calibrationFraction: number;
  seed: number;
  /** The prompts heads are fitted on: all, or the budget's sample (`TrainingPlan.sample`). */
  sampled: <T extends { row: DataRow }>(rs: T[]) => T[];
  tick: (label: string) => void;
}): GroupCrossFit {
  const { group, folds, calibrationFraction, seed, sampled, tick } = args;
  const foldKey = foldKeys(args.featured.map((f) => f.row.prompt));
  const keyed = args.featured.map((f) => ({ ...f, prompt: foldKey(f.row.prompt) }));
  const salt = `calibration:${seed}`;
  const crossFit: CrossFit = (name, fitAndScore) => {
    const outOfSample: ScoredRow[] = [];
    let fitPrompts = 0;
    if (folds >= 2) {
      const foldOf = (prompt: string) => calibrationFold(prompt, seed, folds);
      for (let k = 0; k < folds; k++) {
        const fit = sampled(keyed.filter((f) => foldOf(f.prompt) !== k));
        const rest = keyed.filter((f) => foldOf(f.prompt) === k);
        outOfSample.push(
          ...fitAndScore(fit, rest, (fits = name) =>
            tick(`${group} (${fits}, calibration fold ${k + 1}/${folds})`),
          ),
        );
        fitPrompts += fit.length;
      }
      fitPrompts = Math.round(fitPrompts / folds);
    } else {
      const { train, test: calibration } = splitByHash(keyed, calibrationFraction, salt);
      const fit = sampled(train);
      outOfSample.push(
        ...fitAndScore(fit, calibration, (fits = name) =>
          tick(`${group} (${fits}, calibration fit)`),
        ),
      );
      fitPrompts = fit.length;
    }
    return { outOfSample, fitPrompts };
  };
  return Object.assign(crossFit, { foldKey });
}

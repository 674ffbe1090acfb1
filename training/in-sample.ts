// Whether an evaluation of a saved artefact is in-sample. An artefact keeps no prompt of its
// training data (nor hashes of them: that would grow it by the data's size), but it names its
// training files: each group is named after its data file (dataset.ts), and `training` holds that
// file's notes. A test file of the same name is most likely (part of) that file, so its figures
// would overstate the routing on new prompts.
import type { RoutingArtefact } from '../src/routing/routing-model.js';

/** A test file named as a file the artefact was trained on. */
export interface InSampleFile {
  file: string;
  /** The training file's name (its group). */
  group: string;
  /** How many prompts of it the artefact was trained on, where its notes say. */
  trainedPrompts: number | null;
}

/** The test files (with their group, the file's base name) that share a training file's name. */
export function inSampleFiles(
  artefact: Pick<RoutingArtefact, 'groups' | 'training'>,
  tests: readonly { file: string; group: string }[],
): InSampleFile[] {
  const trained = new Set(artefact.groups.map((g) => g.name));
  return tests
    .filter((t) => trained.has(t.group))
    .map((t) => {
      const notes = artefact.training[t.group] as { prompts?: unknown } | undefined;
      const prompts = notes?.prompts;
      return { ...t, trainedPrompts: typeof prompts === 'number' ? prompts : null };
    });
}

/** The warning eval prints on stderr for them: what is in-sample, and what to do instead. */
export function inSampleWarning(model: string, files: readonly InSampleFile[]): string {
  const named = files
    .map(
      (f) =>
        `${f.file} (${f.group}${f.trainedPrompts === null ? '' : `: ${f.trainedPrompts} prompts`})`,
    )
    .join(', ');
  return `warning: ${model} was trained on a file of the same name as ${named}: for the prompts it shares with that file these figures are in-sample and overstate the routing on new prompts. Evaluate on prompts the artefact was not trained on, or train and test with eval --train <files> --test <files>, which holds the test prompts out.`;
}

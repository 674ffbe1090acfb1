// How eval reads test rows against an artefact: model names spelled otherwise (a provider prefix,
// another case) taken as the artefact's, files matched to a group by the models they score, and
// what it says about rows it leaves out.
import { bareNameIndex } from '../src/core/model-names.js';
import type { GroupInfo, RoutingArtefact } from '../src/routing/routing-model.js';
import { countOf } from './count-of.js';
import type { DataRow } from './load-rows.js';

/**
 * A group whose best single model on the training prompts (`model`, by `strength`) is a model
 * scored on part of them, not the reference serving's modes charge against (`evalBaselines`).
 */
export interface PartialBaseline {
  group: string;
  model: string;
  strength: number;
  reference: string;
  referenceMean: number;
}

/** How eval read the test rows: files matched to a group by their models, rows left out and why. */
export interface TestRowNotes {
  /** Rows left out, for either reason below. */
  total: number;
  /** Rows of a data file the artefact has no group for. */
  unknownGroup: number;
  /**
   * Rows marked `meta.routellm_contaminated` (prompts RouteLLM leaves out of its evaluation, as
   * they overlap its training data): never test rows. Counted, as a file of them alone left
   * nothing to evaluate without a word on why.
   */
  contaminated?: number;
  /** Rows without a score for their group's best single model, by that model. */
  unscoredBest: Map<string, number>;
  /**
   * Rows that score the best single model on the training prompts but not the reference the modes
   * charge against, where the two differ (`PartialBaseline`), by the reference.
   */
  unscoredReference?: Map<string, number>;
  /** The groups the test prompts were scored with, where more than one: pooled in one report. */
  pooledGroups?: string[];
  /** Groups scored whose best single model on the training prompts is not the reference. */
  baselines?: PartialBaseline[];
  /** Test files named unlike any group, matched to one by the models they score. */
  matched: Map<string, { group: string; shared: number; models: number; ties?: string[] }>;
  /** By test file: its model names taken as the artefact's (`artefactModelNames`). */
  renamed: Map<string, Map<string, string>>;
  /** By test file: models it scores that its group does not have (no candidate anywhere). */
  unknownModels?: Map<string, string[]>;
  /** By test file: its group's models it scores on none of its prompts (never a candidate). */
  unscoredModels?: Map<string, string[]>;
}

/**
 * By test file, the models it scores that its group does not know, and the group's models it
 * scores on none of its prompts: neither is a candidate on its prompts, which `eval` says.
 */
export function modelsOutOfPlay(
  rows: DataRow[],
  byFile: Map<string, GroupInfo | undefined>,
): Pick<TestRowNotes, 'unknownModels' | 'unscoredModels'> {
  const scored = new Map<string, Set<string>>();
  for (const r of rows) {
    if (r.contaminated) continue;
    let set = scored.get(r.group);
    if (!set) scored.set(r.group, (set = new Set()));
    for (const m of Object.keys(r.scores)) set.add(m);
  }
  const unknownModels = new Map<string, string[]>();
  const unscoredModels = new Map<string, string[]>();
  for (const [file, models] of scored) {
    const g = byFile.get(file);
    if (!g) continue;
    const unknown = [...models].filter((m) => !g.models.includes(m)).sort();
    const unscored = g.models.filter((m) => !models.has(m));
    if (unknown.length) unknownModels.set(file, unknown);
    if (unscored.length) unscoredModels.set(file, unscored);
  }
  return { unknownModels, unscoredModels };
}

/** What `eval` says about how it read the test rows: files matched by models, rows left out. */
export function describeTestRows(s: TestRowNotes): string[] {
  const notes: string[] = [];
  for (const [file, names] of s.renamed)
    notes.push(
      `test file ${file} names ${[...names].map(([from, to]) => `"${from}" as the artefact's "${to}"`).join(', ')} (the same name without provider prefix or case)`,
    );
  for (const [file, m] of s.matched)
    notes.push(
      `test file ${file} is not named like a data file the artefact was trained on; scored with its ${m.group} heads (it scores ${m.shared} of that group's ${m.models} models)`,
    );
  for (const [file, models] of s.unknownModels ?? [])
    notes.push(
      `test file ${file} scores ${models.join(', ')}, which the artefact's heads for it do not know: ${models.length === 1 ? 'it is' : 'they are'} left out of the candidates (retrain with ${models.length === 1 ? 'it' : 'them'}, or add ${models.length === 1 ? 'it' : 'them'} with \`model-router calibrate\`; one left out of training for want of a price needs a price in the --prices file first)`,
    );
  for (const [file, models] of s.unscoredModels ?? [])
    notes.push(
      `test file ${file} has no score for ${models.join(', ')} on any prompt: ${models.length === 1 ? 'it is' : 'they are'} not a candidate there, so the modes route among the other models`,
    );
  if (s.contaminated)
    notes.push(
      `${countOf(s.contaminated, 'test prompt')} left out: marked "meta.routellm_contaminated" (prompts RouteLLM leaves out of its evaluation, as they overlap its training data); remove the flag to evaluate ${s.contaminated === 1 ? 'it' : 'them'}`,
    );
  if (s.unknownGroup)
    notes.push(
      `${countOf(s.unknownGroup, 'test prompt')} skipped: their data file is not one the artefact was trained on, and scores none of its models`,
    );
  for (const b of s.baselines ?? [])
    notes.push(
      `group ${b.group}: the best single model on the training prompts is ${b.model}, scored on part of them: compared with ${b.reference} on the prompts both are scored on, its strength is ${b.strength.toFixed(3)} against ${b.reference}'s mean ${b.referenceMean.toFixed(3)} (${b.reference} is the best fully scored model). Every ratio, and APGR/CPT as the strong model, are against ${b.model}, on the test prompts that score it; the modes charge against ${b.reference}, as serving does (the bands were calibrated against it)`,
    );
  if (s.pooledGroups)
    notes.push(
      `the test prompts are of ${s.pooledGroups.length} data groups (${s.pooledGroups.join(', ')}), whose scores are on different scales: the pooled figures (and by_source, where a source is in several) are means over all of them, against each group's own best single model (best_single and cheapest are each group's own, their names joined by "|" where they differ); evaluate one group's files at a time for figures on one scale`,
    );
  for (const [model, n] of s.unscoredBest)
    notes.push(
      `${countOf(n, 'test prompt')} skipped: ${n === 1 ? 'it has' : 'they have'} no score for ${model}, the best single model, which every ratio is measured against on the same prompts`,
    );
  for (const [model, n] of s.unscoredReference ?? [])
    notes.push(
      `${countOf(n, 'test prompt')} skipped: ${n === 1 ? 'it has' : 'they have'} no score for ${model}, the reference the modes charge against (the best fully scored model), so they cannot be routed as serving routes them`,
    );
  return notes;
}

/**
 * What `eval` warns of a test file matched to a group by its models where other groups matched as
 * well (`groupsForTestFiles` takes the first by name): its scores may be read on the wrong scale.
 */
export function tiedMatchWarnings(s: TestRowNotes): string[] {
  return [...s.matched]
    .filter(([, m]) => m.ties)
    .map(
      ([file, m]) =>
        `test file ${file} matches the models of ${[m.group, ...m.ties!].join(' and ')} equally well; it was scored with ${m.group}'s heads, the first by name, and is measured on that group's scale (scores are not comparable across files). If it was held out of ${m.ties!.length === 1 ? m.ties![0]! : 'another'}, name it like that training file`,
    );
}

/** Below this many test prompts `eval` says that its figures are anecdotes. */
export const FEW_TEST_PROMPTS = 30;

/**
 * What `eval` says when it scored fewer than `FEW_TEST_PROMPTS` prompts (a tiny file, a small
 * split): each prompt weighs 1/n in every figure, which the table would not show. Undefined
 * otherwise, and for none (that is an error of its own).
 */
export function fewTestPromptsNote(prompts: number, forSalt = ''): string | undefined {
  if (prompts === 0 || prompts >= FEW_TEST_PROMPTS) return undefined;
  return `only ${countOf(prompts, 'test prompt')}${forSalt}: each weighs 1/${prompts} in every figure, so they are anecdotes, not measurements${prompts < 2 ? ' (one prompt has no standard error)' : ' (the ± column is the standard error)'}; evaluate on ${FEW_TEST_PROMPTS} or more (a larger --split, or a separate --test file)`;
}

/**
 * The artefact group for each test file. A file named like a group is that group; an artefact of
 * one group takes every file; otherwise a file (a held-out part saved under another name, say)
 * goes to the group whose models best match the models it scores (shared ÷ either's, ties by
 * name, the groups tied with it kept for the note), when it shares any.
 */
export function groupsForTestFiles(
  artefact: RoutingArtefact,
  rows: DataRow[],
): { byFile: Map<string, GroupInfo | undefined>; matched: TestRowNotes['matched'] } {
  const groups = new Map(artefact.groups.map((g) => [g.name, g]));
  const modelsByFile = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = modelsByFile.get(r.group);
    if (!set) modelsByFile.set(r.group, (set = new Set()));
    for (const m of Object.keys(r.scores)) set.add(m);
  }
  const byFile = new Map<string, GroupInfo | undefined>();
  const matched: TestRowNotes['matched'] = new Map();
  for (const [file, models] of modelsByFile) {
    const named =
      groups.get(file) ?? (artefact.groups.length === 1 ? artefact.groups[0] : undefined);
    if (named) {
      byFile.set(file, named);
      continue;
    }
    let best: { g: GroupInfo; shared: number; fit: number; ties: string[] } | undefined;
    for (const g of [...artefact.groups].sort((a, b) => a.name.localeCompare(b.name))) {
      const shared = g.models.filter((m) => models.has(m)).length;
      const fit = shared / (models.size + g.models.length - shared);
      if (shared > 0 && (!best || fit > best.fit)) best = { g, shared, fit, ties: [] };
      else if (shared > 0 && fit === best!.fit) best!.ties.push(g.name);
    }
    byFile.set(file, best?.g);
    if (best)
      matched.set(file, {
        group: best.g.name,
        shared: best.shared,
        models: best.g.models.length,
        ...(best.ties.length ? { ties: best.ties } : {}),
      });
  }
  return { byFile, matched };
}

/**
 * The rows with each model the artefact does not know by that name renamed to the one artefact
 * model with the same bare name (`bareModelName`), as serving maps a deployment: a held-out file
 * may score `Mixtral-8x7B-Instruct-v0.1` where training had `mistralai/Mixtral-8x7B-Instruct-v0.1`.
 * A row that already scores the artefact's spelling keeps both as they are.
 */
export function artefactModelNames(
  artefact: RoutingArtefact,
  rows: DataRow[],
): { rows: DataRow[]; renamed: TestRowNotes['renamed'] } {
  const known = new Set(artefact.models.map((m) => m.name));
  const lookup = bareNameIndex(known);
  const renamed: TestRowNotes['renamed'] = new Map();
  const out = rows.map((row) => {
    let names: Map<string, string> | undefined;
    for (const m of Object.keys(row.scores)) {
      if (known.has(m)) continue;
      const match = lookup(m);
      if (match === undefined || row.scores[match] !== undefined) continue;
      (names ??= new Map()).set(m, match);
    }
    if (!names) return row;
    let file = renamed.get(row.group);
    if (!file) renamed.set(row.group, (file = new Map()));
    for (const [from, to] of names) file.set(from, to);
    const rename = <T>(field: Record<string, T> | undefined) =>
      field &&
      Object.fromEntries(Object.entries(field).map(([k, v]) => [names!.get(k) ?? k, v] as const));
    return {
      ...row,
      scores: rename(row.scores)!,
      costUsd: rename(row.costUsd),
      outChars: rename(row.outChars),
    };
  });
  return { rows: out, renamed };
}

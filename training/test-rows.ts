// How eval reads test rows against an artefact: model names spelled otherwise (a provider prefix,
// another case) taken as the artefact's, files matched to a group by the models they score, and
// what it says about rows it leaves out.
import { bareNameIndex } from '../src/core/model-names.js';
import type { GroupInfo, RoutingArtefact } from '../src/routing/routing-model.js';
import { countOf, type DataRow } from './dataset.js';

/** How eval read the test rows: files matched to a group by their models, rows left out and why. */
export interface TestRowNotes {
  /** Rows left out, for either reason below. */
  total: number;
  /** Rows of a data file the artefact has no group for. */
  unknownGroup: number;
  /** Rows without a score for their group's best single model, by that model. */
  unscoredBest: Map<string, number>;
  /** Test files named unlike any group, matched to one by the models they score. */
  matched: Map<string, { group: string; shared: number; models: number }>;
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
  if (s.unknownGroup)
    notes.push(
      `${countOf(s.unknownGroup, 'test prompt')} skipped: their data file is not one the artefact was trained on, and scores none of its models`,
    );
  for (const [model, n] of s.unscoredBest)
    notes.push(
      `${countOf(n, 'test prompt')} skipped: ${n === 1 ? 'it has' : 'they have'} no score for ${model}, the best single model, which every ratio is measured against on the same prompts`,
    );
  return notes;
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
 * name), when it shares any.
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
    let best: { g: GroupInfo; shared: number; fit: number } | undefined;
    for (const g of [...artefact.groups].sort((a, b) => a.name.localeCompare(b.name))) {
      const shared = g.models.filter((m) => models.has(m)).length;
      const fit = shared / (models.size + g.models.length - shared);
      if (shared > 0 && (!best || fit > best.fit)) best = { g, shared, fit };
    }
    byFile.set(file, best?.g);
    if (best)
      matched.set(file, { group: best.g.name, shared: best.shared, models: best.g.models.length });
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

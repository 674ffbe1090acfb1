// Whether an evaluation of a saved artefact is in-sample. Artefacts trained by this build keep a
// fingerprint of each group's training prompts (`training[group].promptHashes`: the sorted,
// distinct 32-bit salted hashes of the prompts' text, base64; 4 bytes a prompt: at most 90 KB
// for the 16,968 prompts of the shipped artefacts, 2-4% of their size): a test prompt whose hash is among them was (almost surely) trained on, whatever its
// file is called. Older artefacts keep none, only their training files' names (each group is
// named after its data file, load-rows.ts): for them a test file of the same name is taken to be
// (part of) that file, and the same prompts under another name go unnoticed.
import type { RoutingArtefact } from '../src/routing/routing-model.js';
import { promptHash, promptKey } from './prompt-hash.js';

/** Versioned: a change of text normalisation or hash needs a new salt (older ones unreadable). */
const FINGERPRINT_SALT = 'model-router-in-sample-v1';

/** A test file in-sample for the artefact: by name (old artefacts) or by its prompts' content. */
export interface InSampleFile {
  file: string;
  /** The training file's name (its group): by content, the one that holds most of its prompts. */
  group: string;
  /** How many prompts of it the artefact was trained on, where its notes say. */
  trainedPrompts: number | null;
  /** By content: the file's distinct prompts, and how many of them the artefact was trained on. */
  testPrompts?: number;
  inSamplePrompts?: number;
}

export interface InSample {
  basis: 'prompt content' | 'file name';
  files: InSampleFile[];
}

/** A prompt's 32-bit fingerprint hash (its text trimmed and lower-cased, as duplicates are). */
function fingerprintHash(prompt: string): number {
  return promptHash(prompt, FINGERPRINT_SALT) * 2 ** 32;
}

/** The fingerprint of a group's training prompts, as `training[group].promptHashes` keeps it. */
export function promptFingerprint(prompts: Iterable<string>): string {
  const hashes = Uint32Array.from(new Set([...prompts].map(fingerprintHash))).sort();
  const bytes = Buffer.alloc(hashes.length * 4);
  hashes.forEach((h, i) => bytes.writeUInt32BE(h, i * 4));
  return bytes.toString('base64');
}

/**
 * `fingerprint` (a group's `promptHashes`) with `prompts` added: a model calibrated into the group
 * was fitted on them, so an evaluation on them is in-sample too.
 */
export function withPrompts(fingerprint: string, prompts: Iterable<string>): string {
  const hashes = readFingerprint({ promptHashes: fingerprint })!;
  for (const p of prompts) hashes.add(fingerprintHash(p));
  const sorted = Uint32Array.from(hashes).sort();
  const bytes = Buffer.alloc(sorted.length * 4);
  sorted.forEach((h, i) => bytes.writeUInt32BE(h, i * 4));
  return bytes.toString('base64');
}

/** A group's fingerprint hashes; undefined when its notes keep none (an older artefact). */
function readFingerprint(notes: unknown): Set<number> | undefined {
  const encoded = (notes as { promptHashes?: unknown } | undefined)?.promptHashes;
  if (typeof encoded !== 'string') return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  const out = new Set<number>();
  for (let i = 0; i + 4 <= bytes.length; i += 4) out.add(bytes.readUInt32BE(i));
  return out;
}

function trainedPrompts(artefact: Pick<RoutingArtefact, 'training'>, group: string): number | null {
  const prompts = (artefact.training[group] as { prompts?: unknown } | undefined)?.prompts;
  return typeof prompts === 'number' ? prompts : null;
}

/**
 * The test files whose figures are in-sample: by content when every group of the artefact keeps
 * a fingerprint (each file with any prompt trained on, and how many), else by name (a file with
 * the base name, `group`, of a training file).
 */
export function inSampleFiles(
  artefact: Pick<RoutingArtefact, 'groups' | 'training'>,
  tests: readonly { file: string; group: string; prompts: readonly string[] }[],
): InSample {
  const fingerprints = artefact.groups.map((g) => ({
    group: g.name,
    hashes: readFingerprint(artefact.training[g.name]),
  }));
  if (fingerprints.length === 0 || fingerprints.some((f) => !f.hashes)) {
    const trained = new Set(artefact.groups.map((g) => g.name));
    return {
      basis: 'file name',
      files: tests
        .filter((t) => trained.has(t.group))
        .map((t) => ({
          file: t.file,
          group: t.group,
          trainedPrompts: trainedPrompts(artefact, t.group),
        })),
    };
  }
  const files: InSampleFile[] = [];
  for (const t of tests) {
    const distinct = [...new Set(t.prompts.map(promptKey))].map(fingerprintHash);
    let best = { group: '', count: 0 };
    const seen = new Set<number>();
    for (const f of fingerprints) {
      const hits = distinct.filter((h) => f.hashes!.has(h));
      for (const h of hits) seen.add(h);
      if (hits.length > best.count) best = { group: f.group, count: hits.length };
    }
    if (seen.size === 0) continue;
    files.push({
      file: t.file,
      group: best.group,
      trainedPrompts: trainedPrompts(artefact, best.group),
      testPrompts: distinct.length,
      inSamplePrompts: seen.size,
    });
  }
  return { basis: 'prompt content', files };
}

/**
 * Whether the artefact was trained on a prompt, by its groups' fingerprints; undefined when a
 * group keeps none (an older artefact), so it cannot be told.
 */
export function trainedOn(
  artefact: Pick<RoutingArtefact, 'groups' | 'training'>,
): ((prompt: string) => boolean) | undefined {
  const all = new Set<number>();
  for (const g of artefact.groups) {
    const hashes = readFingerprint(artefact.training[g.name]);
    if (!hashes) return undefined;
    for (const h of hashes) all.add(h);
  }
  return (prompt) => all.has(fingerprintHash(promptKey(prompt)));
}

/** The warning eval prints on stderr for them: what is in-sample, and what to do instead. */
export function inSampleWarning(model: string, found: InSample): string {
  const advice =
    'Evaluate on prompts the artefact was not trained on, or train and test with eval --train <files> --test <files>, which holds the test prompts out.';
  if (found.basis === 'prompt content') {
    const named = found.files
      .map(
        (f) =>
          `${f.file}: ${f.inSamplePrompts} of its ${f.testPrompts} prompts (${percent(f.inSamplePrompts! / f.testPrompts!)}), most from ${f.group}`,
      )
      .join('; ');
    return `warning: ${model} was trained on prompts of the test files (${named}): for those prompts these figures are in-sample and overstate the routing on new prompts. ${advice}`;
  }
  const named = found.files
    .map(
      (f) =>
        `${f.file} (${f.group}${f.trainedPrompts === null ? '' : `: ${f.trainedPrompts} prompts`})`,
    )
    .join(', ');
  return `warning: ${model} was trained on a file of the same name as ${named}: for the prompts it shares with that file these figures are in-sample and overstate the routing on new prompts. (This artefact keeps no fingerprint of its training prompts, so only file names are compared.) ${advice}`;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

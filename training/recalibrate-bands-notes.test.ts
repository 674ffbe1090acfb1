// `calibrate-bands` says how it read the scored prompts, as `eval` does: model names taken as the
// artefact's (another case, a provider prefix), and a file that scores none of the group's models.
// Before, the first was silent and the second ended on an error that named neither file nor models
// (robustness audit of files we have not seen, helper hD).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveArtefactPath, loadArtefactFile } from '../src/routing/artefact-files.js';
import { DEFAULT_MODELS_DIR } from '../src/routing/router-factory.js';
import { DEFAULT_TARGETS } from './band-targets.js';
import { loadRows } from './load-rows.js';
import { recalibrateBands } from './recalibrate-bands.js';

const GROUP = 'llmrouter_9open.jsonl';
const artefact = loadArtefactFile(resolveArtefactPath(DEFAULT_MODELS_DIR, 'latest'));
const models = artefact.groups.find((g) => g.name === GROUP)!.models;

/**
 * 80 prompts of the group's file name, each model named by `name` and scored 1 on every other;
 * `meta` on every row when given.
 */
function scored(name: (model: string) => string, meta?: Record<string, unknown>): string {
  const rows = Array.from({ length: 80 }, (_, i) =>
    JSON.stringify({
      prompt: `What is ${i} times ${i + 3}? Show your steps.`,
      scores: Object.fromEntries(models.map((m, k) => [name(m), (i + k) % 2])),
      ...(meta ? { meta } : {}),
    }),
  );
  const file = join(mkdtempSync(join(tmpdir(), 'mr-bands-notes-')), GROUP);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

describe('recalibrateBands notes', () => {
  it('says which model names it took as the artefact’s', () => {
    const notes: string[] = [];
    const [r] = recalibrateBands(
      artefact,
      loadRows(scored((m) => m.toUpperCase())),
      DEFAULT_TARGETS,
      undefined,
      (m) => notes.push(m),
    );
    expect(r!.prompts).toBe(80);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      new RegExp(
        `^file ${GROUP} names .*"${models[0]!.toUpperCase()}" as the artefact's "${models[0]}"`,
      ),
    );
  });

  it('says prompts marked routellm_contaminated were left out, and when that was every one', () => {
    const notes: string[] = [];
    // Before: "no prompt scores a group's best single model and another of its models", of a
    // file that scores them all, and not a word on the flag.
    expect(() =>
      recalibrateBands(
        artefact,
        loadRows(scored((m) => m, { routellm_contaminated: true })),
        DEFAULT_TARGETS,
        undefined,
        (m) => notes.push(m),
      ),
    ).toThrow(/among the prompts not marked "meta\.routellm_contaminated" \(see the note above\)/);
    expect(notes).toEqual([
      '80 prompts left out: marked "meta.routellm_contaminated" (prompts RouteLLM leaves out of its evaluation, as they overlap its training data); remove the flag to evaluate them',
    ]);
  });

  it('says a file scores none of the group’s models before refusing it', () => {
    const notes: string[] = [];
    expect(() =>
      recalibrateBands(
        artefact,
        loadRows(scored((m) => `other-${m}`)),
        DEFAULT_TARGETS,
        undefined,
        (m) => notes.push(m),
      ),
    ).toThrow(/no prompt scores/);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^file ${GROUP} scores other-.*which the artefact's heads for it do not know`),
        ),
        expect.stringMatching(
          /^80 prompts skipped: they have no score for .*, the best single model/,
        ),
      ]),
    );
  });
});

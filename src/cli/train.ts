// `model-router train --data <a.jsonl>[,<b.jsonl>…] --prices <prices.json> --out <artefact.json>
// [--seed N] [--work-budget <millions>]`: trains the routing artefact on any files in the shared
// line format (the work budget bounds the fitting, `trainingPlans`).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataError } from '../../training/data-error.js';
import { countOf } from '../../training/count-of.js';
import { loadPrices } from '../../training/load-prices.js';
import { loadRows, type DataRow } from '../../training/load-rows.js';
import { targetsWithZ } from '../../training/band-targets.js';
import { todaysVersion, trainingTime } from '../../training/artefact-time.js';
import { trainArtefact } from '../../training/train-artefact.js';
import { workBudgetOption } from '../../training/training-plan.js';
import { epochsOption, seedOption } from '../../training/number-option.js';
import { serializeArtefact } from '../routing/artefact-json.js';
import { type GroupInfo } from '../routing/routing-model.js';
import { progressBar } from './progress-bar.js';
import { artefactVersionOption, checkOutFile, writeOutFile } from './out-path.js';
import { asUsage } from './usage-error.js';

/**
 * The files' rows by data group (a file's base name). Files of the same base name in different
 * folders join one group, whose scores must then share a scale: said, as it may be a mistake.
 */
export function loadGroups(
  files: string[],
  warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
  /** Where each file's notes go (loadRows'); `eval` says each once, a file read twice too. */
  note?: (message: string) => void,
): Map<string, DataRow[]> {
  const groups = new Map<string, DataRow[]>();
  const firstFile = new Map<string, string>();
  for (const f of files) {
    const rows = loadRows(f, note);
    const key = rows[0]!.group;
    const first = firstFile.get(key);
    if (first === undefined) firstFile.set(key, f);
    else
      warn(
        `${f} and ${first} have the same file name: their rows are one data group, ${key}, whose models are compared as scored on one scale (rename one to keep them apart)`,
      );
    groups.set(key, [...(groups.get(key) ?? []), ...rows]);
  }
  return groups;
}

/**
 * A comma-separated list of files, each once however its path is written: a file named twice
 * would count every prompt twice (and weigh that file double), so it is read once, with a warning.
 */
export function fileList(v: string | undefined): string[] {
  const byPath = new Map<string, string>();
  for (const f of splitList(v))
    if (byPath.has(resolve(f)))
      process.stderr.write(`warning: ${f} is named more than once; read once\n`);
    else byPath.set(resolve(f), f);
  return [...byPath.values()];
}

export function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  data: { type: 'string' },
  prices: { type: 'string' },
  out: { type: 'string' },
  seed: { type: 'string', default: '1' },
  version: { type: 'string' },
  epochs: { type: 'string' },
  'confidence-z': { type: 'string' },
  'work-budget': { type: 'string' },
} as const;

/** What `model-router train --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router train --data <a.jsonl>[,<b.jsonl>…] --prices <prices.json> --out <artefact.json>
                          [--seed N] [--version V] [--epochs N] [--confidence-z Z] [--work-budget M]

Trains a routing artefact on files in the shared JSONL line format (a prompt a line, with each
model's score). Each file is a data group: models are compared only with the models of their own file.

options:
  --data <files>         the training files, comma-separated
  --prices <file>        each model's input_per_1m_usd and output_per_1m_usd (an unpriced model is
                         left out, with a warning)
  --out <file>           where to write the artefact (in models/, a router can name its version)
  --seed <n>             the seed of every sample and split (default 1; the same seed, files and
                         --version train the same bytes: createdAt is the version's date, else the
                         newest of the files' modification times, or SOURCE_DATE_EPOCH when set)
  --version <v>          the artefact's version, what x-router-version and the request log say
                         (default: the --out file's name without .json, the name a router's
                         version: selects it by; else today's date)
  --epochs <n>           AdaGrad epochs; train fits with L-BFGS, where it only paces the progress bar
  --confidence-z <z>     standard errors a band's quality must clear its target by (default 1)
  --work-budget <M>      millions of fitting work the plan stays within (default 180)
  -h, --help             this help

example:
  model-router train --data data/llmrouter.jsonl --prices data/models.json --out models/2026-12-05.json
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  const files = fileList(values.data);
  if (!files.length || !values.prices || !values.out) {
    // Which are missing first: the usage line alone left the reader to compare it with the command.
    const missing = [
      ...(files.length ? [] : ['--data']),
      ...(values.prices ? [] : ['--prices']),
      ...(values.out ? [] : ['--out']),
    ];
    process.stderr.write(
      `model-router train: missing ${missing.join(', ')}\n` +
        'usage: model-router train --data <a.jsonl>[,<b.jsonl>…] --prices <prices.json> --out <artefact.json> [--seed N] [--version V] [--confidence-z Z] [--work-budget <millions>]\n',
    );
    return 2;
  }
  // A bad option value is a usage error (one line, exit 2), found before anything is read.
  const { targets, workBudget, seed, epochs, versionOption } = asUsage(() => ({
    targets: targetsWithZ(values['confidence-z']),
    workBudget: workBudgetOption(values['work-budget']),
    seed: seedOption(values.seed),
    epochs: epochsOption(values.epochs),
    versionOption: artefactVersionOption(values.version, values.out!),
  }));
  try {
    checkOutFile(values.out);
    const groups = loadGroups(files);
    const prices = loadPrices(values.prices);
    const version = versionOption ?? todaysVersion();
    const bar = progressBar('train');
    const started = Date.now();
    const { artefact } = trainArtefact(groups, prices, {
      seed,
      version,
      // Not the wall clock: the same files and seed give the same bytes.
      createdAt: trainingTime(version, [...files, values.prices]),
      epochs,
      targets,
      workBudget,
      onProgress: bar.update,
      onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
    });
    bar.done();
    writeOutFile(values.out, serializeArtefact(artefact));
    const prompts = [...groups.values()].reduce((a, r) => a + r.length, 0);
    process.stderr.write(
      `trained ${countOf(artefact.models.length, 'model')} on ${countOf(prompts, 'prompt')} from ${countOf(groups.size, 'file')} in ${((Date.now() - started) / 1000).toFixed(1)} s → ${values.out}\n`,
    );
    for (const g of artefact.groups)
      process.stderr.write(
        `  ${g.name}: best single ${g.bestSingle}; bands balanced ${g.bands.balanced.toFixed(4)}, cost ${g.bands.cost.toFixed(4)}${g.bands.qualityHolds ? `; Quality mode keeps ${g.bestSingle} (on held-out prompts leaving it gained nothing beyond noise)` : ''}${headsNote(g)}\n`,
      );
    return 0;
  } catch (err) {
    if (err instanceof DataError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Which heads beyond the pooled ones cross-fitting kept for a group, for the summary line. */
export function headsNote(g: GroupInfo): string {
  const notes: string[] = [];
  const sources = g.experts?.gate.map((h) => h.source) ?? [];
  if (sources.length) notes.push(`own heads for ${sources.join(', ')}`);
  for (const p of g.experts?.pairs ?? [])
    notes.push(`a pair head for ${p.source} (${p.weak} as ${p.strong} less their difference)`);
  if (g.pair) notes.push(`a pair head (${g.pair.weak} as ${g.pair.strong} less their difference)`);
  return notes.length ? `; ${notes.join('; ')}` : '';
}

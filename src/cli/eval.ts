// `model-router eval --train <files> --test <files> --prices <prices.json> [--json] [--out <dir>]
// [--model <artefact>] [--seed N]`: trains on --train (or loads --model) and evaluates on --test.
// Prompts that occur in both, and their near-copies, are held out of training; a --test file that
// is also a --train file (the same path, however written) is split by a salted hash of each
// prompt's near-copy group (--split, default 0.2), so near-copies never straddle the split, and
// `--salts a,b,c` repeats the whole train-and-evaluate once per salt (a different held-out share
// each) and reports the mean, min and max of every headline figure (the tables: eval-tables.ts).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataError } from '../../training/data-error.js';
import { UsageError, asUsage } from './usage-error.js';
import { countOf } from '../../training/count-of.js';
import { loadPrices } from '../../training/load-prices.js';
import { loadRows, type DataRow } from '../../training/load-rows.js';
import { promptHash, promptKey } from '../../training/prompt-hash.js';
import { foldKeys } from '../../training/cross-fit.js';
import {
  describeTestRows,
  fewTestPromptsNote,
  tiedMatchWarnings,
} from '../../training/test-rows.js';
import { inSampleFiles, inSampleWarning, type InSample } from '../../training/in-sample.js';
import { apgrGapNotes } from '../../training/apgr-and-cpt.js';
import { evaluate, type EvalReport } from '../../training/evaluate.js';
import { targetsWithZ } from '../../training/band-targets.js';
import { trainArtefact, type TrainResult } from '../../training/train-artefact.js';
import { describeBlendChoice } from '../../training/lowrank-blend.js';
import { workBudgetOption } from '../../training/training-plan.js';
import {
  bandOption,
  epochsOption,
  numberOption,
  seedOption,
} from '../../training/number-option.js';
import { FAMILIES, trainFamily, type Family } from '../../training/families.js';
import { artefactPathFor, loadArtefactFile } from '../routing/artefact-files.js';
import { ArtefactError, type RoutingArtefact } from '../routing/routing-model.js';
import { DEFAULT_MODELS_DIR } from '../routing/router-factory.js';
import { splitsTable, summarizeSplits, table, writeReport } from './eval-tables.js';
import { progressBar } from './progress-bar.js';
import { fileList, loadGroups, splitList } from './train.js';
import { prepareOutDir } from './out-path.js';

/**
 * The report with `in_sample` (the test files named as the artefact's training files, with the
 * basis of the match) when there are any: JSON and report.json say what the warning says.
 */
function withInSample(report: EvalReport, found: InSample | undefined): EvalReport {
  if (!found?.files.length) return report;
  return {
    ...report,
    in_sample: {
      basis: found.basis,
      files: found.files.map((f) => ({
        file: f.file,
        trained_on: f.group,
        trained_prompts: f.trainedPrompts,
        ...(f.testPrompts === undefined
          ? {}
          : {
              test_prompts: f.testPrompts,
              in_sample_prompts: f.inSamplePrompts!,
              in_sample_fraction: f.inSamplePrompts! / f.testPrompts,
            }),
      })),
    },
  };
}

function parseOptimizer(v: string | undefined): 'adagrad' | 'lbfgs' | undefined {
  if (v === undefined || v === 'adagrad' || v === 'lbfgs') return v;
  throw new DataError('--optimizer must be lbfgs or adagrad');
}

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  train: { type: 'string' },
  test: { type: 'string' },
  prices: { type: 'string' },
  model: { type: 'string' },
  json: { type: 'boolean', default: false },
  out: { type: 'string' },
  seed: { type: 'string', default: '1' },
  split: { type: 'string', default: '0.2' },
  'balanced-band': { type: 'string' },
  'cost-band': { type: 'string' },
  epochs: { type: 'string' },
  family: { type: 'string', default: 'logistic' },
  lr: { type: 'string' },
  l2: { type: 'string' },
  optimizer: { type: 'string' },
  c: { type: 'string' },
  'confidence-z': { type: 'string' },
  'work-budget': { type: 'string' },
  salts: { type: 'string' },
} as const;

/** What `model-router eval --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router eval --train <files> --test <files> --prices <prices.json> [options]
       model-router eval --model <artefact.json|version> --test <files> [--json] [--out <dir>]

Trains on --train (or loads --model) and evaluates the routing on --test: each mode's quality and
cost against the best single model, APGR and CPT(50%), overall and by source. A --test file that is
also a --train file holds out a share of its prompts (--split) by a salted hash of each prompt's
near-copy group (exact copies, and copies with a few words changed or added, land on one side);
prompts in both, and their near-copies, are never trained on (a note says how many). With --model,
a --test file with prompts the artefact was trained on gets a warning that its figures are
in-sample for them (and in_sample in --json: how many, what share): artefacts keep a fingerprint
of their training prompts (32-bit hashes of the text), so a renamed or cut file is found too. An
artefact trained by an earlier build keeps none: for it a file named as one it was trained on (its
data groups) gets the warning, and other names go unnoticed.

options:
  --train <files>          training files, comma-separated
  --test <files>           test files, comma-separated
  --prices <file>          model prices (needed with --train)
  --model <artefact>       evaluate a saved artefact (a file, or a version in models/: latest,
                           2026-12-04) instead of training one
  --json                   the report as JSON
  --out <dir>              also write report.html, report.json and outcomes.jsonl there (a line
                           per test prompt: each mode's pick, each model's score and cost, and
                           what the router predicted of them; predicted_quality on serving's
                           scale, 1 = the best single model's mean score on the training
                           prompts, so above 1 where a model is predicted better than that)
  --seed <n>               the training seed (default 1)
  --split <share>          the share of a shared file held out for the test (default 0.2)
  --salts <a,b,c>          repeat the whole train-and-evaluate once per salt; mean, min and max
  --family <name>          the predictor: logistic (default), knn, blend, mlp, mlp-blend, lowrank,
                           lowrank-blend
  --confidence-z <z>       standard errors a band's quality must clear its target by (default 1)
  --work-budget <M>        millions of fitting work the plan stays within (default 180)
  --balanced-band <x>      evaluate Balanced with this band instead of the calibrated one
  --cost-band <x>          evaluate Cost with this band instead of the calibrated one
  --optimizer <name>       lbfgs (default) or adagrad
  --c <x>                  L-BFGS inverse regularisation strength (default 0.3)
  --epochs <n>             AdaGrad epochs
  --lr <x>                 AdaGrad learning rate (default 0.1)
  --l2 <x>                 AdaGrad L2 penalty (default 1e-5)
  -h, --help               this help

examples:
  model-router eval --train data/llmrouter.jsonl --test data/llmrouter.jsonl --prices data/models.json --salts a,b,c
  model-router eval --model latest --test held-out.jsonl --json
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  const testFiles = fileList(values.test);
  const trainFiles = fileList(values.train);
  if (!testFiles.length || (!values.model && (!trainFiles.length || !values.prices))) {
    // Which are missing first, as train and calibrate say it; without --model, that it stands in
    // for --train and --prices (a saved artefact).
    const missing = [
      ...(testFiles.length ? [] : ['--test']),
      ...(values.model || trainFiles.length ? [] : ['--train']),
      ...(values.model || values.prices ? [] : ['--prices']),
    ];
    const orModel = missing.some((m) => m !== '--test')
      ? ' (or --model <artefact.json|version> for a saved artefact, in place of --train and --prices)'
      : '';
    process.stderr.write(
      `model-router eval: missing ${missing.join(', ')}${orModel}\n` +
        `usage: model-router eval --train <files> --test <files> --prices <prices.json> [--json] [--out <dir>] [--confidence-z Z] [--work-budget <millions>] [--salts a,b,c] [--family ${FAMILIES.join('|')}]\n       model-router eval --model <artefact.json|version> --test <files> [--json]\n`,
    );
    return 2;
  }
  // A saved artefact is evaluated as it is: options that would train or price one do nothing.
  const ignored = ['train', 'prices', 'seed', 'split', 'epochs', 'work-budget']
    .filter(
      (o) =>
        values.model &&
        (values as Record<string, unknown>)[o] !== undefined &&
        argv.some((a) => a === `--${o}` || a.startsWith(`--${o}=`)),
    )
    .map((o) => `--${o}`);
  if (ignored.length) {
    process.stderr.write(
      `${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} nothing with --model: a saved artefact is evaluated with its own heads, bands and prices. Leave ${ignored.length === 1 ? 'it' : 'them'} out, or train one with --train <files> --test <files> --prices <file>\n`,
    );
    return 2;
  }
  // A bad option value is a usage error (one line, exit 2), found before anything is read.
  const { shared, targets, workBudget, split, salts, family, override, seed, fitting } = asUsage(
    () => {
      // A test file that is also a training file (the same path, however it is written) is split
      // by a salted prompt hash; the other test files are held out whole.
      const trainPaths = new Set(trainFiles.map((f) => resolve(f)));
      const shared = values.model ? [] : testFiles.filter((f) => trainPaths.has(resolve(f)));
      const targets = targetsWithZ(values['confidence-z']);
      const workBudget = workBudgetOption(values['work-budget']);
      const split = Number(values.split);
      if (!(split > 0 && split < 1))
        throw new UsageError(
          `--split must be a share between 0 and 1 (e.g. 0.2), got "${values.split}"`,
        );
      const salts = splitList(values.salts);
      if (values.salts !== undefined && !salts.length)
        throw new UsageError(`--salts needs at least one salt (e.g. a,b,c), got "${values.salts}"`);
      if (new Set(salts).size !== salts.length)
        throw new UsageError(
          `--salts names a salt twice ("${values.salts}"): each salt is one split`,
        );
      if (salts.length && shared.length !== testFiles.length)
        throw new UsageError(
          '--salts needs every --test file to be a --train file too (and no --model): each salt holds out its own share of their prompts',
        );
      const family = values.family as Family;
      if (!FAMILIES.includes(family))
        throw new UsageError(`--family must be one of ${FAMILIES.join(', ')}`);
      if (family !== 'logistic' && (values.model || !trainFiles.length))
        throw new UsageError(
          '--family other than logistic needs --train (an artefact holds only the logistic heads)',
        );
      const balancedBand = bandOption('balanced-band', values['balanced-band']);
      const costBand = bandOption('cost-band', values['cost-band']);
      const override = {
        ...(balancedBand !== undefined ? { balanced: balancedBand } : {}),
        ...(costBand !== undefined ? { cost: costBand } : {}),
      };
      const seed = seedOption(values.seed);
      const fitting = {
        epochs: epochsOption(values.epochs),
        learningRate: numberOption('lr', values.lr, {
          above: 0,
          what: "AdaGrad's learning rate",
          example: '0.1',
        }),
        l2: numberOption('l2', values.l2, {
          min: 0,
          what: "AdaGrad's L2 penalty",
          example: '1e-5',
        }),
        optimizer: parseOptimizer(values.optimizer),
        c: numberOption('c', values.c, {
          above: 0,
          what: "L-BFGS's inverse regularisation strength",
          example: '0.3',
        }),
      };
      return { shared, targets, workBudget, split, salts, family, override, seed, fitting };
    },
  );
  try {
    if (values.out) prepareOutDir(values.out);
    // With --salts each split trains and reads the files again: a warning or note it repeats word
    // for word (an unpriced model, a test file's unknown model) is said once, not once a salt;
    // so is a file's note when it is both --train and --test (tour audit F10: said twice).
    const said = new Set<string>();
    const sayOnce = (line: string) => {
      if (said.has(line)) return;
      said.add(line);
      process.stderr.write(`${line}\n`);
    };
    const noteOnce = (m: string) => sayOnce(`note: ${m}`);
    // Every file is read once, whatever the number of salts.
    const testByFile = testFiles.map((f) => ({
      rows: loadRows(f, noteOnce),
      split: shared.includes(f),
    }));
    const splitGroups = new Set(testByFile.filter((t) => t.split).map((t) => t.rows[0]!.group));
    const allTest: DataRow[] = testByFile.flatMap((t) => t.rows);
    const trainRows = values.model ? undefined : loadGroups(trainFiles, undefined, noteOnce);
    const prices = values.model ? undefined : loadPrices(values.prices!);
    // Near-copy groups over every prompt read (`foldKeys`, as training's folds): the split hashes a
    // prompt's group, and training leaves out every group with a test prompt, so neither a
    // shared file's split nor a separate --test file has a near-copy on the training side.
    const groupOf = trainRows
      ? foldKeys([...allTest, ...[...trainRows.values()].flat()].map((r) => r.prompt))
      : promptKey;
    if (shared.length)
      process.stderr.write(
        `${shared.join(', ')} ${shared.length > 1 ? 'are' : 'is'} in --train and --test: holding out ${split * 100}% of ${shared.length > 1 ? 'their' : 'its'} prompts by a salted hash of each prompt's near-copy group${salts.length > 1 ? `, once per salt (${salts.join(', ')})` : ''}\n`,
      );

    /** Trains on the training files less the test prompts (or loads --model) and evaluates. */
    const once = (salt: string | undefined) => {
      const test = allTest.filter(
        (r) => !splitGroups.has(r.group) || promptHash(groupOf(r.prompt), salt) < split,
      );
      // A hash split of a few prompts can hold out none, or all: say so, not "no test prompt left".
      const forSalt = salt === undefined ? '' : ` with salt ${salt}`;
      if (test.length === 0) {
        // Near-copies are held out whole, group by group: where they are most of the prompts,
        // that, not the share, is why none was held out.
        const splitRows = allTest.filter((r) => splitGroups.has(r.group));
        const nearGroups = new Set(splitRows.map((r) => groupOf(r.prompt))).size;
        const grouped =
          nearGroups * 2 < splitRows.length
            ? ` (they are ${countOf(nearGroups, 'group')} of near-copies, prompts the same but for a word or a few, and each group is held out whole)`
            : '';
        throw new DataError(
          `--split ${split}${forSalt} holds out none of the ${countOf(allTest.length, 'prompt')} of ${shared.join(', ')}${grouped}: nothing to test on. Give a larger --split, more prompts${grouped ? ' that differ' : ''}, or a separate --test file`,
        );
      }
      let artefact: RoutingArtefact;
      let trainGroups: Map<string, DataRow[]> | undefined;
      let crossFitted: TrainResult['crossFitted'] | undefined;
      if (!trainRows || !prices)
        artefact = loadArtefactFile(artefactPathFor(values.model!, DEFAULT_MODELS_DIR));
      else {
        const testPrompts = new Set(test.map((r) => promptKey(r.prompt)));
        const testGroups = new Set(test.map((r) => groupOf(r.prompt)));
        const groups = new Map(
          [...trainRows].map(([g, rows]) => [
            g,
            rows.filter((r) => !testGroups.has(groupOf(r.prompt))),
          ]),
        );
        // Test rows' own copies in a split file are the split; others held out are worth a word.
        const copies = [...trainRows.values()]
          .flat()
          .filter((r) => testGroups.has(groupOf(r.prompt)))
          .filter((r) => !(splitGroups.has(r.group) && testPrompts.has(promptKey(r.prompt))));
        if (copies.length) {
          const near = copies.filter((r) => !testPrompts.has(promptKey(r.prompt))).length;
          const kinds = [
            ...(near < copies.length ? [`${copies.length - near} with a test prompt's text`] : []),
            ...(near ? [`${near} a near-copy of one (Jaccard ≥ 0.6 on word 3-shingles)`] : []),
          ];
          process.stderr.write(
            `note: ${countOf(copies.length, 'training prompt')} held out of training${forSalt}: ${kinds.join(', ')}\n`,
          );
        }
        trainGroups = groups;
        if ([...groups.values()].every((rows) => rows.length === 0))
          throw new DataError(
            `no training prompt left: every prompt of ${trainFiles.join(', ')} is a test prompt${shared.length ? ` (--split ${split}${forSalt} holds out all of ${shared.join(', ')})` : ' (prompts in --test are never trained on)'}. ${shared.length ? 'Give a smaller --split, more prompts, or' : 'Give'} a --train file with other prompts`,
          );
        const bar = progressBar(salt === undefined ? 'train' : `train (salt ${salt})`);
        const trained = trainArtefact(groups, prices, {
          seed,
          onProgress: bar.update,
          onWarning: (w) => sayOnce(`warning: ${w}`),
          ...fitting,
          targets,
          workBudget,
        });
        bar.done();
        artefact = trained.artefact;
        crossFitted = trained.crossFitted;
      }
      const familyModel =
        family === 'logistic'
          ? undefined
          : trainFamily(artefact, trainGroups!, prices!, family, seed, targets, crossFitted);
      // The blend's weight per group, chosen on the training prompts: said, as it decides the run.
      for (const c of familyModel?.choices ?? [])
        process.stderr.write(`note: ${describeBlendChoice(c, forSalt)}\n`);
      // A saved artefact may have been trained on the test prompts: said before the figures.
      const inSample = values.model
        ? inSampleFiles(
            artefact,
            testFiles.map((file, i) => {
              const rows = testByFile[i]!.rows;
              return { file, group: rows[0]?.group ?? '', prompts: rows.map((r) => r.prompt) };
            }),
          )
        : undefined;
      if (inSample?.files.length)
        process.stderr.write(`${inSampleWarning(values.model!, inSample)}\n`);
      const result = { ...evaluate(artefact, test, override, familyModel), inSample };
      for (const w of tiedMatchWarnings(result.skipped)) sayOnce(`warning: ${w}`);
      for (const note of describeTestRows(result.skipped)) sayOnce(`note: ${note}`);
      const gapNotes = [
        ...apgrGapNotes(result.report, ''),
        ...Object.entries(result.report.by_source).flatMap(([k, s]) => apgrGapNotes(s, k)),
      ];
      for (const note of gapNotes)
        process.stderr.write(`note: ${note}${salt === undefined ? '' : ` (salt ${salt})`}
`);
      const few = fewTestPromptsNote(result.report.prompts, forSalt);
      if (few) process.stderr.write(`note: ${few}\n`);
      // Ratios of nothing would print as zeros that read like a result: say what to fix instead.
      if (result.report.prompts === 0)
        throw new DataError(
          `no test prompt left to evaluate${result.skipped.total ? ' (see the notes above)' : ''}: the --test files must score the artefact's models, including each group's best single model${result.skipped.contaminated ? ', on prompts not marked "meta.routellm_contaminated"' : ''}`,
        );
      return result;
    };

    if (salts.length) {
      const runs = salts.map((salt) => ({ salt, ...once(salt) }));
      if (values.out)
        for (const r of runs) writeReport(join(values.out, r.salt), r.report, r.outcomes);
      const summary = summarizeSplits(runs.map((r) => r.report));
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ salts, reports: runs.map((r) => r.report), summary })}\n`
          : `${splitsTable(
              salts,
              runs.map((r) => r.report),
              summary,
            )}\n`,
      );
      return 0;
    }
    const { report: figures, outcomes, inSample } = once(undefined);
    const report = withInSample(figures, inSample);
    if (values.out) writeReport(values.out, report, outcomes);
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof DataError || err instanceof ArtefactError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

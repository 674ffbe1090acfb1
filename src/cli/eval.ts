// `model-router eval --train <files> --test <files> --prices <prices.json> [--json] [--out <dir>]
// [--model <artefact>] [--seed N]`: trains on --train (or loads --model) and evaluates on --test.
// Prompts that occur in both are held out of training; when --train and --test name the same files,
// a salted prompt-hash split (--split, default 0.2) separates them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataError, loadPrices, promptHash, type DataRow } from '../../training/dataset.js';
import { describeTestRows, evaluate, type EvalReport } from '../../training/evaluate.js';
import { renderEvalHtml } from '../../training/eval-report.js';
import { targetsWithZ, trainArtefact } from '../../training/train-artefact.js';
import { trainFamily, type Family } from '../../training/families.js';
import { loadArtefactFile, type RoutingArtefact } from '../routing/routing-model.js';
import { progressBar } from './progress-bar.js';
import { loadGroups, splitList } from './train.js';

function normalise(prompt: string): string {
  return prompt.trim().toLowerCase();
}

function fmt(x: number | null, digits = 3): string {
  return x === null ? '–' : x.toFixed(digits);
}

function table(report: EvalReport): string {
  const lines = [
    `prompts ${report.prompts}; models ${report.models.join(', ')}`,
    `best single ${report.best_single.model}: quality ${fmt(report.best_single.quality)}, $/prompt ${report.best_single.cost.toExponential(3)}`,
    `oracle quality ${fmt(report.oracle.quality)}; random at matched cost ${fmt(report.random.quality)}; cheapest ${report.cheapest.model} ${fmt(report.cheapest.quality)}`,
    '',
    'mode       quality  q_ratio  cost_ratio  share',
  ];
  for (const [mode, r] of Object.entries(report.modes))
    lines.push(
      `${mode.padEnd(10)} ${fmt(r.quality)}    ${fmt(r.quality_ratio)}    ${fmt(r.cost_ratio)}       ${Object.entries(
        r.share,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([m, s]) => `${m} ${(s * 100).toFixed(0)}%`)
        .join(', ')}`,
    );
  lines.push(
    '',
    `APGR ${fmt(report.apgr)}  CPT(50%) ${fmt(report.cpt50)}  CPT(80%) ${fmt(report.cpt80)}`,
    '',
    'by source:',
  );
  for (const [src, s] of Object.entries(report.by_source))
    lines.push(
      `  ${src.padEnd(32)} n=${String(s.prompts).padEnd(5)} balanced q×${fmt(s.modes.balanced.quality_ratio)} c×${fmt(s.modes.balanced.cost_ratio)}  cost q×${fmt(s.modes.cost.quality_ratio)} c×${fmt(s.modes.cost.cost_ratio)}  quality q×${fmt(s.modes.quality.quality_ratio)}  APGR ${fmt(s.apgr)}`,
    );
  return lines.join('\n');
}

function parseOptimizer(v: string | undefined): 'adagrad' | 'lbfgs' | undefined {
  if (v === undefined || v === 'adagrad' || v === 'lbfgs') return v;
  throw new DataError('--optimizer must be lbfgs or adagrad');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
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
    },
  });
  const testFiles = splitList(values.test);
  const trainFiles = splitList(values.train);
  if (!testFiles.length || (!values.model && (!trainFiles.length || !values.prices))) {
    process.stderr.write(
      'usage: model-router eval --train <files> --test <files> --prices <prices.json> [--json] [--out <dir>] [--confidence-z Z]\n       model-router eval --model <artefact.json> --test <files> [--json]\n',
    );
    return 2;
  }
  try {
    const sameFiles =
      trainFiles.length > 0 && [...trainFiles].sort().join(',') === [...testFiles].sort().join(',');
    const targets = targetsWithZ(values['confidence-z']);
    const split = Number(values.split);
    let test: DataRow[] = [...loadGroups(testFiles).values()].flat();
    if (sameFiles && !values.model) {
      test = test.filter((r) => promptHash(r.prompt) < split);
      process.stderr.write(
        `--train and --test are the same files: holding out ${split * 100}% of prompts by a salted prompt hash\n`,
      );
    }
    let artefact: RoutingArtefact;
    let trainGroups: Map<string, DataRow[]> | undefined;
    if (values.model) artefact = loadArtefactFile(values.model);
    else {
      const testPrompts = new Set(test.map((r) => normalise(r.prompt)));
      const groups = loadGroups(trainFiles);
      for (const [g, rows] of groups)
        groups.set(
          g,
          rows.filter((r) => !testPrompts.has(normalise(r.prompt))),
        );
      trainGroups = groups;
      const bar = progressBar('train');
      const trained = trainArtefact(groups, loadPrices(values.prices!), {
        seed: Number(values.seed),
        onProgress: bar.update,
        onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
        epochs: values.epochs ? Number(values.epochs) : undefined,
        learningRate: values.lr ? Number(values.lr) : undefined,
        l2: values.l2 ? Number(values.l2) : undefined,
        optimizer: parseOptimizer(values.optimizer),
        c: values.c ? Number(values.c) : undefined,
        targets,
      });
      bar.done();
      artefact = trained.artefact;
    }
    const override = {
      ...(values['balanced-band'] ? { balanced: Number(values['balanced-band']) } : {}),
      ...(values['cost-band'] ? { cost: Number(values['cost-band']) } : {}),
    };
    const family = values.family as Family;
    if (!['logistic', 'knn', 'blend'].includes(family))
      throw new DataError('--family must be logistic, knn or blend');
    if (family !== 'logistic' && !trainGroups)
      throw new DataError(
        '--family knn|blend needs --train (an artefact holds only the logistic heads)',
      );
    const familyModel =
      family === 'logistic'
        ? undefined
        : trainFamily(
            artefact,
            trainGroups!,
            loadPrices(values.prices!),
            family,
            Number(values.seed),
            targets,
          );
    const { report, skipped, outcomes } = evaluate(artefact, test, override, familyModel);
    for (const note of describeTestRows(skipped)) process.stderr.write(`note: ${note}\n`);
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, 'report.json'), JSON.stringify(report, null, 2));
      writeFileSync(join(values.out, 'report.html'), renderEvalHtml(report, outcomes));
      process.stderr.write(`wrote ${join(values.out, 'report.html')}\n`);
    }
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof DataError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

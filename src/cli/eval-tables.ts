// What `eval` prints and writes: the readable table of one report, the table of several held-out
// splits with the mean, min and max of every headline figure (`summarizeSplits`, in `--json`
// too), and `--out`'s report.json, report.html and outcomes.jsonl.
import { join } from 'node:path';
import { ROUTING_MODES } from '../config/schema.js';
import { pickFor, type PromptOutcome } from '../../training/score-test-rows.js';
import { shareText, type EvalSummary } from '../../training/eval-summary.js';
import type { EvalReport } from '../../training/evaluate.js';
import { renderEvalHtml } from '../../training/eval-report.js';
import { prepareOutDir, writeOutFile } from './out-path.js';

export function fmt(x: number | null, digits = 3): string {
  return x === null ? '–' : x.toFixed(digits);
}

/** Models listed in full on the table's first line; more are counted, the first of them named. */
const MODELS_LISTED = 12;
export function table(report: EvalReport): string {
  const models =
    report.models.length > MODELS_LISTED
      ? `${report.models.length} (${report.models.slice(0, MODELS_LISTED).join(', ')}, …)`
      : report.models.join(', ');
  const lines = [
    `prompts ${report.prompts}; models ${models}`,
    `best single ${report.best_single.model}: quality ${fmt(report.best_single.quality)}, $/prompt ${report.best_single.cost.toExponential(3)}`,
    `oracle quality ${fmt(report.oracle.quality)}; random at matched cost ${fmt(report.random.quality)}; ${report.cheapest.model.includes('|') ? `cheapest scored per prompt (${report.cheapest.model.split('|').join(', ')})` : `cheapest ${report.cheapest.model}`} ${fmt(report.cheapest.quality)}`,
    '',
    'mode       quality  q_ratio ± se    cost_ratio  share',
  ];
  for (const [mode, r] of Object.entries(report.modes))
    lines.push(
      `${mode.padEnd(10)} ${fmt(r.quality)}    ${fmt(r.quality_ratio)} ± ${fmt(r.quality_ratio_se)}  ${fmt(r.cost_ratio)}       ${shareText(r.share)}`,
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

/**
 * `--out`'s files in `dir` (a salt's folder made here): each whole or not at all (writeOutFile);
 * a folder or file that cannot be written is a DataError naming it and why (a full disk was
 * Node's "ENOSPC: …, write" and a stack, after the whole evaluation).
 */
export function writeReport(dir: string, report: EvalReport, outcomes: PromptOutcome[]): void {
  prepareOutDir(dir);
  writeOutFile(join(dir, 'report.json'), JSON.stringify(report, null, 2));
  writeOutFile(join(dir, 'report.html'), renderEvalHtml(report, outcomes));
  writeOutFile(
    join(dir, 'outcomes.jsonl'),
    outcomes.map((o) => `${JSON.stringify(outcomeLine(o))}\n`).join(''),
  );
  process.stderr.write(
    `wrote ${join(dir, 'report.html')}, report.json and outcomes.jsonl (${outcomes.length} prompts)\n`,
  );
}

/**
 * One test prompt's line in `--out`'s outcomes.jsonl: each mode's pick, and per model its real
 * score and cost beside what the router predicted, so a figure can be traced to its prompts.
 */
export function outcomeLine(o: PromptOutcome): Record<string, unknown> {
  const perModel = (value: (m: string) => number) =>
    Object.fromEntries(o.models.map((m) => [m, value(m)]));
  return {
    id: o.row.id,
    source: o.row.source,
    best_single: o.baseline ?? o.bestSingle,
    picks: Object.fromEntries(ROUTING_MODES.map((mode) => [mode, pickFor(o, mode)])),
    score: perModel((m) => o.row.scores[m]!),
    predicted_quality: perModel((m) => o.predicted.get(m)!),
    cost_usd: perModel((m) => o.cost.get(m)!),
    predicted_cost_usd: perModel((m) => o.predictedCost.get(m)!),
  };
}

/** The figures compared across splits: each mode's ratios, APGR/CPT(50%), and the same per source. */
function headline(report: EvalSummary, prefix = ''): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [mode, r] of Object.entries(report.modes)) {
    out[`${prefix}${mode}.quality_ratio`] = r.quality_ratio;
    out[`${prefix}${mode}.cost_ratio`] = r.cost_ratio;
  }
  out[`${prefix}apgr`] = report.apgr;
  out[`${prefix}cpt50`] = report.cpt50;
  return out;
}

export interface SplitSummary {
  [figure: string]: { mean: number; min: number; max: number; splits: number };
}

/** Mean, min and max of every headline figure over the splits that have it. */
export function summarizeSplits(reports: EvalReport[]): SplitSummary {
  const values = new Map<string, number[]>();
  for (const report of reports) {
    const figures = {
      ...headline(report),
      ...Object.assign(
        {},
        ...Object.entries(report.by_source).map(([src, s]) => headline(s, `${src} `)),
      ),
    } as Record<string, number | null>;
    for (const [k, v] of Object.entries(figures))
      if (v !== null && Number.isFinite(v)) values.set(k, [...(values.get(k) ?? []), v]);
  }
  const summary: SplitSummary = {};
  for (const [k, vs] of values)
    summary[k] = {
      mean: vs.reduce((a, b) => a + b, 0) / vs.length,
      min: Math.min(...vs),
      max: Math.max(...vs),
      splits: vs.length,
    };
  return summary;
}

export function splitsTable(salts: string[], reports: EvalReport[], summary: SplitSummary): string {
  const modes = ['quality', 'balanced', 'cost'] as const;
  const lines = [
    `${salts.length} held-out splits (salts ${salts.join(', ')}); ratios against each split's best single model`,
    '',
    'salt   prompts  quality q×  balanced q× / c×   cost q× / c×     APGR   CPT(50%)',
  ];
  reports.forEach((r, i) =>
    lines.push(
      `${salts[i]!.padEnd(6)} ${String(r.prompts).padEnd(8)} ${fmt(r.modes.quality.quality_ratio).padEnd(11)} ${`${fmt(r.modes.balanced.quality_ratio)} / ${fmt(r.modes.balanced.cost_ratio)}`.padEnd(18)} ${`${fmt(r.modes.cost.quality_ratio)} / ${fmt(r.modes.cost.cost_ratio)}`.padEnd(16)} ${fmt(r.apgr).padEnd(6)} ${fmt(r.cpt50)}`,
    ),
  );
  const m = (k: string) => {
    const s = summary[k];
    return s ? `${fmt(s.mean)} [${fmt(s.min)}–${fmt(s.max)}]` : '–';
  };
  lines.push('', 'mean [min–max]:');
  for (const mode of modes)
    lines.push(
      `  ${mode.padEnd(9)} q× ${m(`${mode}.quality_ratio`)}  c× ${m(`${mode}.cost_ratio`)}`,
    );
  lines.push(`  APGR ${m('apgr')}  CPT(50%) ${m('cpt50')}`);
  const sources = [...new Set(reports.flatMap((r) => Object.keys(r.by_source)))].sort();
  if (sources.length) lines.push('', 'by source, mean [min–max]:');
  for (const src of sources)
    lines.push(
      `  ${src.padEnd(32)} balanced q× ${m(`${src} balanced.quality_ratio`)} c× ${m(`${src} balanced.cost_ratio`)}  cost q× ${m(`${src} cost.quality_ratio`)} c× ${m(`${src} cost.cost_ratio`)}  APGR ${m(`${src} apgr`)} CPT(50%) ${m(`${src} cpt50`)}`,
    );
  return lines.join('\n');
}

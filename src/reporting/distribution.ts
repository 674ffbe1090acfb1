// Routing distribution: which served model the router chose for which kinds of prompts, from the
// request log or a compare run. Buckets by the prompt's source/category when the data names one,
// otherwise by prompt length and by the routing features' own signals (code, math, choices).
import { DENSE_NAMES, extractFeatures, requestFromPrompt } from '../routing/features.js';
import { escapeHtml, htmlTable, stackedShareChart } from './svg-chart.js';

export interface RoutedItem {
  servedModel: string;
  source?: string;
  category?: string;
  promptText?: string;
  promptTokens?: number;
  /** Precomputed `promptKind` (compare rows carry it instead of the text). */
  kind?: string;
  mode?: string;
  router?: string;
}

export const DISTRIBUTION_BY = ['auto', 'source', 'category', 'length', 'kind', 'mode'] as const;
export type DistributionBy = (typeof DISTRIBUTION_BY)[number];

export interface DistributionRow {
  bucket: string;
  total: number;
  counts: Record<string, number>;
}

export interface DistributionTable {
  by: Exclude<DistributionBy, 'auto'>;
  models: string[];
  rows: DistributionRow[];
  /** Items that could not be bucketed this way (e.g. no stored text for `kind`). */
  unbucketed: number;
}

const LENGTH_EDGES: [number, string][] = [
  [100, '< 100 tokens'],
  [500, '100–499 tokens'],
  [2000, '500–1,999 tokens'],
  [8000, '2,000–7,999 tokens'],
  [Infinity, '≥ 8,000 tokens'],
];

export function lengthBucket(tokens: number): string {
  return LENGTH_EDGES.find(([edge]) => tokens < edge)![1];
}

const IDX = Object.fromEntries(DENSE_NAMES.map((n, i) => [n, i])) as Record<
  (typeof DENSE_NAMES)[number],
  number
>;
/** The dense value of a signal counted `n` times (features use log1p(count)/4). */
const atLeast = (n: number) => Math.log1p(n) / 4 - 1e-9;

/** The kind of prompt, read off the same signals the routing model sees. */
export function promptKind(text: string): string {
  const d = extractFeatures(requestFromPrompt(text)).dense;
  if (d[IDX.choice_options]! >= 0.5) return 'multiple choice';
  if (d[IDX.code_signal]! >= atLeast(3)) return 'code-like';
  if (d[IDX.math_signal]! >= atLeast(3) || d[IDX.digit_ratio]! >= 0.25) return 'math-like';
  if (d[IDX.log_words]! >= Math.log1p(300) / 8) return 'long text';
  return 'general';
}

function bucketOf(item: RoutedItem, by: DistributionTable['by']): string | undefined {
  switch (by) {
    case 'source':
      return item.source ?? '(no source)';
    case 'category':
      return item.category ?? item.source ?? '(no category)';
    case 'mode':
      return item.mode ?? item.router;
    case 'length':
      if (item.promptTokens !== undefined) return lengthBucket(item.promptTokens);
      return item.promptText === undefined
        ? undefined
        : lengthBucket(Math.ceil(item.promptText.length / 4));
    case 'kind':
      if (item.kind !== undefined) return item.kind;
      return item.promptText === undefined ? undefined : promptKind(item.promptText);
  }
}

/** `auto`: source when the items carry one, else kind when there is text, else length. */
export function resolveBy(items: RoutedItem[], by: DistributionBy): DistributionTable['by'] {
  if (by !== 'auto') return by;
  if (items.some((i) => i.source || i.category)) return 'source';
  if (items.some((i) => i.kind !== undefined || i.promptText !== undefined)) return 'kind';
  return 'length';
}

export function routingDistribution(
  items: RoutedItem[],
  by: DistributionBy = 'auto',
): DistributionTable {
  const resolved = resolveBy(items, by);
  const rows = new Map<string, DistributionRow>();
  const modelTotals = new Map<string, number>();
  let unbucketed = 0;
  for (const item of items) {
    const bucket = bucketOf(item, resolved);
    if (bucket === undefined) {
      unbucketed++;
      continue;
    }
    let row = rows.get(bucket);
    if (!row) rows.set(bucket, (row = { bucket, total: 0, counts: {} }));
    row.total++;
    row.counts[item.servedModel] = (row.counts[item.servedModel] ?? 0) + 1;
    modelTotals.set(item.servedModel, (modelTotals.get(item.servedModel) ?? 0) + 1);
  }
  const models = [...modelTotals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([m]) => m);
  const order =
    resolved === 'length'
      ? (a: DistributionRow, b: DistributionRow) =>
          LENGTH_EDGES.findIndex(([, l]) => l === a.bucket) -
          LENGTH_EDGES.findIndex(([, l]) => l === b.bucket)
      : (a: DistributionRow, b: DistributionRow) =>
          b.total - a.total || a.bucket.localeCompare(b.bucket);
  return { by: resolved, models, rows: [...rows.values()].sort(order), unbucketed };
}

const pct = (n: number, total: number) => (total ? `${((n / total) * 100).toFixed(1)}%` : '–');

export function renderDistributionText(t: DistributionTable): string {
  const head = [t.by, 'n', ...t.models];
  const body = t.rows.map((r) => [
    r.bucket,
    String(r.total),
    ...t.models.map((m) => pct(r.counts[m] ?? 0, r.total)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), ...body.map(line)];
  if (t.unbucketed) out.push(`(${t.unbucketed} requests could not be bucketed by ${t.by})`);
  return out.join('\n');
}

export function renderDistributionHtml(t: DistributionTable, title: string): string {
  const chart = stackedShareChart({
    title,
    keys: t.models,
    rows: t.rows.map((r) => ({ label: r.bucket, parts: r.counts })),
  });
  const table = htmlTable(
    [t.by, 'requests', ...t.models],
    t.rows.map((r) => [
      r.bucket,
      r.total,
      ...t.models.map((m) => `${pct(r.counts[m] ?? 0, r.total)} (${r.counts[m] ?? 0})`),
    ]),
  );
  const note = t.unbucketed
    ? `<p>${t.unbucketed} requests could not be bucketed by ${escapeHtml(t.by)}.</p>`
    : '';
  return `${chart}\n${table}${note}`;
}

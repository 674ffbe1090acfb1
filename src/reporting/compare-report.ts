// The files a compare run writes: results.json (everything), results.csv (a row per request) and
// report.html (cost, latency, TTFT and quality per target, and the routing distribution per mode).
import { csvField } from './csv.js';
import type { CompareResult, CompareRow } from './compare-run.js';
import type { RunSummary } from './compare-summary.js';
import { routingDistribution, renderDistributionHtml } from './distribution.js';
import { barChart, escapeHtml, htmlPage, htmlTable, stackedShareChart } from './svg-chart.js';

const CSV_COLUMNS: (keyof CompareRow)[] = [
  'prompt_id',
  'run',
  'target',
  'mode_asked',
  'mode_served',
  'status',
  'ok',
  'served_model',
  'deployment',
  'latency_ms',
  'ttft_ms',
  'prompt_tokens',
  'cached_tokens',
  'completion_tokens',
  'cost_usd',
  'quality',
  'source',
  'category',
  'prompt_kind',
  'prompt_chars',
  'answer_chars',
  'error',
];

/** Numbers to six decimals (request costs and latencies read better so). */
function csvCell(v: unknown): string {
  return csvField(typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v);
}

export function toCsv(rows: CompareRow[]): string {
  return [
    CSV_COLUMNS.join(','),
    ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')),
  ].join('\n');
}

const usd = (v: number | null) => (v === null ? '–' : `$${v.toFixed(v < 0.01 ? 6 : 4)}`);
const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(0)} ms`);

export function summaryLines(result: CompareResult): string[] {
  const head = `${'run'.padEnd(34)} ${'ok'.padStart(7)} ${'mean cost'.padStart(11)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'TTFT p50'.padStart(9)} quality`;
  return [
    head,
    ...result.runs.map(
      (r) =>
        `${r.run.slice(0, 33).padEnd(34)} ${`${r.ok}/${r.requests}`.padStart(7)} ${usd(r.mean_cost_usd).padStart(11)} ${ms(r.latency_p50_ms).padStart(8)} ${ms(r.latency_p95_ms).padStart(8)} ${ms(r.ttft_p50_ms).padStart(9)} ${r.quality === null ? '–' : `${r.quality.toFixed(3)} (${r.graded})`}`,
    ),
    ...failureLines(result),
  ];
}

/**
 * Why a run's requests failed: its first error and how many failed, so a mistyped target or an
 * endpoint that is down is told at once, not found only in results.csv.
 */
function failureLines(result: CompareResult): string[] {
  const lines: string[] = [];
  for (const r of result.runs) {
    const failed = result.rows.filter((row) => row.run === r.run && !row.ok);
    if (!failed.length) continue;
    const first = failed[0]!;
    const why = first.error ?? (first.status ? `HTTP ${first.status}` : 'no answer');
    lines.push(
      `${r.run}: ${failed.length} of ${r.requests} failed; the first: ${why.slice(0, 300)}`,
    );
  }
  return lines.length ? ['', ...lines] : [];
}

function costNote(r: RunSummary, ref: RunSummary | undefined): string {
  if (r.mean_cost_usd === null) return 'no price';
  if (!ref || ref.mean_cost_usd === null || ref === r || !ref.mean_cost_usd)
    return usd(r.mean_cost_usd);
  return `${usd(r.mean_cost_usd)} (${((r.mean_cost_usd / ref.mean_cost_usd) * 100).toFixed(0)}% of ${ref.run})`;
}

export function renderCompareHtml(result: CompareResult): string {
  const runs = result.runs;
  // Reference for "cost relative to": the most expensive run (typically always-the-top-model).
  const ref = [...runs]
    .filter((r) => r.mean_cost_usd !== null)
    .sort((a, b) => b.mean_cost_usd! - a.mean_cost_usd!)[0];
  const table = htmlTable(
    [
      'run',
      'ok / sent',
      'errors',
      'mean cost',
      'total cost',
      'latency p50',
      'latency p95',
      'TTFT p50',
      'tokens in / out (mean)',
      'quality (graded)',
    ],
    runs.map((r) => [
      r.run,
      `${r.ok} / ${r.requests}`,
      `${(r.error_rate * 100).toFixed(1)}%`,
      costNote(r, ref),
      r.cost_known ? usd(r.cost_usd) : '–',
      ms(r.latency_p50_ms),
      ms(r.latency_p95_ms),
      ms(r.ttft_p50_ms),
      `${r.mean_prompt_tokens?.toFixed(0) ?? '–'} / ${r.mean_completion_tokens?.toFixed(0) ?? '–'}`,
      r.quality === null ? '–' : `${r.quality.toFixed(3)} (${r.graded})`,
    ]),
  );
  const charts = [
    barChart({
      title: 'Mean cost per prompt (USD)',
      bars: runs
        .filter((r) => r.mean_cost_usd !== null)
        .map((r) => ({ label: r.run, value: r.mean_cost_usd!, note: costNote(r, ref) })),
      format: (v) => usd(v),
    }),
    barChart({
      title: 'Latency p50 (ms)',
      bars: runs
        .filter((r) => r.latency_p50_ms !== null)
        .map((r) => ({ label: r.run, value: r.latency_p50_ms! })),
      format: (v) => `${v.toFixed(0)} ms`,
    }),
    barChart({
      title: 'Time to first token p50 (ms)',
      bars: runs
        .filter((r) => r.ttft_p50_ms !== null)
        .map((r) => ({ label: r.run, value: r.ttft_p50_ms! })),
      format: (v) => `${v.toFixed(0)} ms`,
    }),
  ];
  if (runs.some((r) => r.quality !== null))
    charts.push(
      barChart({
        title: 'Mean quality (graded prompts)',
        bars: runs
          .filter((r) => r.quality !== null)
          .map((r) => ({
            label: r.run,
            value: r.quality!,
            note: `${r.quality!.toFixed(3)} (n=${r.graded})`,
          })),
        format: (v) => v.toFixed(3),
      }),
    );
  const servedKeys = [...new Set(runs.flatMap((r) => Object.keys(r.served)))].sort();
  const perRun = stackedShareChart({
    title: 'Routing distribution: which model served, per target and mode',
    keys: servedKeys,
    rows: runs.map((r) => ({ label: r.run, parts: r.served })),
  });
  // Per prompt kind, for each routed run (a run whose replies came from more than one model).
  const routed = runs.filter((r) => Object.keys(r.served).length > 1 || r.mode);
  const byKind = routed
    .map((r) => {
      const items = result.rows
        .filter((row) => row.run === r.run && row.ok)
        .map((row) => ({
          servedModel: row.served_model ?? row.deployment ?? '(unknown)',
          ...(row.source ? { source: row.source } : {}),
          ...(row.category ? { category: row.category } : {}),
          ...(row.prompt_tokens !== undefined ? { promptTokens: row.prompt_tokens } : {}),
          kind: row.prompt_kind,
        }));
      const t = routingDistribution(items, 'auto');
      return `<h3>${escapeHtml(r.run)}: by ${escapeHtml(t.by)}</h3>${renderDistributionHtml(t, `${r.run}: served model by ${t.by}`)}`;
    })
    .join('\n');
  // Errors grouped by run and message (a missing deployment fails every prompt the same way).
  const groups = new Map<
    string,
    { run: string; status: number; error: string; n: number; first: string }
  >();
  for (const r of result.rows) {
    if (r.ok) continue;
    const key = `${r.run}\u0000${r.error ?? ''}`;
    const g = groups.get(key);
    if (g) g.n++;
    else
      groups.set(key, {
        run: r.run,
        status: r.status,
        error: r.error ?? '',
        n: 1,
        first: r.prompt_id,
      });
  }
  const errorList = groups.size
    ? `<h2>Errors</h2>${htmlTable(
        ['run', 'status', 'requests', 'first prompt', 'error'],
        [...groups.values()].slice(0, 50).map((g) => [g.run, g.status, g.n, g.first, g.error]),
      )}`
    : '';
  const body = `<p>${result.prompts} prompts against <code>${escapeHtml(result.endpoint)}</code>, ${result.started_at} → ${result.finished_at}.${result.skipped ? ` ${result.skipped} requests were not sent: the deadline passed.` : ''} Costs use the endpoint's published prices (or <code>--prices</code>); quality comes from the prompt file's scores or reference answers.</p>
<h2>Per target</h2>${table}
${charts.join('\n')}
<h2>Routing distribution</h2>${perRun}
${byKind}
${errorList}`;
  return htmlPage('Model Router: compare run', body);
}

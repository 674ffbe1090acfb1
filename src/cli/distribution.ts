// `model-router distribution [--config <file>] [--since 7d] [--router <name>]
//   | --compare <results.json>  [--by auto|source|category|length|kind|mode] [--out <file.html>]
//   [--json]`: which models the router chose for which kinds of prompts, from the request log
// (routed requests only) or from a compare run, as a table and an HTML chart.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { DEFAULT_CONFIG_PATH } from '../config/default-config-path.js';
import type { CompareResult } from '../reporting/compare-run.js';
import {
  DISTRIBUTION_BY,
  renderDistributionHtml,
  renderDistributionText,
  routingDistribution,
  type DistributionBy,
  type RoutedItem,
} from '../reporting/distribution.js';
import { escapeHtml, htmlPage } from '../reporting/svg-chart.js';
import { openRequestLogToRead } from '../store/open-request-store.js';
import { requestLogReadError } from '../store/store-unavailable.js';
import { describeValue } from '../core/describe-value.js';
import { fileReadReason } from '../core/file-read-reason.js';
import { isObject } from '../core/is-object.js';
import { parseDuration } from '../core/time-range.js';
import { checkOutFile, writeOutFile } from './out-path.js';
import { DataError } from '../../training/data-error.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: model-router distribution [--config <file>] [--since 7d] [--router <name>]
                                 | --compare <compare-out/results.json>
       [--by ${DISTRIBUTION_BY.join('|')}] [--out <report.html>] [--json]`;

class InputError extends Error {}

function fail(message: string): number {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  return 2;
}

async function fromLog(
  configPath: string,
  since: number,
  router?: string,
  window = '',
): Promise<RoutedItem[]> {
  const { config } = loadConfigFile(configPath);
  if (config.requestLog.kind === 'none')
    throw new InputError('the config has requestLog.kind: none; there is no request log to read');
  // A log that is not there, or a database that does not answer: said as report says it, exit 1.
  const store = await openRequestLogToRead(config.requestLog).catch((err: unknown) => {
    throw new InputError(requestLogReadError(err, config.requestLog));
  });
  try {
    const records = await store
      .migrate()
      .then(() => store.query(since, Date.now()))
      .catch((err: unknown) => {
        throw new InputError(requestLogReadError(err, config.requestLog));
      });
    // A router neither the config nor the window's log knows is a typo, not 0 requests: refused
    // naming those they do, as `simulate` refuses it (one since removed from the config is
    // still counted while the log has it).
    const logged = [...new Set(records.flatMap((r) => (r.router ? [r.router] : [])))].sort();
    if (router && !config.routers.some((r) => r.name === router) && !logged.includes(router))
      throw new UsageError(
        `--router ${router}: no such router in the config (${config.routers.map((r) => r.name).join(', ') || 'none'}) or in the request log of the last ${window} (${logged.join(', ') || 'none'})`,
      );
    return records
      .filter((r) => r.router && r.status < 400 && (r.servedModel || r.deployment))
      .filter((r) => !router || r.router === router)
      .map((r) => ({
        servedModel: r.servedModel ?? r.deployment!,
        promptTokens: r.promptTokens,
        ...(r.promptText !== undefined ? { promptText: r.promptText } : {}),
        ...(r.routingMode ? { mode: r.routingMode } : {}),
        router: r.router!,
      }));
  } finally {
    await store.close();
  }
}

function fromCompare(file: string): RoutedItem[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the compare results ${file}: ${fileReadReason(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InputError(
      `${file} is not JSON (${(err as Error).message}): pass the results.json that compare wrote in its --out folder`,
    );
  }
  const rows = isObject(parsed) ? parsed.rows : undefined;
  if (!Array.isArray(rows))
    throw new InputError(`${file} is not a compare results.json (it has no "rows" array)`);
  const bad = rows.findIndex((r) => !isObject(r));
  if (bad >= 0)
    throw new InputError(
      `${file} is not a compare results.json (rows[${bad}] is ${describeValue(rows[bad])}, not an object)`,
    );
  const result = parsed as CompareResult;
  // Routed requests only (this router says which mode it used); a foreign endpoint says nothing,
  // so then every row counts.
  const ok = result.rows.filter((r) => r.ok && (r.served_model || r.deployment));
  const routed = ok.filter((r) => r.mode_served !== undefined || r.mode_asked !== undefined);
  return (routed.length ? routed : ok).map((r) => ({
    servedModel: r.served_model ?? r.deployment!,
    ...(r.source ? { source: r.source } : {}),
    ...(r.category ? { category: r.category } : {}),
    ...(r.prompt_tokens !== undefined ? { promptTokens: r.prompt_tokens } : {}),
    ...(r.prompt_kind ? { kind: r.prompt_kind } : {}),
    mode: r.run,
  }));
}

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  config: { type: 'string' },
  since: { type: 'string', default: '7d' },
  router: { type: 'string' },
  compare: { type: 'string' },
  by: { type: 'string', default: 'auto' },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** What `model-router distribution --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router distribution [--config <file>] [--since 7d] [--router <name>]
                                 | --compare <compare-out/results.json>
       [--by auto|source|category|length|kind|mode] [--out <report.html>] [--json]

Which models the router chose for which kinds of prompts, as a table (and an HTML chart with
--out): from the request log's routed requests, or from a compare run's results.

options:
  --config <file>      the config whose request log to read (default: config/default.yaml)
  --since <duration>   how far back to read the log (default 7d)
  --router <name>      only this router deployment's requests
  --compare <file>     read a compare run's results.json instead of the request log
  --by <what>          rows by auto (default), source, category, length, kind or mode
  --out <file.html>    also write an HTML report with a chart
  --json               the table as JSON
  -h, --help           this help

example:
  model-router distribution --since 7d --by length --out distribution.html
`;

export async function run(argv: string[]): Promise<number> {
  // A wrong option throws: main.ts says so as for every command.
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  const by = values.by as DistributionBy;
  if (!(DISTRIBUTION_BY as readonly string[]).includes(by))
    return fail(`--by must be one of ${DISTRIBUTION_BY.join(', ')} (got "${values.by}")`);
  let items: RoutedItem[];
  let what: string;
  try {
    if (values.out) checkOutFile(values.out);
    if (values.compare) {
      items = fromCompare(values.compare);
      what = `compare run ${values.compare}`;
    } else {
      const sinceMs = parseDuration(values.since!);
      items = await fromLog(
        values.config ?? DEFAULT_CONFIG_PATH,
        Date.now() - sinceMs,
        values.router,
        values.since,
      );
      what = `routed requests in the last ${values.since}${values.router ? ` on ${values.router}` : ''}`;
    }
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message);
    process.stderr.write(`${(err as Error).message}\n`);
    // A config file it cannot read or use is a file error (exit 1), as in report and simulate.
    return err instanceof InputError || err instanceof DataError || err instanceof ConfigError
      ? 1
      : 2;
  }
  const table = routingDistribution(items, by);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ source: what, ...table })}\n`);
  } else {
    process.stdout.write(
      `${items.length} ${what}, by ${table.by}\n\n${renderDistributionText(table)}\n`,
    );
  }
  if (values.out) {
    const title = `Routing distribution by ${table.by}`;
    // Whole or not at all; a failed write names --out and why (before, Node's "ENOSPC: …").
    writeOutFile(
      values.out,
      htmlPage(
        title,
        `<p>${items.length} ${escapeHtml(what)}.</p>${renderDistributionHtml(table, title)}`,
      ),
    );
    if (!values.json) process.stdout.write(`\nwrote ${values.out}\n`);
  }
  return 0;
}

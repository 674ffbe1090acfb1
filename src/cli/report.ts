// `model-router report --since 7d [--until …] [--by model|key|router|tenant|user|tag]
// [--tenant t] [--key k] [--user u] [--tag t] [--deployment d] [--json | --csv]
// [--config <file>]`: spend, savings against the top-model baseline, routing distribution, latency and feedback (count, mean score)
// per group, from the request log the config names (the same numbers the dashboard and
// GET /admin/v1/usage show), aggregated in that log's database: no window is too big for this
// process.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { parseCliWindow } from '../core/time-range.js';
import { DEFAULT_CONFIG_PATH } from '../config/default-config-path.js';
import { usageCsv } from '../reporting/usage-csv.js';
import { openRequestLogToRead } from '../store/open-request-store.js';
import { SUMMARY_BYS, type SummaryBy } from '../store/request-summary.js';
import { usageSummary } from '../store/usage-summary.js';
import { roundSummary } from '../store/round-summary.js';
import { requestLogReadError } from '../store/store-unavailable.js';
import type { Config } from '../config/schema.js';

const usd = (v: number) => `$${v.toFixed(v < 1 ? 6 : 2)}`;
const score = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : v.toFixed(3);

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  since: { type: 'string', default: '7d' },
  until: { type: 'string' },
  by: { type: 'string', default: 'model' },
  tenant: { type: 'string' },
  key: { type: 'string' },
  user: { type: 'string' },
  tag: { type: 'string' },
  deployment: { type: 'string' },
  json: { type: 'boolean', default: false },
  csv: { type: 'boolean', default: false },
  config: { type: 'string' },
} as const;

/** What `model-router report --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router report [--since 7d] [--until <t>] [--by model|deployment|endpoint|key|router|tenant|user|tag]
                           [--tenant <t>] [--key <id>] [--user <u>] [--tag <tag>] [--deployment <d>]
                           [--json | --csv] [--config <file>]

Spend, savings against the top-model baseline, routing distribution, latency, errors and feedback
per group, from the request log the config names (the numbers GET /admin/v1/usage and the
dashboard show).

options:
  --since <t>        the window's start: a duration back from now (7d, 12h) or a date (default 7d)
  --until <t>        its end, the same way (default: now)
  --by <group>       model (default), deployment, endpoint, key, router, tenant, user or tag
  --tenant <t>       only this tenant's requests
  --key <id>         only this API key's requests
  --user <u>         only this end user's requests
  --tag <tag>        only requests with this tag
  --deployment <d>   only requests this deployment served
  --json             the summary as JSON (as GET /admin/v1/usage)
  --csv              a CSV row per group and a total
  --config <file>    the config whose request log to read (default: config/default.yaml)
  -h, --help         this help

example:
  model-router report --since 30d --by tenant --config config/prod.yaml
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  if (values.json && values.csv) {
    process.stderr.write('--json and --csv: choose one (the report is printed in one format)\n');
    return 2;
  }
  const by = values.by as SummaryBy;
  if (!SUMMARY_BYS.includes(by)) {
    process.stderr.write(`--by must be one of ${SUMMARY_BYS.join(', ')}\n`);
    return 2;
  }
  let since: number;
  let until: number;
  try {
    ({ since, until } = parseCliWindow(values.since!, values.until, Date.now()));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let requestLog: Config['requestLog'] | undefined;
  try {
    const { config } = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    requestLog = config.requestLog;
    if (config.requestLog.kind === 'none') {
      process.stderr.write('the config has requestLog.kind: none; there is nothing to report\n');
      return 1;
    }
    const store = await openRequestLogToRead(config.requestLog);
    await store.migrate();
    const filter = {
      tenant: values.tenant,
      keyId: values.key,
      endUser: values.user,
      tag: values.tag,
      deployment: values.deployment,
    };
    const s = await usageSummary(store, { since, until, by, filter }).finally(() => store.close());
    if (values.json) {
      process.stdout.write(`${JSON.stringify(roundSummary(s))}\n`);
      return 0;
    }
    if (values.csv) {
      process.stdout.write(usageCsv(roundSummary(s)));
      return 0;
    }
    const lines = [
      `${s.requests} requests from ${new Date(since).toISOString()} to ${new Date(until).toISOString()}${
        s.filter
          ? ` (${Object.entries(s.filter)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      }`,
      `spend ${usd(s.costUsd)}; top-model baseline ${usd(s.baselineCostUsd)}; saved ${usd(s.savingsUsd)} (${(s.savingsRatio * 100).toFixed(1)}%)`,
      ...(s.cacheHits
        ? [
            `answered from the cache ${s.cacheHits} (${(s.cacheHitRate * 100).toFixed(1)}%), at no upstream cost`,
          ]
        : []),
      ...(s.usageEstimated
        ? [
            `usage estimated by the router (no usage from the upstream) for ${s.usageEstimated} requests (${(s.usageEstimatedRate * 100).toFixed(1)}%), ${usd(s.usageEstimatedCostUsd)} of the spend`,
          ]
        : []),
      `errors ${(s.errorRate * 100).toFixed(1)}%; invalid requests ${s.invalidRequests} (${(s.invalidRequestRate * 100).toFixed(1)}%); failovers ${(s.failoverRate * 100).toFixed(1)}%; tokens prompt ${s.tokens.prompt} (cached ${s.tokens.cached}), completion ${s.tokens.completion} (reasoning ${s.tokens.reasoning})`,
      ...(by === 'tag'
        ? ['a request with several tags counts in each of their rows; the totals count it once']
        : []),
      ...(by === 'deployment' || by === 'model'
        ? [
            `requests count where they were served (or last tried); spend and attempts where each of the ${s.attempts} upstream calls was made, so a timed-out first try costs its own ${by}`,
          ]
        : []),
      ...(s.feedback
        ? [`feedback ${s.feedback}, mean score ${score(s.meanScore)} (POST /v1/feedback)`]
        : []),
      '',
      `${by.padEnd(44)} share   requests  attempts  spend        saved        p50 ms   p95 ms   TTFT p50${s.feedback ? '  feedback  score' : ''}`,
      ...s.groups.map(
        (g) =>
          `${g.key.slice(0, 43).padEnd(44)} ${(g.share * 100).toFixed(1).padStart(5)}%  ${String(g.requests).padStart(8)}  ${String(g.attempts).padStart(8)}  ${usd(g.costUsd).padEnd(12)} ${usd(g.savingsUsd).padEnd(12)} ${g.latencyP50Ms.toFixed(1).padStart(7)}  ${g.latencyP95Ms.toFixed(1).padStart(7)}  ${g.ttftP50Ms === null ? '      –' : g.ttftP50Ms.toFixed(1).padStart(7)}${s.feedback ? `  ${String(g.feedback ?? 0).padStart(8)}  ${score(g.meanScore).padStart(5)}` : ''}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : requestLogReadError(err, requestLog)}\n`,
    );
    return 1;
  }
}

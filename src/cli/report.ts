// `model-router report --since 7d [--by model|key|router] [--json] [--config <file>]`: spend,
// savings against the top-model baseline, routing distribution and latency per model, from the
// request log the config names (the same numbers the dashboard shows).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { DEFAULT_CONFIG_PATH } from '../main.js';
import { openRequestStore } from '../store/open-request-store.js';
import { summarizeRecords, type SummaryBy } from '../store/request-summary.js';

/** `7d`, `24h`, `30m`, `90s` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m|s)$/.exec(text.trim());
  if (!m) throw new Error(`--since must look like 7d, 24h, 30m or 90s (got "${text}")`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 }[m[2] as 'd' | 'h' | 'm' | 's'];
  return Number(m[1]) * unit;
}

const usd = (v: number) => `$${v.toFixed(v < 1 ? 6 : 2)}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string', default: '7d' },
      by: { type: 'string', default: 'model' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const by = values.by as SummaryBy;
  if (!['model', 'key', 'router'].includes(by)) {
    process.stderr.write('--by must be model, key or router\n');
    return 2;
  }
  let sinceMs: number;
  try {
    sinceMs = parseDuration(values.since!);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    const { config } = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    if (config.requestLog.kind === 'none') {
      process.stderr.write('the config has requestLog.kind: none; there is nothing to report\n');
      return 1;
    }
    const store = await openRequestStore(config.requestLog);
    const until = Date.now();
    const since = until - sinceMs;
    await store.migrate();
    const records = await store.query(since, until);
    await store.close();
    const s = summarizeRecords(records, by, since, until);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    const lines = [
      `${s.requests} requests since ${new Date(since).toISOString()}`,
      `spend ${usd(s.costUsd)}; top-model baseline ${usd(s.baselineCostUsd)}; saved ${usd(s.savingsUsd)} (${(s.savingsRatio * 100).toFixed(1)}%)`,
      ...(s.cacheHits
        ? [
            `answered from the cache ${s.cacheHits} (${(s.cacheHitRate * 100).toFixed(1)}%), at no upstream cost`,
          ]
        : []),
      `errors ${(s.errorRate * 100).toFixed(1)}%; failovers ${(s.failoverRate * 100).toFixed(1)}%; tokens prompt ${s.tokens.prompt} (cached ${s.tokens.cached}), completion ${s.tokens.completion} (reasoning ${s.tokens.reasoning})`,
      '',
      `${by.padEnd(44)} share   requests  spend        saved        p50 ms   p95 ms   TTFT p50`,
      ...s.groups.map(
        (g) =>
          `${g.key.slice(0, 43).padEnd(44)} ${(g.share * 100).toFixed(1).padStart(5)}%  ${String(g.requests).padStart(8)}  ${usd(g.costUsd).padEnd(12)} ${usd(g.savingsUsd).padEnd(12)} ${g.latencyP50Ms.toFixed(1).padStart(7)}  ${g.latencyP95Ms.toFixed(1).padStart(7)}  ${g.ttftP50Ms === null ? '      –' : g.ttftP50Ms.toFixed(1).padStart(7)}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
}

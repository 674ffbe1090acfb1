// `model-router batches webhooks`: the batch webhooks' outbox of a running router through its admin
// API (`GET /admin/v1/batch-webhooks`, newest first, following the pages up to `--limit`), as a
// table or the API's objects (`--json`); `--retry <id>` sends a given-up delivery again (`POST
// /admin/v1/batch-webhooks/{id}/retry`: pending again, its attempts counted afresh).
import { parseArgs } from 'node:util';
import { adminApi, processIo, type AdminCliIo } from './admin-api.js';
import { joinNegativeValues } from './negative-values.js';

export const WEBHOOKS_USAGE = `  model-router batches webhooks [--status pending|delivered|failed|all] [--batch <id>]
                                 [--limit <n>] [--json]     (default: all, newest 100)
  model-router batches webhooks --retry <delivery id>      (a given-up delivery, sent again)`;

/** The options `batches webhooks` accepts (HELP in batches.ts describes each). */
export const WEBHOOKS_OPTIONS = {
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  status: { type: 'string' },
  // The same as --status: the gauge calls them states.
  state: { type: 'string' },
  batch: { type: 'string' },
  limit: { type: 'string' },
  retry: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const STATUSES = ['pending', 'delivered', 'failed', 'all'];
/** Deliveries read per request while following the pages. */
const PAGE = 100;

type Item = Record<string, unknown>;

const COLUMNS = [
  'ID',
  'STATUS',
  'TYPE',
  'BATCH',
  'TENANT',
  'HOST',
  'ATTEMPTS',
  'WHEN',
  'LAST ERROR',
];

const time = (seconds: unknown) =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : '';

/** A delivery's cells: WHEN is its next attempt while pending, else when it ended. */
function cells(d: Item): string[] {
  const when = d.status === 'pending' ? `next ${time(d.next_attempt_at)}` : time(d.finished_at);
  return [
    String(d.id),
    String(d.status),
    String(d.type),
    String(d.batch_id),
    String(d.tenant),
    String(d.host),
    String(d.attempts),
    when,
    typeof d.last_error === 'string' ? d.last_error : '',
  ];
}

/** Deliveries as an aligned table under a header (the last column, the error, unpadded). */
export function deliveryTable(deliveries: readonly Item[]): string {
  const rows = [COLUMNS, ...deliveries.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .map((line) => line.trimEnd())
    .join('\n');
}

export async function runWebhooks(argv: string[], io: AdminCliIo = processIo): Promise<number> {
  // A wrong option throws: main.ts says so as for every command.
  // `--limit -1` is the option's (bad) value, not Node's "ambiguous": main.ts joins negative
  // numbers for `batches`' own options only.
  const { values } = parseArgs({
    args: joinNegativeValues(argv, WEBHOOKS_OPTIONS),
    options: WEBHOOKS_OPTIONS,
    allowPositionals: false,
  });
  const status = values.status ?? values.state ?? 'all';
  // Number('') and Number(' ') are 0, Number('0x10') 16: only digits are a count.
  const limit =
    values.limit === undefined ? 100 : /^\d+$/.test(values.limit) ? Number(values.limit) : NaN;
  const problem = !values.url
    ? '--url is needed (a running router)'
    : values.status && values.state && values.status !== values.state
      ? '--status and --state say different things (they are the same option)'
      : !STATUSES.includes(status)
        ? `--status must be one of ${STATUSES.join(', ')}`
        : !Number.isInteger(limit) || limit < 1
          ? `--limit must be a whole number ≥ 1 (deliveries to list, newest first), got "${values.limit}"`
          : undefined;
  if (problem) {
    io.err(`${problem}\nusage:\n${WEBHOOKS_USAGE}\n`);
    return 2;
  }
  try {
    const call = adminApi(values.url!, values['admin-key'] ?? io.env.MODEL_ROUTER_ADMIN_KEY);
    if (values.retry) {
      const d = await call(
        'POST',
        `/admin/v1/batch-webhooks/${encodeURIComponent(values.retry)}/retry`,
      );
      io.out(values.json ? JSON.stringify(d, null, 2) + '\n' : deliveryTable([d]) + '\n');
      return 0;
    }
    const all: Item[] = [];
    for (let after: string | undefined; all.length < limit;) {
      const query = new URLSearchParams({
        status,
        limit: String(Math.min(PAGE, limit - all.length)),
        ...(values.batch ? { batch_id: values.batch } : {}),
        ...(after ? { after } : {}),
      });
      const page = await call('GET', `/admin/v1/batch-webhooks?${query}`);
      all.push(...(page.data as Item[]));
      if (!page.has_more || typeof page.last_id !== 'string') break;
      after = page.last_id;
    }
    if (values.json) io.out(JSON.stringify(all, null, 2) + '\n');
    else if (all.length === 0)
      io.err(`no ${status === 'all' ? '' : `${status} `}webhook deliveries\n`);
    else io.out(deliveryTable(all) + '\n');
    return 0;
  } catch (err) {
    io.err(`batches webhooks${values.retry ? ' --retry' : ''}: ${(err as Error).message}\n`);
    return 1;
  }
}

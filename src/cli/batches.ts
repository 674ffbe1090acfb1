// `model-router batches [list] | cancel <id> | webhooks`: every tenant's batches on a running router
// through its admin API (`GET /admin/v1/batches`, every page; `POST /admin/v1/batches/{id}/cancel`),
// to find and stop a runaway batch. Lists unfinished batches unless `--status` says otherwise.
// `webhooks` shows the batch webhooks' outbox (batch-webhooks.ts).
import { parseArgs } from 'node:util';
import { adminApi, processIo, type AdminCliIo } from './admin-api.js';
import { WEBHOOKS_USAGE, runWebhooks } from './batch-webhooks.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage:
  model-router batches [list] [--status unfinished|finished|all] [--tenant <t>] [--json]
                                 (default: unfinished, every tenant)
  model-router batches cancel <id>   (lines in flight finish; the rest are not run)
${WEBHOOKS_USAGE}
target:
  --url <http://host:port> [--admin-key <key>]   a running router (admin key also from $MODEL_ROUTER_ADMIN_KEY)`;

/** The options `batches [list|cancel]` accepts; HELP describes each. */
export const OPTIONS = {
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  status: { type: 'string' },
  tenant: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Batches read per request while following the pages. */
const PAGE = 100;

export type BatchesIo = AdminCliIo;

type Item = Record<string, unknown>;

/** One line per batch: OpenAI's Batch and Anthropic's MessageBatch read into the same columns. */
export function batchLine(b: Item): string {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const counts = (b.request_counts ?? {}) as Record<string, unknown>;
  const anthropic = b.api === 'anthropic';
  const status = String(anthropic ? b.processing_status : b.status);
  const progress = anthropic
    ? `${n(counts.succeeded)} succeeded, ${n(counts.errored)} errored, ${n(counts.canceled) + n(counts.expired)} not run, ${n(counts.processing)} processing`
    : `${n(counts.completed)} completed, ${n(counts.failed)} failed of ${n(counts.total)}`;
  const created = anthropic ? String(b.created_at) : new Date(n(b.created_at) * 1000).toISOString();
  const endpoint = anthropic ? '/v1/messages' : String(b.endpoint);
  const key = `key=${typeof b.key_id === 'string' ? b.key_id : '-'}`;
  return [b.id, `tenant=${String(b.tenant)}`, key, b.api, status, progress, created, endpoint].join(
    '\t',
  );
}

/** What `model-router batches --help` prints: its usage, every option, an example. */
export const HELP = `usage:
  model-router batches [list] [--status unfinished|finished|all] [--tenant <t>] [--json]
  model-router batches cancel <id>
  model-router batches webhooks [--status pending|delivered|failed|all] [--batch <id>] [--limit <n>] [--json]
  model-router batches webhooks --retry <delivery id>
target:
  --url <http://host:port> [--admin-key <key>]   a running router's admin API

Every tenant's batches (OpenAI's and Anthropic's) on a running router, to find and stop a runaway
one; and the batch webhooks' outbox.

options:
  --url <url>            the running router (required)
  --admin-key <key>      an admin key for it (default: $MODEL_ROUTER_ADMIN_KEY)
  --status <s>           list: unfinished (default), finished or all;
                         webhooks: pending, delivered, failed or all (default; --state is the same)
  --tenant <t>           list: only this tenant's batches
  --batch <id>           webhooks: only this batch's deliveries
  --limit <n>            webhooks: at most this many, newest first (default 100)
  --retry <id>           webhooks: send a given-up delivery again
  --json                 the API's objects as JSON
  -h, --help             this help

cancel <id> lets the lines in flight finish and runs none of the rest.

examples:
  model-router batches --url http://127.0.0.1:8080 --status all
  model-router batches cancel batch_abc123 --url http://127.0.0.1:8080
  model-router batches webhooks --status failed --url http://127.0.0.1:8080
`;

export async function run(argv: string[], io: BatchesIo = processIo): Promise<number> {
  // Its own options (batch-webhooks.ts); named first, as `cancel` is.
  if (argv[0] === 'webhooks') return runWebhooks(argv.slice(1), io);
  // A wrong option throws: main.ts says so as for every command.
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
  });
  const [action = 'list', id] = positionals;
  const status = values.status ?? 'unfinished';
  if (!['unfinished', 'finished', 'all'].includes(status))
    throw new UsageError(`--status must be unfinished, finished or all (got "${status}")`);
  if (!values.url || !['list', 'cancel'].includes(action) || (action === 'cancel' && !id)) {
    // What is wrong first, as the other commands say a missing option; then the usage.
    const wrong = !['list', 'cancel'].includes(action)
      ? `unknown subcommand "${action}" (list, cancel or webhooks)`
      : !values.url
        ? 'missing --url <router> (its admin API)'
        : 'cancel: missing the batch id';
    io.err(`model-router batches: ${wrong}\n${USAGE}\n`);
    return 2;
  }
  try {
    const call = adminApi(values.url, values['admin-key'] ?? io.env.MODEL_ROUTER_ADMIN_KEY);
    if (action === 'cancel') {
      const b = await call('POST', `/admin/v1/batches/${encodeURIComponent(id!)}/cancel`);
      io.out(`${batchLine(b)}\n`);
      return 0;
    }
    const all: Item[] = [];
    for (let after: string | undefined; ;) {
      const query = new URLSearchParams({
        status,
        limit: String(PAGE),
        ...(values.tenant ? { tenant: values.tenant } : {}),
        ...(after ? { after } : {}),
      });
      const page = await call('GET', `/admin/v1/batches?${query}`);
      all.push(...(page.data as Item[]));
      if (!page.has_more || typeof page.last_id !== 'string') break;
      after = page.last_id;
    }
    if (values.json) io.out(JSON.stringify(all, null, 2) + '\n');
    else if (all.length === 0) io.err(`no ${status === 'all' ? '' : `${status} `}batches\n`);
    else for (const b of all) io.out(`${batchLine(b)}\n`);
    return 0;
  } catch (err) {
    io.err(`batches ${action}: ${(err as Error).message}\n`);
    return 1;
  }
}

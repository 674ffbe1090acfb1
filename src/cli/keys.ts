// `model-router keys issue|rotate|revoke|list`: manage API keys either on a running router through
// its admin API (`--url`, admin key from `--admin-key` or $MODEL_ROUTER_ADMIN_KEY), or offline by
// editing a config file's `auth.keys` (`--config`; comments in YAML are kept). Only hashes are
// written anywhere; the plain key is printed once by `issue` and `rotate`. The offline editing is
// keys-offline.ts, the flags read as a key keys-issue-body.ts, the output keys-print.ts.
import { parseArgs } from 'node:util';
import { adminApi, processIo, type AdminCliIo } from './admin-api.js';
import { graceSeconds, issueBody } from './keys-issue-body.js';
import { offline } from './keys-offline.js';
import { printIssued, printList, printRotated } from './keys-print.js';

const USAGE = `usage:
  model-router keys issue  --tenant <t> [--id <id>] [--scopes a,b] [--admin] [--expires <ISO time>]
                           [--rpm N] [--tpm N] [--daily-usd N] [--monthly-usd N] [--max-mode cost|balanced|quality]
                           [--no-cache]   (never answered from, nor kept in, the answer cache)
                           [--allow-ip <address or CIDR>]...   (only from these client addresses)
  model-router keys rotate <id> [--grace 1h]   (a new secret; the old one works until the grace ends:
                           default 24h, at most 30d, 0 refuses it at once)
  model-router keys revoke <id>
  model-router keys list   [--json]
target (one of):
  --url <http://host:port> [--admin-key <key>]   a running router (admin key also from $MODEL_ROUTER_ADMIN_KEY)
  --config <file>                                  edit a config file offline (the router reloads it)`;

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  config: { type: 'string' },
  tenant: { type: 'string' },
  id: { type: 'string' },
  scopes: { type: 'string' },
  admin: { type: 'boolean' },
  expires: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'daily-usd': { type: 'string' },
  'monthly-usd': { type: 'string' },
  'max-mode': { type: 'string' },
  'no-cache': { type: 'boolean' },
  'allow-ip': { type: 'string', multiple: true },
  grace: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The parsed options (OPTIONS), as the offline editor and the issue body read them. */
export type KeysValues = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

export type KeysIo = AdminCliIo;

/** What `model-router keys --help` prints: its usage, every option, an example. */
export const HELP = `usage:
  model-router keys issue  --tenant <t> [--id <id>] [--scopes a,b] [--admin] [--expires <ISO time>]
                           [--rpm N] [--tpm N] [--daily-usd N] [--monthly-usd N]
                           [--max-mode cost|balanced|quality] [--no-cache] [--allow-ip <address or CIDR>]...
  model-router keys rotate <id> [--grace 1h]
  model-router keys revoke <id>
  model-router keys list   [--json]
target (one of):
  --url <http://host:port> [--admin-key <key>]   a running router's admin API
  --config <file>                                  edit a config file's auth.keys offline (the router
                                                   reloads it; comments are kept)

Manages API keys. Only hashes are stored; issue and rotate print the plain key once.

options:
  --url <url>              the running router to manage (its admin API)
  --admin-key <key>        an admin key for it (default: $MODEL_ROUTER_ADMIN_KEY)
  --config <file>          the config file to edit instead
  --tenant <t>             issue: the tenant the key belongs to (required)
  --id <id>                issue: the key's id, not secret (default: a generated key_…)
  --scopes <a,b>           issue: the router deployments and deployments it may call (default: all)
  --admin                  issue: an admin key (may use the admin API and the dashboard)
  --expires <time>         issue: when it stops working (ISO 8601)
  --rpm <n>, --tpm <n>     issue: its own requests and tokens per minute
  --daily-usd <n>          issue: its daily spend budget
  --monthly-usd <n>        issue: its monthly spend budget
  --max-mode <mode>        issue: the costliest mode it may ask for with x-router-mode
  --no-cache               issue: never answered from, nor kept in, the answer cache
  --allow-ip <ip|CIDR>     issue: only from these client addresses (repeat for several)
  --grace <duration>       rotate: how long the old secret still works (default 24h, at most 30d,
                           0 refuses it at once)
  --json                   list: the keys as JSON
  -h, --help               this help

examples:
  model-router keys issue --id team-a --tenant team-a --scopes model-router --url http://127.0.0.1:8080
  model-router keys rotate team-a --grace 1h --url http://127.0.0.1:8080
  model-router keys list --config config/prod.yaml
`;

export async function run(argv: string[], io: KeysIo = processIo): Promise<number> {
  // A wrong option throws: main.ts says so as for every command.
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
  });
  const [action, id] = positionals;
  if (
    !action ||
    !['issue', 'rotate', 'revoke', 'list'].includes(action) ||
    (!values.url && !values.config)
  ) {
    // What is wrong first, as the other commands say a missing option; then the usage.
    const wrong = !action
      ? 'missing the subcommand: issue, rotate, revoke or list'
      : !['issue', 'rotate', 'revoke', 'list'].includes(action)
        ? `unknown subcommand "${action}" (issue, rotate, revoke or list)`
        : "missing --url <router> (its admin API) or --config <file> (the config file's auth.keys)";
    io.err(`model-router keys: ${wrong}\n${USAGE}\n`);
    return 2;
  }
  if (values.url && values.config) {
    io.err(
      `keys ${action}: --url and --config: give one (a running router's admin API, or the config file's auth.keys)\n`,
    );
    return 2;
  }
  if ((action === 'revoke' || action === 'rotate') && !id) {
    io.err(`keys ${action}: give the key id\n`);
    return 2;
  }
  try {
    graceSeconds(values); // a bad value is a usage error, before anything is asked of the router
  } catch (err) {
    io.err(`keys ${action}: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    if (values.url) return await online(action, id, values, io);
    return offline(action, id, values, io);
  } catch (err) {
    io.err(`keys ${action}: ${(err as Error).message}\n`);
    return 1;
  }
}

async function online(
  action: string,
  id: string | undefined,
  values: KeysValues,
  io: KeysIo,
): Promise<number> {
  const call = adminApi(values.url!, values['admin-key'] ?? io.env.MODEL_ROUTER_ADMIN_KEY);
  if (action === 'issue') {
    const issued = await call('POST', '/admin/v1/keys', issueBody(values));
    printIssued(io, String(issued.key), (issued.record as { id: string }).id);
    for (const w of (issued.warnings as string[] | undefined) ?? []) io.err(`warning: ${w}\n`);
    return 0;
  }
  if (action === 'rotate') {
    const grace = graceSeconds(values);
    const rotated = await call('POST', `/admin/v1/keys/${encodeURIComponent(id!)}/rotate`, {
      graceSeconds: grace,
    });
    const { rotatedAt } = rotated.record as { rotatedAt: string };
    const replacedUntil = grace
      ? new Date(Date.parse(rotatedAt) + grace * 1000).toISOString()
      : undefined;
    printRotated(io, String(rotated.key), id!, replacedUntil);
    return 0;
  }
  if (action === 'revoke') {
    const revoked = await call('DELETE', `/admin/v1/keys/${encodeURIComponent(id!)}`);
    io.out(`revoked ${id}\n`);
    for (const w of (revoked.warnings as string[] | undefined) ?? []) io.err(`warning: ${w}\n`);
    return 0;
  }
  const list = await call('GET', '/admin/v1/keys');
  printList(io, list.data as Record<string, unknown>[], values.json === true);
  return 0;
}

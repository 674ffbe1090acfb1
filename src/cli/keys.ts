// `model-router keys issue|rotate|revoke|list`: manage API keys either on a running router through
// its admin API (`--url`, admin key from `--admin-key` or $MODEL_ROUTER_ADMIN_KEY), or offline by
// editing a config file's `auth.keys` (`--config`; comments in YAML are kept). Only hashes are
// written anywhere; the plain key is printed once by `issue` and `rotate`.
import { KEY_ID } from '../auth/key-store.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { generateApiKey, generateKeyId, hashApiKey } from '../auth/api-key.js';
import { keyWarnings } from '../auth/key-routes.js';
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS } from '../auth/key-store.js';
import { parseConfig } from '../config/load-config.js';
import { parseDuration } from '../core/time-range.js';
import { adminApi, processIo, type AdminCliIo } from './admin-api.js';

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

type Values = ReturnType<
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
    io.err(`${USAGE}\n`);
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

function issueBody(values: Values): Record<string, unknown> {
  if (!values.tenant) throw new Error('--tenant is required');
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  // As the admin API checks them (key-store.ts), for the config file's keys too.
  if (values.id !== undefined && !KEY_ID.test(values.id))
    throw new Error(
      `--id ${JSON.stringify(values.id)}: a key id may use letters, digits, _ . - (at most 64)`,
    );
  if (values.expires !== undefined) {
    const at = Date.parse(values.expires);
    if (Number.isNaN(at))
      throw new Error(
        `--expires ${JSON.stringify(values.expires)}: not an ISO 8601 time (e.g. 2027-01-31T00:00:00Z)`,
      );
    if (at <= Date.now())
      throw new Error(
        `--expires ${values.expires} is in the past: the key would never work. Give a time to come`,
      );
  }
  const rpm = num('rpm', values.rpm);
  const tpm = num('tpm', values.tpm);
  const daily = num('daily-usd', values['daily-usd']);
  const monthly = num('monthly-usd', values['monthly-usd']);
  return {
    ...(values.id ? { id: values.id } : {}),
    tenant: values.tenant,
    ...(values.admin ? { admin: true } : {}),
    ...(values.scopes
      ? {
          scopes: values.scopes
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(values.expires ? { expiresAt: values.expires } : {}),
    ...(values['max-mode'] ? { maxRoutingMode: values['max-mode'] } : {}),
    ...(values['no-cache'] ? { cache: false } : {}),
    ...(values['allow-ip']?.length ? { allowedIps: values['allow-ip'] } : {}),
    ...(rpm || tpm ? { rateLimit: { ...(rpm ? { rpm } : {}), ...(tpm ? { tpm } : {}) } } : {}),
    ...(daily || monthly
      ? {
          budget: {
            ...(daily ? { dailyUsd: daily } : {}),
            ...(monthly ? { monthlyUsd: monthly } : {}),
          },
        }
      : {}),
  };
}

/** `--grace`: `1h`, `30m`, `7d`, `90s`, or whole seconds (`0`: the old secret is refused at once). */
function graceSeconds(values: Values): number {
  const text = values.grace;
  if (text === undefined) return DEFAULT_GRACE_SECONDS;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text) : parseDuration(text, '--grace') / 1000;
  if (!Number.isInteger(seconds) || seconds > MAX_GRACE_SECONDS)
    throw new Error(`--grace must be whole seconds up to 30d (got "${text}")`);
  return seconds;
}

async function online(
  action: string,
  id: string | undefined,
  values: Values,
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

function offline(action: string, id: string | undefined, values: Values, io: KeysIo): number {
  const file = values.config!;
  const text = readFileSync(file, 'utf8');
  const isJson = file.endsWith('.json');
  const doc = isJson ? undefined : parseDocument(text);
  // A YAML document with errors still reads as something: refuse it rather than list or write it.
  const yamlError = doc?.errors[0];
  if (yamlError) throw new Error(`${file}: not valid YAML: ${yamlError.message.split('\n')[0]}`);
  const raw = (isJson ? parseJsonConfig(text, file) : doc!.toJS()) as {
    auth?: { keys?: Record<string, unknown>[] };
  };
  const keys = raw.auth?.keys ?? [];
  if (action === 'list') {
    if (!keys.length && values.json !== true) io.err(`no keys in ${file} (auth.keys)\n`);
    printList(
      io,
      keys.map(({ hash: _hash, previousHashes, ...k }) => {
        // Hashes stay in the file; the list says only until when an old secret still works.
        const until = Math.max(
          ...((previousHashes as { expiresAt: string }[] | undefined) ?? [])
            .map((p) => Date.parse(p.expiresAt))
            .filter((t) => t > Date.now()),
        );
        return {
          ...k,
          ...(until > 0 ? { oldSecretExpiresAt: new Date(until).toISOString() } : {}),
          source: 'config',
        };
      }),
      values.json === true,
    );
    return 0;
  }
  let next: Record<string, unknown>[];
  let key: string | undefined;
  let keyId = id;
  let oldSecretExpiresAt: string | undefined;
  if (action === 'rotate') {
    // As the admin API rotates a runtime key: a new hash, the old one kept until the grace ends.
    const current = keys.find((k) => k.id === id);
    if (!current) throw new Error(`no key with id "${id}" in ${file}`);
    const now = Date.now();
    const grace = graceSeconds(values);
    const earlier = Array.isArray(current.previousHashes)
      ? (current.previousHashes as { hash: string; expiresAt: string }[]).filter(
          (p) => Date.parse(p.expiresAt) > now,
        )
      : [];
    if (grace > 0) {
      oldSecretExpiresAt = new Date(now + grace * 1000).toISOString();
      earlier.push({ hash: String(current.hash), expiresAt: oldSecretExpiresAt });
    }
    key = generateApiKey();
    const { previousHashes: _old, ...rest } = current;
    const rotated = {
      ...rest,
      hash: hashApiKey(key),
      ...(earlier.length ? { previousHashes: earlier } : {}),
    };
    next = keys.map((k) => (k.id === id ? rotated : k));
  } else if (action === 'issue') {
    const body = issueBody(values);
    keyId = (body.id as string | undefined) ?? generateKeyId();
    if (keys.some((k) => k.id === keyId))
      throw new Error(`a key with id "${keyId}" already exists in ${file}`);
    key = generateApiKey();
    next = [...keys, { id: keyId, hash: hashApiKey(key), ...body }];
  } else {
    if (!keys.some((k) => k.id === id)) throw new Error(`no key with id "${id}" in ${file}`);
    next = keys.filter((k) => k.id !== id);
  }
  // Validate the whole result before writing, so a bad flag never leaves a broken file.
  parseConfig({ ...raw, auth: { ...(raw.auth ?? {}), keys: next } }, { ...process.env, ...io.env });
  if (isJson) {
    writeFileSync(
      file,
      JSON.stringify({ ...raw, auth: { ...(raw.auth ?? {}), keys: next } }, null, 2) + '\n',
    );
  } else {
    doc!.setIn(['auth', 'keys'], doc!.createNode(next));
    writeFileSync(file, doc!.toString());
  }
  if (action === 'rotate') {
    printRotated(io, key!, id!, oldSecretExpiresAt);
    io.err(`(${file} changed: the router uses the new secret once it has reloaded the file)\n`);
  } else if (key) {
    printIssued(io, key, keyId!);
    const named = (list: unknown) =>
      Array.isArray(list) ? list.map((x) => String((x as { name?: unknown })?.name)) : [];
    const config = raw as { routers?: unknown; pools?: unknown; deployments?: unknown };
    for (const w of keyWarnings(issueBody(values) as { scopes?: string[] }, {
      routers: [...named(config.routers), ...named(config.pools)],
      deployments: named(config.deployments),
    }))
      io.err(`warning: ${w}\n`);
  } else io.out(`revoked ${id} (removed from ${file})\n`);
  return 0;
}

function printIssued(io: KeysIo, key: string, id: string): void {
  io.out(`${key}\n`);
  io.err(`issued key ${id}; store it now, it is not shown again (only its sha256 is kept)\n`);
}

/** `replacedUntil`: when the secret this rotation replaced stops working (none: at once). */
function printRotated(io: KeysIo, key: string, id: string, replacedUntil?: string): void {
  io.out(`${key}\n`);
  io.err(
    `rotated key ${id}; ${replacedUntil ? `the secret it replaces works until ${replacedUntil}` : 'the secret it replaces is refused from now on'}; store the new one now, it is not shown again (only its sha256 is kept)\n`,
  );
}

/**
 * The keys, one a line: id, tenant, scopes, then what limits the key (rate limits, budgets, the
 * costliest mode, a narrower subset, no cache), its state and its addresses; `--json` gives every
 * field but the hashes.
 */
function parseJsonConfig(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
}

function printList(io: KeysIo, keys: Record<string, unknown>[], json: boolean): void {
  if (json) {
    io.out(JSON.stringify(keys, null, 2) + '\n');
    return;
  }
  for (const k of keys) {
    const scopes = Array.isArray(k.scopes) ? k.scopes.join(',') : '*';
    const flags = [
      k.admin ? 'admin' : '',
      k.revoked ? 'revoked' : '',
      ...limitFlags(k),
      k.expiresAt ? `expires ${String(k.expiresAt)}` : '',
      Array.isArray(k.allowedIps) ? `from ${k.allowedIps.join(',')}` : '',
      k.oldSecretExpiresAt ? `old secret until ${String(k.oldSecretExpiresAt)}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    io.out(
      `${String(k.id)}\ttenant=${String(k.tenant)}\tscopes=${scopes}${flags ? `\t${flags}` : ''}\n`,
    );
  }
}

/** A key's limits as `keys issue` names them: `rpm=60 tpm=100000 daily=$5 max-mode=balanced`. */
function limitFlags(k: Record<string, unknown>): string[] {
  const rate = (k.rateLimit ?? {}) as { rpm?: number; tpm?: number };
  const budget = (k.budget ?? {}) as { dailyUsd?: number; monthlyUsd?: number };
  return [
    rate.rpm !== undefined ? `rpm=${rate.rpm}` : '',
    rate.tpm !== undefined ? `tpm=${rate.tpm}` : '',
    budget.dailyUsd !== undefined ? `daily=$${budget.dailyUsd}` : '',
    budget.monthlyUsd !== undefined ? `monthly=$${budget.monthlyUsd}` : '',
    k.maxRoutingMode ? `max-mode=${String(k.maxRoutingMode)}` : '',
    Array.isArray(k.modelSubset) ? `subset=${k.modelSubset.join(',')}` : '',
    k.cache === false ? 'no-cache' : '',
  ];
}

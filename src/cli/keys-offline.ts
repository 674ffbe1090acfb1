// `model-router keys … --config <file>`: the keys managed offline, by editing the config file's
// `auth.keys` (comments in YAML are kept; the whole result is validated before it is written).
// Only hashes are written; the plain key is printed once.
import { writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { generateApiKey, generateKeyId, hashApiKey } from '../auth/api-key.js';
import { keyWarnings } from '../auth/key-routes.js';
import { ConfigError, parseConfig, readConfigFile } from '../config/load-config.js';
import { isObject } from '../core/is-object.js';
import type { KeysIo, KeysValues } from './keys.js';
import { graceSeconds, issueBody } from './keys-issue-body.js';
import { printIssued, printList, printRotated } from './keys-print.js';

/** One action (issue, rotate, revoke, list) on the config file's keys; the exit code. */
export function offline(
  action: string,
  id: string | undefined,
  values: KeysValues,
  io: KeysIo,
): number {
  const file = values.config!;
  const text = readConfigFile(file);
  const isJson = file.endsWith('.json');
  const doc = isJson ? undefined : parseDocument(text);
  // A YAML document with errors still reads as something: refuse it rather than list or write it.
  const yamlError = doc?.errors[0];
  if (yamlError) throw new Error(`${file}: not valid YAML: ${yamlError.message.split('\n')[0]}`);
  const raw = configShape(isJson ? parseJsonConfig(text, file) : doc!.toJS(), file);
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
  try {
    parseConfig(
      { ...raw, auth: { ...(raw.auth ?? {}), keys: next } },
      { ...process.env, ...io.env },
    );
  } catch (err) {
    // Named, as every other refusal of a config file is: the file may have been invalid already.
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`, err.issues);
    throw err;
  }
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

function parseJsonConfig(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
}

/** The config as far as the keys commands read it: a mapping whose `auth.keys` is a list. */
function configShape(
  raw: unknown,
  file: string,
): { auth?: { keys?: Record<string, unknown>[] } } & Record<string, unknown> {
  const mapping = 'a mapping (auth.keys, deployments, …)';
  if (raw === null || raw === undefined)
    throw new Error(`${file}: is empty: a config is ${mapping}`);
  if (!isObject(raw))
    throw new Error(
      `${file}: its top level is ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}, not ${mapping}`,
    );
  const { auth } = raw as { auth?: unknown };
  if (auth !== undefined && auth !== null) {
    if (!isObject(auth)) throw new Error(`${file}: auth must be a mapping`);
    const { keys } = auth as { keys?: unknown };
    if (keys !== undefined && keys !== null && !Array.isArray(keys))
      throw new Error(`${file}: auth.keys must be a list of keys`);
  }
  return raw as { auth?: { keys?: Record<string, unknown>[] } };
}

// What `model-router keys` prints: a new key once (stdout, so it can be piped; the rest on
// stderr), and the key list, one key a line or as JSON.
import type { KeysIo } from './keys.js';

/** A key just issued: the plain key on stdout, and that it is not shown again. */
export function printIssued(io: KeysIo, key: string, id: string): void {
  io.out(`${key}\n`);
  io.err(`issued key ${id}; store it now, it is not shown again (only its sha256 is kept)\n`);
}

/** `replacedUntil`: when the secret this rotation replaced stops working (none: at once). */
export function printRotated(io: KeysIo, key: string, id: string, replacedUntil?: string): void {
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
export function printList(io: KeysIo, keys: Record<string, unknown>[], json: boolean): void {
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

// What `keys issue` and `keys rotate` read from their flags: the key to issue, as the admin API's
// body (checked as the admin API checks it, for the config file's keys too), and the grace of a
// rotation. Usage errors are thrown as plain Errors; run() (keys.ts) prints them.
import { KEY_ID, DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS } from '../auth/key-store.js';
import { parseDuration } from '../core/time-range.js';
import type { KeysValues } from './keys.js';

/** `keys issue`'s flags as the body of `POST /admin/v1/keys` (without the key's secret). */
export function issueBody(values: KeysValues): Record<string, unknown> {
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
  // An empty list (an unset $SCOPES, say) is not "every scope", which leaving it out means.
  const scopes = values.scopes
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (scopes?.length === 0)
    throw new Error(
      `--scopes ${JSON.stringify(values.scopes)} names no scope: give router or deployment names (a,b; a prefix ending in *; * for all), or leave --scopes out for all`,
    );
  const rpm = num('rpm', values.rpm);
  const tpm = num('tpm', values.tpm);
  const daily = num('daily-usd', values['daily-usd']);
  const monthly = num('monthly-usd', values['monthly-usd']);
  return {
    ...(values.id ? { id: values.id } : {}),
    tenant: values.tenant,
    ...(values.admin ? { admin: true } : {}),
    ...(scopes ? { scopes } : {}),
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
export function graceSeconds(values: KeysValues): number {
  const text = values.grace;
  if (text === undefined) return DEFAULT_GRACE_SECONDS;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text) : parseDuration(text, '--grace') / 1000;
  if (!Number.isInteger(seconds) || seconds > MAX_GRACE_SECONDS)
    throw new Error(
      `--grace must be a duration such as 7d, 24h, 30m or 90s, or seconds such as 3600, of whole seconds and at most 30d (got "${text}")`,
    );
  return seconds;
}

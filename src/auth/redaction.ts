// Headers that carry credentials. Never logged: give these to pino's `redact` and use
// redactHeaders() before putting headers anywhere a person may read them. Config as the admin API
// shows it goes through redactConfigSecrets() (header values, the secrets a URL may carry, key
// hashes).
import { isObject } from '../core/is-object.js';

export const SECRET_HEADERS = [
  'authorization',
  'api-key',
  'x-api-key',
  'proxy-authorization',
] as const;

/** pino `redact.paths` for the request/response shapes Fastify and our logger use. */
export const LOG_REDACT_PATHS: string[] = SECRET_HEADERS.flatMap((h) => [
  `req.headers["${h}"]`,
  `headers["${h}"]`,
  `request.headers["${h}"]`,
]);

export const REDACTED = '[redacted]';

/** A copy of `headers` with every credential header replaced by `[redacted]`. */
export function redactHeaders<T extends Record<string, unknown>>(headers: T): T {
  const out: Record<string, unknown> = { ...headers };
  for (const name of Object.keys(out)) {
    if ((SECRET_HEADERS as readonly string[]).includes(name.toLowerCase())) out[name] = REDACTED;
  }
  return out as T;
}

/**
 * A copy of config (or of a config version, a deployment…) as the admin API shows it: every value
 * of a `headers` map, what a URL may carry as a secret (a password, `postgres://user:pw@…`; a
 * token as the user name, `https://<token>@host`; a query parameter named like a credential,
 * `?api-key=…`, `&sig=…`) and an API key's hash are `[redacted]`. Those are where `${env:…}` puts
 * secrets (upstream and webhook tokens, database passwords); the versions keep the real values, so
 * a rollback restores them. (Until 2026-12-06 only URL passwords and header values were hidden:
 * security audit F4.)
 */
export function redactConfigSecrets<T>(value: T): T {
  return redactValue(value, false) as T;
}

/**
 * `sent` (a PUT or PATCH body) with each value that reads as the redacted form of `current`'s at
 * the same place put back to `current`'s: an item read from the admin API and sent back whole
 * keeps its secrets instead of storing `[redacted]`.
 */
export function restoreRedactedSecrets(
  sent: unknown,
  current: unknown,
  inHeaders = false,
): unknown {
  if (typeof sent === 'string')
    return typeof current === 'string' &&
      sent !== current &&
      redactValue(current, inHeaders) === sent
      ? current
      : sent;
  if (Array.isArray(sent))
    return sent.map((v, i) =>
      restoreRedactedSecrets(v, Array.isArray(current) ? current[i] : undefined),
    );
  if (sent && typeof sent === 'object') {
    const was = current && typeof current === 'object' ? (current as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sent))
      out[k] = restoreRedactedSecrets(v, was[k], inHeaders || k === 'headers');
    return out;
  }
  return sent;
}

/** A config path inside a `headers` map (`deployments[x].headers.x-token`). */
const HEADER_VALUE_PATH = /(^|\.)headers\./;
/**
 * A config path at a key named `headers`: the map itself (an object), or a setting of that name
 * (`rateLimits.headers`: `tenant` | `shared`), shown as it is.
 */
const HEADERS_PATH = /(^|\.)headers$/;

function redactValue(value: unknown, inHeaders: boolean, key?: string): unknown {
  if (typeof value === 'string') {
    if (inHeaders) return REDACTED;
    // An API key's hash (auth.keys[].hash, previousHashes[].hash): not the key, but all an
    // offline guess needs.
    if (key === 'hash' && /^[0-9a-f]{64}$/i.test(value)) return REDACTED;
    return redactUrlSecrets(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, false));
  if (!inHeaders && isConfigChange(value)) {
    // A version's diff entry: its path says whether before/after are header values.
    const headers = (v: unknown) =>
      HEADER_VALUE_PATH.test(value.path) || (HEADERS_PATH.test(value.path) && isObject(v));
    const out: Record<string, unknown> = { ...value };
    if ('before' in value) out.before = redactValue(value.before, headers(value.before));
    if ('after' in value) out.after = redactValue(value.after, headers(value.after));
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = redactValue(v, inHeaders || (k === 'headers' && isObject(v)), k);
    return out;
  }
  return value;
}

/**
 * Where `value` (a PUT or PATCH body after restoreRedactedSecrets) still holds the `[redacted]`
 * placeholder, as a path (`headers.x-token`, `moderationUrl`), or undefined: a placeholder with
 * no value to restore (a new item, a new header, a changed URL) would be sent upstream as is.
 */
export function placeholderAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes(REDACTED) ? path || '(body)' : undefined;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v] as const)
    : value && typeof value === 'object'
      ? Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v] as const)
      : [];
  for (const [at, v] of entries) {
    const found = placeholderAt(v, at);
    if (found) return found;
  }
  return undefined;
}

/** A `{path, before?, after?}` entry of a config version's `changes`. */
function isConfigChange(
  value: unknown,
): value is { path: string; before?: unknown; after?: unknown } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    typeof (value as { path?: unknown }).path === 'string' &&
    keys.length > 1 &&
    keys.every((k) => k === 'path' || k === 'before' || k === 'after')
  );
}

/** Query parameters whose value is a credential (`api-key`, `token`, `sig`, `password`, …). */
const SECRET_PARAM =
  /^(api[-_]?key|key|token|access[-_]?token|auth|secret|client[-_]?secret|sig|signature|password|pass|pwd|code|credential)s?$/i;
/** A user name that is a token, not a name: long, and of token characters. */
const TOKEN_USER = /^[A-Za-z0-9._~%+-]{20,}$/;

/**
 * A URL with what it may carry as a secret `[redacted]`: its password, a user name that is a token
 * (no password, 20 characters or more), and the values of query parameters named like a
 * credential; any other string as it is.
 */
export function redactUrlSecrets(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let out = redactUrlPassword(text);
  if (out === text) {
    const start = text.indexOf('//') + 2;
    const end = text.slice(start).search(/[/?#]/);
    const authority = end < 0 ? text.slice(start) : text.slice(start, start + end);
    const at = authority.lastIndexOf('@');
    if (at > 0 && TOKEN_USER.test(authority.slice(0, at)))
      out = `${text.slice(0, start)}${REDACTED}${text.slice(start + at)}`;
  }
  const q = out.indexOf('?');
  if (q < 0) return out;
  const hash = out.indexOf('#', q);
  const query = out.slice(q + 1, hash < 0 ? undefined : hash);
  const hidden = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq > 0 && SECRET_PARAM.test(decodeName(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${out.slice(0, q + 1)}${hidden}${hash < 0 ? '' : out.slice(hash)}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** `scheme://user:[redacted]@host…` for a URL with a password; any other string as it is. */
function redactUrlPassword(text: string): string {
  if (!text.includes('@') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  const at = text.indexOf('@', text.indexOf('//') + 2);
  const userinfo = text.slice(text.indexOf('//') + 2, at);
  const colon = userinfo.indexOf(':');
  if (at < 0 || colon < 0 || /[/?#]/.test(userinfo)) return text;
  return `${text.slice(0, text.indexOf('//') + 2 + colon + 1)}${REDACTED}${text.slice(at)}`;
}

// Headers that carry credentials. Never logged: give these to pino's `redact` and use
// redactHeaders() before putting headers anywhere a person may read them. Config as the admin API
// shows it goes through redactConfigSecrets() (header values, URL passwords).
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
 * of a `headers` map, and the password of a URL (`postgres://user:pw@…`, `redis://:pw@…`), are
 * `[redacted]`. Those are where `${env:…}` puts secrets (upstream and webhook tokens, database
 * passwords); the versions keep the real values, so a rollback restores them.
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

/** A config path inside a `headers` map, or the map itself (`deployments[x].headers.x-token`). */
const HEADERS_PATH = /(^|\.)headers(\.|$)/;

function redactValue(value: unknown, inHeaders: boolean): unknown {
  if (typeof value === 'string') return inHeaders ? REDACTED : redactUrlPassword(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, false));
  if (!inHeaders && isConfigChange(value)) {
    // A version's diff entry: its path says whether before/after are header values.
    const headers = HEADERS_PATH.test(value.path);
    const out: Record<string, unknown> = { ...value };
    if ('before' in value) out.before = redactValue(value.before, headers);
    if ('after' in value) out.after = redactValue(value.after, headers);
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = redactValue(v, inHeaders || k === 'headers');
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
  if (typeof value === 'string')
    return value === REDACTED || value.includes(`:${REDACTED}@`) ? path || '(body)' : undefined;
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

/** `scheme://user:[redacted]@host…` for a URL with a password; any other string as it is. */
export function redactUrlPassword(text: string): string {
  if (!text.includes('@') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  const at = text.indexOf('@', text.indexOf('//') + 2);
  const userinfo = text.slice(text.indexOf('//') + 2, at);
  const colon = userinfo.indexOf(':');
  if (at < 0 || colon < 0 || /[/?#]/.test(userinfo)) return text;
  return `${text.slice(0, text.indexOf('//') + 2 + colon + 1)}${REDACTED}${text.slice(at)}`;
}

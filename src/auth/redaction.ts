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

function redactValue(value: unknown, inHeaders: boolean): unknown {
  if (typeof value === 'string') return inHeaders ? REDACTED : redactUrlPassword(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, false));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = redactValue(v, inHeaders || k === 'headers');
    return out;
  }
  return value;
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

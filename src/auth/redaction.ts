// Headers that carry credentials. Never logged: give these to pino's `redact` and use
// redactHeaders() before putting headers anywhere a person may read them.
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

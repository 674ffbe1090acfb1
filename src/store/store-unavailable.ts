// Whether an error from the request log's database (PostgreSQL or SQLite) says the database cannot
// be reached or is busy, rather than that the router is wrong: the connection refused, reset or
// timed out, the server shutting down or out of connections, SQLite's file locked. The stored
// objects' routes (responses, conversations, chat completions, files, batches) then answer 503
// `request_log_unavailable`, as usage and feedback do, not a 500 with a stack trace a request.
import { redactUrlSecrets } from '../auth/redaction.js';

/** Node's socket errors and PostgreSQL's SQLSTATE classes 08 (connection) and 57P (shutdown). */
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/** node-postgres's own words for a connection it lost or could not make. */
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Query read timeout$/,
];

/**
 * The reason to quote when `err` is the database being unreachable or busy (its code, or
 * node-postgres's words: never the message, which names the database's host and port); else
 * undefined.
 */
export function storeUnavailable(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CODES.has(code)) return code;
  if (MESSAGES.some((m) => m.test(err.message))) return err.message;
  // `connect ECONNREFUSED` to each address of a host comes as one AggregateError.
  if (err instanceof AggregateError)
    for (const inner of err.errors) {
      const reason = storeUnavailable(inner);
      if (reason) return reason;
    }
  return undefined;
}

/**
 * What a command that reads the request log says when it cannot (report, simulate, feedback
 * export): that it is the request log's database, which one (`log`: the config's `requestLog`,
 * undefined before the config was read), and the error, not a bare `connect ECONNREFUSED
 * 127.0.0.1:5439`. Other errors as they are.
 */
export function requestLogReadError(
  err: unknown,
  log: { kind: string; postgresUrl?: string; sqlitePath?: string } | undefined,
): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!log || !storeUnavailable(err)) return message;
  const where =
    log.kind === 'postgres'
      ? `PostgreSQL at ${redactUrlSecrets(log.postgresUrl ?? '')} (requestLog.postgresUrl)`
      : `SQLite at ${log.sqlitePath ?? ''} (requestLog.sqlitePath)`;
  return `the request log could not be read: ${where} did not answer (${message}); is the database up, and the setting right?`;
}

// One batch line's call and what to do with its answer: keep it (the output file), keep its error
// (the error file), or try again later. Follows OpenAI's retry rules (STYLE.md: openai-node):
// 429 waits its `retry-after-ms` / `retry-after` and is not counted as a try; 408, 409 and ≥ 500
// (after the router's own failover) are tried again with backoff up to `maxAttempts`; any other
// status is the line's answer.
import type { BatchLine } from './batch-input.js';

/** What the router's route answered (status, headers, body text). */
export interface LineReply {
  status: number;
  headers: Readonly<Record<string, string | string[] | number | undefined>>;
  body: string;
}

export type LineOutcome =
  | { kind: 'done'; ok: boolean; json: string; usage?: unknown }
  /** `json`: the line's error-file line should it not be tried again (its time is up). */
  | { kind: 'retry'; afterMs: number; counts: boolean; json: string };

const RETRYABLE = new Set([408, 409]);

/** The wait a 429 or 503 asks for, in ms (undefined when it names none). */
export function retryAfterMs(headers: LineReply['headers']): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const s = Number(headers['retry-after']);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

/**
 * The output-file line for a reply: the body kept as the route sent it (not re-serialised) when it
 * is JSON (`parsed`), else wrapped as an error message.
 */
export function resultLine(
  requestId: string,
  line: BatchLine,
  reply: LineReply,
  parsed: unknown,
): string {
  const body =
    parsed === undefined ? JSON.stringify({ error: { message: reply.body } }) : reply.body;
  return `{"id":${JSON.stringify(requestId)},"custom_id":${JSON.stringify(line.customId)},"response":{"status_code":${reply.status},"request_id":${JSON.stringify(requestId)},"body":${body}},"error":null}`;
}

/** The error-file line of a line that got no answer (cancelled, expired, its key gone). */
export function unansweredLine(
  requestId: string,
  line: BatchLine,
  code: string,
  message: string,
): string {
  return JSON.stringify({
    id: requestId,
    custom_id: line.customId,
    response: null,
    error: { code, message },
  });
}

/** The codes of the error-file lines a cancel or expiry left unrun (written by the runner). */
const NOT_RUN_CODES = new Set(['batch_cancelled', 'batch_expired']);

/** Whether an error-file line is one a cancel or expiry left unrun (`unansweredLine`'s). */
export function isNotRunLine(json: string): boolean {
  const error = parseObject(json)?.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    NOT_RUN_CODES.has(String((error as { code?: unknown }).code))
  );
}

/**
 * What to do after `attempt` (1-based) got `reply`. `retryBaseMs` doubles per counted try (with
 * up to 25% jitter).
 */
export function judgeReply(
  requestId: string,
  line: BatchLine,
  reply: LineReply,
  attempt: number,
  opts: { maxAttempts: number; retryBaseMs: number; random?: () => number },
): LineOutcome {
  const asked = retryAfterMs(reply.headers);
  const parsed = parseObject(reply.body);
  if (reply.status === 429)
    return {
      kind: 'retry',
      afterMs: asked ?? opts.retryBaseMs,
      counts: false,
      json: resultLine(requestId, line, reply, parsed),
    };
  if ((reply.status >= 500 || RETRYABLE.has(reply.status)) && attempt < opts.maxAttempts) {
    const jitter = 1 + 0.25 * (opts.random ?? Math.random)();
    const backoff = opts.retryBaseMs * 2 ** (attempt - 1) * jitter;
    return {
      kind: 'retry',
      afterMs: Math.max(backoff, asked ?? 0),
      counts: true,
      json: resultLine(requestId, line, reply, parsed),
    };
  }
  const ok = reply.status >= 200 && reply.status < 300;
  return {
    kind: 'done',
    ok,
    json: resultLine(requestId, line, reply, parsed),
    ...(ok && parsed ? { usage: parsed.usage } : {}),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

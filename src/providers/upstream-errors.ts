// Upstream non-2xx → GatewayError with the upstream status kept. Bodies are parsed defensively
// (OpenAI, Azure, vLLM and llama.cpp shapes: nested or flat, integer or string codes,
// `innererror`/`inner_error`), cut to 2 KB, an API key quoted in the message redacted. Failover
// rules: 408/409/429/≥500, or `x-should-retry: true`; the router's credential refused (401/403)
// or a status no API sends is a 502 of the deployment's. A prompt past the context window is OpenAI's
// `context_length_exceeded` whichever server said it, by its code or its words
// (`contextOverflowCode`), so failover treats vLLM, TGI and llama.cpp as it treats OpenAI.
import { GatewayError, isRetryableStatus } from '../core/errors.js';
import { headerValue, readText, type UpstreamHttpResponse } from './http-client.js';

const MAX_BODY = 2048;

/**
 * An API key as an upstream's error may quote it, whole or masked: OpenAI's 401 says "Incorrect
 * API key provided: sk-proj-****…abcd", the operator's key's prefix and last four characters,
 * which the client must not see (it is the router's key, not the client's).
 */
const QUOTED_KEY = /\b(?:sk|rk|pk)-[A-Za-z0-9_*-]{4,}/g;

interface LooseError {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  param?: unknown;
  innererror?: unknown;
  inner_error?: unknown;
}

function defaultType(status: number): string {
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * How OpenAI-compatible servers that send no `context_length_exceeded` code say a prompt is past
 * the context window: vLLM, Mistral and OpenAI's older text ("This model's maximum context length
 * is 4096 tokens. However, you requested 5000 tokens…"), TGI ("Input validation error: `inputs`
 * tokens + `max_new_tokens` must be <= 4096…", a 422), llama.cpp's server ("the request exceeds
 * the available context size…", type `exceed_context_size_error`).
 */
const CONTEXT_OVERFLOW_TEXT = [
  /maximum context length/i,
  /\bexceeds? the (?:available |model'?s )?context (?:size|window|length)\b/i,
  /`inputs` tokens \+ `max_new_tokens` must be <=/,
];

/**
 * `context_length_exceeded` when an upstream's 400 (or TGI's 422) says the prompt is past the
 * context window, by its code, llama.cpp's type or its words; else undefined.
 */
export function contextOverflowCode(
  status: number,
  e: { code?: unknown; type?: unknown },
  message: string,
): 'context_length_exceeded' | undefined {
  if (status !== 400 && status !== 422) return undefined;
  if (e.code === 'context_length_exceeded' || e.type === 'exceed_context_size_error')
    return 'context_length_exceeded';
  return CONTEXT_OVERFLOW_TEXT.some((re) => re.test(message))
    ? 'context_length_exceeded'
    : undefined;
}

/** Builds the GatewayError for an upstream error reply whose body is already read. */
export function mapUpstreamError(
  status: number,
  bodyText: string,
  headers: UpstreamHttpResponse['headers'],
  deploymentName: string,
): GatewayError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const obj = (parsed && typeof parsed === 'object' ? parsed : {}) as {
    error?: unknown;
  } & LooseError;
  const e: LooseError =
    obj.error && typeof obj.error === 'object' ? (obj.error as LooseError) : obj;
  const message =
    typeof e.message === 'string' && e.message
      ? e.message
      : typeof obj.error === 'string'
        ? obj.error
        : bodyText.slice(0, MAX_BODY) || `HTTP ${status}`;
  const outHeaders = waitHeaders(status, headers);
  // `x-should-retry: true` makes a failure one to fail over from (the upstream says another try
  // may succeed). `false` does not stop a failover: it is about retrying that upstream (OpenAI
  // sends it with a 429 `insufficient_quota`, where another deployment is just what is needed).
  // Until 2026-12-06 `false` kept a 5xx from failing over (fault audit F4).
  const shouldRetry = headerValue(headers, 'x-should-retry');
  const retryable = shouldRetry === 'true' || isRetryableStatus(status);
  const inner = e.innererror ?? e.inner_error;
  const redacted = `${deploymentName}: ${message}`
    .slice(0, MAX_BODY)
    .replace(QUOTED_KEY, '[redacted]');
  const fault = deploymentFaultError(status, redacted, outHeaders);
  if (fault) return fault;
  return new GatewayError({
    status,
    type: typeof e.type === 'string' && e.type ? e.type : defaultType(status),
    code: contextOverflowCode(status, e, message) ?? errorCode(status, e.code),
    param: typeof e.param === 'string' ? e.param : null,
    message: redacted,
    headers: outHeaders,
    retryable,
    details: inner && typeof inner === 'object' ? { innererror: inner } : undefined,
  });
}

/**
 * How long an upstream asked to wait, as headers the router reads (its cool-down) and relays:
 * `retry-after-ms` and `retry-after` when they are a wait (a number ≥ 0, or an HTTP date), else
 * left out rather than relayed as they came (`abc`, `-5`); on a 429 with neither, OpenAI's
 * `x-ratelimit-reset-requests` / `-tokens` (`20s`, `1m30s`, `6ms`) of the limit that is spent
 * (its `x-ratelimit-remaining-*` is 0), as `retry-after-ms` (fault audit F6, 2026-12-06: such a
 * 429 was neither a cool-down nor told to the client).
 */
function waitHeaders(
  status: number,
  headers: UpstreamHttpResponse['headers'],
): Record<string, string> {
  const out: Record<string, string> = {};
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(?:\.\d+)?$/.test(ms.trim())) out['retry-after-ms'] = ms.trim();
  const after = headerValue(headers, 'retry-after');
  if (after !== undefined) {
    const t = after.trim();
    // Seconds, or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`: a day's name in it).
    if (/^\d+(?:\.\d+)?$/.test(t) || (/[A-Za-z]/.test(t) && Number.isFinite(Date.parse(t))))
      out['retry-after'] = t;
  }
  if (status !== 429 || out['retry-after'] !== undefined || out['retry-after-ms'] !== undefined)
    return out;
  let wait: number | undefined;
  for (const limit of ['requests', 'tokens']) {
    if (headerValue(headers, `x-ratelimit-remaining-${limit}`)?.trim() !== '0') continue;
    const reset = openAiDurationMs(headerValue(headers, `x-ratelimit-reset-${limit}`));
    if (reset !== undefined) wait = Math.max(wait ?? 0, reset);
  }
  if (wait !== undefined && wait > 0) out['retry-after-ms'] = String(Math.ceil(wait));
  return out;
}

/** OpenAI's rate-limit reset (`1h2m3.5s`, `20s`, `6ms`) in milliseconds; undefined if not one. */
function openAiDurationMs(text: string | undefined): number | undefined {
  const m =
    /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(
      text?.trim() ?? '',
    );
  if (!m || !text?.trim()) return undefined;
  const [h, min, sec, ms] = m.slice(1).map((v) => Number(v ?? 0));
  return ((h! * 60 + min!) * 60 + sec!) * 1000 + ms!;
}

/**
 * The router's own credential refused (401, 403: a rotated or revoked key, a project without
 * access) or a status no API answers with (a redirect from a wrong `baseUrl`, 1xx, ≥ 600): the
 * deployment's fault, not the client's. A 502 that fails over and counts against the circuit,
 * never the client's own 401/403 or a relayed 301 (before 2026-12-06 the client got them, so its
 * SDK raised an AuthenticationError for the router's key, and routing kept picking the
 * deployment: fault audit F2, F3). Undefined for any other status.
 */
export function deploymentFaultError(
  status: number,
  message: string,
  headers: Record<string, string>,
): GatewayError | undefined {
  const auth = status === 401 || status === 403;
  if (!auth && status >= 400 && status <= 599) return undefined;
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: auth ? 'upstream_auth_failed' : 'upstream_unexpected_status',
    message: `${message} (the upstream answered HTTP ${status}${
      auth ? ": it refused the router's credentials for this deployment" : ''
    })`,
    headers,
    retryable: true,
    details: { upstream_status: status },
  });
}

/**
 * The code a client gets for an upstream's error: the upstream's own, but a bare status number
 * (Azure writes `"code": "429"`) or none reads `upstream_<status>`, so one failure has one code
 * whichever OpenAI-format provider served (providers audit F6, 2026-12-06).
 */
function errorCode(status: number, code: unknown): string {
  const given = code === undefined || code === null ? '' : String(code);
  return given && !/^\d+$/.test(given) ? given : `upstream_${status}`;
}

/** Reads the error body (≤ 2 KB kept) and maps it. */
export async function upstreamError(
  res: UpstreamHttpResponse,
  deploymentName: string,
): Promise<GatewayError> {
  const text = await readText(res.body, MAX_BODY).catch(() => '');
  return mapUpstreamError(res.status, text, res.headers, deploymentName);
}

/**
 * A 2xx reply larger than the deployment's `maxReplyBytes`: an upstream failure (502, retryable:
 * the next candidate may answer), never read whole.
 */
export function replyTooLarge(deploymentName: string, maxBytes: number): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_reply_too_large',
    message: `${deploymentName}: the upstream's reply is larger than its maxReplyBytes (${maxBytes} bytes); it was not read.`,
    retryable: true,
  });
}

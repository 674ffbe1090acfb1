// Anthropic's rate-limit headers for Anthropic clients (docs: "Rate limits", response headers;
// CONTRACTS.md §4.1), beside the router's own Azure/OpenAI-style `x-ratelimit-*`, which stay:
// `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` with the reset an RFC 3339
// time, and on a 429 `retry-after` in whole seconds (what the @anthropic-ai/sdk waits).
import { parseDuration } from '../../policy/rate-limit-headers.js';

/**
 * `headers` with Anthropic's rate-limit headers added, read from the `x-ratelimit-*` of the
 * tightest request and token limit the router checked when it admitted the request at
 * `admittedAt` (ms since the epoch). The router's token limits count input and output together,
 * as Anthropic's `tokens` headers do; it has no separate input or output token limits, so
 * Anthropic's `input-tokens` / `output-tokens` headers are not sent.
 */
export function withAnthropicRateLimits(
  headers: Record<string, string>,
  admittedAt: number,
): Record<string, string> {
  const out = { ...headers };
  for (const unit of ['requests', 'tokens'] as const) {
    const limit = headers[`x-ratelimit-limit-${unit}`];
    const remaining = headers[`x-ratelimit-remaining-${unit}`];
    const reset = headers[`x-ratelimit-reset-${unit}`];
    if (limit !== undefined) out[`anthropic-ratelimit-${unit}-limit`] = limit;
    if (remaining !== undefined) out[`anthropic-ratelimit-${unit}-remaining`] = remaining;
    const resetMs = reset === undefined ? undefined : parseDuration(reset);
    if (resetMs !== undefined)
      out[`anthropic-ratelimit-${unit}-reset`] = rfc3339(admittedAt + resetMs);
  }
  const seconds = retryAfterSeconds(headers);
  if (seconds !== undefined) out['retry-after'] = String(seconds);
  return out;
}

/** Whole seconds, rounded up, as Anthropic writes its times (`2026-12-02T06:40:01Z`). */
function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * `retry-after` as Anthropic sends it (whole seconds): a fractional one rounded up, or one read
 * from `retry-after-ms` when only that came; an HTTP date is left as it is.
 */
function retryAfterSeconds(headers: Record<string, string>): number | undefined {
  const raw = headers['retry-after'];
  const seconds = raw === undefined ? NaN : Number(raw);
  if (raw !== undefined && !Number.isFinite(seconds)) return undefined;
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const ms = Number(headers['retry-after-ms']);
  return Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms / 1000) : undefined;
}

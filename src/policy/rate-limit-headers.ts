// The rate-limit headers of Azure OpenAI and OpenAI (x-ratelimit-{limit,remaining,reset}-
// {requests,tokens}) and their duration style (`250ms`, `8.64s`, `6m0s`), written and read back.
import type { BucketState } from '../store/shared-state.js';

/**
 * Azure/OpenAI rate-limit headers from the bucket with the least room left of each unit. A
 * `shared` bucket (other tenants' requests count in it) never shows its level, which would tell
 * one tenant another's volume: while it admits it is left out; when it refuses, the unit says its
 * limit, none remaining, and a reset no sooner than this request fits (its retry-after, which the
 * 429 says anyway) nor than the caller's own tightest bucket of the unit is full again.
 */
export function rateLimitHeaders(
  buckets: readonly { unit: 'requests' | 'tokens'; shared?: boolean }[],
  states: readonly BucketState[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const unit of ['requests', 'tokens'] as const) {
    let pick: BucketState | undefined;
    let refused: BucketState | undefined;
    buckets.forEach((b, i) => {
      const s = states[i]!;
      if (b.unit !== unit) return;
      if (!b.shared) {
        if (!pick || s.remaining < pick.remaining) pick = s;
      } else if (!s.ok && (!refused || s.retryAfterMs > refused.retryAfterMs)) refused = s;
    });
    const shown = refused
      ? {
          limit: refused.limit,
          remaining: 0,
          resetMs: Math.max(refused.retryAfterMs, pick?.resetMs ?? 0),
        }
      : pick;
    if (!shown) continue;
    headers[`x-ratelimit-limit-${unit}`] = String(shown.limit);
    headers[`x-ratelimit-remaining-${unit}`] = String(shown.remaining);
    headers[`x-ratelimit-reset-${unit}`] = formatDuration(shown.resetMs);
  }
  return headers;
}

const DURATION_MS = /^(\d+)ms$/;
const DURATION_S = /^(\d+(?:\.\d+)?)s$/;
const DURATION_M_S = /^(\d+)m(\d+)s$/;

/** A duration formatDuration wrote, back in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  let m = DURATION_MS.exec(text);
  if (m) return Number(m[1]);
  m = DURATION_S.exec(text);
  if (m) return Math.round(Number(m[1]) * 1000);
  m = DURATION_M_S.exec(text);
  if (m) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  return undefined;
}

/** OpenAI's duration style: `250ms`, `8.64s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const v = Math.max(0, Math.ceil(ms));
  if (v < 1000) return `${v}ms`;
  if (v < 60_000) return `${Number((v / 1000).toFixed(3))}s`;
  const seconds = Math.ceil(v / 1000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

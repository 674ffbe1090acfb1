// A refused rate-limit charge as the client hears it: Azure/OpenAI's 429 wording, with
// retry-after of the refused bucket that frees up last. At admission a RateLimitRefusal (what the
// rate-limit queue may wait out); on a deployment's per-attempt charge a retryable 429 (failover).
import { GatewayError, rateLimited } from '../core/errors.js';
import type { BucketState } from '../store/shared-state.js';
import { formatDuration } from './rate-limit-headers.js';
import { NOT_RETRYABLE } from './budget.js';
import type { NamedBucket } from './rate-limit-types.js';

/**
 * A 429 from a key, router, end-user, tag (or up-front deployment) limit at admission: what the
 * rate-limit queue may wait out. `retryAfterMs` is when the tightest refused bucket frees up;
 * undefined when the request is larger than the limit itself, which no wait can cure.
 */
export class RateLimitRefusal extends GatewayError {
  constructor(
    refused: GatewayError,
    readonly retryAfterMs: number | undefined,
  ) {
    super({
      status: refused.status,
      type: refused.type,
      message: refused.message,
      code: refused.code,
      headers: refused.headers,
    });
  }
}

/**
 * The error for a charge the state refused: a RateLimitRefusal at admission, a retryable
 * `deployment_rate_limited` 429 for a deployment's per-attempt charge (`retryable`).
 */
export function refusalOf(
  buckets: NamedBucket[],
  states: BucketState[],
  headers: Record<string, string>,
  retryable: boolean,
  windowMs: number,
): GatewayError {
  // Report the refused bucket that frees up last: retrying earlier would fail again.
  let worst = -1;
  states.forEach((s, i) => {
    if (!s.ok && (worst < 0 || s.retryAfterMs > states[worst]!.retryAfterMs)) worst = i;
  });
  const b = buckets[worst]!;
  const s = states[worst]!;
  const what = b.unit === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
  const used = s.limit - s.remaining;
  const tooBig = b.spec.cost > b.spec.limit;
  // End users' and tags' names already say what they are and whose (checkLimits).
  const scopeText =
    b.scope === 'key'
      ? `API key ${b.name}`
      : b.scope === 'user' || b.scope === 'tag' || b.scope === 'tenant'
        ? b.name
        : `${b.scope} ${b.name}`;
  // A shared bucket's use is every tenant's: not told (rateLimits.headers: tenant).
  const usedText = b.shared ? '' : ` Used ${used},`;
  const message = tooBig
    ? `Request too large for ${scopeText} on ${what}: Limit ${s.limit}, Requested ${b.spec.cost}. Reduce the prompt or raise the limit.`
    : `Rate limit reached for ${scopeText} on ${what}: Limit ${s.limit},${usedText} Requested ${b.spec.cost}. ` +
      `Please try again in ${formatDuration(s.retryAfterMs)}.`;
  const retryAfterSeconds = (tooBig ? windowMs : s.retryAfterMs) / 1000;
  // A request over the whole limit never fits: the SDKs (openai, Anthropic's) would retry it
  // after the retry-after and fail again; `x-should-retry: false` tells them not to.
  const err = rateLimited(
    message,
    retryAfterSeconds,
    tooBig && !retryable ? { ...headers, ...NOT_RETRYABLE } : headers,
  );
  if (!retryable) return new RateLimitRefusal(err, tooBig ? undefined : s.retryAfterMs);
  return new GatewayError({
    status: 429,
    type: err.type,
    message: err.message,
    code: 'deployment_rate_limited',
    headers: err.headers,
    retryable: true,
  });
}

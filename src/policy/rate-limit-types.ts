// The rate limiter's contract (rate-limit.ts): the limits a request is checked against, what it
// asks for in the same round trip, and the ticket that says what it was charged.
import type { RouterConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { BucketSpec, PoolAccess, ReservationEntry } from '../store/shared-state.js';

export interface RateLimitSpec {
  rpm?: number;
  tpm?: number;
}

/** `tenant`: a tenant's own share of a router's limit, for its headers (CheckLimitsInput.tenantView). */
export type LimitScopeKind = 'key' | 'router' | 'deployment' | 'user' | 'tag' | 'tenant';

/** A limited tag a request carries, of its tenant: each tenant's requests have their own bucket. */
export interface TagLimit {
  tenant: string;
  tag: string;
  limit: RateLimitSpec;
}

export interface CheckLimitsInput {
  keyId?: string;
  /** The key's own limits (auth.keys[].rateLimit or a runtime key's). */
  keyLimit?: RateLimitSpec;
  router?: Pick<RouterConfig, 'name' | 'rateLimit'>;
  /**
   * The caller's tenant, when headers must show only its own use (`rateLimits.headers: tenant`):
   * the router's buckets are then charged to a bucket of the tenant's too, and the headers read
   * that one; the shared ones show only when they refuse (remaining 0, reset when this fits).
   */
  tenantView?: string;
  /** The end user the client named, of its tenant, and the limit each end user has. */
  endUser?: { tenant: string; name: string; limit: RateLimitSpec };
  /** The request's tags that have a limit (`rateLimits.tags`); each is charged. */
  tags?: readonly TagLimit[];
  /** Deployments to charge up front (a direct deployment call); routed calls charge per attempt. */
  deployments?: readonly Pick<DeploymentConfig, 'name' | 'rateLimit'>[];
  promptTokens: number;
  /** Counters (e.g. budgets) to read in the same round trip; values come back in the ticket. */
  readCounters?: readonly string[];
  /**
   * Reservation pools to read in the same round trip, and entries to make in them once the limits
   * admit the request (budget reservations, read before they are made); refund() releases them.
   */
  pools?: PoolAccess;
}

/** Token buckets a request was charged, so settle() can correct them with real usage. */
export interface TokenCharge {
  bucket: Omit<BucketSpec, 'cost'>;
  tokens: number;
}

export interface LimitTicket {
  /** x-ratelimit-* headers for the tightest bucket of each kind. */
  headers: Record<string, string>;
  charged: TokenCharge[];
  /** Request buckets it took one from, so refund() can give the request back too. */
  requests?: Omit<BucketSpec, 'cost'>[];
  /** Values of `readCounters`, in order. */
  counters: number[];
  /** Totals of `pools.read`, in order. */
  pools?: number[];
  /** The entries `pools.make` made, for the request's end (or refund()) to release. */
  reserved?: readonly ReservationEntry[];
}

/** A bucket a request is charged, with whose it is (scope and name) for the refusal's message. */
export interface NamedBucket {
  spec: BucketSpec;
  scope: LimitScopeKind;
  name: string;
  unit: 'requests' | 'tokens';
  /**
   * Every tenant's requests count in it (a router's or deployment's, under `rateLimits.headers:
   * tenant`): its level is never in the headers, nor in a refusal's message.
   */
  shared?: boolean;
}

/** Shared-state key of a bucket; settle() rebuilds deployment keys with it. */
export function bucketKey(
  scope: LimitScopeKind,
  name: string,
  unit: 'requests' | 'tokens',
): string {
  return `rl:${scope}:${name}:${unit === 'requests' ? 'rpm' : 'tpm'}`;
}

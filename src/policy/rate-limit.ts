// Rate limits at five levels: per API key, per router deployment (default 250 RPM / 250K TPM),
// per deployment, per end user (`rateLimits.endUser`, for the end users clients name) and per tag
// (`rateLimits.tags`). Requests and tokens are GCRA buckets in the SharedState, checked and charged
// atomically in one round trip. TPM charges the prompt's estimated tokens up front and is
// corrected with the upstream's usage afterwards (settle). Headers follow Azure/OpenAI:
// x-ratelimit-{limit,remaining,reset}-{requests,tokens}, plus retry-after on 429
// (rate-limit-headers.ts).
import type { RouterConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError, rateLimited } from '../core/errors.js';
import type {
  BucketSpec,
  BucketState,
  PoolAccess,
  ReservationEntry,
  SharedState,
} from '../store/shared-state.js';
import { gcraAvailable } from '../store/shared-state-gcra.js';
import { formatDuration, rateLimitHeaders } from './rate-limit-headers.js';
import { NOT_RETRYABLE, releaseOf } from './budget.js';

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

export interface RateLimitSpec {
  rpm?: number;
  tpm?: number;
}

export type LimitScopeKind = 'key' | 'router' | 'deployment' | 'user' | 'tag';

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

export interface RateLimiterOptions {
  state: SharedState;
  clock: Clock;
  /** Window of RPM/TPM limits; 60 s unless a test shrinks it. */
  windowMs?: number;
}

interface NamedBucket {
  spec: BucketSpec;
  scope: LimitScopeKind;
  name: string;
  unit: 'requests' | 'tokens';
}

export class RateLimiter {
  readonly windowMs: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Before routing: key, router (and direct deployment) limits. Throws 429 or returns headers. */
  async checkLimits(input: CheckLimitsInput): Promise<LimitTicket> {
    const buckets: NamedBucket[] = [];
    if (input.keyId && input.keyLimit)
      buckets.push(...this.bucketsFor('key', input.keyId, input.keyLimit, input.promptTokens));
    if (input.router?.rateLimit)
      buckets.push(
        ...this.bucketsFor('router', input.router.name, input.router.rateLimit, input.promptTokens),
      );
    if (input.endUser) {
      const { tenant, name, limit } = input.endUser;
      // Encoded, so no name can pose as another's; the refusal names the user and the tenant.
      const id = `${encodeURIComponent(tenant)}/${encodeURIComponent(name)}`;
      for (const b of this.bucketsFor('user', id, limit, input.promptTokens))
        buckets.push({ ...b, name: `end user ${name} (tenant ${tenant})` });
    }
    for (const { tenant, tag, limit } of input.tags ?? []) {
      // Encoded as end users are: tags hold `/` and `:`, so only encoding keeps them apart.
      const id = `${encodeURIComponent(tenant)}/${encodeURIComponent(tag)}`;
      for (const b of this.bucketsFor('tag', id, limit, input.promptTokens))
        buckets.push({ ...b, name: `tag ${tag} (tenant ${tenant})` });
    }
    for (const d of input.deployments ?? [])
      if (d.rateLimit)
        buckets.push(...this.bucketsFor('deployment', d.name, d.rateLimit, input.promptTokens));
    return this.take(buckets, false, input.readCounters ?? [], input.pools);
  }

  /** Charge one deployment for the attempt about to run; a refusal is retryable (failover). */
  async consumeDeployment(
    deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>,
    tokens: number,
  ): Promise<LimitTicket> {
    if (!deployment.rateLimit) return { headers: {}, charged: [], counters: [] };
    return this.take(
      this.bucketsFor('deployment', deployment.name, deployment.rateLimit, tokens),
      true,
      [],
    );
  }

  /**
   * Can this deployment take `tokens` now, judged from the last state seen (no round trip: the
   * state's peekTat; with Redis, another replica's use since is not in it).
   */
  hasHeadroom(deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>, tokens: number): boolean {
    const limit = deployment.rateLimit;
    if (!limit) return true;
    const now = this.options.clock.now();
    if (
      limit.rpm !== undefined &&
      this.available(bucketKey('deployment', deployment.name, 'requests'), limit.rpm, now) < 1
    )
      return false;
    if (
      limit.tpm !== undefined &&
      this.available(bucketKey('deployment', deployment.name, 'tokens'), limit.tpm, now) < tokens
    )
      return false;
    return true;
  }

  /**
   * When this deployment can take `tokens`, judged as hasHeadroom judges (the last state seen): 0
   * now, else the ms until its tightest bucket frees up; undefined when `tokens` is beyond its TPM.
   */
  headroomInMs(
    deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>,
    tokens: number,
  ): number | undefined {
    const limit = deployment.rateLimit;
    if (!limit) return 0;
    if (limit.tpm !== undefined && tokens > limit.tpm) return undefined;
    const now = this.options.clock.now();
    let ms = 0;
    if (limit.rpm !== undefined)
      ms = this.freeInMs(bucketKey('deployment', deployment.name, 'requests'), limit.rpm, 1, now);
    if (limit.tpm !== undefined)
      ms = Math.max(
        ms,
        this.freeInMs(bucketKey('deployment', deployment.name, 'tokens'), limit.tpm, tokens, now),
      );
    return ms;
  }

  /**
   * Azure's `x-ratelimit-*` headers of this deployment's limits as last seen (peekTat, as
   * hasHeadroom judges), for a refusal made on that view, which charged nothing: the same
   * headers as a refusal on the charge path carries. None without a limit.
   */
  headroomHeaders(
    deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>,
  ): Record<string, string> {
    const limit = deployment.rateLimit;
    if (!limit) return {};
    const now = this.options.clock.now();
    const buckets: { unit: 'requests' | 'tokens' }[] = [];
    const states: BucketState[] = [];
    for (const [unit, per] of [
      ['requests', limit.rpm],
      ['tokens', limit.tpm],
    ] as const) {
      if (per === undefined) continue;
      const key = bucketKey('deployment', deployment.name, unit);
      const tat = this.options.state.peekTat({ key, limit: per, windowMs: this.windowMs }, now);
      buckets.push({ unit });
      states.push({
        key,
        limit: per,
        ok: false,
        remaining: this.available(key, per, now),
        resetMs: Math.max(0, (tat ?? now) - now),
        retryAfterMs: 0,
      });
    }
    return rateLimitHeaders(buckets, states);
  }

  /** Correct token buckets once real usage is known: charge the extra, refund the surplus. */
  async settle(tickets: readonly LimitTicket[], actualTokens: number): Promise<void> {
    const now = this.options.clock.now();
    const work: Promise<void>[] = [];
    for (const ticket of tickets) {
      for (const c of ticket.charged) {
        const delta = actualTokens - c.tokens;
        if (delta === 0) continue;
        work.push(this.options.state.adjust(c.bucket, delta, now));
      }
    }
    await Promise.all(work);
  }

  /**
   * Correct a deployment's TPM bucket that consumeDeployment charged `charged` tokens for an
   * attempt, once the upstream reported `actualTokens` (chat attempts and semantic-cache lookups).
   */
  async settleDeployment(
    deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>,
    charged: number,
    actualTokens: number,
  ): Promise<void> {
    const tpm = deployment.rateLimit?.tpm;
    if (tpm === undefined) return;
    const bucket = {
      key: bucketKey('deployment', deployment.name, 'tokens'),
      limit: tpm,
      windowMs: this.windowMs,
    };
    await this.settle(
      [{ headers: {}, counters: [], charged: [{ bucket, tokens: charged }] }],
      actualTokens,
    );
  }

  /**
   * Give back what a ticket charged, its tokens and its request, and what it reserved (a request
   * refused later: by its budget, or by the shutdown drain that overtook a queue waiter's
   * re-check).
   */
  async refund(ticket: LimitTicket): Promise<void> {
    const now = this.options.clock.now();
    const reserved = ticket.reserved;
    ticket.reserved = undefined;
    await Promise.all([
      ...ticket.charged.map((c) => this.options.state.adjust(c.bucket, -c.tokens, now)),
      ...(ticket.requests ?? []).map((b) => this.options.state.adjust(b, -1, now)),
      ...(reserved?.length
        ? [this.options.state.changeReservations(releaseOf(reserved), now)]
        : []),
    ]);
  }

  private bucketsFor(
    scope: LimitScopeKind,
    name: string,
    limit: RateLimitSpec,
    tokens: number,
  ): NamedBucket[] {
    const out: NamedBucket[] = [];
    if (limit.rpm !== undefined)
      out.push({
        scope,
        name,
        unit: 'requests',
        spec: {
          key: bucketKey(scope, name, 'requests'),
          limit: limit.rpm,
          windowMs: this.windowMs,
          cost: 1,
        },
      });
    if (limit.tpm !== undefined)
      out.push({
        scope,
        name,
        unit: 'tokens',
        spec: {
          key: bucketKey(scope, name, 'tokens'),
          limit: limit.tpm,
          windowMs: this.windowMs,
          cost: tokens,
        },
      });
    return out;
  }

  private async take(
    buckets: NamedBucket[],
    retryable: boolean,
    readCounters: readonly string[],
    pools: PoolAccess = {},
  ): Promise<LimitTicket> {
    const make = pools.make ?? [];
    if (buckets.length === 0 && readCounters.length === 0 && !pools.read?.length && !make.length)
      return { headers: {}, charged: [], counters: [] };
    const now = this.options.clock.now();
    const result = await this.options.state.consume(
      buckets.map((b) => b.spec),
      now,
      readCounters,
      pools,
    );
    const headers = rateLimitHeaders(buckets, result.buckets);
    if (!result.ok) throw this.refusal(buckets, result.buckets, headers, retryable);
    return {
      headers,
      counters: result.counters,
      ...(pools.read?.length ? { pools: result.pools } : {}),
      ...(make.length > 0 ? { reserved: make } : {}),
      requests: buckets
        .filter((b) => b.unit === 'requests')
        .map((b) => ({ key: b.spec.key, limit: b.spec.limit, windowMs: b.spec.windowMs })),
      charged: buckets
        .filter((b) => b.unit === 'tokens')
        .map((b) => ({
          bucket: { key: b.spec.key, limit: b.spec.limit, windowMs: b.spec.windowMs },
          tokens: b.spec.cost,
        })),
    };
  }

  private refusal(
    buckets: NamedBucket[],
    states: BucketState[],
    headers: Record<string, string>,
    retryable: boolean,
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
        : b.scope === 'user' || b.scope === 'tag'
          ? b.name
          : `${b.scope} ${b.name}`;
    const message = tooBig
      ? `Request too large for ${scopeText} on ${what}: Limit ${s.limit}, Requested ${b.spec.cost}. Reduce the prompt or raise the limit.`
      : `Rate limit reached for ${scopeText} on ${what}: Limit ${s.limit}, Used ${used}, Requested ${b.spec.cost}. ` +
        `Please try again in ${formatDuration(s.retryAfterMs)}.`;
    const retryAfterSeconds = (tooBig ? this.windowMs : s.retryAfterMs) / 1000;
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

  /** GCRA: `units` fit once TAT + units × interval − window has passed (gcraStep's allowAt). */
  private freeInMs(key: string, limit: number, units: number, now: number): number {
    const tat = this.options.state.peekTat({ key, limit, windowMs: this.windowMs }, now);
    if (tat === undefined) return 0;
    const allowAt = tat + (units * this.windowMs) / limit - this.windowMs;
    return Math.max(0, Math.ceil(allowAt - now));
  }

  private available(key: string, limit: number, now: number): number {
    const bucket = { key, limit, windowMs: this.windowMs };
    const tat = this.options.state.peekTat(bucket, now);
    if (tat === undefined) return limit;
    return gcraAvailable(bucket, tat, now);
  }
}

/** Shared-state key of a bucket; settle() rebuilds deployment keys with it. */
export function bucketKey(
  scope: LimitScopeKind,
  name: string,
  unit: 'requests' | 'tokens',
): string {
  return `rl:${scope}:${name}:${unit === 'requests' ? 'rpm' : 'tpm'}`;
}

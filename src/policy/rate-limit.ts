// Rate limits at five levels: per API key, per router deployment (default 250 RPM / 250K TPM),
// per deployment, per end user (`rateLimits.endUser`, for the end users clients name) and per tag
// (`rateLimits.tags`). Requests and tokens are GCRA buckets in the SharedState, checked and charged
// atomically in one round trip. TPM charges the prompt's estimated tokens up front and is
// corrected with the upstream's usage afterwards (settle). Headers follow Azure/OpenAI:
// x-ratelimit-{limit,remaining,reset}-{requests,tokens}, plus retry-after on 429
// (rate-limit-headers.ts). The limiter's inputs and tickets are in rate-limit-types.ts, its 429s in
// rate-limit-refusal.ts.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import type { BucketSpec, BucketState, PoolAccess, SharedState } from '../store/shared-state.js';
import { gcraAvailable } from '../store/shared-state-gcra.js';
import { formatDuration, rateLimitHeaders } from './rate-limit-headers.js';
import { releaseOf } from './budget.js';
import { refusalOf } from './rate-limit-refusal.js';
import {
  bucketKey,
  type CheckLimitsInput,
  type LimitScopeKind,
  type LimitTicket,
  type NamedBucket,
  type RateLimitSpec,
} from './rate-limit-types.js';

export interface RateLimiterOptions {
  state: SharedState;
  clock: Clock;
  /** Window of RPM/TPM limits; 60 s unless a test shrinks it. */
  windowMs?: number;
}

export class RateLimiter {
  readonly windowMs: number;
  private readonly tenantShares = new Map<string, { id: string; name: string }>();

  constructor(private readonly options: RateLimiterOptions) {
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Before routing: key, router (and direct deployment) limits. Throws 429 or returns headers. */
  async checkLimits(input: CheckLimitsInput): Promise<LimitTicket> {
    const buckets: NamedBucket[] = [];
    if (input.keyId && input.keyLimit)
      buckets.push(...this.bucketsFor('key', input.keyId, input.keyLimit, input.promptTokens));
    const tenant = input.tenantView;
    const shared = tenant !== undefined;
    if (input.router?.rateLimit) {
      const { name, rateLimit } = input.router;
      buckets.push(...this.bucketsFor('router', name, rateLimit, input.promptTokens, { shared }));
      // The tenant's own use of the router's limit, charged as the router's bucket is (a subset of
      // its charges, so it refuses only what the router's refuses): what its headers say.
      if (shared) {
        const share = this.tenantShare(tenant, name);
        buckets.push(
          ...this.bucketsFor('tenant', share.id, rateLimit, input.promptTokens, {
            shownAs: share.name,
          }),
        );
      }
    }
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
        buckets.push(
          ...this.bucketsFor('deployment', d.name, d.rateLimit, input.promptTokens, { shared }),
        );
    return this.take(buckets, false, input.readCounters ?? [], input.pools);
  }

  /**
   * Charge one deployment for the attempt about to run; a refusal is retryable (failover). Its
   * refusal's headers show the deployment's level unless `shared` (rateLimits.headers: tenant).
   */
  async consumeDeployment(
    deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>,
    tokens: number,
    shared = false,
  ): Promise<LimitTicket> {
    if (!deployment.rateLimit) return { headers: {}, charged: [], counters: [] };
    return this.take(
      this.bucketsFor('deployment', deployment.name, deployment.rateLimit, tokens, { shared }),
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
   * headers as a refusal on the charge path carries. None without a limit. With `waitMs` (when
   * the request fits, under `rateLimits.headers: tenant`) they never show the deployment's level,
   * which every tenant's requests move: remaining 0 and that wait, for the units out of room.
   */
  headroomHeaders(
    deployment: Pick<DeploymentConfig, 'name' | 'rateLimit'>,
    waitMs?: number,
  ): Record<string, string> {
    const limit = deployment.rateLimit;
    if (!limit) return {};
    const now = this.options.clock.now();
    if (waitMs !== undefined)
      return this.sharedHeadroomHeaders(deployment.name, limit, waitMs, now);
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

  /**
   * headroomHeaders without the level: a unit out of room says remaining 0 and reset when this
   * request fits (`waitMs`, when it waits for one request's room, for requests); tokens are out of
   * room when requests alone do not explain the wait.
   */
  private sharedHeadroomHeaders(
    name: string,
    limit: RateLimitSpec,
    waitMs: number,
    now: number,
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    const requestsMs =
      limit.rpm === undefined
        ? 0
        : this.freeInMs(bucketKey('deployment', name, 'requests'), limit.rpm, 1, now);
    const out = (unit: 'requests' | 'tokens', per: number, ms: number) => {
      headers[`x-ratelimit-limit-${unit}`] = String(per);
      headers[`x-ratelimit-remaining-${unit}`] = '0';
      headers[`x-ratelimit-reset-${unit}`] = formatDuration(ms);
    };
    if (limit.rpm !== undefined && requestsMs > 0) out('requests', limit.rpm, requestsMs);
    if (limit.tpm !== undefined && requestsMs < waitMs) out('tokens', limit.tpm, waitMs);
    return headers;
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

  /**
   * A tenant's share of a router's limit: its bucket's name (encoded, so no pair can pose as
   * another) and how a refusal names it. Kept, as config names are few (cleared past 10,000).
   */
  private tenantShare(tenant: string, router: string): { id: string; name: string } {
    const key = `${tenant}\u0000${router}`;
    let share = this.tenantShares.get(key);
    if (!share) {
      if (this.tenantShares.size >= 10_000) this.tenantShares.clear();
      share = {
        id: `${encodeURIComponent(tenant)}/${encodeURIComponent(router)}`,
        name: `router ${router} (tenant ${tenant})`,
      };
      this.tenantShares.set(key, share);
    }
    return share;
  }

  /**
   * The buckets of `name`'s limit: `shared` ones (every tenant's requests count in them) never
   * show their level; `shownAs` names the bucket in a refusal where `name` is its key's.
   */
  private bucketsFor(
    scope: LimitScopeKind,
    name: string,
    limit: RateLimitSpec,
    tokens: number,
    opts: { shared?: boolean; shownAs?: string } = {},
  ): NamedBucket[] {
    const out: NamedBucket[] = [];
    const named = { scope, name: opts.shownAs ?? name, ...(opts.shared ? { shared: true } : {}) };
    if (limit.rpm !== undefined)
      out.push({
        ...named,
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
        ...named,
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
    if (!result.ok) {
      // Refused, nothing was charged: a bucket that would have taken its cost says its level
      // without it (the state reports it as after the charge).
      const states = result.buckets.map((s, i) => (s.ok ? uncharged(s, buckets[i]!.spec) : s));
      const headers = rateLimitHeaders(buckets, states);
      throw refusalOf(buckets, states, headers, retryable, this.windowMs);
    }
    const headers = rateLimitHeaders(buckets, result.buckets);
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

/** A bucket's state as after a charge of `spec.cost`, without it. */
function uncharged(s: BucketState, spec: BucketSpec): BucketState {
  return {
    ...s,
    remaining: Math.min(s.limit, s.remaining + spec.cost),
    resetMs: Math.max(0, s.resetMs - (spec.cost * spec.windowMs) / spec.limit),
  };
}

// Waiting for a deployment with rate-limit headroom (`rateLimits.queue`, `x-router-max-wait-ms`):
// when every deployment that could serve a request is out of headroom (its own rpm/tpm) or cooling
// down after an upstream 429, at planning or when called, a request that asked to wait sleeps
// until the soonest of them frees up, then plans and calls again, within what admission left of
// its wait. When a deployment frees up is known (the limiter's last TAT, the cool-down's end), so
// a waiter wakes then; it polls, backing off, only after an upstream 429 that gave no retry-after.
// Every round's attempts stay in the request's record, numbered with their round. Requests that
// did not ask to wait never come here.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { requestedOutputTokens } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { AttemptRecord, RequestRecord } from '../store/request-record.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { AdmitResult, GatewayPolicies, Waitable } from './gateway-types.js';

/**
 * How soon to look again when nothing says when a deployment frees up (a bare upstream 429):
 * twice as long each time, up to MAX_HEADROOM_POLL_MS, so a waiter never hammers an upstream.
 */
export const HEADROOM_POLL_MS = 250;
export const MAX_HEADROOM_POLL_MS = 4000;

/**
 * A 429 because every deployment that could serve is out of rate-limit headroom or cooling down
 * (`atCall`: refused when called, before the first byte): which ones, so a request that may wait
 * knows whom to wait for. Its envelope and headers are those of the error it copies.
 */
export class NoHeadroom extends GatewayError {
  constructor(
    refused: GatewayError,
    readonly deployments: readonly string[],
    readonly atCall: boolean,
  ) {
    super({
      status: refused.status,
      type: refused.type,
      code: refused.code,
      param: refused.param,
      message: refused.message,
      headers: refused.headers,
      retryable: refused.retryable,
      details: refused.details,
    });
  }
}

/** What tells when a deployment may be called again, and the clock the waits are read on. */
export interface HeadroomProbes {
  clock: Pick<Clock, 'perfNow'>;
  breakers: Pick<CircuitBreakers, 'state' | 'coolingLeftMs'>;
  policies?: Pick<GatewayPolicies, 'headroomInMs'>;
  deployments: ReadonlyMap<string, DeploymentConfig>;
  /** The tokens headroom is judged at: as eligibility judges it (prompt plus asked output). */
  tokens: number;
}

/** A chat request's probes: its snapshot's deployments, judged at its prompt and asked output. */
export function headroomProbes(
  deps: { clock: Clock; breakers: CircuitBreakers; policies?: GatewayPolicies },
  snapshot: RuntimeConfig,
  request: ChatRequest,
  promptTokens: number,
): HeadroomProbes {
  return {
    clock: deps.clock,
    breakers: deps.breakers,
    policies: deps.policies,
    deployments: snapshot.deployments,
    tokens: promptTokens + requestedOutputTokens(request),
  };
}

/**
 * The wait a NoHeadroom refusal calls for: until the soonest of its deployments may be called
 * again. Undefined for any other error, and when waiting frees none of them (an open circuit is
 * a 503's business; a request beyond a deployment's TPM never fits).
 */
export function headroomWait(
  err: unknown,
  probes: HeadroomProbes,
  pollMs = HEADROOM_POLL_MS,
): (Waitable & { polled: boolean }) | undefined {
  if (!(err instanceof NoHeadroom)) return undefined;
  let soonest: number | undefined;
  let polled = false;
  for (const name of err.deployments) {
    const d = probes.deployments.get(name);
    if (!d || probes.breakers.state(name) === 'open') continue;
    const limited = probes.policies?.headroomInMs
      ? probes.policies.headroomInMs(d, probes.tokens)
      : 0;
    if (limited === undefined) continue;
    let ms = Math.max(limited, probes.breakers.coolingLeftMs(name));
    // Refused when called, and nothing says until when (no retry-after): look again shortly.
    const guess = ms === 0 && err.atCall;
    if (guess) ms = pollMs;
    if (soonest === undefined || ms < soonest) {
      soonest = ms;
      polled = guess;
    }
  }
  return soonest === undefined ? undefined : { error: err, retryAfterMs: soonest, polled };
}

/**
 * For a request that may wait (`admitted.patience`): when `err` is a NoHeadroom that waiting can
 * cure, wait in the replica's queue, then `retry` (plan and call again: another deployment may
 * have headroom by then) while the wait lasts; the reply's `x-router-queued-ms` counts it. Any
 * other error, or a wait that does not fit, is thrown as it is. The calls add their attempts to
 * `record.attempts`: once routed again, each is numbered with its round (`round`, the first
 * after a wait with `waitedMs`), and `record.queuedMs` counts every wait, however it ended.
 */
export async function waitForHeadroom<T>(
  err: unknown,
  admitted: AdmitResult,
  probes: HeadroomProbes,
  retry: () => Promise<T>,
  record: Pick<RequestRecord, 'attempts' | 'queuedMs'>,
): Promise<T> {
  const patience = admitted.patience;
  let pollMs = HEADROOM_POLL_MS;
  const waitable = (e: unknown) => {
    const wait = headroomWait(e, probes, pollMs);
    if (wait?.polled) pollMs = Math.min(2 * pollMs, MAX_HEADROOM_POLL_MS);
    return wait;
  };
  const first = patience ? waitable(err) : undefined;
  if (!patience || !first) throw err;
  const rounds = new AttemptRounds(record.attempts, probes.clock);
  try {
    const value = await patience.wait(first, () => rounds.next(retry), waitable);
    (admitted.headers ??= {})['x-router-queued-ms'] = String(patience.queuedMs);
    return value;
  } finally {
    noteQueued(record, admitted);
  }
}

/** What the request has waited so far (admission's wait, then the rounds'), into its record. */
export function noteQueued(record: Pick<RequestRecord, 'queuedMs'>, admitted: AdmitResult): void {
  const ms = admitted.patience?.queuedMs;
  if (ms) record.queuedMs = ms;
}

/**
 * Numbers a request's attempts by round as it is routed again after each wait: round 1's once
 * there is a round 2 (a request that never retries keeps its attempts as they were), and the
 * first attempt after a wait with the ms waited since the last attempt (a round refused at
 * planning made none, so its wait goes to the next that did).
 */
class AttemptRounds {
  private round = 1;
  private endedAt: number;
  private waitedMs = 0;

  constructor(
    private readonly attempts: AttemptRecord[],
    private readonly clock: Pick<Clock, 'perfNow'>,
  ) {
    this.endedAt = clock.perfNow();
  }

  async next<T>(retry: () => Promise<T>): Promise<T> {
    if (this.round === 1) for (const a of this.attempts) a.round = 1;
    this.round++;
    this.waitedMs += this.clock.perfNow() - this.endedAt;
    const from = this.attempts.length;
    try {
      return await retry();
    } finally {
      this.endedAt = this.clock.perfNow();
      for (let i = from; i < this.attempts.length; i++) this.attempts[i]!.round = this.round;
      const firstMade = this.attempts[from];
      if (firstMade) {
        firstMade.waitedMs = Math.ceil(this.waitedMs);
        this.waitedMs = 0;
      }
    }
  }
}

// When a request is refused because no deployment can take it now (all out of rate-limit headroom,
// cooling down after an upstream 429, or behind open circuits), its `retry-after` says when the
// soonest of them frees up, as the key limits' does: the SDKs sleep for it, and a fixed 1 s (or
// 5 s against a circuit open for a minute) turned each refusal into a burst of useless retries.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { GatewayError } from '../core/errors.js';
import type { CandidateEligibility, EligibilityRule } from '../routing/eligibility.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { GatewayPolicies } from './gateway-types.js';

export interface FreeProbes {
  breakers: Pick<CircuitBreakers, 'coolingLeftMs' | 'openLeftMs'>;
  policies?: Pick<GatewayPolicies, 'headroomInMs' | 'headroomHeaders'>;
  deployments: ReadonlyMap<string, DeploymentConfig>;
  /** The tokens headroom is judged at (prompt plus asked output). */
  tokens: number;
}

const WAITS: ReadonlySet<EligibilityRule> = new Set(['rate_limit', 'cooling_down', 'circuit_open']);

/**
 * When `deployment`, excluded by `failed`, may take the request: the longest of its rules' waits
 * (ms; 0 when one has just passed), undefined when waiting will not do (another rule excluded it,
 * or the request is beyond its TPM).
 */
function freeInMs(deployment: string, failed: readonly EligibilityRule[], probes: FreeProbes) {
  if (failed.some((r) => !WAITS.has(r))) return undefined;
  let ms = 0;
  if (failed.includes('circuit_open')) ms = probes.breakers.openLeftMs(deployment);
  if (failed.includes('cooling_down')) ms = Math.max(ms, probes.breakers.coolingLeftMs(deployment));
  if (failed.includes('rate_limit')) {
    const d = probes.deployments.get(deployment);
    const limited =
      d && probes.policies?.headroomInMs ? probes.policies.headroomInMs(d, probes.tokens) : 0;
    if (limited === undefined) return undefined;
    ms = Math.max(ms, limited);
  }
  return ms;
}

/**
 * `err` (a 429 or 503 refusal for `checks`) with `retry-after` (seconds, at least 1) and
 * `retry-after-ms` set to when the soonest candidate frees up; as it was when none is known.
 */
export function retryWhenFree(
  err: GatewayError,
  checks: readonly CandidateEligibility[],
  probes: FreeProbes,
): GatewayError {
  // A spent budget says not to retry (x-should-retry: false); limits beside it do not change that.
  if ((err.status !== 429 && err.status !== 503) || err.code === 'budget_exceeded') return err;
  return retryWhenSoonestFree(err, checks, probes);
}

/**
 * `err` with `retry-after` and `retry-after-ms` set to when the soonest of `checks` (candidates
 * left out) frees up, whatever its status; as it was when none will by waiting.
 */
export function retryWhenSoonestFree(
  err: GatewayError,
  checks: readonly CandidateEligibility[],
  probes: FreeProbes,
): GatewayError {
  let soonest: { check: CandidateEligibility; ms: number } | undefined;
  for (const check of checks) {
    const ms = freeInMs(check.deployment, check.failed, probes);
    if (ms !== undefined && (!soonest || ms < soonest.ms)) soonest = { check, ms };
  }
  if (!soonest) return err;
  Object.assign(err.headers, retryHeaders(soonest.ms));
  // Its limits' x-ratelimit-* headers, as a refusal on the charge path has them (Azure sends
  // them on every 429; clients back off by x-ratelimit-reset-requests).
  const d = probes.deployments.get(soonest.check.deployment);
  if (d && soonest.check.failed.includes('rate_limit') && probes.policies?.headroomHeaders)
    Object.assign(err.headers, probes.policies.headroomHeaders(d, probes.tokens));
  return err;
}

/**
 * `retry-after` in whole seconds (at least 1) and `retry-after-ms` for a wait of `ms`. No wait
 * known (a half-open circuit's probe in flight: free as soon as it answers) is a second in both,
 * not `retry-after-ms: 0`, which clients such as the `openai` SDK read as "retry at once".
 */
export function retryHeaders(ms: number): Record<string, string> {
  const whole = ms > 0 ? Math.ceil(ms) : 1000;
  return {
    'retry-after': String(Math.max(1, Math.ceil(whole / 1000))),
    'retry-after-ms': String(whole),
  };
}

/**
 * `retry-after` (seconds, at least 1) and `retry-after-ms` for a 503 whose deployments are all
 * behind open circuits: when the soonest lets a probe through.
 */
export function retryWhenCircuitsOpen(
  breakers: Pick<CircuitBreakers, 'openLeftMs'>,
  deployments: readonly string[],
): Record<string, string> {
  const ms = Math.min(...deployments.map((d) => breakers.openLeftMs(d)));
  return Number.isFinite(ms) ? retryHeaders(ms) : { 'retry-after': '5' };
}

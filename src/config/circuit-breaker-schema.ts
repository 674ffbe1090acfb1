// The circuit breaker's settings in config: a global default (`circuitBreaker`) and a
// deployment's own override (`deployments[].circuitBreaker`), each key of which falls back to the
// global one. Read by the breakers (gateway/circuit-breaker.ts) on each decision, so a reload or an
// admin change (http/routes/settings-routes.ts, a deployment's own through admin-routes.ts)
// applies to the next decision; a circuit open already keeps the period it opened with.
import { z } from 'zod';
import type { ConfigHolder } from './runtime-config.js';

/** The settings every deployment has unless config says otherwise. */
export const DEFAULT_CIRCUIT_BREAKER = {
  failureThreshold: 5,
  windowMs: 30_000,
  openMs: 15_000,
} as const;

const failureThreshold = z
  .number()
  .int()
  .positive()
  .describe(
    "Failures (a retryable error: connection error, 408, 409, 429, 5xx, an upstream 401/403 (the router's credential refused), no first token in time; or a stream the upstream broke after its first byte: an error mid-stream, a stream closed before its end, no chunk for `streamIdleTimeoutMs`) within `windowMs` that open the circuit: routers and pools skip the deployment and direct calls get 503 `no_healthy_deployment`. 1 opens it on the first failure.",
  );
const windowMs = z
  .number()
  .int()
  .positive()
  .describe('How far back failures count towards `failureThreshold`, in milliseconds.');
const openMs = z
  .number()
  .int()
  .positive()
  .describe(
    'How long an open circuit stays open, in milliseconds; then it is half-open: one probe request at a time, whose success closes it and whose failure opens it again for as long.',
  );

export const circuitBreakerSchema = z
  .strictObject({
    failureThreshold: failureThreshold.default(DEFAULT_CIRCUIT_BREAKER.failureThreshold),
    windowMs: windowMs.default(DEFAULT_CIRCUIT_BREAKER.windowMs),
    openMs: openMs.default(DEFAULT_CIRCUIT_BREAKER.openMs),
  })
  .default({ ...DEFAULT_CIRCUIT_BREAKER })
  .describe(
    "Each deployment's circuit breaker, per replica (LiteLLM's `allowed_fails` and `cooldown_time`): `failureThreshold` failures within `windowMs` open it for `openMs`. A deployment may set its own (`deployments[].circuitBreaker`). A config reload, or a change through the admin API (`PUT`/`PATCH /admin/v1/settings/circuitBreaker`; a deployment's own with the deployment, `PATCH /admin/v1/deployments/{name}`) on any replica, applies from the next decision: failures are counted against the new threshold and window at once, and a circuit that opens after the reload stays open for the new `openMs`; one open already keeps the period it opened with.",
  );

export const deploymentCircuitBreakerSchema = z
  .strictObject({
    failureThreshold: failureThreshold.optional(),
    windowMs: windowMs.optional(),
    openMs: openMs.optional(),
  })
  .describe(
    "This deployment's own circuit breaker settings; a key left out is the global `circuitBreaker`'s (say, `failureThreshold: 2` for a flaky self-hosted server, or a longer `openMs` for one slow to recover).",
  );

export type CircuitBreakerConfig = z.infer<typeof circuitBreakerSchema>;
export type DeploymentCircuitBreakerConfig = z.infer<typeof deploymentCircuitBreakerSchema>;

/** A deployment's breaker settings: its own keys over the global ones (the global object itself when it sets none). */
export function breakerSettingsFor(
  global: CircuitBreakerConfig,
  own: DeploymentCircuitBreakerConfig | undefined,
): CircuitBreakerConfig {
  if (!own) return global;
  return {
    failureThreshold: own.failureThreshold ?? global.failureThreshold,
    windowMs: own.windowMs ?? global.windowMs,
    openMs: own.openMs ?? global.openMs,
  };
}

/**
 * Each deployment's settings as the live config says at the moment of asking, for the breakers
 * (a reload applies from their next decision); a config built without the key has the defaults.
 */
export function liveBreakerSettings(holder: ConfigHolder) {
  return (deployment: string): CircuitBreakerConfig => {
    const { config, deployments } = holder.current;
    return breakerSettingsFor(
      config.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER,
      deployments.get(deployment)?.circuitBreaker,
    );
  };
}

// The deployments' circuit breakers as the composition root (runtime.ts) builds them: settings
// read live from the config, each state change told to the metrics and the alerts, and an
// upstream's "wait N seconds" shared with every replica.
import type { Logger } from 'pino';
import { liveBreakerSettings } from './config/circuit-breaker-schema.js';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Clock } from './core/clock.js';
import { CircuitBreakers } from './gateway/circuit-breaker.js';
import { shareCoolDowns } from './gateway/shared-cool-downs.js';
import type { SharedState } from './store/shared-state.js';
import { circuitAlert, type Alerter } from './telemetry/alerts.js';
import type * as Metrics from './telemetry/metrics.js';

export interface BreakerParts {
  holder: ConfigHolder;
  clock: Clock;
  state: SharedState;
  /** This process's id among the replicas (its own cool-downs are not read back). */
  replica: string;
  logger: Logger;
  metrics: typeof Metrics | undefined;
  alerter: Alerter;
}

/** The breakers, listening for other replicas' cool-downs; `stopSharingCoolDowns` at close. */
export async function createBreakers({
  holder,
  clock,
  state,
  replica,
  logger,
  metrics,
  alerter,
}: BreakerParts): Promise<{
  breakers: CircuitBreakers;
  stopSharingCoolDowns: () => Promise<void>;
}> {
  // An upstream's "wait N seconds" reaches every replica (pub/sub; nothing on the request path).
  const coolDowns = shareCoolDowns(state, replica, (err) =>
    logger.warn({ err }, 'sharing a cool-down failed'),
  );
  // Each deployment's settings as the config says now (hot reload: see circuit-breaker.ts).
  const breakerSettings = liveBreakerSettings(holder);
  const breakers = new CircuitBreakers(
    clock,
    breakerSettings,
    (deployment, breakerState) => {
      metrics?.setCircuitState(deployment, breakerState);
      if (breakerState !== 'half-open')
        alerter.emit(circuitAlert(deployment, breakerState, breakerSettings(deployment)));
    },
    coolDowns.publish,
  );
  // A deployment taken out of the config leaves no circuit state series behind (a stale `open`
  // would keep an alert on the gauge firing for a deployment that is gone).
  holder.onChange((next, previous) => {
    for (const name of previous.deployments.keys())
      if (!next.deployments.has(name)) metrics?.forgetCircuitState(name);
  });
  const stopSharingCoolDowns = await coolDowns.start(breakers);
  return { breakers, stopSharingCoolDowns };
}

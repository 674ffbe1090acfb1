// Cool-downs shared between replicas: when an upstream answers 429 and says how long to wait, the
// replica that was told publishes it and every other one skips the deployment until then too,
// instead of each paying its own refused call first. Pub/sub, not a lookup: the request path reads
// only its local copy (no round trip per candidate), and a replica that misses a message (Redis
// down) just learns the wait from its own next 429, as it would alone.
import { isObject } from '../core/is-object.js';
import type { SharedState } from '../store/shared-state.js';
import type { CircuitBreakers } from './circuit-breaker.js';

const CHANNEL = 'cooldown';

export interface SharedCoolDowns {
  /** Tell the other replicas (the breakers' cool-down listener). */
  publish(deployment: string, until: number): void;
  /** Listen to the other replicas; returns the unsubscribe function. */
  start(breakers: CircuitBreakers): Promise<() => Promise<void>>;
}

/**
 * `replica`: this process's id, so it ignores its own messages. With in-memory state there is no
 * other replica, and nothing is published.
 */
export function shareCoolDowns(
  state: SharedState,
  replica: string,
  onError: (err: Error) => void,
): SharedCoolDowns {
  return {
    publish(deployment, until) {
      if (state.kind === 'memory') return;
      state
        .publish(CHANNEL, JSON.stringify({ deployment, until, replica }))
        .catch((err: Error) => onError(err));
    },
    async start(breakers) {
      if (state.kind === 'memory') return async () => {};
      return state.subscribe(CHANNEL, (message) => {
        let m: unknown;
        try {
          m = JSON.parse(message);
        } catch {
          return; // not ours: a message on the channel from something else
        }
        if (
          isObject(m) &&
          m.replica !== replica &&
          typeof m.deployment === 'string' &&
          typeof m.until === 'number'
        )
          breakers.coolUntil(m.deployment, m.until);
      });
    },
  };
}

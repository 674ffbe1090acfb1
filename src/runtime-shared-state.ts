// The shared state the composition root (runtime.ts) opens first: memory, or Redis behind the
// fail-open / fail-closed wrapper, with what happens to the connection said in the log.
import type { Logger } from 'pino';
import { redactUrlSecrets } from './auth/redaction.js';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { createSharedState, type SharedStateHandle } from './store/shared-state-factory.js';

/**
 * Opens the shared state `initial.state` asks for. `onCatchUp` runs when what was published while
 * this replica was cut off must be read again (Redis back, or its subscription connection).
 */
export function openSharedState(
  initial: Config,
  clock: Clock,
  logger: Logger,
  onCatchUp: () => void,
): Promise<SharedStateHandle> {
  return createSharedState(initial.state, {
    clock,
    prefix: initial.state.prefix,
    commandTimeoutMs: initial.state.commandTimeoutMs,
    onEvent: (e) => {
      // Which Redis, and the setting to check: ioredis's own message names no URL on a timeout.
      if (e.type === 'down')
        logger.error(
          `shared state: Redis at ${redactUrlSecrets(initial.state.redisUrl ?? '')} (state.redisUrl) is unreachable: ${e.error}`,
        );
      else if (e.type === 'resubscribed')
        logger.warn(
          'shared state: the subscription connection to Redis dropped and is back; reading the config versions and keys published meanwhile',
        );
      else logger.info(`shared state: ${e.type}`);
      // Config versions and key changes published while this replica was cut off never reached
      // it: after Redis itself was away, or only this replica's subscription connection.
      if (e.type === 'resynced' || e.type === 'resubscribed') onCatchUp();
    },
  });
}

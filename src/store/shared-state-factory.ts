// Builds the SharedState the config asks for: memory (default) or Redis behind the fail-open /
// fail-closed wrapper. Waits briefly for Redis at start-up; if it is not there yet the router
// still starts (serving locally, or refusing when fail-closed) and switches over when it connects.
import type { Config } from '../config/schema.js';
import { MemoryState } from './memory/memory-state.js';
import { ResilientState } from './redis/resilient-state.js';
import type { SharedState, SharedStateOptions, StateStatus } from './shared-state.js';

export interface SharedStateHandle {
  state: SharedState;
  /** Where operations are served from and how many fell back or were refused. */
  status(): StateStatus;
}

export interface CreateSharedStateOptions extends SharedStateOptions {
  /** Key and channel prefix in Redis (default `mr:`). */
  prefix?: string;
  commandTimeoutMs?: number;
  /** How long start-up waits for Redis before carrying on without it. */
  startupWaitMs?: number;
}

export async function createSharedState(
  stateConfig: Config['state'],
  options: CreateSharedStateOptions,
): Promise<SharedStateHandle> {
  if (stateConfig.kind === 'memory') {
    const state = new MemoryState(options.clock);
    return {
      state,
      status: () => ({
        kind: 'memory',
        serving: 'local',
        replicas: 1,
        fallbackOps: 0,
        refusedOps: 0,
        outages: 0,
      }),
    };
  }
  if (!stateConfig.redisUrl)
    throw new Error('state.redisUrl is required when state.kind is "redis"');
  // The Redis client (≈10 MB resident) loads only when the config asks for Redis.
  const { RedisState } = await import('./redis/redis-state.js');
  const redis = new RedisState({
    url: stateConfig.redisUrl,
    prefix: options.prefix,
    commandTimeoutMs: options.commandTimeoutMs,
    onResubscribed: () => options.onEvent?.({ type: 'resubscribed' }),
  });
  const state = new ResilientState(redis, stateConfig.onFailure, options);
  try {
    await redis.waitUntilReady(options.startupWaitMs ?? 2000);
  } catch (err) {
    state.startedDown();
    options.onEvent?.({ type: 'down', error: err instanceof Error ? err.message : String(err) });
  }
  return { state, status: () => state.status() };
}

// Session affinity shared between replicas (`state.kind: redis`): a follow-up turn that the load
// balancer sends to another replica still finds the deployment that served the conversation (and
// its warm prompt cache). Each turn served is appended to a capped Redis stream
// (`<prefix>affinity`, about as long as a replica remembers sessions, alive an hour after the
// last turn) that every replica tails into its own in-process store, so `lookup` stays
// synchronous and local. A replica started late reads the stream first; one cut off from Redis
// remembers its own turns and learns the rest again when Redis answers.
import { ResilientState } from '../store/redis/resilient-state.js';
import { tailStream, type StreamTail, type StreamTailLog } from '../store/redis/stream-tail.js';
import type { SharedState } from '../store/shared-state.js';
import {
  AFFINITY_CAPACITY,
  AFFINITY_TTL_MS,
  createMemoryAffinityStore,
  type AffinityStore,
} from './session-affinity.js';

const STREAM = 'affinity';

export interface SharedAffinityStore extends AffinityStore {
  /** Resolves once the sessions in Redis at start are known (immediately in memory). */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

/**
 * The affinity store for `state`: in process only with in-memory state, otherwise also shared.
 * `replica` is this process's id (it skips its own turns, already remembered).
 */
export function createSharedAffinityStore(
  state: SharedState,
  replica: string,
  log: StreamTailLog,
  now = () => Date.now(),
): SharedAffinityStore {
  const local = createMemoryAffinityStore(AFFINITY_CAPACITY, AFFINITY_TTL_MS, now);
  if (!(state instanceof ResilientState))
    return { ...local, caughtUp: Promise.resolve(), close: async () => {} };
  const redis = state.redis;
  const tail: StreamTail = tailStream(
    redis,
    STREAM,
    (entries) => {
      const at0 = now();
      for (const fields of entries) {
        if (fields.get('r')?.toString() === replica) continue;
        const session = fields.get('s')?.toString();
        const deployment = fields.get('d')?.toString();
        const at = Number(fields.get('t')?.toString());
        if (!session || !deployment || !Number.isFinite(at) || at0 - at > AFFINITY_TTL_MS) continue;
        local.rememberAt(session, deployment, at);
      }
    },
    log,
    'session affinity',
  );
  return {
    lookup: local.lookup,
    remember(session, deployment) {
      local.remember(session, deployment);
      if (!redis.ready) return; // the others do without this turn; the tail logs the outage
      const fields = ['r', replica, 's', session, 'd', deployment, 't', String(now())];
      redis.appendCapped(STREAM, AFFINITY_CAPACITY, AFFINITY_TTL_MS, fields).catch(() => undefined);
    },
    caughtUp: tail.caughtUp,
    close: () => tail.stop(),
  };
}

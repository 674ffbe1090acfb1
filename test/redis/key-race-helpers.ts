// The key-race suites' replicas (key-write-back-race, key-issue-race, key-reissue-write-back): a
// key store on Redis that the test reloads itself, and what the suites read back after their
// steps: the key records Redis holds, and which secrets each replica lets in.
import { Redis } from 'ioredis';
import type { ApiKeyConfig } from '../../src/config/schema.js';
import { KeyStore } from '../../src/auth/key-store.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { REDIS_URL, type RedisSuite } from './redis-helpers.js';

/**
 * A replica's key store under `prefix` (on `url`, the shared Redis or a suite's proxy), closed
 * after the test. Not subscribed to change messages: the test reloads each replica itself, so
 * none writes back at a moment the test did not choose (a reload a message set off could write
 * back before the test holds its writes). `lockRefused` resolves the first time another
 * replica's lock keeps it waiting; `warnings` collects what it logs.
 */
export async function keyReplica(
  suite: RedisSuite,
  prefix: string,
  options: {
    url?: string;
    clock?: Clock;
    configKeys?: ApiKeyConfig[];
    /** Long enough for a command held at a proxy to wait for its release. */
    commandTimeoutMs?: number;
  } = {},
) {
  const url = options.url ?? REDIS_URL;
  const state = new RedisState({ url, prefix, commandTimeoutMs: options.commandTimeoutMs ?? 5000 });
  await state.waitUntilReady(5000);
  suite.cleanup(() => state.close());
  let refused!: () => void;
  const lockRefused = new Promise<void>((resolve) => (refused = resolve));
  const tryLock = state.tryLock.bind(state);
  state.tryLock = async (...args) => {
    const taken = await tryLock(...args);
    if (!taken) refused();
    return taken;
  };
  const warnings: string[] = [];
  const keys = new KeyStore({
    state,
    clock: options.clock ?? systemClock,
    configKeys: () => options.configKeys ?? [],
    warn: (m) => warnings.push(m),
  });
  await keys.refresh();
  return { keys, state, warnings, lockRefused };
}

/** The key records Redis holds under `prefix`. */
export async function storedKeys(prefix: string): Promise<Record<string, string>> {
  const client = new Redis(REDIS_URL);
  try {
    return await client.hgetall(`${prefix}auth:keys`);
  } finally {
    client.disconnect();
  }
}

/** Which of `secrets` each replica lets in (key id, or null), once each read the store again. */
export async function admitted(replicas: KeyStore[], secrets: string[]) {
  for (const r of replicas) await r.refresh();
  return replicas.map((r) => secrets.map((s) => r.findByKey(s)?.id ?? null));
}

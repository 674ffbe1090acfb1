// What the key-race suites (key-write-back-race, key-issue-race) read back after their replicas'
// steps: the key records Redis holds, and which secrets each replica lets in.
import { Redis } from 'ioredis';
import type { KeyStore } from '../../src/auth/key-store.js';
import { REDIS_URL } from './redis-helpers.js';

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

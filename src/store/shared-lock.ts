// One step at a time across replicas: a SharedState lock (Redis `SET NX PX`, or memory's) taken
// for a step and released after it, waited for while another replica holds it. The lock lapses
// after its TTL, so a replica that dies holding it blocks the others no longer than that.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedState } from './shared-state.js';

export interface SharedLockOptions {
  /** How long the lock holds without its holder (the step must end well before). */
  ttlMs: number;
  /** How often a waiting replica tries again. */
  pollMs: number;
  /** How long to wait for it before giving up with `busy`'s error. */
  waitMs: number;
  /** The error to throw when the lock was still held after `waitMs`. */
  busy: () => Error;
}

/** Runs `step` holding `key`; waits for the lock while another holds it (up to `waitMs`). */
export async function whileLocked<T>(
  state: SharedState,
  key: string,
  options: SharedLockOptions,
  step: () => Promise<T>,
): Promise<T> {
  const holder = randomBytes(9).toString('hex');
  const attempts = Math.ceil(options.waitMs / options.pollMs);
  for (let i = 0; !(await state.tryLock(key, holder, options.ttlMs)); i++) {
    if (i >= attempts) throw options.busy();
    await sleep(options.pollMs);
  }
  try {
    return await step();
  } finally {
    await state.unlock(key, holder).catch(() => {});
  }
}

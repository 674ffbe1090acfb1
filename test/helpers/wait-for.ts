// vi.waitFor with the suite's patience. Vitest gives vi.waitFor 1 s and no config setting for it;
// on a loaded two-core CI machine an event a test waits for (a record written in the background, a
// socket closed, a pub/sub message) can take longer than that. The timeout only bounds how long a
// failure takes to show: a wait that passes returns as soon as its check does.
import { vi } from 'vitest';

/** As vitest.config's `expect.poll` timeout, so both kinds of wait give up alike. */
export const WAIT_TIMEOUT_MS = 10_000;

type WaitForOptions = { timeout?: number; interval?: number };

/**
 * Retries `check` (every 50 ms unless `interval` says otherwise) until it neither throws nor
 * rejects, and resolves to its result; rejects with its last error after `timeout` ms (10 s).
 */
export function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions = {}): Promise<T> {
  // eslint-disable-next-line no-restricted-properties -- the one place that calls it
  return vi.waitFor(check, { timeout: WAIT_TIMEOUT_MS, ...options });
}

// A command called wrongly (a bad option value, a missing operand): main.ts prints its message as
// one line and exits 2, as for an unknown option; a failure while running exits 1. Scripts that
// tell the two apart (a scheduled report, a chargeback job) can rely on it.
export class UsageError extends Error {}

/** `read()`, with any Error it throws (a value it could not read) made a UsageError. */
export function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof Error ? new UsageError(err.message) : err;
  }
}

// A warning a poll loop would repeat every second while its store is down (7,200 lines an hour a
// replica while PostgreSQL was): said when it starts or changes, then once a minute with how many
// times it came meanwhile, and once more when the poll succeeds again.

/** How often a warning that keeps coming is said again. */
export const REPEAT_EVERY_MS = 60_000;

export interface RepeatedWarning {
  /** The poll failed with `message`. */
  failed(message: string): void;
  /** The poll worked: if it had been failing, say it recovered. */
  ok(): void;
}

export function repeatedWarning(
  warn: (message: string) => void,
  what: string,
  now: () => number = Date.now,
): RepeatedWarning {
  let last: string | undefined;
  let saidAt = 0;
  let since = 0;
  return {
    failed(message) {
      const t = now();
      if (message === last && t - saidAt < REPEAT_EVERY_MS) {
        since++;
        return;
      }
      warn(
        message === last
          ? `${what}: ${message} (${since + 1} times in the last ${Math.round((t - saidAt) / 1000)} s)`
          : `${what}: ${message}`,
      );
      last = message;
      saidAt = t;
      since = 0;
    },
    ok() {
      if (last === undefined) return;
      warn(`${what}: working again`);
      last = undefined;
      since = 0;
    },
  };
}

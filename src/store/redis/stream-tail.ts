// Tails a capped Redis stream into something a replica keeps in process (the semantic cache's
// index, session affinity), so replicas learn from each other with nothing on the request path
// waiting for Redis: writers append (RedisState.appendCapped, fire and forget) and each replica
// reads on a connection of its own with a blocking XREAD. Reading starts at the stream's first
// entry, so a replica that starts late starts warm. One cut off from Redis logs once, keeps
// serving from what it has, and when Redis answers again reads on from the last entry it saw
// (entries trimmed or lost meanwhile are simply not learnt).
import type { Redis } from 'ioredis';
import type { RedisState } from './redis-state.js';

/** One entry's fields by name; values as Redis holds them (binary-safe). */
export type StreamFields = ReadonlyMap<string, Buffer>;

export interface StreamTailLog {
  warn(message: string): void;
  info(message: string): void;
}

export interface StreamTail {
  /** Resolves once the entries there at the start were read, or the first read failed. */
  readonly caughtUp: Promise<void>;
  /** Reads the stream from its first entry again (for a consumer that dropped its copy). */
  rewind(): void;
  stop(): Promise<void>;
}

/** Entries per read: a late replica loads 10,000 entries in 20 round trips. */
const BATCH = 500;
/** How long one read waits for a new entry before asking again. */
const BLOCK_MS = 5_000;
/** Pause before reading again after a failure (the connection reconnects by itself). */
const RETRY_MS = 1_000;

/**
 * Reads `key` (without the state's prefix) from its start, then follows it, handing each batch
 * of entries to `onEntries` in stream order. `label` names the consumer in the two log lines.
 */
export function tailStream(
  redis: RedisState,
  key: string,
  onEntries: (entries: StreamFields[]) => void,
  log: StreamTailLog,
  label: string,
): StreamTail {
  // Blocking reads get their own connection: on the shared one they would hold up every command
  // behind them. Its timeout outlasts the block, so only a hung connection trips it.
  const conn: Redis = redis.client.duplicate({
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    commandTimeout: BLOCK_MS + 5_000,
  });
  conn.on('error', () => {}); // failures surface through the reads
  const fullKey = redis.prefix + key;
  let lastId = '0-0';
  let block = false;
  let rewindAsked = false;
  let stopped = false;
  let failing = false;
  let markCaughtUp = () => {};
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let wake = () => {};

  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RETRY_MS);
      wake = () => (clearTimeout(timer), resolve());
    });

  const run = async () => {
    while (!stopped) {
      try {
        // Catching up (a full batch last time, or a first read) asks without BLOCK: a blocking
        // XREAD answered from entries already there took ≈7× as long for 10,000 vectors.
        const reply = await (block
          ? conn.xreadBuffer('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', fullKey, lastId)
          : conn.xreadBuffer('COUNT', BATCH, 'STREAMS', fullKey, lastId));
        if (failing) {
          failing = false;
          log.info(`${label}: Redis answers again; reading on from the last entry seen`);
        }
        const items = reply?.[0]?.[1] ?? [];
        if (items.length) {
          lastId = items[items.length - 1]![0].toString();
          onEntries(items.map(([, fields]) => toFields(fields)));
        }
        block = items.length < BATCH;
        if (rewindAsked) {
          rewindAsked = false;
          lastId = '0-0';
          block = false;
        } else if (block) markCaughtUp();
      } catch (err) {
        if (stopped) return;
        if (!failing) {
          failing = true;
          const reason = err instanceof Error ? err.message : String(err);
          log.warn(
            `${label}: not learning from other replicas while Redis is unreachable (${reason}); requests are served from what this replica has`,
          );
        }
        // Start-up does not wait on a Redis that is not there.
        markCaughtUp();
        block = false;
        await pause();
      }
    }
  };
  const running = run();

  return {
    caughtUp,
    rewind() {
      rewindAsked = true;
    },
    async stop() {
      stopped = true;
      wake();
      markCaughtUp();
      conn.disconnect();
      await running;
    },
  };
}

/** [name, value, name, value, …] as a map. */
function toFields(flat: Buffer[]): StreamFields {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!.toString(), flat[i + 1]!);
  return fields;
}

// The semantic cache's index shared between replicas (`state.kind: redis`): each vector a replica
// keeps is appended to one capped Redis stream (`<prefix>semantic:index`, about `maxEntries`
// long, alive as long as the longest-lived answer in it), and every replica tails that stream
// into its own in-process index (../store/redis/stream-tail.ts). Lookups stay in process; a
// replica started late reads the stream first and starts warm. An entry carries its partition
// (tenant, key subset, model or router, mode, data zone, regions, the rest of the body: see
// ./semantic-request.ts) and the answer's exact key and expiry, so a shared entry serves exactly
// where a local one would, and no longer than its answer lives. Vectors travel as raw float32.
// Clearing the answer cache (DELETE /admin/v1/cache) empties the stream and leaves one entry, a
// clear mark, in its place: every replica that reads it drops its index, and one that starts
// afterwards reads none of the cleared entries.
import { endianness } from 'node:os';
import { ResilientState } from '../store/redis/resilient-state.js';
import type { RedisState } from '../store/redis/redis-state.js';
import {
  tailStream,
  type StreamFields,
  type StreamTail,
  type StreamTailLog,
} from '../store/redis/stream-tail.js';
import type { SharedState } from '../store/shared-state.js';

const STREAM = 'semantic:index';
/** The field of a clear mark (its value: the replica that cleared). */
const CLEARED = 'cleared';
const LITTLE_ENDIAN = endianness() === 'LE';

/** One index entry as replicas exchange it. */
export interface SharedIndexEntry {
  partition: string;
  /** The answer-cache key of the kept answer. */
  key: string;
  /** A unit vector. */
  vector: Float32Array;
  /** Epoch ms when the answer leaves the answer cache. */
  expiresAt: number;
}

export interface SemanticIndexFeed {
  /** Tells the other replicas of an entry this one kept (fire and forget; never throws). */
  publish(entry: SharedIndexEntry, maxEntries: number, now: number): void;
  /**
   * Hands every other replica's entry to `learn`: first those in Redis now, then new ones; and
   * calls `forget` where any replica cleared the index (this one included).
   */
  follow(learn: (entry: SharedIndexEntry) => void, forget: () => void): StreamTail;
  /**
   * Clears the shared index: the stream's entries go and every replica forgets its own (alive
   * `ttlMs` for a replica cut off from Redis now). Throws when Redis does not answer.
   */
  clear(ttlMs: number): Promise<void>;
  /** Stops following. */
  close(): Promise<void>;
}

/**
 * The feed over `state`'s Redis, or undefined with in-memory state (one replica, nothing to
 * share). `replica` is this process's id: it skips its own entries, already in its index.
 */
export function shareSemanticIndex(
  state: SharedState,
  replica: string,
  log: StreamTailLog,
): SemanticIndexFeed | undefined {
  if (!(state instanceof ResilientState)) return undefined;
  const redis: RedisState = state.redis;
  const tails: StreamTail[] = [];
  return {
    publish(entry, maxEntries, now) {
      // Down: this replica keeps its entry; the others do without it (the tail logs the outage).
      if (!redis.ready) return;
      const fields = [
        'r',
        replica,
        'p',
        entry.partition,
        'k',
        entry.key,
        'e',
        String(entry.expiresAt),
        'v',
        encodeVector(entry.vector),
      ];
      // Sent after the answer's SET on the same connection, so Redis has the answer before any
      // replica can read the entry.
      redis.appendCapped(STREAM, maxEntries, entry.expiresAt - now, fields).catch(() => undefined);
    },
    follow(learn, forget) {
      const tail = tailStream(
        redis,
        STREAM,
        (entries) => {
          for (const fields of entries) {
            if (fields.has(CLEARED)) {
              forget();
              continue;
            }
            if (fields.get('r')?.toString() === replica) continue;
            const entry = decodeEntry(fields);
            if (entry) learn(entry);
          }
        },
        log,
        'semantic cache index',
      );
      tails.push(tail);
      return tail;
    },
    async clear(ttlMs) {
      await redis.restartStream(STREAM, ttlMs, [CLEARED, replica]);
    },
    async close() {
      await Promise.all(tails.map((t) => t.stop()));
    },
  };
}

/** The vector's float32s, little-endian (a view, not a copy, on little-endian machines). */
export function encodeVector(vector: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  const out = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i]!, i * 4);
  return out;
}

/** A fresh Float32Array from little-endian float32 bytes; undefined unless a whole number of them. */
export function decodeVector(bytes: Buffer): Float32Array | undefined {
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** An entry read back, or undefined for one that is not ours or not whole. */
export function decodeEntry(fields: StreamFields): SharedIndexEntry | undefined {
  const partition = fields.get('p')?.toString();
  const key = fields.get('k')?.toString();
  const expiresAt = Number(fields.get('e')?.toString());
  const bytes = fields.get('v');
  const vector = bytes && decodeVector(bytes);
  if (!partition || !key || !Number.isFinite(expiresAt) || !vector) return undefined;
  return { partition, key, vector, expiresAt };
}

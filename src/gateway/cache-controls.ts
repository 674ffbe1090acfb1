// What a request lets the answer cache do (`Cache-Control`, the key's opt-out), how a kept entry
// is read back, and whether it is still young enough to serve: shared by chat answers and vectors.
import { isObject } from '../core/is-object.js';
import type { ChatCall } from './gateway-types.js';
import { headerValue } from './request-target.js';

/** One request's directives: read from the cache, keep in it, and the oldest entry it takes. */
export interface CacheControls {
  /** False with `Cache-Control: no-cache` or `no-store`. */
  read: boolean;
  /** False with `Cache-Control: no-store`. */
  write: boolean;
  /** `Cache-Control: max-age=N`: the oldest answer the client takes, in seconds. */
  maxAgeSeconds?: number;
}

/** `Cache-Control` request directives the cache honours: no-store, no-cache, max-age. */
export function cacheControls(header: string | undefined): CacheControls {
  let read = true;
  let write = true;
  let maxAgeSeconds: number | undefined;
  for (const part of (header ?? '').split(',')) {
    const [name = '', value] = part.trim().toLowerCase().split('=');
    if (name === 'no-store') read = write = false;
    else if (name === 'no-cache') read = false;
    else if (name === 'max-age' && value !== undefined && /^\d+$/.test(value))
      maxAgeSeconds = Number(value);
  }
  return { read, write, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
}

/** The request's directives; a key that opted out is neither served nor kept, as with no-store. */
export function requestCacheControls(call: Pick<ChatCall, 'auth' | 'headers'>): CacheControls {
  return call.auth.noCache
    ? { read: false, write: false }
    : cacheControls(headerValue(call as ChatCall, 'cache-control'));
}

/** The age in seconds of an entry stored at `storedAt`, if it may still serve; else undefined. */
export function freshAge(
  plan: Pick<CacheControls, 'maxAgeSeconds'> & { ttlMs: number },
  storedAt: number,
  now: number,
): number | undefined {
  const ageMs = now - storedAt;
  // The store expires entries itself; this also holds when the TTL was shortened since.
  if (ageMs >= plan.ttlMs) return undefined;
  const ageSeconds = Math.max(0, Math.floor(ageMs / 1000));
  if (plan.maxAgeSeconds !== undefined && ageSeconds > plan.maxAgeSeconds) return undefined;
  return ageSeconds;
}

/** A stored entry read back loosely: not JSON, or not what `isShaped` expects, is a miss. */
export function parseEntry<T>(
  text: string | undefined,
  isShaped: (v: Record<string, unknown>) => boolean,
): T | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v) && isShaped(v)) return v as unknown as T;
  } catch {
    // not JSON: a miss
  }
  return undefined;
}

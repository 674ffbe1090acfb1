import { randomBytes } from 'node:crypto';

// Random ids in OpenAI's style (`chatcmpl-…`, `resp_…`). Buffered so the hot path does not hit
// the crypto module for every id; kept as base64url text, so an id is a slice of a string: an id
// that encoded its bytes (`Buffer#toString`, a call into C++) cost ≈20 µs when the request's code
// had gone cold between requests, ≈5 µs as a slice (2026-12-07, docs/benchmarks.md).
const POOL_BYTES = 3072; // a multiple of 3: its base64url text has no padding (4,096 characters)
let text = '';
let at = 0;
let pool = Buffer.alloc(0);
let offset = 0;

function nextBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomBytes(Math.max(4096, n)); // at least n: an id of more bytes was cut to 4,096
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

/**
 * `prefix` and `bytes` random bytes in base64url. Every 3 bytes are 4 characters of their own, so
 * for a multiple of 3 (every id the router makes) the id is the next aligned piece of the pool's
 * text, the same as encoding those bytes alone.
 */
export function newId(prefix: string, bytes = 12): string {
  if (bytes % 3 !== 0 || prefix === '') return prefix + nextBytes(bytes).toString('base64url');
  const chars = (bytes / 3) * 4;
  if (at + chars > text.length) {
    text = randomBytes(Math.max(POOL_BYTES, bytes)).toString('base64url');
    at = 0;
  }
  const id = prefix + text.slice(at, at + chars);
  at += chars;
  // A slice refers to the pool's whole text (V8) and the prefix joined to it is a pair of the
  // two; reading a character makes the pair one string of its own, so an id kept for long (a
  // stored completion's) does not keep 4 KB of pool alive.
  id.charCodeAt(0);
  return id;
}

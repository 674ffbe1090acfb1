import { randomBytes } from 'node:crypto';

// Random ids in OpenAI's style (`chatcmpl-…`, `resp_…`). Buffered so the hot path does not hit
// the crypto module for every id.
let pool = Buffer.alloc(0);
let offset = 0;

function nextBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

export function newId(prefix: string, bytes = 12): string {
  return prefix + nextBytes(bytes).toString('base64url');
}

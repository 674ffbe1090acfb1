import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

describe('newId', () => {
  it('is the prefix and `bytes` random bytes in base64url, for every size the router uses', () => {
    for (const bytes of [12, 6, 9, 24, 4, 1, 3000, 5000]) {
      const id = newId('req_', bytes);
      expect(id.startsWith('req_'), id).toBe(true);
      const rest = id.slice('req_'.length);
      expect(rest).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(rest, 'base64url')).toHaveLength(bytes);
      expect(Buffer.from(rest, 'base64url').toString('base64url')).toBe(rest);
    }
    expect(newId('chatcmpl-')).toHaveLength('chatcmpl-'.length + 16);
    expect(newId('', 6)).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });

  it('does not repeat across many pools (aligned pieces, none given twice)', () => {
    const seen = new Set<string>();
    // 12 bytes an id: about 30 pools of random text; sizes mixed so pieces start anywhere.
    for (let i = 0; i < 8000; i++) seen.add(newId('x', i % 5 === 0 ? 9 : 12));
    expect(seen.size).toBe(8000);
    const lengths = new Set([...seen].map((id) => id.length));
    expect([...lengths].sort()).toEqual([13, 17]);
  });
});

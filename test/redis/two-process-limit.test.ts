// Two separate Node processes, each with its own Redis connection, hammer one router limit at the
// same time. The combined admitted count must stay within 2% of the limit (atomic Lua GCRA).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REDIS_URL, redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('two-proc');
const script = fileURLToPath(new URL('./hammer-limit.mjs', import.meta.url));

interface Child {
  ready: Promise<void>;
  result: Promise<{ admitted: number; refused: number; errors: number }>;
  go(): void;
}

function startChild(limit: number, attempts: number, windowMs: number): Child {
  const child = spawn(
    process.execPath,
    [script, REDIS_URL, prefix, String(limit), String(attempts), String(windowMs)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  const ready = iterator.next().then((l) => {
    if (l.value !== 'ready') throw new Error(`child said ${String(l.value)}`);
  });
  const result = ready.then(async () => {
    const l = await iterator.next();
    return JSON.parse(String(l.value)) as { admitted: number; refused: number; errors: number };
  });
  return { ready, result, go: () => child.stdin!.write('go\n') };
}

describe.skipIf(!suite.available)('rate limit across two processes (real Redis)', () => {
  it('keeps the combined admitted count within 2% of the limit', async () => {
    const limit = 2000;
    // A one-hour window: refill during the run (≈0.6 requests/s) cannot blur the count.
    const [p1, p2] = [startChild(limit, 3000, 3_600_000), startChild(limit, 3000, 3_600_000)];
    await Promise.all([p1.ready, p2.ready]);
    p1.go();
    p2.go();
    const [r1, r2] = await Promise.all([p1.result, p2.result]);
    const combined = r1.admitted + r2.admitted;
    console.log(
      `two-process limit: limit ${limit}, admitted ${r1.admitted} + ${r2.admitted} = ${combined}`,
    );
    expect(r1.errors + r2.errors).toBe(0);
    expect(r1.admitted + r1.refused).toBe(3000);
    // Both processes really competed for the same bucket.
    expect(r1.admitted).toBeGreaterThan(0);
    expect(r2.admitted).toBeGreaterThan(0);
    expect(Math.abs(combined - limit)).toBeLessThanOrEqual(limit * 0.02);
    expect(combined).toBeGreaterThanOrEqual(limit);
  });
});

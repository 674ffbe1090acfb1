// Child process for the two-process limit test: its own Redis connection and RateLimiter, waits
// for "go" on stdin, then hammers one router limit and prints how many requests it admitted.
// Usage: node hammer-limit.mjs <redisUrl> <prefix> <rpm> <attempts> <windowMs>
import { createInterface } from 'node:readline';
import { systemClock } from '../../dist/src/core/clock.js';
import { RateLimiter } from '../../dist/src/policy/rate-limit.js';
import { RedisState } from '../../dist/src/store/redis/redis-state.js';

const [url, prefix, rpm, attempts, windowMs] = process.argv.slice(2);
const state = new RedisState({ url, prefix, commandTimeoutMs: 2000 });
await state.waitUntilReady(5000);
const limiter = new RateLimiter({ state, clock: systemClock, windowMs: Number(windowMs) });
const router = { name: 'shared-router', rateLimit: { rpm: Number(rpm), tpm: Number(rpm) * 1000 } };

process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
await new Promise((resolve) => rl.once('line', resolve));

let admitted = 0;
let refused = 0;
let errors = 0;
let next = 0;
const total = Number(attempts);
async function worker() {
  while (next < total) {
    next++;
    try {
      await limiter.checkLimits({ router, promptTokens: 100 });
      admitted++;
    } catch (err) {
      if (err && err.status === 429) refused++;
      else errors++;
    }
  }
}
await Promise.all(Array.from({ length: 32 }, worker));
process.stdout.write(JSON.stringify({ admitted, refused, errors }) + '\n');
rl.close();
await state.close();

#!/usr/bin/env node
// CPU cost of a rate-limit check on the hot path while Redis is healthy: RateLimiter.checkLimits
// of a key's and a router's RPM and TPM (four buckets, 1,000 keys in turn) over the fail-open
// wrapper (ResilientState) and RedisState, with RedisState's script call answered at once by the
// reply the CONSUME script would give (a real client is connected, to 127.0.0.1:6379 or
// REDIS_URL, but no command is sent), so our own work is timed, not the round trip.
// Prints ns per check. Run after `npm run build`: node scripts/bench-shared-state.mjs
//
// Side by side: `AGAINST=<other checkout>/dist node scripts/bench-shared-state.mjs` loads that
// build too and times both in alternated blocks of 20,000 checks, 30 blocks each, so both see the
// same machine, then prints both medians and their ratio.
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const BLOCK = 20_000;
const BLOCKS = 30;
const WINDOW = 60_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function load(dist) {
  const url = (p) => pathToFileURL(resolve(dist, p)).href;
  return {
    ...(await import(url('src/store/redis/resilient-state.js'))),
    ...(await import(url('src/store/redis/redis-state.js'))),
    ...(await import(url('src/store/redis/lua-scripts.js'))),
    ...(await import(url('src/policy/rate-limit.js'))),
  };
}

/** What CONSUME answers when every bucket admits its cost from full. */
function admitted(args) {
  const n = Number(args[1]);
  const out = [1];
  for (let i = 0; i < n; i++) {
    const [limit, windowMs, cost] = args.slice(2 + i * 3, 5 + i * 3).map(Number);
    out.push(1, limit - cost, Math.ceil((cost * windowMs) / limit), 0);
  }
  return out;
}

const router = { name: 'model-router', rateLimit: { rpm: 250, tpm: 250_000 } };
const calls = Array.from({ length: 1000 }, (_, i) => ({
  keyId: `k${i}`,
  keyLimit: { rpm: 600, tpm: 600_000 },
  router,
  promptTokens: 700,
}));

async function makeRunner({ ResilientState, RedisState, RateLimiter, CONSUME }) {
  let t = Date.now();
  const clock = { now: () => t };
  const redis = new RedisState({ url: REDIS_URL, prefix: `bench:${process.pid}:` });
  await redis.waitUntilReady(2000);
  redis.run = async (script, _keys, args) => (script === CONSUME ? admitted(args) : 1);
  closers.push(() => redis.close());
  const state = new ResilientState(redis, 'open', { clock });
  const limiter = new RateLimiter({ state, clock, windowMs: WINDOW });
  return async () => {
    const start = performance.now();
    for (let i = 0; i < BLOCK; i++) {
      t += 1;
      await limiter.checkLimits(calls[i % calls.length]);
    }
    return ((performance.now() - start) * 1e6) / BLOCK;
  };
}

const closers = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const here = await makeRunner(await load(resolve(import.meta.dirname, '../dist')));
const against = process.env.AGAINST ? await makeRunner(await load(process.env.AGAINST)) : undefined;
for (let i = 0; i < 3; i++) {
  await here();
  await against?.();
}
const a = [];
const b = [];
for (let i = 0; i < BLOCKS; i++) {
  a.push(await here());
  if (against) b.push(await against());
}
console.log(`this build:     ${median(a).toFixed(0)} ns per 4-bucket check`);
if (against) {
  console.log(`AGAINST build:  ${median(b).toFixed(0)} ns per 4-bucket check`);
  console.log(`ratio this/AGAINST: ${(median(a) / median(b)).toFixed(3)}`);
}
for (const close of closers) await close();

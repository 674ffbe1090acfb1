import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { parseConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import {
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from '../../test/redis/redis-helpers.js';
import {
  ConfigVersionStore,
  describeChange,
  diffConfig,
  type ConfigChangedMessage,
} from './config-versions.js';
import { MemoryState } from './memory/memory-state.js';
import { RedisState } from './redis/redis-state.js';
import type { SharedState } from './shared-state.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

const base: Config = parseConfig({
  deployments: [
    {
      name: 'a',
      provider: 'simulated',
      model: 'a',
      prices: { inputPer1M: 1, outputPer1M: 2 },
      contextWindow: 1000,
      maxOutputTokens: 100,
    },
    {
      name: 'b',
      provider: 'simulated',
      model: 'b',
      prices: { inputPer1M: 1, outputPer1M: 2 },
      contextWindow: 1000,
      maxOutputTokens: 100,
    },
  ],
  routers: [{ name: 'r', modelSubset: ['a', 'b'] }],
}).config;

function changed(mut: (c: Config) => void): Config {
  const c = structuredClone(base);
  mut(c);
  return c;
}

describe('diffConfig', () => {
  it('names changes by deployment and router name, ignoring order', () => {
    const next = changed((c) => {
      c.routers[0]!.routingMode = 'cost';
      c.deployments.reverse();
      c.deployments[0]!.rateLimit = { rpm: 5 };
    });
    expect(diffConfig(base, next)).toEqual([
      { path: 'deployments[b].rateLimit', after: { rpm: 5 } },
      { path: 'routers[r].routingMode', before: 'balanced', after: 'cost' },
    ]);
  });

  // Found by merge-config-changes.property.test.ts: the key of one side was used on the other.
  it('compares a list whole when its items are not all named once on both sides', () => {
    const list = (...items: unknown[]) => ({ pools: items });
    const [a, b] = [{ name: 'a' }, { name: 'b' }];
    // A name twice: the change to the first was not seen.
    expect(diffConfig(list(a, { ...a, v: 1 }), list({ ...a, v: 2 }, { ...a, v: 1 }))).toEqual([
      {
        path: 'pools',
        before: [a, { ...a, v: 1 }],
        after: [
          { ...a, v: 2 },
          { ...a, v: 1 },
        ],
      },
    ]);
    // An item without a name was `pools[undefined]`; two of them, one change.
    expect(diffConfig(list(a), list(a, { v: 1 }, { v: 2 }))).toEqual([
      { path: 'pools', before: [a], after: [a, { v: 1 }, { v: 2 }] },
    ]);
    // A list that was not of objects threw.
    expect(diffConfig(list(null), list(b))).toEqual([
      { path: 'pools', before: [null], after: [b] },
    ]);
  });

  it('a list of names says which names were added and removed, and whether the order changed', () => {
    const subset = (...modelSubset: string[]) =>
      changed((c) => (c.routers[0]!.modelSubset = modelSubset));
    const at = 'routers[r].modelSubset';
    expect(diffConfig(subset('a', 'b'), subset('b', 'c', 'd'))).toEqual([
      { path: at, before: ['a', 'b'], after: ['b', 'c', 'd'], added: ['c', 'd'], removed: ['a'] },
    ]);
    // Only moved: nothing added or removed, and the order said to have changed.
    expect(diffConfig(subset('a', 'b'), subset('b', 'a'))).toEqual([
      { path: at, before: ['a', 'b'], after: ['b', 'a'], added: [], removed: [], reordered: true },
    ]);
    expect(diffConfig(subset('a', 'b'), subset('b', 'a', 'c'))[0]).toMatchObject({
      added: ['c'],
      removed: [],
      reordered: true,
    });
    expect(diffConfig(subset(), subset('a'))[0]).toMatchObject({ added: ['a'], removed: [] });
    // Not a list of names (a name twice, an item not a string), or a new list: one value.
    const plain = (before: unknown, after: unknown) => diffConfig({ l: before }, { l: after });
    expect(plain(['a'], ['a', 'a'])).toEqual([{ path: 'l', before: ['a'], after: ['a', 'a'] }]);
    expect(plain(['a'], ['a', 1])).toEqual([{ path: 'l', before: ['a'], after: ['a', 1] }]);
    expect(plain(undefined, ['a'])).toEqual([{ path: 'l', after: ['a'] }]);
  });

  it('describeChange names a list of names’ changes by name', () => {
    const change = (before: string[], after: string[]) =>
      diffConfig(
        { routers: [{ name: 'r', modelSubset: before }] },
        {
          routers: [{ name: 'r', modelSubset: after }],
        },
      )[0]!;
    expect(describeChange(change(['a', 'b'], ['b', 'c']))).toBe('routers[r].modelSubset (+c -a)');
    expect(describeChange(change(['a', 'b'], ['c', 'b', 'a']))).toBe(
      'routers[r].modelSubset (+c, reordered)',
    );
    expect(
      describeChange({ path: 'routers[r].routingMode', before: 'cost', after: 'quality' }),
    ).toBe('routers[r].routingMode');
  });
});

async function exercise(state: SharedState, clock: ReturnType<typeof createManualClock>) {
  const store = new ConfigVersionStore({ state, clock, keep: 3 });
  const other = new ConfigVersionStore({ state, clock });
  const heard: ConfigChangedMessage[] = [];
  const off = await other.onChange((m) => heard.push(m));
  const v1 = await store.record({ config: base, who: 'file' });
  expect(v1.changes.length).toBeGreaterThan(0); // first version: everything is new
  clock.advance(1000);
  const v2 = await store.record({
    config: changed((c) => (c.routers[0]!.routingMode = 'quality')),
    who: 'key_admin',
    reason: 'peak',
  });
  expect(v2).toMatchObject({
    version: v1.version + 1,
    who: 'key_admin',
    reason: 'peak',
    at: new Date(clock.now()).toISOString(),
    changes: [{ path: 'routers[r].routingMode', before: 'balanced', after: 'quality' }],
  });
  const rb = await store.rollback(v1.version, 'key_admin');
  expect(rb).toMatchObject({
    rollbackOf: v1.version,
    changes: [{ path: 'routers[r].routingMode', before: 'quality', after: 'balanced' }],
  });
  expect(rb!.config).toEqual(base);
  expect((await store.list()).map((v) => v.version)).toEqual([
    v1.version + 2,
    v1.version + 1,
    v1.version,
  ]);
  await store.record({ config: base, who: 'x' });
  expect((await store.list()).map((v) => v.version)).toEqual([
    v1.version + 3,
    v1.version + 2,
    v1.version + 1,
  ]);
  expect(await store.get(v1.version)).toBeUndefined();
  await expect
    .poll(() => heard.map((h) => h.version), { timeout: 2000 })
    .toEqual([1, 2, 3, 4].map((i) => v1.version + i - 1));
  expect(heard[0]!.origin).toBe(store.origin);
  await off();
}

describe('ConfigVersionStore', () => {
  it('memory: versions, diffs, rollback, pruning, change messages', async () => {
    const clock = createManualClock();
    await exercise(new MemoryState(clock), clock);
  });

  const prefix = uniquePrefix('cfgv');
  let redis: RedisState | undefined;
  afterAll(async () => {
    await redis?.close();
    await cleanupPrefix(prefix);
  });
  it('redis: the same, shared', async (ctx) => {
    if (!(await redisAvailable())) return ctx.skip();
    redis = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
    await redis.waitUntilReady(WAIT_TIMEOUT_MS);
    await exercise(redis, createManualClock());
  });
});

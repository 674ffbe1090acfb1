// Two router runtimes (createRuntime, as `serve` starts one) starting at the same instant on a
// config file changed since the fleet last loaded it, sharing the real Redis: the change is
// recorded as exactly one new config revision, and both run it.
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RouterConfig } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { ConfigVersionStore } from '../../src/store/config-versions.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { testConfigInput } from '../helpers/test-config.js';
import { cleanupPrefix, redisAvailable, REDIS_URL, uniquePrefix } from './redis-helpers.js';
import { WAIT_TIMEOUT_MS } from '../helpers/wait-for.js';

const available = await redisAvailable();
const prefix = uniquePrefix('cfg-start-race');
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  await cleanupPrefix(prefix);
});

/** The config file as every replica reads it, with the router's routing mode as the change. */
function file(routingMode: RouterConfig['routingMode']) {
  const input = testConfigInput({
    state: {
      kind: 'redis',
      redisUrl: REDIS_URL,
      prefix,
      onFailure: 'open',
      commandTimeoutMs: 1000,
    },
  });
  input.routers = [{ name: 'model-router', modelSubset: ['big', 'mid', 'small'], routingMode }];
  return parseConfig(input, {}).config;
}

async function start(routingMode: RouterConfig['routingMode']): Promise<Runtime> {
  const runtime = await createRuntime(file(routingMode));
  closers.push(() => runtime.close());
  return runtime;
}

describe.skipIf(!available)(
  'replicas starting together on a changed config file (real Redis)',
  () => {
    it('record it as one new revision, and both run it', async () => {
      const first = await start('balanced');
      expect(first.config.current.revision).toBe(1);
      await first.close();

      const [a, b] = await Promise.all([start('cost'), start('cost')]);
      const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
      closers.push(() => state.close());
      await state.waitUntilReady(WAIT_TIMEOUT_MS);
      const versions = await new ConfigVersionStore({ state, clock: systemClock }).list();
      expect(versions.map((v) => [v.version, v.who])).toEqual([
        [2, 'startup'],
        [1, 'startup'],
      ]);
      expect(versions[0]!.changes.map((c) => c.path)).toEqual([
        'routers[model-router].routingMode',
      ]);
      expect([a!.config.current.revision, b!.config.current.revision]).toEqual([2, 2]);
      expect([a!, b!].map((r) => r.config.current.config.routers[0]!.routingMode)).toEqual([
        'cost',
        'cost',
      ]);
    }, 60_000);
  },
);

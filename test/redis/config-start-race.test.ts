// Two router runtimes (createRuntime, as `serve` starts one) starting at the same instant on a
// config file changed since the fleet last loaded it, sharing the real Redis: the change is
// recorded as exactly one new config revision, and both run it.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RouterConfig } from '../../src/config/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';
import { REDIS_URL, redisSuite, storedVersions } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('cfg-start-race');

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
  suite.cleanup(() => runtime.close());
  return runtime;
}

describe.skipIf(!suite.available)(
  'replicas starting together on a changed config file (real Redis)',
  () => {
    it('record it as one new revision, and both run it', async () => {
      const first = await start('balanced');
      expect(first.config.current.revision).toBe(1);
      await first.close();

      const [a, b] = await Promise.all([start('cost'), start('cost')]);
      const versions = await storedVersions(prefix);
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

// Restarting a replica must not undo what an admin changed live: the config file replaces the live
// config only when the file itself changed since it was last loaded (then it wins, and says so).
// Replicas that listen on different ports, or reach Redis and PostgreSQL at other URLs, share one
// config. Run on one in-memory state (a single
// process) and on a real Redis shared by separate connections (a fleet).
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from '../../test/redis/redis-helpers.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createManualClock } from '../core/clock.js';
import { ConfigVersionStore } from '../store/config-versions.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { RedisState } from '../store/redis/redis-state.js';
import type { SharedState } from '../store/shared-state.js';
import { ConfigService } from './config-service.js';
import { ConfigHolder, compileConfig } from './runtime-config.js';
import type { Config } from './schema.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

interface Replica {
  service: ConfigService;
  logs: string[];
}

/** A config file as loaded by `serve --port <port>`. */
function fileOn(port: number, file: Config): Config {
  const c = structuredClone(file);
  c.server.port = port;
  return c;
}

/** The same file with its stores reached at URLs carrying `password`. */
function withUrls(file: Config, password: string): Config {
  const c = structuredClone(file);
  c.state.redisUrl = `redis://:${password}@127.0.0.1:6379`;
  c.requestLog.postgresUrl = `postgres://router:${password}@127.0.0.1:5432/log`;
  return c;
}

async function scenario(stateFor: () => Promise<SharedState>) {
  const clock = createManualClock();
  const running: Replica[] = [];
  const start = async (config: Config): Promise<Replica> => {
    const logs: string[] = [];
    const service = new ConfigService(
      new ConfigHolder(compileConfig(config)),
      new ConfigVersionStore({ state: await stateFor(), clock }),
      (msg, level = 'info') => logs.push(`${level}: ${msg}`),
    );
    await service.start();
    const replica = { service, logs };
    running.push(replica);
    return replica;
  };
  const restart = async (replica: Replica, config: Config) => {
    await replica.service.stop();
    return start(config);
  };
  const endUser = (r: Replica) => r.service.current.config.rateLimits.endUser;
  const mode = (r: Replica) => r.service.current.config.routers[0]!.routingMode;

  const file = testConfig();
  const a = await start(fileOn(18360, file));
  let b = await start(fileOn(18361, file));
  // Another port is not another config.
  expect((await a.service.list()).map((v) => v.reason)).toEqual(['config at startup']);
  expect(b.service.current.revision).toBe(a.service.current.revision);

  const change = await a.service.change('key_admin', 'cap end users', (draft) => {
    draft.rateLimits.endUser = { rpm: 7 };
  });
  expect(change.changes.map((c) => c.path)).toEqual(['rateLimits.endUser']);
  await expect.poll(() => endUser(b)).toEqual({ rpm: 7 });

  // Restart b on the unchanged file: the admin change survives, with no new revision.
  b = await restart(b, fileOn(18361, file));
  expect(endUser(b)).toEqual({ rpm: 7 });
  expect(b.service.current.revision).toBe(change.version);
  expect(b.service.current.config.server.port).toBe(18361);
  expect((await b.service.list()).map((v) => v.version)).toEqual([change.version, 1]);
  expect(endUser(a)).toEqual({ rpm: 7 });

  // Another Redis or PostgreSQL URL (a password rotated one replica at a time, a sidecar proxy)
  // is not another config either: no revision, and each replica keeps its own.
  b = await restart(b, withUrls(fileOn(18361, file), 'rotated'));
  expect(b.service.current.revision).toBe(change.version);
  expect((await b.service.list()).map((v) => v.version)).toEqual([change.version, 1]);
  expect(b.service.current.config.state.redisUrl).toBe('redis://:rotated@127.0.0.1:6379');
  expect(b.service.current.config.requestLog.postgresUrl).toBe(
    'postgres://router:rotated@127.0.0.1:5432/log',
  );
  expect(endUser(b)).toEqual({ rpm: 7 });
  expect(a.service.current.config.state.redisUrl).toBeUndefined();

  // Hot reload of a file whose settings did not change (say, a comment): nothing undone.
  expect(await a.service.loadFile(fileOn(9999, file), 'file', 'reloaded b.yaml')).toBeUndefined();
  expect(endUser(a)).toEqual({ rpm: 7 });
  expect(a.service.current.config.server.port).toBe(18360);

  // Restart b on a changed file: the file wins, and the revision and a warning say what it undid.
  const edited = structuredClone(file);
  edited.routers[0]!.routingMode = 'cost';
  b = await restart(b, fileOn(18361, edited));
  expect(mode(b)).toBe('cost');
  expect(endUser(b)).toBeUndefined();
  const [fileWins] = await b.service.list(1);
  expect(fileWins).toMatchObject({
    version: change.version + 1,
    who: 'startup',
    reason: `config at startup: the config file changed since version 1 was loaded from it; it overrides live changes to rateLimits.endUser`,
  });
  expect(fileWins!.changes.map((c) => c.path).sort()).toEqual([
    'rateLimits.endUser',
    'routers[model-router].routingMode',
  ]);
  expect(b.logs.filter((l) => l.startsWith('warn:'))).toEqual([
    expect.stringContaining('undid changes made since through the admin API: rateLimits.endUser'),
  ]);
  await expect.poll(() => mode(a)).toBe('cost');
  expect(endUser(a)).toBeUndefined();
  expect(a.service.current.config.server.port).toBe(18360); // a keeps its own port

  // a restarts on the same new file (another port): already loaded, no new revision.
  const again = await a.service.change('key_admin', 'cap again', (draft) => {
    draft.rateLimits.endUser = { rpm: 9 };
  });
  await expect.poll(() => endUser(b)).toEqual({ rpm: 9 });
  const a2 = await restart(a, fileOn(18360, edited));
  expect(endUser(a2)).toEqual({ rpm: 9 });
  expect(a2.service.current.revision).toBe(again.version);
  expect(a2.logs.filter((l) => l.startsWith('warn:'))).toEqual([]);

  // Hot reload of a changed file wins as well; the same file reloaded by the next replica is a no-op.
  const reloaded = structuredClone(edited);
  reloaded.routers[0]!.routingMode = 'quality';
  const v = await a2.service.loadFile(fileOn(1, reloaded), 'file', 'reloaded b.yaml');
  expect(v).toMatchObject({
    version: again.version + 1,
    who: 'file',
    reason: `reloaded b.yaml: the config file changed since version ${change.version + 1} was loaded from it; it overrides live changes to rateLimits.endUser`,
  });
  expect(a2.service.current.config.server.port).toBe(18360);
  await expect.poll(() => mode(b)).toBe('quality');
  expect(await b.service.loadFile(fileOn(2, reloaded), 'file', 'reloaded b.yaml')).toBeUndefined();
  expect(b.service.current.revision).toBe(v!.version);

  for (const r of running) await r.service.stop();
}

/** Replicas that start (or reload) on the same changed file at once record it as one revision. */
async function together(stateFor: () => Promise<SharedState>) {
  const clock = createManualClock();
  const service = async (config: Config) =>
    new ConfigService(
      new ConfigHolder(compileConfig(config)),
      new ConfigVersionStore({ state: await stateFor(), clock }),
    );
  const file = testConfig();
  const first = await service(fileOn(18370, file));
  await first.start();
  await first.stop();

  const edited = structuredClone(file);
  edited.routers[0]!.routingMode = 'cost';
  const replicas = await Promise.all([18371, 18372, 18373].map((p) => service(fileOn(p, edited))));
  await Promise.all(replicas.map((r) => r.start()));
  expect((await first.list()).map((v) => [v.version, v.who])).toEqual([
    [2, 'startup'],
    [1, 'startup'],
  ]);
  expect(replicas.map((r) => r.current.revision)).toEqual([2, 2, 2]);
  expect(replicas.map((r) => r.current.config.routers[0]!.routingMode)).toEqual([
    'cost',
    'cost',
    'cost',
  ]);

  const reloaded = structuredClone(edited);
  reloaded.routers[0]!.routingMode = 'quality';
  const loaded = await Promise.all(
    replicas.map((r, i) => r.loadFile(fileOn(i, reloaded), 'file', 'reloaded b.yaml')),
  );
  expect(loaded.filter((v) => v !== undefined).map((v) => v.version)).toEqual([3]);
  expect((await first.list()).map((v) => v.version)).toEqual([3, 2, 1]);
  for (const r of replicas) await r.stop();
}

describe('config at restart', () => {
  it('memory: an unchanged file keeps live changes, a changed one wins and says so', async () => {
    const clock = createManualClock();
    const state = new MemoryState(clock);
    await scenario(async () => state);
  });

  it('memory: replicas starting together on a changed file record it once', async () => {
    const state = new MemoryState(createManualClock());
    await together(async () => state);
  });

  const prefix = uniquePrefix('cfg-restart');
  const connections: RedisState[] = [];
  afterAll(async () => {
    for (const c of connections) await c.close();
    await cleanupPrefix(prefix);
  });
  it('redis: the same across replicas with their own connections', async (ctx) => {
    if (!(await redisAvailable())) return ctx.skip();
    await scenario(async () => {
      const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
      connections.push(state);
      await state.waitUntilReady(WAIT_TIMEOUT_MS);
      return state;
    });
  });

  it('redis: replicas starting together on a changed file record it once', async (ctx) => {
    if (!(await redisAvailable())) return ctx.skip();
    const own = uniquePrefix('cfg-together');
    try {
      await together(async () => {
        const state = new RedisState({ url: REDIS_URL, prefix: own, commandTimeoutMs: 1000 });
        connections.push(state);
        await state.waitUntilReady(WAIT_TIMEOUT_MS);
        return state;
      });
    } finally {
      await cleanupPrefix(own);
    }
  });
});

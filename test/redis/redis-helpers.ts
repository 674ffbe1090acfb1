// Helpers for tests against a real Redis: availability check (suites skip loudly without it),
// a unique key prefix per test with cleanup, a private redis-server on a free loopback port, and
// a TCP proxy in front of the shared Redis that a test can cut (an outage for one client only),
// the config input of a replica on it with one admin key, and redisSuite: one file's prefixes,
// proxies and replicas, cleaned up by the hooks it registers (with what its tests read back).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { KeyStore } from '../../src/auth/key-store.js';
import { parseConfig } from '../../src/config/load-config.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import type { Config } from '../../src/config/schema.js';
import type { Runtime, RuntimeOptions } from '../../src/runtime.js';
import type { ConfigVersion } from '../../src/store/config-versions.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { listenServerInRange } from '../helpers/listen-in-range.js';
import { testConfigInput } from '../helpers/test-config.js';
import { WAIT_TIMEOUT_MS, waitFor } from '../helpers/wait-for.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    console.warn(`\n*** Redis is not reachable at ${url}: skipping Redis tests ***\n`);
    return false;
  } finally {
    client.disconnect();
  }
}

/** The `state` of a config input on the shared Redis under `prefix` (1 s command timeout). */
export function redisStateInput(prefix: string, redisUrl = REDIS_URL) {
  return { kind: 'redis' as const, redisUrl, prefix, commandTimeoutMs: 1000 };
}

/** A replica's config input on the shared Redis under `prefix`, in keys mode with one admin key. */
export function adminReplicaInput(prefix: string, adminKey: string) {
  return testConfigInput({
    auth: {
      mode: 'keys',
      keys: [{ id: 'ops', hash: hashApiKey(adminKey), tenant: 'ops', admin: true, scopes: ['*'] }],
    },
    state: { kind: 'redis', redisUrl: REDIS_URL, prefix, commandTimeoutMs: 1000 },
  });
}

export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** Delete every key under `prefix`. */
export async function cleanupPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface OwnRedis {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Start `redis-server` on `port` (no persistence, loopback only); resolves once it answers. */
export async function startRedisServer(port: number): Promise<OwnRedis> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      break;
    } catch {
      client.disconnect();
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        // Killed by a signal, a child has a signalCode and no exitCode.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(child.pid!, 'SIGKILL');
      }),
  };
}

/** Whether a private `redis-server` starts here; if not, says loudly which tests it skips. */
export async function redisServerUsable(skipping: string): Promise<boolean> {
  try {
    await (await startRedisServer(await freePort())).stop();
    return true;
  } catch {
    console.warn(`\n*** redis-server binary not usable: skipping ${skipping} ***\n`);
    return false;
  }
}

export interface RedisProxy {
  /** The proxy's URL: give it to the client that should lose Redis. */
  url: string;
  /** Drops every connection and refuses new ones: Redis is gone for the proxy's clients. */
  cut(): Promise<void>;
  /** Accepts connections again after a cut: Redis is back. */
  resume(): Promise<void>;
  /**
   * Holds back the first command a client sends through the proxy that `matches` (its raw RESP
   * bytes) and everything that client sends after it, until `release`: a replica stopped at a
   * chosen step, so a test orders two replicas' steps without sleeping. Resolves once one is held.
   */
  holdWhen(matches: (command: string) => boolean): Promise<void>;
  /** Sends on what `holdWhen` held back. */
  release(): void;
}

/**
 * A loopback TCP proxy, on the first free port from `from` to `to` (a suite's own), to the Redis
 * at `target`: clients through it lose Redis when the test cuts it, while Redis itself (and
 * everyone else on it) carries on.
 */
export async function startRedisProxy(
  from: number,
  to: number,
  target = REDIS_URL,
): Promise<RedisProxy> {
  const upstreamUrl = new URL(target);
  const sockets = new Set<Socket>();
  /** What each held client sent since it was held. */
  const held = new Map<Socket, { upstream: Socket; chunks: Buffer[] }>();
  let trigger: { matches: (command: string) => boolean; fire: () => void } | undefined;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(Number(upstreamUrl.port || 6379), upstreamUrl.hostname);
    track(client);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (trigger && !held.has(client) && trigger.matches(chunk.toString('latin1'))) {
        held.set(client, { upstream, chunks: [] });
        trigger.fire();
        trigger = undefined;
      }
      const holding = held.get(client);
      if (holding) holding.chunks.push(chunk);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await listenServerInRange(server, from, to);
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    resume: async () => void (await listenServerInRange(server, port, port)),
    holdWhen: (matches) => new Promise<void>((fire) => (trigger = { matches, fire })),
    release: () => {
      for (const [client, { upstream, chunks }] of held) {
        held.delete(client);
        for (const chunk of chunks) upstream.write(chunk);
      }
    },
  };
}

/**
 * One test file's Redis setup: whether Redis answers (`available`: without it the file's suites
 * skip, loudly, and nothing is cleaned up), fresh key prefixes (their keys deleted after the
 * file), loopback proxies on the file's own ports, and replicas, each stopped after its test (or
 * its file). Await it at the top of the file: it registers the hooks. Also RedisStates, started
 * key stores and runtimes of a config of the file's own, closed after their test likewise.
 */
export async function redisSuite(ports?: readonly [from: number, to: number]) {
  const available = await redisAvailable();
  const prefixes: string[] = [];
  const afterTest: (() => Promise<void>)[] = [];
  const afterFile: (() => Promise<void>)[] = [];
  const runAll = async (steps: (() => Promise<void>)[]) => {
    for (const step of steps.splice(0).reverse()) await step();
  };
  afterEach(() => runAll(afterTest));
  afterAll(async () => {
    await runAll(afterFile);
    if (available) for (const p of prefixes) await cleanupPrefix(p);
  });
  const suite = {
    available,
    /** A fresh key prefix named after `name`, its keys deleted after the file (if Redis answers). */
    prefix(name: string): string {
      const prefix = uniquePrefix(name);
      prefixes.push(prefix);
      return prefix;
    },
    /** `step` runs after the current test (or, `lasting: 'file'`, after the file's last). */
    cleanup(step: () => Promise<void>, lasting: 'test' | 'file' = 'test'): void {
      (lasting === 'test' ? afterTest : afterFile).push(step);
    },
    /** A proxy to Redis on the file's ports, cut after the test. */
    async proxy(): Promise<RedisProxy> {
      if (!ports) throw new Error('redisSuite(ports): this file named no ports for its proxies');
      const proxy = await startRedisProxy(...ports);
      suite.cleanup(() => proxy.cut());
      return proxy;
    },
    /**
     * A replica (createRuntime, as `serve` starts one) on Redis under `prefix` in keys mode with
     * one admin key, through `proxy` if given; `edit` changes its config input first.
     */
    async replica(
      prefix: string,
      options: {
        adminKey: string;
        proxy?: RedisProxy;
        edit?: (input: ReturnType<typeof adminReplicaInput>) => void;
        lasting?: 'test' | 'file';
      },
    ): Promise<Runtime> {
      const input = adminReplicaInput(prefix, options.adminKey);
      if (options.proxy)
        input.state = {
          kind: 'redis',
          redisUrl: options.proxy.url,
          prefix,
          commandTimeoutMs: 1000,
        };
      options.edit?.(input);
      // Imported here: suites of key stores alone do not load the whole router.
      const { createRuntime } = await import('../../src/runtime.js');
      const runtime = await createRuntime(parseConfig(input, {}).config);
      suite.cleanup(() => runtime.close(), options.lasting);
      return runtime;
    },
    /** A RedisState on the shared Redis under `prefix`, once it answers; closed after the test. */
    async state(prefix: string): Promise<RedisState> {
      const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
      suite.cleanup(() => state.close());
      await state.waitUntilReady(WAIT_TIMEOUT_MS);
      return state;
    },
    /**
     * A key store on its own RedisState under `prefix`, started (it hears other replicas' key
     * changes by pub/sub): where a test issues, rotates and revokes keys. Closed after the test.
     */
    async keyStore(prefix: string, clock: Clock = systemClock): Promise<KeyStore> {
      const state = await suite.state(prefix);
      const keys = new KeyStore({ state, clock, configKeys: () => [] });
      await keys.start();
      suite.cleanup(() => keys.close());
      return keys;
    },
    /** A runtime (createRuntime, as `serve` starts one) of `config`, closed after the test. */
    async runtime(
      config: Config,
      options?: RuntimeOptions,
      lasting: 'test' | 'file' = 'test',
    ): Promise<Runtime> {
      const { createRuntime } = await import('../../src/runtime.js');
      const runtime = await createRuntime(config, options);
      suite.cleanup(() => runtime.close(), lasting);
      return runtime;
    },
    /**
     * Replicas of `prefix`, one a name, started in order, each reaching Redis only through a
     * proxy of its own (cut one with cutOff), after an admin set `model-router` to `cost` through
     * `through` (the first) and every one applied it.
     */
    async fleetOnCost<N extends string>(
      prefix: string,
      adminKey: string,
      names: readonly [N, ...N[]],
      through: N = names[0],
    ) {
      const replicas = {} as Record<N, Runtime>;
      const proxies = {} as Record<N, RedisProxy>;
      for (const name of names) proxies[name] = await suite.proxy();
      for (const name of names)
        replicas[name] = await suite.replica(prefix, { adminKey, proxy: proxies[name] });
      const url = '/admin/v1/routers/model-router';
      expect(await adminPatch(replicas[through], adminKey, url, { routingMode: 'cost' })).toBe(200);
      const others = names.filter((name) => name !== through).map((name) => replicas[name]);
      await waitFor(() => expect(others.map(routingModeOf)).toEqual(others.map(() => 'cost')));
      return { replicas, proxies };
    },
  };
  return suite;
}
export type RedisSuite = Awaited<ReturnType<typeof redisSuite>>;

/** Cuts `proxy`, and waits until replica `r` behind it serves from its own state (`local`). */
export async function cutOff(proxy: RedisProxy, r: Runtime): Promise<void> {
  await proxy.cut();
  await waitFor(async () => expect(await servingOf(r)).toBe('local'));
}

/** A PATCH of the admin API through replica `r` with `adminKey`; its status code. */
export async function adminPatch(
  r: Runtime,
  adminKey: string,
  url: string,
  payload: Record<string, unknown>,
): Promise<number> {
  const reply = await r.app.inject({
    method: 'PATCH',
    url,
    payload,
    headers: { authorization: `Bearer ${adminKey}` },
  });
  return reply.statusCode;
}

/** The routing mode `model-router` runs on replica `r`. */
export const routingModeOf = (r: Runtime) =>
  r.config.current.config.routers.find((x) => x.name === 'model-router')!.routingMode;

/** Where replica `r` says its shared state serves from (`redis`, or `local` while cut off). */
export const servingOf = async (r: Runtime) =>
  (await r.app.inject({ method: 'GET', url: '/readyz' })).json().shared_state.serving as string;

/** The config versions Redis holds under `prefix`, newest first (as recorded, with snapshots). */
export async function storedVersions(prefix: string): Promise<ConfigVersion[]> {
  const client = new Redis(REDIS_URL);
  try {
    const raw = await client.hgetall(`${prefix}config:versions`);
    return Object.values(raw)
      .map((json) => JSON.parse(json) as ConfigVersion)
      .sort((x, y) => y.version - x.version);
  } finally {
    client.disconnect();
  }
}

// A replica that was cut off from the shared store missed the change messages published meanwhile;
// when the store comes back it catches up with the newest version instead of staying behind. One
// that starts while the store is unreachable runs its config file, and compares the file with the
// store when it comes back, as a start-up would have.
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/test-config.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { ConfigVersionStore } from '../store/config-versions.js';
import { MemoryState } from '../store/memory/memory-state.js';
import type { SharedState } from '../store/shared-state.js';
import { ConfigService } from './config-service.js';
import { ConfigHolder, compileConfig } from './runtime-config.js';

describe('config service', () => {
  it('resync applies a version published while this replica was not listening', async () => {
    const clock = createManualClock();
    const state = new MemoryState(clock);
    const replica = () =>
      new ConfigService(
        new ConfigHolder(compileConfig(testConfig())),
        new ConfigVersionStore({ state, clock }),
      );
    const a = replica();
    const b = replica();
    await a.start('a');
    await b.start('b');
    await b.stop(); // b's connection is down: it hears nothing
    const router = a.current.config.routers[0]!.name;
    const v = await a.change('admin', 'switch to cost', (draft) => {
      draft.routers[0]!.routingMode = 'cost';
    });
    expect(b.current.revision).toBeLessThan(v.version);
    expect(b.current.config.routers.find((r) => r.name === router)!.routingMode).not.toBe('cost');
    await b.resync(); // the store is back
    expect(b.current.revision).toBe(v.version);
    expect(b.current.config.routers.find((r) => r.name === router)!.routingMode).toBe('cost');
    await b.resync(); // nothing newer: a no-op
    expect(b.current.revision).toBe(v.version);
    await a.stop();
  });

  it('a replica that starts while the store is unreachable runs its file, then catches up', async () => {
    const clock = createManualClock();
    const memory = new MemoryState(clock);
    let down = false;
    const flaky = unreachableWhile(memory, () => down);
    const logs: string[] = [];
    const a = new ConfigService(
      new ConfigHolder(compileConfig(testConfig())),
      new ConfigVersionStore({ state: memory, clock }),
    );
    await a.start('a');
    const v = await a.change('admin', 'switch to cost', (draft) => {
      draft.routers[0]!.routingMode = 'cost';
    });
    down = true;
    const b = new ConfigService(
      new ConfigHolder(compileConfig(testConfig())),
      new ConfigVersionStore({ state: flaky, clock }),
      (msg) => logs.push(msg),
    );
    await b.start('b'); // does not throw: the file serves meanwhile
    expect(b.current.config.routers[0]!.routingMode).toBe('balanced');
    expect(logs.join('\n')).toContain('shared store (Redis) is unreachable');
    await b.resync(); // still down: nothing changes, and it is tried again later
    expect(b.current.config.routers[0]!.routingMode).toBe('balanced');
    down = false;
    await b.resync();
    // The file is the one the store last loaded: the live config (with the admin change) wins.
    expect(b.current.revision).toBe(v.version);
    expect(b.current.config.routers[0]!.routingMode).toBe('cost');
    expect((await b.list()).length).toBe(v.version); // nothing recorded by b
    await a.stop();
    await b.stop();
  });

  it('a start-up error that is not the store being unreachable still fails the start', async () => {
    const clock = createManualClock();
    const memory = new MemoryState(clock);
    const broken = new Proxy(memory, {
      get(target, prop, receiver) {
        if (prop === 'tryLock') return () => Promise.reject(new Error('WRONGTYPE'));
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SharedState;
    const b = new ConfigService(
      new ConfigHolder(compileConfig(testConfig())),
      new ConfigVersionStore({ state: broken, clock }),
    );
    await expect(b.start('b')).rejects.toThrow('WRONGTYPE');
  });

  it('a file edited while the store is unreachable is applied when it answers', async () => {
    const clock = createManualClock();
    const memory = new MemoryState(clock);
    let down = false;
    const flaky = unreachableWhile(memory, () => down);
    const b = new ConfigService(
      new ConfigHolder(compileConfig(testConfig())),
      new ConfigVersionStore({ state: flaky, clock }),
    );
    await b.start('b');
    const before = b.current.revision;
    down = true;
    const edited = structuredClone(testConfig());
    edited.routers[0]!.routingMode = 'quality';
    await expect(b.loadFile(edited, 'file', 'reloaded config.yaml')).rejects.toThrow(
      'applied if it changed, when Redis answers',
    );
    expect(b.current.config.routers[0]!.routingMode).toBe('balanced');
    down = false;
    await b.resync();
    // Until 2026-12-04 the edit was dropped: the watcher had read the file, and Redis came back
    // to a fleet still on the old config until the file was edited again.
    expect(b.current.revision).toBe(before + 1);
    expect(b.current.config.routers[0]!.routingMode).toBe('quality');
    expect((await b.get(b.current.revision))?.who).toBe('file');
    await b.stop();
  });

  it('after a loss, a list of names both sides changed: merged, and the reason names the names', async () => {
    // Through A (B misses it): mid added. Through B after the loss: small for big.
    const { a, merged } = await lossWithListChanged(
      ['big'],
      (subset) => [...subset, 'mid'],
      () => ['small'],
    );
    expect(a.current.config.routers[0]!.modelSubset).toEqual(['mid', 'small']);
    expect(merged.who).toBe('resync');
    // Which names the change through B added and removed; no conflict: the two sides agree.
    expect(merged.reason).toContain(
      `applied on top of version ${merged.version - 1}: routers[model-router].modelSubset (+small -big)`,
    );
    expect(merged.reason).not.toContain('theirs stand');
    expect(merged.changes).toEqual([
      {
        path: 'routers[model-router].modelSubset',
        before: ['big', 'mid'],
        after: ['mid', 'small'],
        added: ['small'],
        removed: ['big'],
      },
    ]);
  });

  it('after a loss, a list of names both reordered otherwise: theirs’ order, both sides’ names', async () => {
    // A dropped big and put small first; B moved big after mid.
    const { a, merged } = await lossWithListChanged(
      ['big', 'mid', 'small'],
      () => ['small', 'mid'],
      () => ['mid', 'big', 'small'],
    );
    // Until 2026-12-07 B's list stood whole: big back, though neither side disagreed on it.
    expect(a.current.config.routers[0]!.modelSubset).toEqual(['mid', 'small']);
    expect(merged.reason).toContain(
      `: routers[model-router].modelSubset (reordered); where version ${merged.version - 1} had changed them too, theirs stand: routers[model-router].modelSubset (order)`,
    );
  });
});

/**
 * Replicas A and B on `subset`; `ahead` changes it through A while B misses it, the store loses
 * its data, B records its revision again and `behind` changes it through B; then A compares with
 * the store and merges. A's service and the version it merged.
 */
async function lossWithListChanged(
  subset: string[],
  ahead: (subset: string[]) => string[],
  behind: (subset: string[]) => string[],
) {
  const clock = createManualClock();
  const memory = new MemoryState(clock);
  const replica = () =>
    new ConfigService(
      new ConfigHolder(
        compileConfig(testConfig({ routers: [{ name: 'model-router', modelSubset: subset }] })),
      ),
      new ConfigVersionStore({ state: memory, clock }),
    );
  const [a, b] = [replica(), replica()];
  await a.start('a');
  await b.start('b');
  // Neither listens: the test says when each compares with the store.
  await Promise.all([a.stop(), b.stop()]);
  const change = (s: ConfigService, edit: (subset: string[]) => string[]) =>
    s.change('admin', 'edit the subset', (draft) => {
      draft.routers[0]!.modelSubset = edit(draft.routers[0]!.modelSubset);
    });
  await change(a, ahead);
  await loseConfigVersions(memory);
  await b.resync();
  await change(b, behind);
  await a.resync();
  const merged = (await a.get(a.current.revision))!;
  return { a, merged };
}

/** The store loses its config versions and file record (Redis restarted without persistence). */
async function loseConfigVersions(memory: MemoryState): Promise<void> {
  for (const hash of ['config:versions', 'config:file'])
    for (const field of Object.keys(await memory.hashGetAll(hash)))
      await memory.hashDelete(hash, field);
  memory.clearCounters();
}

/** As ResilientState answers while Redis is away: what needs Redis is refused with a 503. */
function unreachableWhile(memory: MemoryState, down: () => boolean): SharedState {
  return new Proxy(memory, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        down() && ['hashGetAll', 'hashSet', 'tryLock', 'publish'].includes(String(prop))
          ? Promise.reject(
              new GatewayError({
                status: 503,
                type: 'server_error',
                code: 'state_unavailable',
                message: 'The shared state store (Redis) is unreachable.',
              }),
            )
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  }) as SharedState;
}

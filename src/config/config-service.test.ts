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
});

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

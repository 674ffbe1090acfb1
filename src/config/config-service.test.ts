// A replica that was cut off from the shared store missed the change messages published meanwhile;
// when the store comes back it catches up with the newest version instead of staying behind.
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/test-config.js';
import { createManualClock } from '../core/clock.js';
import { ConfigVersionStore } from '../store/config-versions.js';
import { MemoryState } from '../store/memory/memory-state.js';
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
});

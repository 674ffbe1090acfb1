// The file watcher's reload follows the start-up rule: a file whose settings did not change (a
// comment edited) leaves the live config and its admin changes alone; a changed file wins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { createManualClock } from '../core/clock.js';
import { ConfigVersionStore } from '../store/config-versions.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { ConfigService } from './config-service.js';
import { parseConfigText } from './load-config.js';
import { ConfigHolder, compileConfig } from './runtime-config.js';
import { startupOnlyPaths, waitingForRestart } from './startup-only.js';
import { watchConfigFile } from './watch-config-file.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('watchConfigFile', () => {
  it('an unchanged file keeps admin changes; a changed file replaces them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'router.yaml');
    const input = testConfigInput();
    writeFileSync(file, stringify(input));
    const clock = createManualClock();
    const service = new ConfigService(
      new ConfigHolder(compileConfig(parseConfigText(stringify(input), file).config)),
      new ConfigVersionStore({ state: new MemoryState(clock), clock }),
    );
    await service.start();
    cleanups.push(() => service.stop());
    const infos: string[] = [];
    const errors: string[] = [];
    const warnings: string[] = [];
    const log = {
      info: (m: string) => infos.push(m),
      warn: (m: string) => warnings.push(m),
      error: (m: string) => errors.push(m),
    };
    cleanups.push(watchConfigFile(file, service, log, 10));

    await service.change('key_admin', 'cap end users', (draft) => {
      draft.rateLimits.endUser = { rpm: 7 };
    });
    writeFileSync(file, `# reviewed\n${stringify(input)}`);
    await expect
      .poll(() => infos, { timeout: 5000 })
      .toEqual([expect.stringContaining('the live config is kept')]);
    expect(service.current.config.rateLimits.endUser).toEqual({ rpm: 7 });

    const edited = testConfigInput({
      routers: [
        { name: 'model-router', modelSubset: ['big', 'mid', 'small'], routingMode: 'cost' },
      ],
    });
    writeFileSync(file, stringify(edited));
    await expect
      .poll(() => service.current.config.routers[0]!.routingMode, { timeout: 5000 })
      .toBe('cost');
    expect(service.current.config.rateLimits.endUser).toBeUndefined();
    expect(infos.at(-1)).toMatch(/applied .* as version 3$/);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);

    // A setting read at start-up: recorded, and said to wait for a restart.
    writeFileSync(
      file,
      stringify({ ...edited, server: { ...edited.server, requestTimeoutSeconds: 100 } }),
    );
    await expect
      .poll(() => warnings, { timeout: 5000 })
      .toEqual([
        'config reload: server.requestTimeoutSeconds is read at start-up: the new value applies after a restart',
      ]);
  });
});

describe('waitingForRestart', () => {
  it('names the changed paths the schema says are read at start-up, items by name', () => {
    expect(startupOnlyPaths()).toEqual(
      expect.arrayContaining(['server.trustProxy', 'cache.memoryMegabytes']),
    );
    expect(
      waitingForRestart([
        { path: 'server.trustProxy' },
        { path: 'routers[model-router].routingMode' },
        { path: 'responses.background.leaseSeconds' },
      ]),
    ).toEqual(['server.trustProxy', 'responses.background.leaseSeconds']);
  });
});

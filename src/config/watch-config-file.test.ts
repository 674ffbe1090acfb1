// The file watcher's reload follows the start-up rule: a file whose settings did not change (a
// comment edited) leaves the live config and its admin changes alone; a changed file wins.
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
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

/** A config service on `input`, and a log of what the watcher says. */
async function watched(input: ReturnType<typeof testConfigInput>, file: string, pollMs?: number) {
  const clock = createManualClock();
  const service = new ConfigService(
    new ConfigHolder(compileConfig(parseConfigText(stringify(input), file).config)),
    new ConfigVersionStore({ state: new MemoryState(clock), clock }),
  );
  await service.start();
  cleanups.push(() => service.stop());
  const said = { info: [] as string[], warn: [] as string[], error: [] as string[] };
  const log = {
    info: (m: string) => said.info.push(m),
    warn: (m: string) => said.warn.push(m),
    error: (m: string) => said.error.push(m),
  };
  cleanups.push(watchConfigFile(file, service, log, 10, pollMs));
  return { service, said };
}

describe('watchConfigFile', () => {
  it('an unchanged file keeps admin changes; a changed file replaces them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'router.yaml');
    const input = testConfigInput();
    writeFileSync(file, stringify(input));
    const { service, said } = await watched(input, file);
    const { info: infos, warn: warnings, error: errors } = said;

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

describe('watchConfigFile: how the file is changed', () => {
  const costRouter = testConfigInput({
    routers: [{ name: 'model-router', modelSubset: ['big', 'mid', 'small'], routingMode: 'cost' }],
  });

  it('a mounted Kubernetes ConfigMap: the ..data symlink swapped for a new folder', async () => {
    // The kubelet's layout: config.yaml → ..data/config.yaml, ..data → ..<timestamp>; an update
    // writes a new timestamped folder and renames a new ..data symlink over the old one. No
    // event names config.yaml (ops audit F4: such an update was never loaded).
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-cm-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, '..2026_12_06_01'));
    writeFileSync(join(dir, '..2026_12_06_01', 'config.yaml'), stringify(testConfigInput()));
    symlinkSync('..2026_12_06_01', join(dir, '..data'));
    symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
    const { service, said } = await watched(testConfigInput(), join(dir, 'config.yaml'));

    mkdirSync(join(dir, '..2026_12_06_02'));
    writeFileSync(join(dir, '..2026_12_06_02', 'config.yaml'), stringify(costRouter));
    symlinkSync('..2026_12_06_02', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_12_06_01'), { recursive: true });
    await expect
      .poll(() => service.current.config.routers[0]!.routingMode, { timeout: 5000 })
      .toBe('cost');
    expect(said.error).toEqual([]);
  });

  it('a symlink to a file elsewhere, edited where it points', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-link-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'etc', 'router.yaml'), stringify(testConfigInput()));
    symlinkSync(join(dir, 'etc', 'router.yaml'), join(dir, 'app', 'config.yaml'));
    const { service } = await watched(testConfigInput(), join(dir, 'app', 'config.yaml'));
    writeFileSync(join(dir, 'etc', 'router.yaml'), stringify(costRouter));
    await expect
      .poll(() => service.current.config.routers[0]!.routingMode, { timeout: 5000 })
      .toBe('cost');
  });

  it('another file written in its folder does not read it; an event on its name does', async () => {
    // The config is a hard link to a file in a folder not watched: written there, no event names
    // it, so only a read the watcher makes for another file's event would see the change.
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-names-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'app'));
    mkdirSync(join(dir, 'elsewhere'));
    const file = join(dir, 'app', 'router.yaml');
    writeFileSync(file, stringify(testConfigInput()));
    linkSync(file, join(dir, 'elsewhere', 'same.yaml'));
    const { service, said } = await watched(testConfigInput(), file, 3_600_000);

    writeFileSync(join(dir, 'elsewhere', 'same.yaml'), stringify(costRouter));
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, 'app', 'requests.sqlite-wal'), `${i}`);
      await new Promise((r) => setTimeout(r, 40));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(said.info).toEqual([]);
    expect(service.current.config.routers[0]!.routingMode).not.toBe('cost');

    utimesSync(file, new Date(), new Date());
    await expect
      .poll(() => service.current.config.routers[0]!.routingMode, { timeout: 5000 })
      .toBe('cost');
  });

  it("a new port in the file is said to wait for a restart (it is the process's own)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-port-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'router.yaml');
    const input = testConfigInput();
    writeFileSync(file, stringify(input));
    const { said } = await watched(input, file);
    writeFileSync(file, stringify({ ...input, server: { ...input.server, port: 18999 } }));
    await expect
      .poll(() => said.warn, { timeout: 5000 })
      .toEqual([
        "config reload: server.port is this process's own, read at start-up: the new value applies after a restart",
      ]);
    expect(said.info).toEqual([expect.stringContaining('the live config is kept')]);
  });

  // The warning compared with the file read before, not with what the process runs on: a port
  // put back to the one it listens on was said to wait for a restart too.
  it('a port put back to the one the process runs on is not said to wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-watch-port-back-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'router.yaml');
    const input = testConfigInput();
    writeFileSync(file, stringify(input));
    const { service, said } = await watched(input, file);
    const running = service.current.config.server.port;
    writeFileSync(file, stringify({ ...input, server: { ...input.server, port: running + 1 } }));
    await expect.poll(() => said.info.length, { timeout: 5000 }).toBe(1);
    writeFileSync(file, `# back\n${stringify(input)}`);
    await expect.poll(() => said.info.length, { timeout: 5000 }).toBe(2);
    expect(said.warn).toEqual([
      "config reload: server.port is this process's own, read at start-up: the new value applies after a restart",
    ]);
    expect(service.current.config.server.port).toBe(running);
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

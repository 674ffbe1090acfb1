// Starts the BUILT server (dist/, built by the vitest global setup) as a child process on a free
// loopback port with a given config, the way a user runs it; stops it by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.js';

export interface SpawnedServer {
  baseUrl: string;
  pid: number;
  child: ChildProcess;
  /** The config file it was started with (and watches). */
  configPath: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnServer(
  config: ConfigInput,
  env: NodeJS.ProcessEnv = {},
): Promise<SpawnedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mr-e2e-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const port = await portToUse();
  const child = spawn(process.execPath, ['dist/src/main.js', '--config', file, '--port', port], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    // Generous: on a two-core machine whose other test worker is training (two threads), a built
    // server has taken over 20 s to print its first line.
    const timer = setTimeout(() => {
      // Not left running when the test gives up on it (it went on to listen, orphaned, before).
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    baseUrl,
    pid: child.pid as number,
    child,
    configPath: file,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        // Gone already: exited, or killed by a signal (then exitCode stays null).
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        process.kill(child.pid as number, signal);
      }),
  };
}

/**
 * Several servers started at once; if one fails to start, the ones that did are stopped before
 * the error is thrown (a test's `afterAll` never gets their handles then).
 */
export async function spawnServers(
  starts: { config: ConfigInput; env?: NodeJS.ProcessEnv }[],
): Promise<SpawnedServer[]> {
  const settled = await Promise.allSettled(starts.map((s) => spawnServer(s.config, s.env)));
  const failed = settled.find((r) => r.status === 'rejected');
  if (!failed) return settled.map((r) => (r as PromiseFulfilledResult<SpawnedServer>).value);
  await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  throw failed.reason;
}

/**
 * The port to start on: 0 (any free one), or with `E2E_PORT_RANGE=from-to` set (engineers sharing
 * a machine each keep to a range of their own) the first port of the range free now.
 */
async function portToUse(): Promise<string> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.E2E_PORT_RANGE ?? '');
  if (!range) return '0';
  for (let port = Number(range[1]); port <= Number(range[2]); port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return String(port);
  }
  throw new Error(`no free port in E2E_PORT_RANGE ${process.env.E2E_PORT_RANGE}`);
}

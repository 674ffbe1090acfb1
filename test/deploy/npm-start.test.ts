// `npm start` as the README runs it: stopping npm (SIGTERM, as a service manager or `kill` does)
// stops the router too. Before, npm's shell stood between them and the router kept running,
// orphaned, holding the port (tour audit, 2026-12-06). Runs the built `dist/` (the global setup
// builds it) with npm's pre-start build skipped.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PORT = 47311;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('SIGTERM to npm stops the router it started, which drains and exits', async () => {
    const npm = spawn('npm', ['run', 'start', '--ignore-scripts', '--silent'], {
      cwd: join(import.meta.dirname, '..', '..'),
      // The embedded defaults, as the README's quick start (its SQLite log in ./data/).
      env: { ...process.env, PORT: String(PORT) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (b: Buffer) => (out += b.toString()));
    npm.stderr.on('data', (b: Buffer) => (out += b.toString()));
    let routerPid: number | undefined;
    try {
      // The router logs its pid with its first JSON line.
      for (let i = 0; i < 300 && routerPid === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const m = /"pid":(\d+).*listening/.exec(out);
        if (m) routerPid = Number(m[1]);
      }
      expect(routerPid, `the router did not start:\n${out.slice(-2000)}`).toBeDefined();
      expect(routerPid).not.toBe(npm.pid);
      const res = await fetch(`http://127.0.0.1:${PORT}/healthz`);
      expect(res.status).toBe(200);
      const exited = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)));
      npm.kill('SIGTERM');
      await exited;
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        gone = !alive(routerPid!);
        if (!gone) await new Promise((r) => setTimeout(r, 100));
      }
      expect(
        gone,
        `router ${routerPid} still running after npm stopped:\n${out.slice(-2000)}`,
      ).toBe(true);
    } finally {
      if (routerPid !== undefined && alive(routerPid)) process.kill(routerPid, 'SIGKILL');
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 60_000);
});

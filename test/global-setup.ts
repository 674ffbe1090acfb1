// Builds dist/ once so e2e tests can start the real server and CLI the way a user does. tsc emits
// even when there are type errors; those fail `npm run typecheck` (CI), not every test here.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    process.stderr.write(
      `\n[global-setup] WARNING: tsc reported errors (dist/ emitted anyway):\n${out.slice(0, 4000)}\n`,
    );
  }
}

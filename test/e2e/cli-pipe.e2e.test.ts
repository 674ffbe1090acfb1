// The CLI stops quietly when its reader goes away (`model-router … | head`), as Unix tools do,
// instead of dying on an unhandled EPIPE with a stack trace.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('CLI output into a closed pipe', () => {
  it('exits 0 without a stack trace when stdout is closed before it writes', async () => {
    const child = spawn(
      process.execPath,
      ['bin/model-router', 'check-config', 'config/default.yaml'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.destroy(); // the reader is gone before the first line is written
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});

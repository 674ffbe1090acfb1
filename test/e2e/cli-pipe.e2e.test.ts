// The CLI stops quietly when its reader goes away (`model-router … | head`), as Unix tools do,
// instead of dying on an unhandled EPIPE with a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('model-router serve with a config it refuses', () => {
  it('exits 1 with what to fix, before opening anything (it used to exit 0)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mr-serve-')), 'bad.yaml');
    writeFileSync(
      file,
      [
        'deployments:',
        '  - { name: a, provider: simulated, model: sim-a, prices: { inputPer1M: 1, outputPer1M: 2 }, contextWindow: 8000, maxOutputTokens: 1000 }',
        'routers:',
        '  - { name: model-router, modelSubset: [a], version: 2026-11-30x }',
        'requestLog: { kind: none }',
      ].join('\n'),
    );
    const run = spawnSync(
      process.execPath,
      ['bin/model-router', 'serve', '--config', file, '--port', '0'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('routers[0].version: no routing artefact "2026-11-30x"');
    expect(run.stderr).not.toContain('listening');
  });
});

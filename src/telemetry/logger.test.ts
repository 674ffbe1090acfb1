// The logger batches its writes but holds no line for long: a warning is written at once, other
// lines on the flush timer, and the timer never keeps a process alive (the exit flushes the rest).
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** Resolves once `file` holds `text`; rejects after a generous wait (the test then fails). */
async function waitForText(file: string, text: string, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    let content = '';
    try {
      content = readFileSync(file, 'utf8');
    } catch {
      // not created yet
    }
    if (content.includes(text)) return;
    if (Date.now() > deadline) throw new Error(`"${text}" never reached the log:\n${content}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A log file and its open descriptor (the server writes to one too: standard output). */
function logFile(): { file: string; fd: number } {
  const file = join(mkdtempSync(join(tmpdir(), 'mr-log-')), 'out.log');
  return { file, fd: openSync(file, 'a') };
}

describe('createLogger', () => {
  it('writes a warning or an error out at once, not when 4 KB have gathered', async () => {
    const { file, fd } = logFile();
    // No timer: only the warn-level flush can write these short lines before 4 KB.
    const logger = createLogger({ level: 'info', dest: fd, flushEveryMs: 0 });
    logger.warn('config reload: rejected');
    // Logged while the warning's write is under way: written once that write drains.
    logger.child({ reqId: 'r1' }).error('upstream down');
    await waitForText(file, 'config reload: rejected');
    await waitForText(file, 'upstream down');
  });

  it('writes quieter lines out on its timer', async () => {
    const { file, fd } = logFile();
    const logger = createLogger({ level: 'info', dest: fd, flushEveryMs: 50 });
    logger.info('listening');
    await waitForText(file, 'listening');
  });

  it('lets the process exit while lines wait, and writes them out as it exits', async () => {
    // The built module (test/global-setup.ts builds dist/), as the server runs it.
    const script = [
      "import { createLogger } from './dist/src/telemetry/logger.js';",
      "createLogger({ level: 'info' }).info('last words');",
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`the process did not exit (a timer kept it alive):\n${out}`));
      }, 10_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(out).toContain('"msg":"last words"');
  });
});

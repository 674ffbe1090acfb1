// Attached PDFs read by the BUILT server (dist/, as `npm start` and the Docker image run it): its
// worker thread script is emitted beside pdf-text.js and runs there; a PDF that pdf.js takes
// seconds to open is cut at pdfTimeoutMs while the server answers others meanwhile (before, in
// the server's own thread, /healthz waited for it); the next PDF is read; SIGTERM exits 0 with a
// thread started. A process that read a PDF and has nothing else to do exits by itself, whatever
// node flags it was started with. The guard only stops a broken build from hanging.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chatWithPdf } from '../helpers/chat-with-pdf.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';
import { slowPdf, tinyPdf } from '../helpers/tiny-pdf.js';

const GUARD_MS = 20_000;

let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
});

async function within<T>(work: Promise<T>): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), GUARD_MS);
  });
  try {
    return await Promise.race([work, guard]);
  } finally {
    clearTimeout(timer);
  }
}

const postPdf = (pdf: Buffer, filename: string) => chatWithPdf(server!.baseUrl, pdf, filename);

describe('the built server reads attached PDFs in a worker thread', () => {
  it('reads, cuts a slow PDF at its deadline while serving others, reads the next, exits on SIGTERM', async () => {
    server = await spawnServer(
      testConfigInput({
        server: { host: '127.0.0.1', port: 0, logLevel: 'warn', bodyLimitBytes: 48_000_000 },
        contentFilter: {
          enabled: true,
          rules: [{ id: 'no-secrets', kind: 'keyword', patterns: ['bluebird'], action: 'block' }],
          // Room for a fresh thread's start (~0.2-0.6 s), far less than the slow PDF's ~7 s.
          files: { maxBytes: 32_000_000, pdfTimeoutMs: 2_500, onUnreadable: 'block' },
        },
      }),
    );
    const blocked = await postPdf(tinyPdf(['Project bluebird']), 'report.pdf');
    expect(blocked.status).toBe(400);
    expect(((await blocked.json()) as { error: { message: string } }).error.message).toContain(
      'in the attached file "report.pdf"',
    );

    let slowAnswered = false;
    const slow = postPdf(slowPdf(30_000_000), 'slow.pdf').then((r) => {
      slowAnswered = true;
      return r;
    });
    // Give the server the 40 MB body to read and pdf.js a start on it, then ask something else.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(slowAnswered).toBe(false);
    const cut = await slow;
    expect(cut.status).toBe(400);
    expect(((await cut.json()) as { error: { message: string } }).error.message).toContain(
      'attached file "slow.pdf" not checked: a PDF whose text took longer than contentFilter.files.pdfTimeoutMs (2500 ms) to read',
    );

    const fine = await postPdf(tinyPdf(['Quarterly report']), 'q.pdf');
    expect(fine.status).toBe(200);

    expect(await within(server.stop('SIGTERM'))).toBe(0);
  });

  it('a process that read a PDF exits by itself, and its node flags do not reach the thread', () => {
    const built = pathToFileURL(resolve('dist/src/files/pdf-text.js')).href;
    const pdf = tinyPdf(['read, then done']).toString('base64');
    const script = `
      const { PdfTextPool } = await import(${JSON.stringify(built)});
      const read = await new PdfTextPool().extract(Buffer.from('${pdf}', 'base64'), {
        maxPages: 5,
        timeoutMs: 10000,
      });
      console.log(JSON.stringify(read));`;
    // --input-type is refused in a worker thread: inherited, the thread would not start.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: GUARD_MS,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0); // null: killed by the guard, still running
    expect(JSON.parse(child.stdout)).toEqual({ text: 'read, then done', pages: 1, unread: 0 });
  });
});

// A decompression bomb attached to a chat request, sent to the BUILT server: an 8 KB PDF whose
// content stream inflates to 512 MB (pdf.js expands it in JavaScript, in one synchronous loop, into
// a buffer it doubles: memory the reader thread's 256 MB heap cap does not count). The thread ends
// itself at its 256 MB buffer cap: the file is reported too large (onUnreadable: block refuses the
// request saying so), the server's peak RSS grows by far less than the inflated size, the lost
// thread is logged and counted in /metrics, and the server serves on (/healthz, the next PDF).
// Before the cap the PDF was read to its end or to pdfTimeoutMs, the server growing by ~1 GB.
// Takes ~7 s on a loaded 2-core machine (the server starts; the thread inflates up to its cap).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bombPdf } from '../helpers/bomb-pdf.js';
import { chatWithPdf } from '../helpers/chat-with-pdf.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';
import { tinyPdf } from '../helpers/tiny-pdf.js';

let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
});

const postPdf = (pdf: Buffer, filename: string) => chatWithPdf(server!.baseUrl, pdf, filename);

/** The server's peak resident memory so far, in MB (Linux: VmHWM in /proc/<pid>/status). */
function peakRssMb(pid: number): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(hwm![1]) / 1024;
}

describe.runIf(process.platform === 'linux')('the built server and a decompression bomb', () => {
  it('reports the PDF too large, grows by far less than 512 MB, logs and counts it, serves on', async () => {
    server = await spawnServer(
      testConfigInput({
        server: { host: '127.0.0.1', port: 0, logLevel: 'warn' },
        contentFilter: {
          enabled: true,
          rules: [{ id: 'no-secrets', kind: 'keyword', patterns: ['bluebird'], action: 'block' }],
          files: { pdfTimeoutMs: 15_000, onUnreadable: 'block' },
        },
      }),
    );
    // A PDF read first: the thread started and pdf.js loaded, so the growth below is the bomb's.
    expect((await postPdf(tinyPdf(['Quarterly report']), 'first.pdf')).status).toBe(200);
    const before = peakRssMb(server.pid);

    const bomb = await bombPdf(512, 'flate+runlength');
    expect(bomb.length).toBeLessThan(20_000);
    const refused = await postPdf(bomb, 'bomb.pdf');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'attached file "bomb.pdf" not checked: a PDF whose decompressed streams pass the 256 MB its reader may hold',
    );
    expect(peakRssMb(server.pid) - before).toBeLessThan(400);

    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect((await postPdf(tinyPdf(['Quarterly report']), 'next.pdf')).status).toBe(200);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain('model_router_pdf_text_extractions_total{outcome="too_large"} 1');
    expect(metrics).toContain('model_router_pdf_text_extractions_total{outcome="ok"} 2');
    expect(server.output()).toContain(
      'a PDF reader thread passed its 256 MB of buffers decompressing: its PDF is not read',
    );
  });
});

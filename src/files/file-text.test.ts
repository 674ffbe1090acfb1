// Inline files as text for the content filter: encodings written back as they came, PDFs' pages
// read up to the cap, and what cannot be read said with a status-like code, never thrown. A PDF
// that pdf.js takes seconds to open is cut at pdfTimeoutMs while the event loop serves on (pdf.js
// runs in a worker thread: on the loop, it stopped everything for those seconds).
import { describe, expect, it } from 'vitest';
import { slowPdf, tinyPdf } from '../../test/helpers/tiny-pdf.js';
import { readFileText, type FileText } from './file-text.js';

const LIMITS = { maxBytes: 1_000, maxPdfPages: 2, pdfTimeoutMs: 10_000 };

function asText(f: FileText) {
  if (f.kind !== 'text') throw new Error(`expected text, got ${JSON.stringify(f)}`);
  return f;
}

describe('readFileText', () => {
  it('decodes a charset Node writes and writes the text back in it, header as sent', async () => {
    const latin1 = Buffer.from('café ann@example.com', 'latin1').toString('base64');
    const f = asText(
      await readFileText(`data:text/plain;charset=ISO-8859-1;base64,${latin1}`, 'a.txt', LIMITS),
    );
    expect(f.text).toBe('café ann@example.com');
    expect(f.rewrite('café [x]')).toBe(
      `data:text/plain;charset=ISO-8859-1;base64,${Buffer.from('café [x]', 'latin1').toString('base64')}`,
    );
  });

  it('reads percent-encoded data URLs and bare base64 (typed by the name or the bytes)', async () => {
    const pct = asText(await readFileText('data:text/csv,a%2Cb%0A1%2C2', undefined, LIMITS));
    expect(pct.text).toBe('a,b\n1,2');
    expect(pct.rewrite('x,y')).toBe('data:text/csv,x%2Cy');
    const bare = asText(
      await readFileText(Buffer.from('{"a":1}').toString('base64'), 'a.json', LIMITS),
    );
    expect(bare.text).toBe('{"a":1}');
    expect(bare.rewrite('{}')).toBe(Buffer.from('{}').toString('base64'));
    const pdf = await readFileText(tinyPdf(['bare pdf']).toString('base64'), undefined, LIMITS);
    expect(pdf).toMatchObject({ kind: 'pdf', text: 'bare pdf' });
  });

  it('reads a PDF labelled as text by its bytes, and only its first maxPdfPages pages', async () => {
    const f = await readFileText(
      `data:text/plain;base64,${tinyPdf(['one', 'two', 'three']).toString('base64')}`,
      'x.txt',
      { ...LIMITS, maxBytes: 10_000 },
    );
    expect(f).toEqual({
      kind: 'pdf',
      text: 'one\n\ntwo',
      unread: 'pages 3-3 not read (contentFilter.files.maxPdfPages is 2)',
    });
  });

  it('says why a file is not read: too large, a type it cannot read, a PDF that does not parse', async () => {
    const big = Buffer.alloc(2_000, 'a').toString('base64');
    expect(await readFileText(`data:text/plain;base64,${big}`, 'a.txt', LIMITS)).toEqual({
      kind: 'unreadable',
      code: 413,
      reason: 'larger than contentFilter.files.maxBytes (1000 bytes)',
    });
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]).toString('base64');
    expect(await readFileText(`data:application/zip;base64,${zip}`, 'a.zip', LIMITS)).toMatchObject(
      {
        kind: 'unreadable',
        code: 422,
        reason: 'of type application/zip, which the filter cannot read',
      },
    );
    const broken = Buffer.from('%PDF-1.4\nnot really').toString('base64');
    expect(await readFileText(`data:application/pdf;base64,${broken}`, 'b.pdf', LIMITS)).toEqual({
      kind: 'unreadable',
      code: 422,
      reason: expect.stringMatching(/^not a readable PDF \(/),
    });
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    expect(await readFileText(`data:image/png;base64,${png}`, 'a.png', LIMITS)).toEqual({
      kind: 'image',
    });
  });

  it('cuts a PDF that is slow to open at pdfTimeoutMs, the event loop ticking meanwhile', async () => {
    const limits = { maxBytes: 10_000_000, maxPdfPages: 2, pdfTimeoutMs: 300 };
    // A fresh thread's first PDF loads pdf.js (~0.2-0.6 s): not under the slow PDF's deadline.
    const roomy = { ...limits, pdfTimeoutMs: 30_000 };
    // Warm: pdf.js loaded, so the ticks below are counted while the slow PDF itself is parsed.
    expect(await readFileText(tinyPdf(['warm']).toString('base64'), 'w.pdf', roomy)).toMatchObject({
      kind: 'pdf',
    });
    const slow = `data:application/pdf;base64,${slowPdf().toString('base64')}`;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const reading = readFileText(slow, 'slow.pdf', limits);
    const atStart = ticks;
    const read = await reading.finally(() => clearInterval(ticker));
    expect(read).toEqual({
      kind: 'unreadable',
      code: 408,
      reason: 'a PDF whose text took longer than contentFilter.files.pdfTimeoutMs (300 ms) to read',
    });
    // In-thread, pdf.js parsed the catalog in one step of ~2 s: no tick until it was done, then
    // at most one (an interval that missed its times fires once). Off-thread the loop ticks on: 3
    // or more, a count a loaded machine still reaches (at load 15 it gave 17 where a quiet one
    // gives ~300; a threshold of 20 failed CI there).
    expect(ticks - atStart).toBeGreaterThanOrEqual(3);
    const next = await readFileText(tinyPdf(['next one']).toString('base64'), 'n.pdf', roomy);
    expect(next).toEqual({ kind: 'pdf', text: 'next one' });
  });
});

// PDFs that are small but whose one content stream inflates to `mb` MB of spaces ("decompression
// bombs"), for the PDF reader threads' buffer cap (src/files/pdf-worker.mjs). Two kinds, as pdf.js
// inflates two ways: `flate` (~1,000:1), which pdf.js hands to zlib (DecompressionStream) and
// gathers chunk by chunk; `flate+runlength`, a FlateDecode stream of RunLengthDecode runs (each 2
// bytes for 128 spaces), which pdf.js expands in JavaScript, in one synchronous loop, into a buffer
// it doubles (a few KB for 512 MB).
import { once } from 'node:events';
import { createDeflate, deflateSync } from 'node:zlib';
import { pdfFile } from './tiny-pdf.js';

/** `times` copies of `chunk`, deflated as they are written (the whole is never held). */
async function deflateRepeated(chunk: Buffer, times: number): Promise<Buffer> {
  const deflate = createDeflate();
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  for (let i = 0; i < times; i++) if (!deflate.write(chunk)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  return Buffer.concat(out);
}

/** A one-page PDF whose content stream inflates to `mb` MB of spaces. */
export async function bombPdf(mb: number, kind: 'flate' | 'flate+runlength'): Promise<Buffer> {
  let stream: Buffer;
  if (kind === 'flate') stream = await deflateRepeated(Buffer.alloc(1 << 20, ' '), mb);
  else {
    // 0x81 then a byte: that byte 128 times (PDF 32000-1 §7.4.5).
    const runs = Buffer.alloc((mb << 20) / 64);
    for (let i = 0; i < runs.length; i += 2) runs.set([0x81, 0x20], i);
    stream = deflateSync(runs);
  }
  const filter = kind === 'flate' ? '/FlateDecode' : '[/FlateDecode /RunLengthDecode]';
  return pdfFile([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    Buffer.concat([
      Buffer.from(`<< /Length ${stream.length} /Filter ${filter} >>\nstream\n`, 'latin1'),
      stream,
      Buffer.from('\nendstream', 'latin1'),
    ]),
  ]);
}

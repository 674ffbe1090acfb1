#!/usr/bin/env node
// What reading attached PDFs in a worker thread (src/files/pdf-text.ts) costs against reading them
// on the event loop: per PDF, warm (a 1-page and a 100-page PDF, the same pdf.js work in this
// thread vs through the pool's thread), the first PDF of a fresh process (cold: pdf.js's import,
// plus the thread's start), the first PDF of a fresh thread in a warm process (what the PDF after a
// timeout pays), the longest event-loop stall while reading, and the least thread heap
// (`maxHeapMb`) that reads each PDF. Run after `npm run build`:
//   node scripts/measure-pdf-worker.mjs [more.pdf ...]
// AGAINST=<dist of an older build> also times that build's in-thread `extractPdfText` (the code
// before the worker, which gave the loop back between pdf.js steps), cold and warm.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(resolve(root, 'dist', p)).href;
const { PdfTextPool } = await import(dist('src/files/pdf-text.js'));
const { extractText } = await import(dist('src/files/pdf-worker.mjs'));
const against = process.env.AGAINST
  ? await import(pathToFileURL(resolve(process.env.AGAINST, 'src/files/pdf-text.js')).href)
  : undefined;
const LIMITS = { maxPages: 100, timeoutMs: 60_000 };

/** A PDF with one page per entry (as test/helpers/tiny-pdf.ts builds them). */
function pdfOf(pages) {
  const pageIds = pages.map((_, i) => 4 + i * 2);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  pages.forEach((lines, i) => {
    const shown = lines.map((l, j) => `1 0 0 1 40 ${780 - j * 12} Tm (${l}) Tj`).join('\n');
    const stream = `BT /F1 10 Tf\n${shown}\nET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageIds[i] + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    );
  });
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const line = (p, l) =>
  `Page ${p} line ${l}: the quick brown fox jumps over the lazy dog 0123456789`;
const PDFS = {
  '1 page': pdfOf([['Quarterly report, one page.']]),
  // 100 pages of 60 lines, ~5,000 characters each: 500,000 characters in all.
  '100 pages': pdfOf(
    Array.from({ length: 100 }, (_, p) => Array.from({ length: 60 }, (_, l) => line(p, l))),
  ),
};
const childOf = process.argv[2] === '--cold' ? process.argv.slice(3, 5) : undefined;
const files = process.argv.slice(childOf ? 5 : 2);
for (const file of files) PDFS[basename(file)] = readFileSync(file);

const READERS = {
  'in this thread': (bytes) => extractText(new Uint8Array(bytes), LIMITS.maxPages),
  ...(against ? { 'in this thread, AGAINST build': (b) => against.extractPdfText(b, LIMITS) } : {}),
};

// A child that times its first PDF: `--cold <reader> <name>`.
if (childOf) {
  const [reader, name] = childOf;
  const bytes = PDFS[name];
  const pool = new PdfTextPool({ threads: 1 });
  const read = reader === 'worker' ? (b) => pool.extract(b, LIMITS) : READERS[reader];
  const t0 = performance.now();
  await read(bytes);
  process.stdout.write(String(performance.now() - t0));
  await pool.close();
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const ms = (x) => `${x.toFixed(2)} ms`;

async function timeEach(read, bytes, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const copy = Buffer.from(bytes); // each call takes its bytes
    const t0 = performance.now();
    await read(copy);
    times.push(performance.now() - t0);
  }
  return times;
}

/** The longest gap between two ticks of a 1 ms timer while `bytes` is read 5 times. */
async function longestStall(read, bytes) {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const ticker = setInterval(tick, 1);
  await timeEach(read, bytes, 5);
  tick();
  clearInterval(ticker);
  return longest;
}

function cold(reader, name, n = 5) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const args = [fileURLToPath(import.meta.url), '--cold', reader, name, ...files];
    const r = spawnSync(process.execPath, args, { env: process.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold run failed: ${r.stderr}`);
    times.push(Number(r.stdout));
  }
  return median(times);
}

console.log(`node ${process.version}, ${process.platform}; medians (p90) of warm reads\n`);
const pool = new PdfTextPool({ threads: 1 });
const viaPool = (b) => pool.extract(b, LIMITS);
for (const [name, bytes] of Object.entries(PDFS)) {
  const n = bytes.length > 100_000 ? 50 : 200;
  console.log(`${name} (${bytes.length} bytes, ${n} reads each, alternated in blocks of 10):`);
  const readers = { ...READERS, 'worker thread': viaPool };
  const times = Object.fromEntries(Object.keys(readers).map((k) => [k, []]));
  for (const read of Object.values(readers)) await timeEach(read, bytes, 3); // warm up
  for (let block = 0; block < n / 10; block++)
    for (const [k, read] of Object.entries(readers))
      times[k].push(...(await timeEach(read, bytes, 10)));
  for (const [k, t] of Object.entries(times))
    console.log(`  ${k.padEnd(32)} ${ms(median(t))} (${ms(p90(t))})`);
  const added = median(times['worker thread']) - median(times['in this thread']);
  console.log(`  added by the thread's round trip: ${ms(added)}`);
  for (const reader of [...Object.keys(READERS), 'worker'])
    console.log(`  first PDF of a fresh process, ${reader.padEnd(30)} ${ms(cold(reader, name))}`);
  const fresh = [];
  for (let i = 0; i < 5; i++) {
    const p = new PdfTextPool({ threads: 1 });
    const t0 = performance.now();
    await p.extract(Buffer.from(bytes), LIMITS);
    fresh.push(performance.now() - t0);
    await p.close();
  }
  console.log(`  first PDF of a fresh thread in a warm process: ${ms(median(fresh))}`);
  for (const [k, read] of Object.entries(readers))
    console.log(
      `  longest event-loop stall, ${k.padEnd(30)} ${ms(await longestStall(read, bytes))}`,
    );
  let least = 'more than 256';
  for (const mb of [8, 12, 16, 24, 32, 48, 64, 128, 256]) {
    const p = new PdfTextPool({ threads: 1, maxHeapMb: mb });
    const ok = await p.extract(Buffer.from(bytes), LIMITS).then(
      () => true,
      () => false,
    );
    await p.close();
    if (ok) {
      least = String(mb);
      break;
    }
  }
  console.log(`  least maxHeapMb that reads it: ${least}\n`);
}
await pool.close();

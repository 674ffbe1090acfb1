#!/usr/bin/env node
// What reading attached PDFs in a worker thread (src/files/pdf-text.ts) costs against reading them
// on the event loop: per PDF, warm (a 1-page and a 100-page PDF, the same pdf.js work in this
// thread vs through the pool's thread), the first PDF of a fresh process (cold: pdf.js's import,
// plus the thread's start), the first PDF of a fresh thread in a warm process (what the PDF after a
// timeout pays), the longest event-loop stall while reading, and the least thread heap
// (`maxHeapMb`) that reads each PDF. Then decompression bombs: a PDF of half a megabyte whose
// one stream inflates to 512 MB, read with the threads' buffer cap (`maxBufferMb`) and without,
// the process's resident memory sampled every 10 ms meanwhile (the thread's ArrayBuffers are its
// own isolate's: this thread's `memoryUsage().arrayBuffers` does not see them, the RSS does);
// and what the cap costs a 100-page PDF. Run after `npm run build`:
//   node scripts/measure-pdf-worker.mjs [more.pdf ...]
//   node scripts/measure-pdf-worker.mjs --bombs    (the bombs and the cap's cost only)
// AGAINST=<dist of an older build> also times that build's in-thread `extractPdfText` (the code
// before the worker, which gave the loop back between pdf.js steps), cold and warm.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(resolve(root, 'dist', p)).href;
const { PdfTextPool, PDF_THREAD_BUFFER_MB } = await import(dist('src/files/pdf-text.js'));
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
const bombsOnly = process.argv[2] === '--bombs';
const bombChild = process.argv[2] === '--bomb';
const files = bombChild ? [] : process.argv.slice(childOf ? 5 : bombsOnly ? 3 : 2);
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

if (bombChild) {
  process.stdout.write(await readSampled(process.argv.slice(3)));
  process.exit(0);
}
console.log(`node ${process.version}, ${process.platform}; medians (p90) of warm reads\n`);
if (!bombsOnly) await measureReads();
await measureBombs();

async function measureReads() {
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
}

/**
 * A one-page PDF whose one stream inflates to `mb` MB of spaces: its page's content stream,
 * deflated (`content`, ~1,000:1; pdf.js hands it to zlib), the same with a wrong checksum
 * (`checksum`: zlib refuses it at its end, and pdf.js inflates it again in JavaScript), deflated
 * RunLengthDecode runs (`runlength`: 2 bytes for 128 spaces, expanded by pdf.js in JavaScript, in
 * one synchronous loop), or the TrueType font file its text uses (`font`, deflated).
 */
function bombPdf(mb, where) {
  let deflated;
  if (where === 'runlength') {
    const runs = Buffer.alloc((mb << 20) / 64);
    for (let i = 0; i < runs.length; i += 2) runs.set([0x81, 0x20], i);
    deflated = deflateSync(runs);
  } else {
    const chunk = Buffer.alloc(1 << 20, ' ');
    deflated = deflateSync(Buffer.concat(Array.from({ length: mb }, () => chunk)), { level: 9 });
  }
  if (where === 'checksum') {
    const at = deflated.length - 4;
    deflated.writeUInt32BE((deflated.readUInt32BE(at) ^ 1) >>> 0, at);
  }
  const filter = where === 'runlength' ? '[/FlateDecode /RunLengthDecode]' : '/FlateDecode';
  const text = 'BT /F1 12 Tf 72 720 Td (hello) Tj ET';
  const bomb = [`<< /Length ${deflated.length} /Filter ${filter} >>\nstream\n`, deflated];
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    where === 'font' ? `<< /Length ${text.length} >>\nstream\n${text}\nendstream` : bomb,
    '<< /Type /Font /Subtype /TrueType /BaseFont /Bomb /FirstChar 32 /LastChar 126 /Widths [] /FontDescriptor 6 0 R >>',
    '<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>',
    ...(where === 'font' ? [bomb] : []),
  ];
  const parts = [];
  let length = 0;
  const offsets = [];
  const add = (b) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    length += buf.length;
  };
  add('%PDF-1.4\n');
  objects.forEach((o, i) => {
    offsets.push(length);
    add(`${i + 1} 0 obj\n`);
    if (Array.isArray(o)) {
      add(o[0]);
      add(o[1]);
      add('\nendstream');
    } else add(o);
    add('\nendobj\n');
  });
  const xref = length;
  add(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
  add(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join(''));
  add(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

/**
 * In a child (`--bomb <file> <maxBufferMb> <timeoutMs>`), so that its RSS is this read's alone:
 * reads the PDF on a fresh one-thread pool (started and warmed first), sampling the process's RSS
 * every 10 ms; prints a line.
 */
async function readSampled([file, maxBufferMb, timeoutMs]) {
  const pool = new PdfTextPool({ threads: 1, maxBufferMb: Number(maxBufferMb) });
  await pool.extract(pdfOf([['warm']]), LIMITS);
  const bytes = readFileSync(file);
  const mb = (x) => Math.round(x / 1048576);
  const before = process.memoryUsage();
  let peak = before.rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const t0 = performance.now();
  const outcome = await pool.extract(bytes, { maxPages: 100, timeoutMs: Number(timeoutMs) }).then(
    (r) => `read (${r.text.length} characters)`,
    (e) => e.reason,
  );
  const took = performance.now() - t0;
  clearInterval(sampler);
  const after = process.memoryUsage();
  await pool.close();
  const rss = `RSS ${mb(before.rss)} -> peak ${mb(peak)} MB (+${mb(peak - before.rss)})`;
  const ab = `this thread's arrayBuffers ${mb(before.arrayBuffers)} -> ${mb(after.arrayBuffers)} MB`;
  return `${outcome} after ${ms(took)}; ${rss}; ${ab}`;
}

async function measureBombs() {
  const dir = mkdtempSync(join(tmpdir(), 'pdf-bombs-'));
  for (const where of ['content', 'checksum', 'runlength', 'font']) {
    const bytes = bombPdf(512, where);
    const file = join(dir, `${where}.pdf`);
    writeFileSync(file, bytes);
    console.log(`bomb: 512 MB of spaces, ${where}, ${bytes.length} bytes:`);
    for (const [name, cap, timeoutMs] of [
      ['no buffer cap, pdfTimeoutMs 5000', 0, 5_000],
      ['no buffer cap, pdfTimeoutMs 60000', 0, 60_000],
      ['buffer cap 256 MB (default), pdfTimeoutMs 60000', PDF_THREAD_BUFFER_MB, 60_000],
    ]) {
      const args = [fileURLToPath(import.meta.url), '--bomb', file, String(cap), String(timeoutMs)];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bomb run failed: ${r.stderr}`);
      console.log(`  ${name.padEnd(50)} ${r.stdout}`);
    }
  }
  rmSync(dir, { recursive: true });
  const bytes = PDFS['100 pages'];
  const pools = {
    'buffer cap 256 MB (default)': new PdfTextPool({ threads: 1 }),
    'no buffer cap': new PdfTextPool({ threads: 1, maxBufferMb: 0 }),
  };
  const reads = Object.fromEntries(Object.keys(pools).map((k) => [k, []]));
  for (const p of Object.values(pools)) await timeEach((b) => p.extract(b, LIMITS), bytes, 3);
  // Which goes first alternates too, so that neither always reads right after the other.
  for (let block = 0; block < 10; block++) {
    const order = Object.entries(pools);
    for (const [k, p] of block % 2 ? order.reverse() : order)
      reads[k].push(...(await timeEach((b) => p.extract(b, LIMITS), bytes, 10)));
  }
  console.log(`\n100 pages through a thread, 100 reads each, alternated in blocks of 10:`);
  for (const [k, t] of Object.entries(reads))
    console.log(`  ${k.padEnd(32)} ${ms(median(t))} (${ms(p90(t))})`);
  await Promise.all(Object.values(pools).map((p) => p.close()));
}

// A minimal valid PDF written by hand (PDF 1.4, ISO 32000-1 §7.5: header, objects, cross-reference
// table, trailer): one page per string, each in Helvetica, so tests can attach a PDF whose text
// they choose without a PDF-writing dependency.

/** The bytes of a PDF with one page per entry of `pages`, each showing that text. */
export function tinyPdf(pages: readonly string[]): Buffer {
  const pageIds = pages.map((_, i) => 4 + i * 2);
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  for (const [i, text] of pages.entries()) {
    const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
    const stream = `BT /F1 12 Tf 72 720 Td (${escaped}) Tj ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageIds[i]! + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    );
  }
  return pdfFile(objects);
}

/**
 * A PDF file of these objects, numbered from 1 (the first is the catalog), with the header,
 * cross-reference table and trailer; a Buffer body holds bytes as they are (a compressed stream).
 */
export function pdfFile(objects: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  const add = (b: string | Buffer) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    length += buf.length;
  };
  add('%PDF-1.4\n');
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    add(`${i + 1} 0 obj\n`);
    add(o);
    add('\nendobj\n');
  });
  const xref = length;
  add(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
  add(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join(''));
  add(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

/**
 * A PDF that pdf.js takes seconds to open, in one step that cannot be interrupted (measured: 2 s
 * for the default 9 MB): its catalog holds an array of millions of numbers, parsed at once.
 */
export function slowPdf(bytes = 9_000_000): Buffer {
  const numbers = '0 '.repeat(Math.max(1, Math.floor(bytes / 2)));
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R /Padding [${numbers}] >>`,
    '<< /Type /Pages /Kids [] /Count 0 >>',
  ];
  const body = objects.map((o, i) => `${i + 1} 0 obj\n${o}\nendobj\n`).join('');
  // No cross-reference table: pdf.js finds the objects by scanning, as for a damaged file.
  return Buffer.from(`%PDF-1.4\n${body}trailer\n<< /Root 1 0 R >>\n%%EOF\n`, 'latin1');
}

// Self-contained SVG charts for the HTML reports the CLI writes (compare, distribution): a report
// opens from disk with no scripts and no network, so the charts are plain SVG.

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A stable colour per series key (Tableau-10, then cycling). */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
export function colourFor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

export interface Bar {
  label: string;
  value: number;
  /** Text after the bar; defaults to the value formatted by `format`. */
  note?: string;
}

/** Horizontal bars, one per label, scaled to the largest value. */
export function barChart(opts: {
  title: string;
  bars: Bar[];
  format?: (v: number) => string;
  width?: number;
}): string {
  const format = opts.format ?? ((v: number) => String(v));
  const width = opts.width ?? 900;
  const labelW = 220;
  const rowH = 24;
  const top = 30;
  const max = Math.max(0, ...opts.bars.map((b) => b.value)) || 1;
  const barMax = width - labelW - 330;
  const height = top + opts.bars.length * rowH + 10;
  const rows = opts.bars
    .map((b, i) => {
      const y = top + i * rowH;
      const w = Math.max(1, (Math.max(0, b.value) / max) * barMax);
      return `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end" font-size="12">${escapeHtml(b.label)}</text><rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colourFor(i)}"><title>${escapeHtml(`${b.label}: ${format(b.value)}`)}</title></rect><text x="${(labelW + w + 6).toFixed(1)}" y="${y + 16}" font-size="12">${escapeHtml(b.note ?? format(b.value))}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(opts.title)}"><text x="0" y="18" font-size="14" font-weight="bold">${escapeHtml(opts.title)}</text>\n${rows}\n</svg>`;
}

export interface StackedRow {
  label: string;
  /** Counts per series key; drawn as shares of the row total. */
  parts: Record<string, number>;
}

/** 100%-stacked horizontal bars (one row per bucket, one colour per series), with a legend. */
export function stackedShareChart(opts: {
  title: string;
  rows: StackedRow[];
  keys: string[];
  width?: number;
}): string {
  const width = opts.width ?? 900;
  const labelW = 260;
  const rowH = 26;
  const legendRows = Math.ceil(opts.keys.length / 2);
  const top = 30 + legendRows * 18 + 8;
  const barW = width - labelW - 70;
  const height = top + opts.rows.length * rowH + 10;
  const legend = opts.keys
    .map((k, i) => {
      const x = (i % 2) * ((width - 10) / 2);
      const y = 30 + Math.floor(i / 2) * 18;
      return `<rect x="${x.toFixed(1)}" y="${y}" width="12" height="12" fill="${colourFor(i)}"/><text x="${(x + 16).toFixed(1)}" y="${y + 11}" font-size="12">${escapeHtml(k)}</text>`;
    })
    .join('');
  const rows = opts.rows
    .map((r, i) => {
      const y = top + i * rowH;
      const total = opts.keys.reduce((a, k) => a + (r.parts[k] ?? 0), 0);
      let x = labelW;
      const segs = opts.keys
        .map((k, j) => {
          const v = r.parts[k] ?? 0;
          if (!v || !total) return '';
          const w = (v / total) * barW;
          const seg = `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colourFor(j)}"><title>${escapeHtml(`${r.label} → ${k}: ${v} (${((v / total) * 100).toFixed(1)}%)`)}</title></rect>`;
          x += w;
          return seg;
        })
        .join('');
      return `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end" font-size="12">${escapeHtml(r.label)}</text>${segs}<text x="${labelW + barW + 6}" y="${y + 17}" font-size="12">n=${total}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(opts.title)}"><text x="0" y="18" font-size="14" font-weight="bold">${escapeHtml(opts.title)}</text>${legend}\n${rows}\n</svg>`;
}

/** A plain HTML table; cells are escaped. */
export function htmlTable(head: string[], rows: (string | number)[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left}th{background:#f4f4f4}svg{display:block;margin:.5rem 0 1.5rem}</style></head><body>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

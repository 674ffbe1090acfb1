// The `eval --out` report: an HTML page with each mode's figures and shares, the same per source,
// and an SVG quality-versus-cost chart of the router (a sweep over the bands' whole range), each
// single model, random (best single ↔ cheapest) and the oracle: one chart per test file, since
// each file has its own models and score scale (one chart of several would mix them).
import { pickFor, type PromptOutcome } from './score-test-rows.js';
import { shareText, type EvalSummary } from './eval-summary.js';
import { summarize, type EvalReport } from './evaluate.js';

/** The Balanced band swept for the chart: the calibration grid's range, 1.5 (quality) to −2. */
export const SWEEP = Array.from({ length: 141 }, (_, i) => 1.5 - i * 0.025);

interface Point {
  cost: number;
  quality: number;
  label: string;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** A ratio to three places; "–" where it has none (a reference of 0). */
function fixed(x: number | null): string {
  return x === null ? '–' : x.toFixed(3);
}

function escape(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}

export function renderEvalHtml(report: EvalReport, outcomes: PromptOutcome[]): string {
  const rows = Object.entries(report.modes)
    .map(
      ([m, r]) =>
        `<tr><td>${m}</td><td>${r.quality.toFixed(4)}</td><td>${fixed(r.quality_ratio)} ± ${fixed(r.quality_ratio_se)}</td><td>${fixed(r.cost_ratio)}</td><td>${escape(shareText(r.share))}</td></tr>`,
    )
    .join('');
  const best = report.best_single;
  const byFile = new Map<string, PromptOutcome[]>();
  for (const o of outcomes) {
    const own = byFile.get(o.row.group);
    if (own) own.push(o);
    else byFile.set(o.row.group, [o]);
  }
  const charts =
    byFile.size <= 1
      ? chart(report, outcomes)
      : `<h2>Quality against cost, per test file</h2>
<p>Each test file has its own models and score scale, so each has its own chart (its points from its own prompts).</p>
${[...byFile]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(
    ([file, own]) =>
      `<h3>${escape(file)} (${own.length} prompts)</h3>\n${chart(summarize(own), own)}`,
  )
  .join('\n')}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Routing evaluation</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd}</style></head><body>
<h1>Routing evaluation</h1>
<p>${report.prompts} test prompts; models: ${escape(report.models.join(', '))}. Best single: ${escape(best.model)} (quality ${best.quality.toFixed(4)}). APGR ${report.apgr?.toFixed(3) ?? '–'}, CPT(50%) ${report.cpt50?.toFixed(3) ?? '–'}, CPT(80%) ${report.cpt80?.toFixed(3) ?? '–'}.</p>
<table><tr><th>mode</th><th>quality</th><th>× best single ± standard error</th><th>cost × best single</th><th>share</th></tr>${rows}</table>
${bySource(report)}
${charts}
<p>Blue: the router over Balanced bands ${SWEEP[0]} → ${SWEEP.at(-1)} (from quality alone to the cheapest routing). Dashed: random at matched cost. Grey: single models.</p></body></html>`;
}

/** The quality-versus-cost chart of `report`, the figures of `outcomes`. */
function chart(report: EvalSummary, outcomes: PromptOutcome[]): string {
  const curve: Point[] = [];
  for (const band of SWEEP) {
    const picks = outcomes.map((o) =>
      pickFor(o, 'balanced', { ...o.bands, balanced: band, cost: band }),
    );
    curve.push({
      cost: mean(outcomes.map((o, i) => o.cost.get(picks[i]!)!)),
      quality: mean(outcomes.map((o, i) => o.row.scores[picks[i]!]!)),
      label: `band ${band.toFixed(3)}`,
    });
  }
  const singles: Point[] = report.models.map((m) => {
    const scored = outcomes.filter((o) => o.models.includes(m));
    return {
      label: m,
      cost: mean(scored.map((o) => o.cost.get(m)!)),
      quality: mean(scored.map((o) => o.row.scores[m]!)),
    };
  });
  const special: Point[] = [
    { label: 'oracle', ...report.oracle },
    ...(['quality', 'balanced', 'cost'] as const).map((m) => ({
      label: `router: ${m}`,
      cost: report.modes[m].cost,
      quality: report.modes[m].quality,
    })),
  ];
  const all = [...curve, ...singles, ...special];
  const W = 760;
  const H = 460;
  const pad = 60;
  const maxC = Math.max(...all.map((p) => p.cost)) * 1.05 || 1;
  const qs = all.map((p) => p.quality);
  const minQ = Math.min(...qs) - 0.02;
  const maxQ = Math.max(...qs) + 0.02;
  const x = (c: number) => pad + (c / maxC) * (W - 2 * pad);
  const y = (q: number) => H - pad - ((q - minQ) / (maxQ - minQ || 1)) * (H - 2 * pad);
  const path = curve
    .map((p, i) => `${i ? 'L' : 'M'}${x(p.cost).toFixed(1)},${y(p.quality).toFixed(1)}`)
    .join(' ');
  const best = report.best_single;
  const cheap = report.cheapest;
  // A point's label beside it, to its left in the chart's right half (so that it is not cut off).
  const label = (p: Point, dx: number, dy: number) => {
    const right = x(p.cost) > W / 2;
    return `<text x="${x(p.cost) + (right ? -dx : dx)}" y="${y(p.quality) + dy}" font-size="11"${right ? ' text-anchor="end"' : ''}>${escape(p.label)}</text>`;
  };
  const dots = [
    ...singles.map(
      (p) =>
        `<circle cx="${x(p.cost)}" cy="${y(p.quality)}" r="5" fill="#888"><title>${escape(p.label)}</title></circle>${label(p, 7, -6)}`,
    ),
    ...special.map(
      (p) =>
        `<circle cx="${x(p.cost)}" cy="${y(p.quality)}" r="6" fill="${p.label === 'oracle' ? '#3a9d5d' : '#e07b39'}"><title>${escape(p.label)}</title></circle>${label(p, 8, 14)}`,
    ),
  ].join('\n');
  return `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg" style="background:#fff;border:1px solid #ddd;margin-top:1rem">
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#333"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#333"/>
<text x="${W / 2}" y="${H - 20}" text-anchor="middle">mean cost per prompt (USD), max ${maxC.toExponential(2)}</text>
<text x="18" y="${H / 2}" transform="rotate(-90 18 ${H / 2})" text-anchor="middle">mean quality (${minQ.toFixed(3)}–${maxQ.toFixed(3)})</text>
<line x1="${x(cheap.cost)}" y1="${y(cheap.quality)}" x2="${x(best.cost)}" y2="${y(best.quality)}" stroke="#999" stroke-dasharray="5,4"><title>random mix of the cheapest and the best single model</title></line>
<path d="${path}" fill="none" stroke="#3b6fd8" stroke-width="2"><title>router (band sweep)</title></path>
${dots}
</svg>`;
}

/** Each source's figures (the groups `by_source` holds), as in `eval`'s table. */
function bySource(report: EvalReport): string {
  const sources = Object.entries(report.by_source);
  if (!sources.length) return '';
  const cells = ([src, s]: [string, EvalReport['by_source'][string]]) =>
    `<tr><td>${escape(src)}</td><td>${s.prompts}</td><td>${escape(s.best_single.model)}</td><td>${fixed(s.modes.quality.quality_ratio)}</td><td>${fixed(s.modes.balanced.quality_ratio)} / ${fixed(s.modes.balanced.cost_ratio)}</td><td>${fixed(s.modes.cost.quality_ratio)} / ${fixed(s.modes.cost.cost_ratio)}</td><td>${fixed(s.apgr)}</td></tr>`;
  return `<h2>By source</h2>
<table><tr><th>source</th><th>prompts</th><th>best single</th><th>quality q×</th><th>balanced q× / c×</th><th>cost q× / c×</th><th>APGR</th></tr>${sources.map(cells).join('')}</table>`;
}

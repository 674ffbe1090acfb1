// The overview's four Chart.js charts (traffic per model, routing share, spend against the
// top-model baseline, latency per model), drawn once and updated in place at each refresh, each
// named with the figures it draws (chart-text.js) and with every figure it draws in a table under
// it (figures-table.js). Each series has a colour and a second cue, a shape or a dash
// (chart-palette.js), which its legend entry shows.
/* global Chart */
import { cueLegendItem, DASHES, OTHER, SERIES, seriesMarks } from './chart-palette.js';
import { chartSummaries, nameChart } from './chart-text.js';
import { renderFigures } from './figures-table.js';
import {
  clock,
  compactCount,
  count,
  dayAndClock,
  human,
  modelLabel,
  ms,
  pct,
  short,
  usd,
} from './format.js';

/** Models drawn apart in the charts; the rest are summed as "other models" (the table lists all). */
const TOP_MODELS = 8;
const charts = {};

function drawChart(id, config) {
  if (charts[id]) {
    charts[id].data = config.data;
    charts[id].update('none');
    return;
  }
  const type = config.type;
  // Legends cut long model names and show each series' cue; the default label maker of the
  // chart's type does the rest.
  const labels =
    Chart.overrides[type]?.plugins?.legend?.labels?.generateLabels ??
    Chart.defaults.plugins.legend.labels.generateLabels;
  const { legendLabels, ...options } = config.options || {};
  charts[id] = new Chart(document.getElementById(id), {
    ...config,
    plugins: [seriesMarks],
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      ...options,
      plugins: {
        ...(options.plugins || {}),
        legend: {
          labels: {
            usePointStyle: true,
            ...legendLabels,
            generateLabels: (chart) =>
              labels(chart).map((l) => cueLegendItem(chart, { ...l, text: short(l.text) })),
          },
        },
      },
    },
  });
}

/**
 * Every bucket of the window, empty ones as zeros, so the time axis spans the window the
 * selector names (the API sends only buckets that had requests).
 */
function fillBuckets(series, now, windowMs, bucketMs) {
  const first = Math.floor((now - windowMs) / bucketMs) * bucketMs;
  const last = Math.floor(now / bucketMs) * bucketMs;
  if ((last - first) / bucketMs > 2000) return series; // a tiny custom bucket: as sent
  const byT = new Map(series.map((b) => [b.t, b]));
  const out = [];
  for (let t = first; t <= last; t += bucketMs)
    out.push(byT.get(t) ?? { t, byModel: {}, costUsd: 0, baselineCostUsd: 0 });
  return out;
}

/** Draws the four charts from the overview's answer and names each with its figures. */
export function renderCharts(data) {
  const o = data.overview;
  // The busiest models apart (the summary lists them busiest first), the rest as one.
  const top = o.models.slice(0, TOP_MODELS);
  const rest = o.models.slice(TOP_MODELS);
  const topKeys = top.map((m) => m.key);
  const otherLabel = `other models (${rest.length})`;
  const series = fillBuckets(o.series, data.now, data.window.sinceMs, data.window.bucketMs);
  const withDate = data.window.sinceMs > 86_400_000 - 1;
  const labels = series.map((b) => (withDate ? dayAndClock(b.t) : clock(b.t)));
  const othersIn = (b) =>
    Object.entries(b.byModel).reduce((n, [m, k]) => (topKeys.includes(m) ? n : n + k), 0);
  const traffic = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        ...top.map((m, i) => ({
          label: modelLabel(m.key),
          data: series.map((b) => b.byModel[m.key] || 0),
          backgroundColor: SERIES[i].color,
          cue: SERIES[i],
        })),
        ...(rest.length
          ? [
              {
                label: otherLabel,
                data: series.map(othersIn),
                backgroundColor: OTHER.color,
                cue: OTHER,
              },
            ]
          : []),
      ],
    },
    options: {
      scales: {
        x: { stacked: true },
        // Whole requests (no 0.2 of one with few), in figures one reads (9,000T, not 9E15).
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { precision: 0, callback: (v) => compactCount(v) },
        },
      },
    },
  };
  drawChart('chart-traffic', traffic);
  const span = human(data.window.sinceMs);
  const bucket = human(data.window.bucketMs);
  // Each bucket that had requests: each series', and all of them.
  const perSeries = traffic.data.datasets.map((d) => ({
    name: d.label,
    values: d.data,
    format: count,
  }));
  const all = labels.map((_, i) => perSeries.reduce((n, c) => n + (c.values[i] || 0), 0));
  renderFigures('traffic-figures', {
    caption: `Requests per model per ${bucket}, last ${span}`,
    rowHeader: 'Bucket starting',
    labels,
    columns: [...perSeries, { name: 'All', values: all, format: count }],
    keep: (i) => all[i] > 0,
    none: `No requests in the last ${span}.`,
  });
  const share = {
    type: 'doughnut',
    data: {
      labels: [...top.map((m) => modelLabel(m.key)), ...(rest.length ? [otherLabel] : [])],
      datasets: [
        {
          data: [
            ...top.map((m) => m.requests),
            ...(rest.length ? [rest.reduce((n, m) => n + m.requests, 0)] : []),
          ],
          backgroundColor: [...top.map((_, i) => SERIES[i].color), OTHER.color],
          cues: [...top.map((_, i) => SERIES[i]), OTHER],
        },
      ],
    },
  };
  drawChart('chart-share', share);
  // Each slice: its requests, and its share of them all.
  const slices = share.data.datasets[0].data;
  renderFigures('share-figures', {
    caption: `Share of requests per model, last ${span}`,
    rowHeader: 'Model',
    labels: share.data.labels,
    columns: [
      { name: 'Requests', values: slices, format: count },
      { name: 'Share', values: slices.map((n) => n / o.requests), format: pct },
    ],
    keep: (i) => slices[i] > 0,
    none: `No requests in the last ${span}.`,
  });
  const cost = {
    type: 'line',
    data: {
      labels,
      // Each line its own colour and dash (in the legend too).
      datasets: [
        ['spend', (b) => b.costUsd],
        ['top-model baseline', (b) => b.baselineCostUsd],
      ].map(([label, of], i) => ({
        label,
        data: series.map(of),
        borderColor: SERIES[i].color,
        borderDash: DASHES[i],
        pointRadius: 1,
        cue: { color: SERIES[i].color, dash: DASHES[i] },
      })),
    },
    options: {
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => usd(v) } } },
      // Wide enough to show a dash (12 px, a symbol's width, would look solid).
      legendLabels: { pointStyleWidth: 28 },
    },
  };
  drawChart('chart-cost', cost);
  // Each bucket that spent, or would have at the top model's prices: both lines' figures.
  const [spend, baseline] = cost.data.datasets;
  renderFigures('cost-figures', {
    caption: `Spend and top-model baseline (USD) per ${bucket}, last ${span}`,
    rowHeader: 'Bucket starting',
    labels,
    columns: cost.data.datasets.map((d) => ({ name: d.label, values: d.data, format: usd })),
    keep: (i) => spend.data[i] > 0 || baseline.data[i] > 0,
    none: `No spend in the last ${span}.`,
  });
  // Requests no model served have no latency worth drawing; TTFT only where streams measured it.
  const timed = top.filter((m) => m.key !== '(none)');
  const latency = {
    type: 'bar',
    data: {
      labels: timed.map((m) => modelLabel(m.key)),
      datasets: [
        {
          label: 'latency p50',
          data: timed.map((m) => m.latencyP50Ms),
          backgroundColor: SERIES[0].color,
          cue: SERIES[0],
        },
        {
          label: 'TTFT p50',
          data: timed.map((m) => m.ttftP50Ms ?? null),
          backgroundColor: SERIES[2].color,
          cue: SERIES[2],
        },
      ],
    },
    options: {
      scales: {
        x: {
          ticks: {
            callback(value) {
              return short(this.getLabelForValue(value), 20);
            },
          },
        },
        y: { beginAtZero: true, title: { display: true, text: 'ms' } },
      },
    },
  };
  drawChart('chart-latency', latency);
  // Each model drawn: its two medians (no TTFT where no stream measured one).
  renderFigures('latency-figures', {
    caption: `Latency and time to first token, p50 per model, last ${span}`,
    rowHeader: 'Model',
    labels: latency.data.labels,
    columns: latency.data.datasets.map((d) => ({
      name: d.label,
      values: d.data,
      format: (v) => (v === null || v === undefined ? 'not measured' : ms(v)),
    })),
    none: `No model served a request in the last ${span}.`,
  });
  const names = chartSummaries(o, data.window, top, rest, {
    count,
    pct,
    usd,
    human,
    label: modelLabel,
  });
  nameChart('chart-traffic', names.traffic);
  nameChart('chart-share', names.share);
  nameChart('chart-cost', names.cost);
  nameChart('chart-latency', names.latency);
}

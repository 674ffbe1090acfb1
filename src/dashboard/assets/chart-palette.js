// The charts' series: each told apart by its colour and by a shape (a line's dash too), so no one
// needs to tell the colours apart (WCAG 1.4.1). Every colour stands at 3:1 or more against the
// charts' white ground (1.4.11), and so does a white shape against it: the shapes are drawn white
// on bars and slices wide enough to hold one, and in the series' colour in the legend.
/* global Chart */

/**
 * The series, in the order the charts use them. The first eight are the busiest models'; the hues
 * are the page's earlier ones, the orange, gold and teal darkened to reach 3:1 on white (they were
 * 2.97, 2.24 and 2.92:1). A triangle turned over (rotation 180) is a shape of its own.
 */
export const SERIES = [
  { color: '#3b6fd8', pointStyle: 'circle', rotation: 0 },
  { color: '#dd6e25', pointStyle: 'triangle', rotation: 0 },
  { color: '#3a9d5d', pointStyle: 'rect', rotation: 0 },
  { color: '#c24d7c', pointStyle: 'rectRot', rotation: 0 },
  { color: '#8a63d2', pointStyle: 'triangle', rotation: 180 },
  { color: '#ac8823', pointStyle: 'star', rotation: 0 },
  { color: '#4598a8', pointStyle: 'crossRot', rotation: 0 },
  { color: '#b5523b', pointStyle: 'cross', rotation: 0 },
];
/** "Other models": grey, a plain bar for a shape, never one of the busiest models'. */
export const OTHER = { color: '#7d8591', pointStyle: 'line', rotation: 0 };
/** A line series' dash after the first (solid): long enough to read in a 28 px legend entry. */
export const DASHES = [[], [6, 4]];

/** Shape styles drawn with strokes only: their legend entries need a line width to show. */
const STROKED = new Set(['cross', 'crossRot', 'star', 'line', 'dash']);

/** The cue of a legend entry: its dataset's (bars, lines) or its slice's (a doughnut). */
function cueOf(chart, item) {
  const dataset = chart.data.datasets[item.datasetIndex ?? 0];
  return item.index === undefined ? dataset?.cue : dataset?.cues?.[item.index];
}

/**
 * A legend entry showing its series' cue: a line's dash as a line, a bar's or a slice's shape in
 * its colour. `item` is the entry Chart.js made; its colour is kept.
 */
export function cueLegendItem(chart, item) {
  const cue = cueOf(chart, item);
  if (!cue) return item;
  if (cue.dash) return { ...item, pointStyle: 'line', rotation: 0, lineDash: cue.dash };
  const color = cue.color;
  return {
    ...item,
    pointStyle: cue.pointStyle,
    rotation: cue.rotation,
    fillStyle: color,
    strokeStyle: color,
    lineWidth: STROKED.has(cue.pointStyle) ? 2 : 1,
  };
}

/** Least room, in px, a bar or slice needs for its shape: a smaller one shows none. */
const MARK_ROOM = 11;
const MARK_RADIUS = 3.5;

/** Where a bar's or a slice's shape goes, or undefined when it has no room for one. */
function markAt(element) {
  const p = element.getProps(['x', 'y', 'base', 'width', 'innerRadius', 'outerRadius']);
  if (p.outerRadius !== undefined) {
    const { startAngle, endAngle } = element.getProps(['startAngle', 'endAngle']);
    const mid = (p.innerRadius + p.outerRadius) / 2;
    const roomy =
      p.outerRadius - p.innerRadius >= MARK_ROOM && (endAngle - startAngle) * mid >= MARK_ROOM;
    return roomy ? element.getCenterPoint() : undefined;
  }
  const height = Math.abs(p.base - p.y);
  return p.width >= MARK_ROOM && height >= MARK_ROOM
    ? { x: p.x, y: (p.y + p.base) / 2 }
    : undefined;
}

/**
 * A Chart.js plugin drawing each bar's or slice's shape on it, in white, where it has room; it
 * counts what it drew in `chart.$seriesMarks` (the accessibility tests read it).
 */
export const seriesMarks = {
  id: 'seriesMarks',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    let drawn = 0;
    ctx.save();
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = '#fff';
    chart.data.datasets.forEach((dataset, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden || !(dataset.cue || dataset.cues) || dataset.cue?.dash) return;
      meta.data.forEach((element, index) => {
        const cue = dataset.cues ? dataset.cues[index] : dataset.cue;
        const at = cue && markAt(element);
        if (!at) return;
        ctx.lineWidth = STROKED.has(cue.pointStyle) ? 2 : 1;
        Chart.helpers.drawPoint(
          ctx,
          {
            pointStyle: cue.pointStyle,
            rotation: cue.rotation,
            radius: MARK_RADIUS,
            borderWidth: 1,
          },
          at.x,
          at.y,
        );
        drawn++;
      });
    });
    ctx.restore();
    chart.$seriesMarks = drawn;
  },
};

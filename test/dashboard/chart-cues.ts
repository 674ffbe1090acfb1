// What a dashboard chart shows of each series, read in the page from Chart.js: its colour and
// that colour's contrast with the ground the chart is drawn on (WCAG 1.4.11 asks 3:1 of graphics),
// its dash, the legend's entries with the cue each draws besides colour (shape, turn, dash), and
// how many shapes the page drew on bars and slices.
import type { Page } from 'playwright-core';

export interface ChartCues {
  id: string;
  type: string;
  /** The background the canvas sits on: its nearest ancestor's that is not transparent. */
  ground: string;
  usePointStyle: boolean;
  series: { label: string; color: string; contrast: number; dash: string }[];
  /** Each entry's cue besides colour: `pointStyle rotation [dash]` ("none …" when it has none). */
  legend: { text: string; cue: string }[];
  marks: number;
}

export function chartCues(page: Page, id: string): Promise<ChartCues> {
  return page.evaluate((chartId) => {
    type Style = Record<string, string | undefined>;
    type El = { parentElement: El | null };
    type Dataset = {
      label?: string;
      backgroundColor?: string | string[];
      borderColor?: string | string[];
      borderDash?: number[];
      data: unknown[];
    };
    type LegendItem = {
      text: string;
      pointStyle?: unknown;
      rotation?: number;
      lineDash?: number[];
    };
    const w = globalThis as unknown as {
      Chart: {
        getChart(id: string): {
          canvas: El;
          config: { type: string };
          data: { labels: string[]; datasets: Dataset[] };
          options: { plugins: { legend: { labels: { usePointStyle?: boolean } } } };
          legend: { legendItems: LegendItem[] };
          $seriesMarks?: number;
        };
      };
      getComputedStyle(el: El): Style;
      document: {
        createElement(t: 'canvas'): {
          getContext(t: '2d'): { fillStyle: string };
        };
      };
    };
    const chart = w.Chart.getChart(chartId);
    const paint = w.document.createElement('canvas').getContext('2d');
    /** A CSS colour as the browser resolves it, in [r, g, b, alpha]. */
    const rgba = (css: string): number[] => {
      paint.fillStyle = '#000000';
      paint.fillStyle = css;
      const c = paint.fillStyle;
      if (c.startsWith('#')) return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)).concat(1);
      const [r = 0, g = 0, b = 0, a = 1] = (c.match(/[\d.]+/g) ?? []).map(Number);
      return [r, g, b, a];
    };
    const lum = ([r = 0, g = 0, b = 0]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let ground = 'rgb(255, 255, 255)';
    for (let a = chart.canvas.parentElement; a; a = a.parentElement) {
      const bg = w.getComputedStyle(a).backgroundColor ?? '';
      if (bg && rgba(bg)[3] !== 0) {
        ground = bg;
        break;
      }
    }
    const contrast = (css: string) => {
      const [hi, lo] = [lum(rgba(css)), lum(rgba(ground))].sort((x, y) => y - x) as [
        number,
        number,
      ];
      return (hi + 0.05) / (lo + 0.05);
    };
    const type = chart.config.type;
    const pick = (v: string | string[] | undefined, i: number) =>
      (Array.isArray(v) ? v[i] : v) ?? '';
    const series =
      type === 'doughnut'
        ? chart.data.labels.map((label, i) => ({
            label,
            color: pick(chart.data.datasets[0]?.backgroundColor, i),
            dash: '[]',
          }))
        : chart.data.datasets.map((d) => ({
            label: d.label ?? '',
            color: pick(type === 'line' ? d.borderColor : d.backgroundColor, 0),
            dash: JSON.stringify(d.borderDash ?? []),
          }));
    return {
      id: chartId,
      type,
      ground,
      usePointStyle: chart.options.plugins.legend.labels.usePointStyle === true,
      series: series.map((s) => ({ ...s, contrast: contrast(s.color) })),
      legend: chart.legend.legendItems.map((l) => ({
        text: l.text,
        cue: `${typeof l.pointStyle === 'string' ? l.pointStyle : 'none'} ${l.rotation ?? 0} ${JSON.stringify(l.lineDash ?? [])}`,
      })),
      marks: chart.$seriesMarks ?? 0,
    };
  }, id);
}

// The overview's charts at their edges, in headless Chromium, and every figure they draw as text:
// under each chart, `Show the figures` holds a table of them (traffic per bucket and model, each
// slice's requests and share, spend and baseline per bucket, each model's latency and TTFT
// medians), which a keyboard opens and a screen reader reads (a bar's length, a slice's angle, a
// point's height and a pointer's tooltip say none of it exactly). The traffic bars: no request,
// one request in one bucket, and counts past a trillion beside a handful; the request axis counts
// whole requests (no "0.2" of a request) in figures a reader can read (no "8E15"). The chart
// module is driven with the overview's answer as the page's API gives it.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { listenInRange } from '../helpers/listen-in-range.js';
import { testConfigInput } from '../helpers/test-config.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`\n*** ${CHROMIUM} not found: skipping the dashboard chart-figures tests ***\n`);

/** 10:00 UTC: the window's last five-minute bucket starts here. */
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const BUCKET = 300_000;
/** The tables under the charts, by the chart they hold the figures of. */
const FIGURES = {
  traffic: 'traffic-figures',
  share: 'share-figures',
  cost: 'cost-figures',
  latency: 'latency-figures',
} as const;

interface Model {
  key: string;
  requests: number;
  latencyP50Ms: number;
  ttftP50Ms: number | null;
}

/** A bucket: its start, its requests by model, and optionally its spend and baseline. */
type Bucket = [number, Record<string, number>, { costUsd: number; baselineCostUsd: number }?];

/** The overview's answer for `models` with `series`. */
function overview(models: Model[], series: Bucket[]) {
  const spend = series.map(([, , c]) => c ?? { costUsd: 0, baselineCostUsd: 0 });
  return {
    now: NOW,
    window: { sinceMs: 3_600_000, bucketMs: BUCKET },
    overview: {
      requests: models.reduce((n, m) => n + m.requests, 0),
      costUsd: spend.reduce((n, c) => n + c.costUsd, 0),
      baselineCostUsd: spend.reduce((n, c) => n + c.baselineCostUsd, 0),
      models,
      series: series.map(([t, byModel], i) => ({ t, byModel, ...spend[i] })),
    },
  };
}

const model = (
  key: string,
  requests: number,
  latencyP50Ms = 100,
  ttftP50Ms: number | null = null,
): Model => ({
  key,
  requests,
  latencyP50Ms,
  ttftP50Ms,
});

/** A share as the page writes it. */
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

interface Table {
  caption: string;
  head: string[];
  rows: string[][];
  empty: string | null;
}

interface Drawn {
  ticks: string[];
  tables: Record<keyof typeof FIGURES, Table>;
}

/** The free port of the suite's range (E2E_PORT_RANGE) the server took, else any free one. */
async function listen(rt: Runtime): Promise<string> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.E2E_PORT_RANGE ?? '');
  if (!range) return rt.app.listen({ host: '127.0.0.1', port: 0 });
  let base = '';
  await listenInRange(
    async (port) => (base = await rt.app.listen({ host: '127.0.0.1', port })),
    Number(range[1]),
    Number(range[2]),
  );
  return base;
}

describe.skipIf(!haveChromium)(
  "dashboard charts' figures, and the traffic bars at their edges",
  () => {
    let rt: Runtime;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      rt = await createRuntime(parseConfig(testConfigInput(), {}).config);
      const base = await listen(rt);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage({
        viewport: { width: 1280, height: 900 },
        timezoneId: 'UTC',
        locale: 'en-US',
      });
      await page.goto(`${base}/dashboard`);
    });

    afterAll(async () => {
      await browser?.close();
      await rt?.close();
    });

    /** Draws the charts from `data`; reads the traffic chart's axis and every chart's table. */
    async function draw(data: ReturnType<typeof overview>): Promise<Drawn> {
      // A string: vitest would rewrite an import() written in this file into its own loader.
      return page.evaluate(`(async (data, figures) => {
      document.getElementById('main').hidden = false;
      const { renderCharts } = await import('/dashboard/assets/charts.js');
      renderCharts(data);
      const chart = Chart.getChart('chart-traffic');
      const cells = (row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent ?? '');
      const read = (id) => {
        const table = document.querySelector('#' + id + ' table');
        return {
          caption: table?.querySelector('caption')?.textContent ?? '',
          head: table ? cells(table.querySelector('thead tr')) : [],
          rows: table ? [...table.querySelectorAll('tbody tr')].map(cells) : [],
          empty: document.querySelector('#' + id + ' [data-empty]')?.textContent ?? null,
        };
      };
      return {
        ticks: chart.scales.y.ticks.map((t) => t.label),
        tables: Object.fromEntries(Object.entries(figures).map(([k, id]) => [k, read(id)])),
      };
    })(${JSON.stringify(data)}, ${JSON.stringify(FIGURES)})`);
    }

    it('with no request: whole requests on the axis, and each table says there were none', async () => {
      const drawn = await draw(overview([], []));
      expect(
        drawn.ticks.every((t) => /^\d+$/.test(t)),
        drawn.ticks.join(' '),
      ).toBe(true);
      const { traffic, share, cost, latency } = drawn.tables;
      for (const t of [traffic, share, cost, latency]) expect(t.rows).toEqual([]);
      expect(traffic.empty).toBe('No requests in the last 1 h.');
      expect(share.empty).toBe('No requests in the last 1 h.');
      expect(cost.empty).toBe('No spend in the last 1 h.');
      expect(latency.empty).toBe('No model served a request in the last 1 h.');
    });

    it('with one request: the axis counts 0 and 1, and the table has its bucket', async () => {
      const drawn = await draw(overview([model('gpt-x', 1)], [[NOW - BUCKET, { 'gpt-x': 1 }]]));
      expect(drawn.ticks).toEqual(['0', '1']);
      const { traffic } = drawn.tables;
      expect(traffic.caption).toBe('Requests per model per 5 min, last 1 h');
      expect(traffic.head).toEqual(['Bucket starting', 'gpt-x', 'All']);
      expect(traffic.rows).toEqual([['09:55:00 AM', '1', '1']]);
      expect(traffic.empty).toBeNull();
    });

    it('with counts past a trillion beside a handful: readable ticks, exact figures in the table', async () => {
      const drawn = await draw(
        overview(
          [model('gpt-x', 9e15), model('gpt-y', 3)],
          [
            [NOW - 2 * BUCKET, { 'gpt-y': 3 }],
            [NOW - BUCKET, { 'gpt-x': 9e15 }],
          ],
        ),
      );
      // Compact figures (2,000T…), never a computer's exponent.
      expect(
        drawn.ticks.some((t) => /e/i.test(t)),
        drawn.ticks.join(' '),
      ).toBe(false);
      expect(drawn.ticks.at(-1)).toMatch(/^[\d,.]+[KMBT]$/);
      // The bar too small to see is in the table, with its figure.
      const { traffic, share } = drawn.tables;
      expect(traffic.head).toEqual(['Bucket starting', 'gpt-x', 'gpt-y', 'All']);
      expect(traffic.rows).toEqual([
        ['09:50:00 AM', '0', '3', '3'],
        ['09:55:00 AM', '9,000,000,000,000,000', '0', '9,000,000,000,000,000'],
      ]);
      // So is the slice too thin to see.
      expect(share.rows).toEqual([
        ['gpt-x', '9,000,000,000,000,000', '100.0%'],
        ['gpt-y', '3', '0.0%'],
      ]);
    });

    it('says every figure the share, spend and latency charts draw, as each chart has it', async () => {
      // Ten models: the eight busiest drawn apart, two summed as other models; one stream measured.
      const models = [
        model('gpt-big', 500, 812.5, 95.25),
        ...Array.from({ length: 7 }, (_, i) => model(`mid-${i + 1}`, 60 - i, 40 + i)),
        model('tail-a', 2, 300),
        model('tail-b', 1, 0.4),
      ];
      const drawn = await draw(
        overview(models, [
          [NOW - 3 * BUCKET, { 'gpt-big': 200 }, { costUsd: 0.0123, baselineCostUsd: 0.5 }],
          [NOW - BUCKET, { 'gpt-big': 300 }, { costUsd: 1.5, baselineCostUsd: 12.25 }],
        ]),
      );
      const { share, cost, latency } = drawn.tables;
      expect(share.caption).toBe('Share of requests per model, last 1 h');
      expect(share.head).toEqual(['Model', 'Requests', 'Share']);
      const all = models.reduce((n, m) => n + m.requests, 0);
      expect(share.rows).toEqual([
        ...models.slice(0, 8).map((m) => [m.key, String(m.requests), pct(m.requests / all)]),
        ['other models (2)', '3', pct(3 / all)],
      ]);
      // The buckets that spent, both lines' figures as the page writes money.
      expect(cost.caption).toBe('Spend and top-model baseline (USD) per 5 min, last 1 h');
      expect(cost.head).toEqual(['Bucket starting', 'spend', 'top-model baseline']);
      expect(cost.rows).toEqual([
        ['09:45:00 AM', '$0.0123', '$0.5'],
        ['09:55:00 AM', '$1.50', '$12.25'],
      ]);
      // The models drawn apart, each median; a TTFT no stream measured said so.
      expect(latency.caption).toBe('Latency and time to first token, p50 per model, last 1 h');
      expect(latency.head).toEqual(['Model', 'latency p50', 'TTFT p50']);
      expect(latency.rows).toEqual([
        ['gpt-big', '812.50 ms', '95.25 ms'],
        ...models.slice(1, 8).map((m) => [m.key, `${m.latencyP50Ms}.00 ms`, 'not measured']),
      ]);
    });
  },
);

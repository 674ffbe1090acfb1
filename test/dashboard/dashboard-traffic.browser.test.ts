// The overview's traffic bars at their edges, in headless Chromium: no request, one request in
// one bucket, and counts past a trillion beside a handful. The request axis counts whole requests
// (no "0.2" of a request) in figures a reader can read (no "8E15"), and every bar's figure is text
// too: a table of the buckets that had requests, per series, under the chart, which a keyboard
// opens and a screen reader reads (the bars' lengths and colours alone say none of it exactly).
// The chart module is driven with the overview's answer as the page's API gives it.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`\n*** ${CHROMIUM} not found: skipping the dashboard traffic-bar tests ***\n`);

/** 10:00 UTC: the window's last five-minute bucket starts here. */
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const BUCKET = 300_000;

interface Model {
  key: string;
  requests: number;
  latencyP50Ms: number;
  ttftP50Ms: number | null;
}

/** The overview's answer for `models` with `series` ([bucket start, {model: requests}]). */
function overview(models: Model[], series: [number, Record<string, number>][]) {
  return {
    now: NOW,
    window: { sinceMs: 3_600_000, bucketMs: BUCKET },
    overview: {
      requests: models.reduce((n, m) => n + m.requests, 0),
      costUsd: 0,
      baselineCostUsd: 0,
      models,
      series: series.map(([t, byModel]) => ({ t, byModel, costUsd: 0, baselineCostUsd: 0 })),
    },
  };
}

const model = (key: string, requests: number): Model => ({
  key,
  requests,
  latencyP50Ms: 100,
  ttftP50Ms: null,
});

interface Drawn {
  ticks: string[];
  caption: string;
  head: string[];
  rows: string[][];
  empty: string | null;
}

describe.skipIf(!haveChromium)('dashboard traffic bars at their edges', () => {
  let rt: Runtime;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    rt = await createRuntime(parseConfig(testConfigInput(), {}).config);
    base = await rt.app.listen({ host: '127.0.0.1', port: 47202 });
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

  /** Draws the charts from `data` and reads the traffic chart's axis and its table. */
  async function draw(data: ReturnType<typeof overview>): Promise<Drawn> {
    // A string: vitest would rewrite an import() written in this file into its own loader.
    return page.evaluate(`(async (data) => {
      document.getElementById('main').hidden = false;
      const { renderCharts } = await import('/dashboard/assets/charts.js');
      renderCharts(data);
      const chart = Chart.getChart('chart-traffic');
      const table = document.querySelector('#traffic-figures table');
      const cells = (row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent ?? '');
      return {
        ticks: chart.scales.y.ticks.map((t) => t.label),
        caption: table?.querySelector('caption')?.textContent ?? '',
        head: table ? cells(table.querySelector('thead tr')) : [],
        rows: table ? [...table.querySelectorAll('tbody tr')].map(cells) : [],
        empty: document.querySelector('#traffic-figures [data-empty]')?.textContent ?? null,
      };
    })(${JSON.stringify(data)})`);
  }

  it('with no request: whole requests on the axis, and the table says there were none', async () => {
    const drawn = await draw(overview([], []));
    expect(
      drawn.ticks.every((t) => /^\d+$/.test(t)),
      drawn.ticks.join(' '),
    ).toBe(true);
    expect(drawn.rows).toEqual([]);
    expect(drawn.empty).toBe('No requests in the last 1 h.');
  });

  it('with one request: the axis counts 0 and 1, and the table has its bucket', async () => {
    const drawn = await draw(overview([model('gpt-x', 1)], [[NOW - BUCKET, { 'gpt-x': 1 }]]));
    expect(drawn.ticks).toEqual(['0', '1']);
    expect(drawn.caption).toBe('Requests per model per 5 min, last 1 h');
    expect(drawn.head).toEqual(['Bucket starting', 'gpt-x', 'All']);
    expect(drawn.rows).toEqual([['09:55:00 AM', '1', '1']]);
    expect(drawn.empty).toBeNull();
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
    expect(drawn.head).toEqual(['Bucket starting', 'gpt-x', 'gpt-y', 'All']);
    expect(drawn.rows).toEqual([
      ['09:50:00 AM', '0', '3', '3'],
      ['09:55:00 AM', '9,000,000,000,000,000', '0', '9,000,000,000,000,000'],
    ]);
  });
});

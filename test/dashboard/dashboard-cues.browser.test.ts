// What the accessibility audit left open, closed: chart series told apart by colour alone, some
// colours under 3:1 on white (WCAG 1.4.1, 1.4.11), and cell details only in `title` tooltips, which
// a keyboard cannot open (1.3.1, 2.1.1). In headless Chromium against the seeded fleet: every
// series colour is at 3:1 or more against its chart's ground, measured in the page; each series
// has a shape or a dash of its own, which its legend entry shows; no element holds a fact in a
// `title` in any grouping of the Spend-by table, and the facts the tooltips held are on the page.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A11Y_ADMIN, startA11yFleet, type A11yFleet } from './a11y-fleet.js';
import { chartCues, type ChartCues } from './chart-cues.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `\n*** ${CHROMIUM} not found: skipping the dashboard chart-cue and tooltip tests (apt-get install -y chromium) ***\n`,
  );

const CHARTS = ['chart-traffic', 'chart-share', 'chart-cost', 'chart-latency'];
const GROUPINGS = ['tag', 'user', 'tenant', 'key', 'model', 'deployment', 'router'];

interface UsageGroup {
  key: string;
  requests: number;
  attempts: number;
  usageEstimated?: number;
  usageEstimatedCostUsd?: number;
}

describe.skipIf(!haveChromium)(
  'dashboard chart cues and tooltip facts in headless Chromium',
  () => {
    let fleet: A11yFleet;
    let browser: Browser;
    let launching: Promise<Browser> | undefined;

    beforeAll(async () => {
      // Chromium starts while the fleet starts and is seeded.
      launching = chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      });
      fleet = await startA11yFleet();
      browser = await launching;
    });

    afterAll(async () => {
      // Launched even when the fleet failed to start: closed all the same.
      await (await launching?.catch(() => undefined))?.close();
      await fleet?.stop();
    });

    /** The seeded dashboard with the key given; its timers wait (no refresh redraws mid-check). */
    async function open(width: number): Promise<Page> {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      await page.clock.install();
      await page.clock.pauseAt(Date.now() + 1000);
      await page.goto(`${fleet.seeded.baseUrl}/dashboard`);
      await page.fill('#key-input', A11Y_ADMIN);
      await page.click('#key-form button');
      await page.waitForSelector('#main:not([hidden])', { timeout: 15_000 });
      await page.waitForSelector('#usage tbody tr');
      // Chart.js sizes its canvases on animation frames: let those run (not the 3 s refresh).
      await page.clock.runFor(200);
      return page;
    }

    it('draws every series in a colour at 3:1 on its ground, with its own shape or dash in the legend', async () => {
      const page = await open(1280);
      const found: ChartCues[] = [];
      for (const id of CHARTS) found.push(await chartCues(page, id));
      const said = (c: ChartCues) => JSON.stringify(c, null, 1);
      // The seeded fleet has several models: the charts draw more than one series each.
      expect(found.find((c) => c.id === 'chart-traffic')!.series.length).toBeGreaterThan(3);
      for (const c of found) {
        expect(c.series.length, said(c)).toBeGreaterThan(1);
        // WCAG 1.4.11: each series against the chart's ground, as the page computes both.
        const weak = c.series.filter((s) => s.contrast < 3);
        expect(
          weak.map(
            (s) => `${c.id} ${s.label}: ${s.color} on ${c.ground}, ${s.contrast.toFixed(2)}:1`,
          ),
        ).toEqual([]);
        // WCAG 1.4.1: a cue besides colour, one per series, and the legend shows it.
        expect(c.usePointStyle, `${c.id} legend draws shapes`).toBe(true);
        const cues = c.legend.map((l) => l.cue);
        expect(new Set(cues).size, `${c.id} cues ${cues.join(' ')}`).toBe(c.series.length);
        expect(
          cues.filter((cue) => cue.startsWith('none')),
          `${c.id} cues`,
        ).toEqual([]);
      }
      // The line chart's series differ in their drawn dash, not just in their legend.
      const cost = found.find((c) => c.id === 'chart-cost')!;
      expect(new Set(cost.series.map((s) => JSON.stringify(s.dash))).size).toBe(2);
      expect(cost.legend.map((l) => l.cue)).toEqual(cost.series.map((s) => `line 0 ${s.dash}`));
      // Slices and bars with room carry their shape: the doughnut's here (the hour's traffic bars
      // are 6 px wide, too thin for one; the simulated latencies too short).
      expect(found.find((c) => c.id === 'chart-share')!.marks, 'doughnut shapes').toBeGreaterThan(
        0,
      );
      await page.context().close();
    }, 60_000);

    it('holds no fact in a title tooltip: every one is text a keyboard and a screen reader reach', async () => {
      const page = await open(400);
      const titled = () =>
        page
          .locator('[title]')
          .evaluateAll((els) =>
            els.map((el) => `${el.tagName.toLowerCase()}#${el.id}: ${el.getAttribute('title')}`),
          );
      for (const by of GROUPINGS) {
        await page.selectOption('#usage-by', by);
        await expect.poll(() => page.inputValue('#usage-by')).toBe(by);
        await expect
          .poll(() => page.textContent('#usage-group'))
          .toBe(await page.locator('#usage-by option:checked').textContent());
        expect(await titled(), `titles by ${by}`).toEqual([]);
      }

      // The figures the tooltips held, by model: each model's upstream calls and estimated usage.
      const usage = (await (
        await fetch(`${fleet.seeded.baseUrl}/admin/v1/usage?since=3600s&by=model&limit=50`, {
          headers: { authorization: `Bearer ${A11Y_ADMIN}` },
        })
      ).json()) as { groups: UsageGroup[] };
      // The seeded traffic has what the tooltips spoke of: failover calls and estimated usage.
      expect(usage.groups.some((g) => g.attempts !== g.requests)).toBe(true);
      expect(usage.groups.some((g) => (g.usageEstimated ?? 0) > 0)).toBe(true);
      await page.selectOption('#usage-by', 'model');
      await expect.poll(() => page.textContent('#usage-group')).toBe('model');
      const headers = await page.locator('#usage thead th:not([hidden])').allTextContents();
      const calls = headers.indexOf('upstream calls');
      const estimated = headers.indexOf('usage estimated');
      expect(calls, headers.join('|')).toBeGreaterThan(0);
      expect(estimated, headers.join('|')).toBeGreaterThan(0);
      const rows = await page
        .locator('#usage tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
      expect(rows).toHaveLength(usage.groups.length);
      usage.groups.forEach((g, i) => {
        const row = rows[i]!;
        expect(row[0], 'the rows come in the API order').toBe(
          g.key === '(none)' ? '(not served)' : g.key,
        );
        expect(row[calls], `${g.key} calls`).toBe(g.attempts.toLocaleString('en-US'));
        const cost = g.usageEstimatedCostUsd ?? 0;
        expect(row[estimated], `${g.key} estimated`).toMatch(
          g.usageEstimated
            ? new RegExp(
                `^${g.usageEstimated} of ${g.requests} requests, \\$${cost === 0 ? '0\\.00' : '[\\d.]+'}$`,
              )
            : /^–$/,
        );
      });
      // Other groupings have no calls column (what the tooltip said only by model or deployment).
      await page.selectOption('#usage-by', 'tag');
      await expect.poll(() => page.textContent('#usage-group')).toBe('tag');
      expect(await page.locator('#usage thead th:not([hidden])').allTextContents()).not.toContain(
        'upstream calls',
      );

      // What "invalid" means: a disclosure under the card's figure, opened from the keyboard.
      expect(await page.isVisible('#c-invalid')).toBe(true);
      const why = page.locator('#c-invalid-why');
      expect(await why.locator('p').isVisible()).toBe(false);
      await why.locator('summary').focus();
      await page.keyboard.press('Enter');
      expect(await why.locator('p').isVisible()).toBe(true);
      expect(await why.locator('p').textContent()).toMatch(
        /Refused by the router itself, not by an upstream: .*\(400, 404, 413, 415, 422\)\./s,
      );
      // Readable at 400 px: nothing of the page is wider than the screen with it open.
      const widths = await page.evaluate(() => {
        const root = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document.documentElement;
        return { page: root.scrollWidth, screen: root.clientWidth };
      });
      expect(widths.page).toBeLessThanOrEqual(widths.screen);
      await page.context().close();
    }, 90_000);
  },
);

// The dashboard audit's findings, in headless Chromium against a built router: the routers table
// keeps following the config while a row is touched or edited, a Save sends only what the user
// changed (applied to the router as the server has it then, so another admin's change and members
// the row cannot show are kept), an opened receipt stays open, a malformed key is refused and
// forgotten, a slow Spend-by answer for an older grouping is not drawn over the newer one, "≈"
// only where an estimate costs something, and the page's accessibility and CSP basics.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ADMIN = 'mr-dashboard-audit-admin-key';
/** The page's refresh period (app.js REFRESH_MS). */
const REFRESH_MS = 3000;

type Router = { routingMode: string; modelSubset: string[] };

describe.skipIf(!haveChromium)('dashboard audit findings in headless Chromium', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let launching: Promise<Browser> | undefined;

  /** The admin API, as another admin uses it while the page is open. */
  const admin = async (method: string, path: string, body?: object) => {
    const r = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(r.status, `${method} ${path}`).toBeLessThan(300);
    return (await r.json()) as Router;
  };

  /**
   * A page with the dashboard open, and the PATCH bodies it sends; it records CSP violations. Its
   * timers wait for the test: it refreshes when `onRefresh` runs its clock, not every 3 s of ours.
   */
  async function open(): Promise<{ page: Page; patches: unknown[] }> {
    const page = await browser.newPage();
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 1000);
    const patches: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patches.push(r.postDataJSON());
    });
    await page.addInitScript(() => {
      const w = globalThis as unknown as {
        violations: string[];
        addEventListener(t: string, f: (e: { violatedDirective: string }) => void): void;
      };
      w.violations = [];
      w.addEventListener('securitypolicyviolation', (e) => w.violations.push(e.violatedDirective));
    });
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    await page.waitForSelector('#main:not([hidden])', { timeout: 10_000 });
    return { page, patches };
  }
  /**
   * `read`, for expect.poll, after the page's clock has run a refresh period: each try lets one
   * refresh come (its fetches take real time, and one due while the last is under way is skipped,
   * app.js; the next try then brings it).
   */
  const onRefresh =
    <T>(page: Page, read: () => Promise<T>) =>
    async (): Promise<T> => {
      await page.clock.runFor(REFRESH_MS);
      return read();
    };
  const row = (page: Page, name: string) => page.locator(`#routers tr[data-router="${name}"]`);
  const modeOf = (page: Page, name: string) => row(page, name).locator('select.mode').inputValue();
  const boxes = (page: Page, name: string) =>
    row(page, name)
      .locator('input.member')
      .evaluateAll((els) =>
        els.map((b) => {
          const box = b as unknown as { value: string; checked: boolean };
          return `${box.value}${box.checked ? '+' : '-'}`;
        }),
      );

  beforeAll(async () => {
    // Chromium starts while the server does.
    launching = chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const base = testConfigInput();
    server = await spawnServer(
      testConfigInput({
        deployments: [
          ...base.deployments,
          simDeployment('eu-a', { dataZone: 'eu', region: 'westeurope' }),
          simDeployment('eu-b', { dataZone: 'eu', region: 'westeurope' }),
        ],
        routers: [
          ...(base.routers ?? []),
          { name: 'other-router', modelSubset: ['big', 'small'] },
          { name: 'edit-router', modelSubset: ['big', 'small'] },
          // `big` is in the US zone: the row draws no box for it.
          {
            name: 'zone-router',
            deploymentType: 'DataZoneStandard',
            dataZone: 'eu',
            modelSubset: ['eu-a', 'eu-b', 'big'],
          },
        ],
        auth: { mode: 'none', adminKeyEnv: 'MR_TEST_ADMIN' },
      }),
      { MR_TEST_ADMIN: ADMIN },
    );
    browser = await launching;
  });

  afterAll(async () => {
    // Launched even when the server failed to start: closed all the same.
    await (await launching?.catch(() => undefined))?.close();
    await server?.stop();
  });

  // Each wait runs the page's clock a refresh at a time: a refresh between the admin's changes
  // may show some of them one refresh later.
  it('keeps following the config after a touch that changed nothing, and beside a row being edited', async () => {
    const { page } = await open();
    await row(page, 'model-router').waitFor();
    // Ticked and unticked again: no edit.
    const small = row(page, 'model-router').locator('input.member[value="small"]');
    await small.uncheck();
    await small.check();
    await page.click('h1');
    expect(await row(page, 'model-router').getAttribute('class')).not.toBe('edited');
    // edit-router is being edited (its mode), and stays so.
    await row(page, 'edit-router').locator('select.mode').selectOption('cost');
    expect(await row(page, 'edit-router').getAttribute('class')).toBe('edited');
    expect(await row(page, 'edit-router').locator('button.cancel').isVisible()).toBe(true);

    await admin('PATCH', '/admin/v1/routers/other-router', { routingMode: 'quality' });
    await admin('PUT', '/admin/v1/routers/new-router', {
      routingMode: 'cost',
      modelSubset: ['small'],
    });
    await admin('PATCH', '/admin/v1/routers/model-router', { modelSubset: ['big', 'mid'] });
    await admin('PATCH', '/admin/v1/routers/edit-router', { modelSubset: ['big', 'mid', 'small'] });
    await expect
      .poll(
        onRefresh(page, () => modeOf(page, 'other-router')),
        { timeout: 15_000 },
      )
      .toBe('quality');
    await expect
      .poll(
        onRefresh(page, () => row(page, 'new-router').count()),
        { timeout: 15_000 },
      )
      .toBe(1);
    await expect
      .poll(
        onRefresh(page, () => boxes(page, 'model-router')),
        { timeout: 15_000 },
      )
      .toContain('small-');
    // The row being edited keeps the edit, and says its router changed on the server.
    expect(await modeOf(page, 'edit-router')).toBe('cost');
    await expect
      .poll(
        onRefresh(page, () => row(page, 'edit-router').locator('.row-note.changed').textContent()),
        { timeout: 15_000 },
      )
      .toMatch(/^Changed on the server since this row was drawn: now balanced, big, mid, small\./);
    // Cancel: drawn as the server has it, and following it again.
    await row(page, 'edit-router').locator('button.cancel').click();
    expect(await modeOf(page, 'edit-router')).toBe('balanced');
    expect(await boxes(page, 'edit-router')).toContain('mid+');
    expect(await row(page, 'edit-router').locator('button.cancel').isHidden()).toBe(true);
    await admin('PATCH', '/admin/v1/routers/edit-router', { routingMode: 'cost' });
    await expect
      .poll(
        onRefresh(page, () => modeOf(page, 'edit-router')),
        { timeout: 15_000 },
      )
      .toBe('cost');

    // Chart.js drew under the page's CSP (script-src 'self'), and nothing was refused.
    expect(
      await page.evaluate(() => (globalThis as unknown as { violations: string[] }).violations),
    ).toEqual([]);
    expect(
      await page.evaluate(() =>
        Boolean(
          (globalThis as unknown as { Chart: { getChart(id: string): unknown } }).Chart.getChart(
            'chart-traffic',
          ),
        ),
      ),
    ).toBe(true);
    await page.close();
  }, 60_000);

  it("sends only what was changed, applied to the router as it is now: another admin's change stays", async () => {
    const { page, patches } = await open();
    await row(page, 'other-router').waitFor();
    const before = await admin('GET', '/admin/v1/routers/other-router');
    const mode = before.routingMode === 'cost' ? 'balanced' : 'cost';
    // Only the mode, while another admin adds a member.
    await row(page, 'other-router').locator('select.mode').selectOption(mode);
    await admin('PATCH', '/admin/v1/routers/other-router', {
      modelSubset: ['big', 'small', 'mid'],
    });
    await row(page, 'other-router').locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toContain('Saved other-router');
    expect(patches).toEqual([{ routingMode: mode }]);
    expect(await admin('GET', '/admin/v1/routers/other-router')).toMatchObject({
      routingMode: mode,
      modelSubset: ['big', 'small', 'mid'],
    });
    // A box unticked, while another admin removes another member: both changes hold.
    await expect
      .poll(
        onRefresh(page, () => boxes(page, 'other-router')),
        { timeout: 15_000 },
      )
      .toContain('mid+');
    await row(page, 'other-router').locator('input.member[value="small"]').uncheck();
    await admin('PATCH', '/admin/v1/routers/other-router', { modelSubset: ['small', 'mid'] });
    await row(page, 'other-router').locator('button.save').click();
    await expect.poll(() => patches.length).toBe(2);
    expect(patches[1]).toEqual({ modelSubset: ['mid'] });
    await expect
      .poll(() => page.textContent('#message'))
      .toMatch(
        /^Saved other-router \(removed small\): now .+, 1 model\. It had changed on the server/,
      );
    expect((await admin('GET', '/admin/v1/routers/other-router')).modelSubset).toEqual(['mid']);
    await page.close();
  }, 60_000);

  it("a change landing between Save's read and its PATCH is not overwritten: If-Match refuses it, the page reads again and applies its edit to that", async () => {
    const { page, patches } = await open();
    await row(page, 'edit-router').waitFor();
    await admin('PATCH', '/admin/v1/routers/edit-router', { modelSubset: ['big', 'small'] });
    await expect
      .poll(
        onRefresh(page, () => boxes(page, 'edit-router')),
        { timeout: 15_000 },
      )
      .toContain('small+');
    const ifMatch: (string | undefined)[] = [];
    let raced = false;
    // Another admin's change, made after the page read the router and before its PATCH arrives.
    await page.route('**/admin/v1/routers/edit-router', async (route) => {
      const r = route.request();
      if (r.method() === 'PATCH') {
        ifMatch.push(r.headers()['if-match']);
        if (!raced) {
          raced = true;
          await admin('PATCH', '/admin/v1/routers/edit-router', {
            modelSubset: ['big', 'small', 'mid'],
          });
        }
      }
      await route.continue();
    });
    await row(page, 'edit-router').locator('input.member[value="small"]').uncheck();
    await row(page, 'edit-router').locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toContain('Saved edit-router');
    // The first PATCH (with the first read's tag) was refused, the second (after a new read) applied.
    expect(ifMatch).toHaveLength(2);
    expect(ifMatch[0]).toMatch(/^"[\w-]+"$/);
    expect(ifMatch[1]).not.toBe(ifMatch[0]);
    expect(patches.slice(-2)).toEqual([{ modelSubset: ['big'] }, { modelSubset: ['big', 'mid'] }]);
    expect((await admin('GET', '/admin/v1/routers/edit-router')).modelSubset).toEqual([
      'big',
      'mid',
    ]);
    await page.close();
  }, 60_000);

  it('lists the subset members it draws no box for, and a Save keeps them', async () => {
    const { page, patches } = await open();
    await row(page, 'zone-router').waitFor();
    expect(await boxes(page, 'zone-router')).toEqual(['eu-a+', 'eu-b+']);
    expect(await row(page, 'zone-router').locator('.row-note.also').textContent()).toBe(
      'Also in its subset, with no box here: big (zone us). A Save keeps them.',
    );
    await row(page, 'zone-router').locator('select.mode').selectOption('cost');
    await row(page, 'zone-router').locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toContain('Saved zone-router');
    await expect
      .poll(
        onRefresh(page, () => boxes(page, 'zone-router')),
        { timeout: 15_000 },
      )
      .toEqual(['eu-a+', 'eu-b+']);
    await row(page, 'zone-router').locator('input.member[value="eu-b"]').uncheck();
    await row(page, 'zone-router').locator('button.save').click();
    await expect.poll(() => patches.length).toBe(2);
    expect(patches).toEqual([{ routingMode: 'cost' }, { modelSubset: ['eu-a', 'big'] }]);
    expect(await admin('GET', '/admin/v1/routers/zone-router')).toMatchObject({
      routingMode: 'cost',
      modelSubset: ['eu-a', 'big'],
    });
    await page.close();
  }, 60_000);

  it('shows and announces a refused save as an error; names each button; labels every column', async () => {
    const { page } = await open();
    await row(page, 'new-router').waitFor();
    expect(await row(page, 'new-router').locator('button.save').getAttribute('aria-label')).toBe(
      'Save new-router',
    );
    // Its only member unticked: the router refuses an empty subset.
    await row(page, 'new-router').locator('input.member[value="small"]').uncheck();
    await row(page, 'new-router').locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toMatch(/^Could not save new-router: /);
    expect(await page.getAttribute('#message', 'role')).toBe('alert');
    expect(await page.getAttribute('#message', 'class')).toBe('message failed');
    // Still shown after the next refresh (it is not the refresh's own error).
    const seen = await page.textContent('#updated');
    await expect
      .poll(
        onRefresh(page, () => page.textContent('#updated')),
        { timeout: 15_000 },
      )
      .not.toBe(seen);
    expect(await page.textContent('#message')).toMatch(/^Could not save new-router: /);

    const emptyHeaders = await page.$$eval(
      'th',
      (ths) => ths.filter((th) => !(th.textContent ?? '').trim()).length,
    );
    expect(emptyHeaders).toBe(0);
    // Muted text at WCAG AA contrast (4.5:1) on the page's light ground.
    const ratio = await page.evaluate(() => {
      const d = globalThis as unknown as {
        document: { getElementById(id: string): unknown };
        getComputedStyle(el: unknown): { color: string };
      };
      const rgb = d.getComputedStyle(d.document.getElementById('routers-note')).color;
      const lum = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number) as [number, number, number];
      const l = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
      return 1.05 / (l + 0.05);
    });
    expect(ratio).toBeGreaterThanOrEqual(4.5);
    // Router edits last until a restart with state.kind: memory, and the page says so.
    expect(await page.textContent('#routers-note')).toContain('state.kind: memory');
    await page.close();
  }, 60_000);

  it('keeps an opened receipt open across refreshes', async () => {
    const r = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'model-router',
        messages: [{ role: 'user', content: 'a question' }],
      }),
    });
    expect(r.status).toBe(200);
    const { page } = await open();
    const details = page.locator('#decisions tbody tr').first().locator('td.why details');
    await details.locator('summary').click();
    expect(await details.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
    // The focus moves on, and the table is drawn again twice: the receipt is still open.
    await page.click('h1');
    for (let i = 0; i < 2; i++) {
      const seen = await page.textContent('#updated');
      await expect
        .poll(
          onRefresh(page, () => page.textContent('#updated')),
          { timeout: 15_000 },
        )
        .not.toBe(seen);
    }
    expect(await details.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
    await page.close();
  }, 60_000);

  it('refuses and forgets a key an HTTP header cannot carry, saying why', async () => {
    // The page's timers wait for the test: its refreshes come when the clock is run.
    const page = await browser.newPage();
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 1000);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/dashboard/api/')) asked.push(r.url());
    });
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', `\u201c${ADMIN}\u201d`);
    await page.click('#key-form button');
    const said =
      /^That key has a character an HTTP header cannot carry \("\u201c", U\+201C, at position 1; pasted with smart quotes\?\), so it was not sent\. Enter an admin API key\.$/;
    await expect.poll(() => page.textContent('#message')).toMatch(said);
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length,
      ),
    ).toBe(0);
    // Not tried again every 3 s as if the router were down: two refresh periods, nothing sent.
    await page.clock.runFor(2 * REFRESH_MS);
    expect(await page.textContent('#message')).toMatch(said);
    expect(asked).toEqual([]);
    expect(await page.isHidden('#main')).toBe(true);
    await page.close();
  }, 60_000);

  it('draws the Spend-by answer of the latest grouping, not a slower older one; ≈ only over $0', async () => {
    const page = await browser.newPage();
    const group = (key: string, estimated = 0) => ({
      key,
      requests: 3,
      costUsd: 0.01,
      savingsUsd: 0,
      cacheHits: 0,
      feedback: 0,
      usageEstimated: estimated,
      usageEstimatedCostUsd: 0,
    });
    await page.route('**/admin/v1/usage?**', async (route) => {
      const by = new URL(route.request().url()).searchParams.get('by');
      if (by === 'user') await new Promise((r) => setTimeout(r, 1_500));
      await route.fulfill({
        json: {
          requests: 3,
          costUsd: 0.01,
          groups: [group(by === 'user' ? 'alice' : by === 'tenant' ? 'team-a' : 'a-tag', 3)],
        },
      });
    });
    // Failed requests' usage is estimated, at $0: no ≈ on the spend.
    await page.route('**/dashboard/api/overview**', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { overview: Record<string, number> };
      Object.assign(body.overview, {
        costUsd: 0.0314,
        usageEstimated: 9,
        usageEstimatedRate: 0.083,
        usageEstimatedCostUsd: 0,
      });
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    await expect.poll(() => page.textContent('#c-spend')).toBe('$0.0314');
    expect(await page.textContent('#c-spend-estimated')).toBe('$0.00 estimated (9 requests, 8.3%)');
    await expect.poll(() => page.textContent('#usage tbody tr td:nth-child(3)')).toBe('$0.01');

    await page.selectOption('#usage-by', 'user');
    await page.waitForTimeout(100);
    await page.selectOption('#usage-by', 'tenant');
    await page.waitForTimeout(2_500);
    expect(await page.textContent('#usage-group')).toBe('tenant');
    expect(
      await page.$$eval('#usage tbody tr td:first-child', (t) => t.map((c) => c.textContent)),
    ).toEqual(['team-a']);
    await page.close();
  }, 60_000);
});

// The dashboard in headless Chromium (Debian's chromium + playwright-core): the page loads with no
// console errors, its charts render with data from a run of real requests, editing a router's
// mode through the page changes how the next request is routed, and batches made through the
// OpenAI and Anthropic APIs show in its Batches table, and a given-up batch webhook delivery shows
// in its Batch webhooks table and is sent again from there.
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `\n*** ${CHROMIUM} not found: skipping the dashboard browser tests (apt-get install -y chromium) ***\n`,
  );

const ADMIN = 'mr-dashboard-test-admin-key';
/** A deployment name an admin may give that is also HTML: the page must show it as text. */
const ODD_NAME = 'odd "name"><b id=injected>x</b>';

type ChartData = {
  labels: string[];
  datasets: { label: string; data: (number | null)[]; backgroundColor?: unknown }[];
};
/** A Chart.js chart's labels and datasets, as the page drew them. */
const chartData = (page: Page, id: string) =>
  page.evaluate((chartId) => {
    const c = (
      globalThis as unknown as { Chart: { getChart(id: string): { data: ChartData } } }
    ).Chart.getChart(chartId).data;
    return JSON.parse(JSON.stringify({ labels: c.labels, datasets: c.datasets })) as ChartData;
  }, id);

/** The page's refresh period (app.js REFRESH_MS). */
const REFRESH_MS = 3000;

/** A page whose timers wait for the test: a refresh comes only when `onRefresh` runs its clock. */
async function pageOnOurClock(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 1000);
  return page;
}

/** `read`, for expect.poll, after the page's clock has run a refresh period (see untilRefreshed). */
const onRefresh =
  <T>(page: Page, read: () => Promise<T>) =>
  async (): Promise<T> => {
    await page.clock.runFor(REFRESH_MS);
    return read();
  };

/**
 * Runs the page's clock a refresh period at a time until `read` differs from `before`: a refresh's
 * fetches take real time, and one due while the last is still under way is skipped (app.js), so
 * a loaded machine may need more than one move of the clock.
 */
async function untilRefreshed(
  page: Page,
  read: () => Promise<string | null>,
  before: string | null,
): Promise<void> {
  await expect.poll(onRefresh(page, read), { timeout: 15_000 }).not.toBe(before);
}

/** Opens the dashboard and gives it the admin key. */
async function openDashboard(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard`);
  await page.fill('#key-input', ADMIN);
  await page.click('#key-form button');
  await page.waitForSelector('#main:not([hidden])', { timeout: 10_000 });
}
const HOOK_SECRET_ENV = 'MR_DASH_HOOK_SECRET';
const HOOK_SECRET = `whsec_${Buffer.from('model-router dashboard webhook secret!!').toString('base64')}`;

describe.skipIf(!haveChromium)('dashboard in headless Chromium', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let launching: Promise<Browser> | undefined;
  // The webhook receiver: answers 500 until `hookAnswer` says otherwise; records the batch ids.
  let receiver: Server;
  let hookAnswer = 500;
  let hookHost = '';
  const delivered: string[] = [];

  beforeAll(async () => {
    // Chromium starts while the server starts and is seeded.
    launching = chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        if (hookAnswer === 200)
          delivered.push((JSON.parse(body) as { data: { id: string } }).data.id);
        res.writeHead(hookAnswer).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as { port: number };
    hookHost = `127.0.0.1:${port}`;
    const base = testConfigInput();
    server = await spawnServer(
      testConfigInput({
        deployments: [...base.deployments, simDeployment(ODD_NAME)],
        routers: [
          ...(base.routers ?? []),
          { name: 'odd-router', routingMode: 'cost', modelSubset: [ODD_NAME, 'small'] },
        ],
        auth: { mode: 'none', adminKeyEnv: 'MR_TEST_ADMIN' },
        cache: { enabled: true },
        // One try a delivery: a 500 gives it up at once.
        batches: {
          pollIntervalMs: 50,
          webhookAttempts: 1,
          webhooks: [{ url: `http://127.0.0.1:${port}/hooks`, secretEnv: HOOK_SECRET_ENV }],
        },
        requestLog: {
          kind: 'sqlite',
          sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-dash-')), 'requests.db'),
        },
      }),
      { MR_TEST_ADMIN: ADMIN, [HOOK_SECRET_ENV]: HOOK_SECRET },
    );
    const requestIds: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(i < 6 ? { 'x-router-tags': 'onboarding' } : {}),
        },
        body: JSON.stringify({
          model: i % 4 === 0 ? 'big' : 'model-router',
          // The last request asks the router what the one before last did: a cache hit.
          messages: [{ role: 'user', content: `question ${i === 23 ? 21 : i}` }],
          stream: i % 2 === 0,
          ...((i === 23 ? 21 : i) % 3 === 0 ? { user: 'alice' } : {}),
        }),
      });
      await r.arrayBuffer();
      expect(r.status).toBe(200);
      requestIds.push(r.headers.get('x-request-id') ?? '');
    }
    // Feedback on two of the tagged answers: the usage table shows their weighted mean.
    for (const [i, score] of [
      [1, 1],
      [2, 0.5],
    ] as const) {
      const r = await fetch(`${server.baseUrl}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request_id: requestIds[i], score }),
      });
      expect(r.status, await r.text()).toBeLessThan(300);
    }
    browser = await launching;
  });

  afterAll(async () => {
    // Launched even when the start failed after it: closed all the same.
    await (await launching?.catch(() => undefined))?.close();
    await server?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  it('renders charts from real traffic with no console errors, and edits the routing mode', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    await page.waitForSelector('#main:not([hidden])', { timeout: 10_000 });
    await expect.poll(() => page.textContent('#c-requests'), { timeout: 10_000 }).toBe('24');
    expect(await page.textContent('#c-cache')).toBe('4.2% (1)');
    // The router's own time in its chat requests (x-router-overhead-ms), with the count beneath.
    expect(await page.textContent('#c-overhead')).toMatch(/^(\d+ µs|\d+\.\d\d ms) median$/);
    expect(await page.textContent('#c-overhead-more')).toMatch(
      /^p99 (\d+ µs|\d+\.\d\d ms) over \d+ chat requests$/,
    );
    expect(await page.textContent('#log-status')).toBe('request log (sqlite): writing');

    const shareTotal = await page.evaluate(() => {
      const chart = (
        globalThis as unknown as {
          Chart: { getChart(id: string): { data: { datasets: { data: number[] }[] } } };
        }
      ).Chart.getChart('chart-share');
      return chart.data.datasets[0]!.data.reduce((a, b) => a + b, 0);
    });
    expect(shareTotal).toBe(24);
    const trafficLabels = await page.evaluate(() =>
      (
        globalThis as unknown as {
          Chart: { getChart(id: string): { data: { datasets: { label: string }[] } } };
        }
      ).Chart.getChart('chart-traffic').data.datasets.map((d) => d.label),
    );
    expect(trafficLabels).toEqual(expect.arrayContaining(['big-sim', 'small-sim']));
    const canvasWidth = await page.evaluate(
      () =>
        (
          globalThis as unknown as { document: { getElementById(id: string): { width: number } } }
        ).document.getElementById('chart-latency').width,
    );
    expect(canvasWidth).toBeGreaterThan(100);
    await expect.poll(() => page.locator('#decisions tbody tr').count()).toBeGreaterThan(0);
    // A receipt's reason folds to its first clause; the whole summary opens on a click.
    const newest = (await (
      await fetch(`${server.baseUrl}/dashboard/api/decisions?limit=1`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).json()) as { data: { reason: string; summary: string }[] };
    const [{ reason, summary }] = newest.data as [{ reason: string; summary: string }];
    const why = page.locator('#decisions tbody tr').first().locator('td.why details');
    expect(reason).toContain('; ');
    expect(await why.locator('summary').textContent()).toBe(reason.split('; ')[0]);
    expect(await why.locator('p').isVisible()).toBe(false);
    await why.locator('summary').click();
    expect(await why.locator('p').isVisible()).toBe(true);
    expect(await why.locator('p').textContent()).toBe(summary);

    // Spend by tag, then by end user, read from the request log.
    const usageRows = () =>
      page.$$eval('#usage tbody tr', (rows) =>
        rows.map((r) => [r.children[0]!.textContent, r.children[1]!.textContent]),
      );
    await expect.poll(usageRows, { timeout: 10_000 }).toEqual([
      ['(untagged)', '18'],
      ['onboarding', '6'],
    ]);
    const feedbackCells = () =>
      page.$$eval('#usage tbody tr', (rows) => rows.map((r) => r.children[5]!.textContent));
    expect(await feedbackCells()).toEqual(['–', '0.75 (2)']);
    await page.selectOption('#usage-by', 'user');
    await expect.poll(usageRows, { timeout: 10_000 }).toEqual([
      ['(no user)', '15'],
      ['alice', '9'],
    ]);
    expect(await page.textContent('#usage-group')).toBe('end user');

    // Deployments as this replica sees them: big served only streams (every fourth request).
    const big = () =>
      page.$$eval('#health tr[data-deployment="big"] td', (cells) =>
        cells.map((c) => c.textContent),
      );
    await expect.poll(big, { timeout: 10_000 }).toHaveLength(10);
    const [name, model, , , circuit, cooling, inFlight, firstToken, answer, budget] = await big();
    expect([name, model, circuit, cooling, inFlight]).toEqual([
      'big',
      'big-sim',
      'closed',
      '',
      '0',
    ]);
    // The figure and its unit joined by a no-break space: a narrow cell never sets "ms" under it.
    expect(firstToken).toMatch(/^\d+\u00a0ms$/);
    expect(answer).toBe('');
    expect(budget).toBe('');

    const row = page.locator('#routers tr[data-router="model-router"]');
    await row.locator('select.mode').selectOption('quality');
    await row.locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toContain('Saved model-router');
    // The test fleet is unknown to the routing model, and the admin API's warnings say so.
    expect(await page.textContent('#message')).toMatch(
      /Note: router model-router \(artefact [^)]+\): the artefact does not know deployment big/,
    );

    const after = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'model-router',
        messages: [{ role: 'user', content: 'after the edit' }],
      }),
    });
    expect(after.headers.get('x-router-mode')).toBe('quality');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("lists every tenant's batches, OpenAI's and Anthropic's, with their progress", async () => {
    // After the first test: batch lines are requests, which it counts.
    const form = new FormData();
    form.append('purpose', 'batch');
    const line = (i: number) =>
      JSON.stringify({
        custom_id: `r${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'small', messages: [{ role: 'user', content: `batch question ${i}` }] },
      });
    form.append('file', new Blob([`${line(0)}\n${line(1)}\n`]), 'in.jsonl');
    const file = (await (
      await fetch(`${server.baseUrl}/v1/files`, { method: 'POST', body: form })
    ).json()) as { id: string };
    const post = async (path: string, body: object) =>
      (await (
        await fetch(`${server.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify(body),
        })
      ).json()) as { id: string };
    const openai = await post('/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const anthropic = await post('/v1/messages/batches', {
      requests: [
        {
          custom_id: 'm0',
          params: { model: 'small', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        },
      ],
    });
    expect(openai.id).toMatch(/^batch_/);
    expect(anthropic.id).toMatch(/^msgbatch_/);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    const row = (id: string) => () =>
      page.$$eval(`#batches tr[data-batch="${id}"]`, (rows) =>
        rows.map((r) => ({
          cells: [...r.children].map((c) => c.textContent),
          finished: r.classList.contains('finished'),
        })),
      );
    // Each ends completed (the page refreshes every 3 s), greyed among the finished.
    await expect.poll(row(openai.id), { timeout: 15_000 }).toEqual([
      {
        cells: [
          openai.id,
          'default',
          'OpenAI',
          'completed',
          '2 completed, 0 failed of 2',
          expect.any(String),
          '/v1/chat/completions',
        ],
        finished: true,
      },
    ]);
    await expect.poll(row(anthropic.id), { timeout: 15_000 }).toEqual([
      {
        cells: [
          anthropic.id,
          'default',
          'Anthropic',
          'completed',
          '1 completed, 0 failed of 1',
          expect.any(String),
          '/v1/messages',
        ],
        finished: true,
      },
    ]);
    expect(await page.textContent('#batches-note')).toContain('No batch is running.');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a given-up webhook delivery and sends it again with its Retry button', async () => {
    const batch = (await (
      await fetch(`${server.baseUrl}/v1/messages/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          requests: [
            {
              custom_id: 'w0',
              params: {
                model: 'small',
                max_tokens: 16,
                messages: [{ role: 'user', content: 'hook' }],
              },
            },
          ],
        }),
      })
    ).json()) as { id: string };

    const page = await pageOnOurClock(browser);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    const rows = () =>
      page.$$eval('#webhooks tbody tr', (trs) =>
        trs.map((r) => [...r.children].map((c) => c.textContent)),
      );
    const mine = async () => (await rows()).filter((cells) => cells[3] === batch.id);
    // The receiver answered 500 to the one try: given up, with the error and a Retry button.
    await expect
      .poll(onRefresh(page, mine), { timeout: 15_000 })
      .toEqual([
        [
          expect.stringMatching(/^whdel_/),
          'given up',
          'batch.completed',
          batch.id,
          'default',
          hookHost,
          '1',
          expect.any(String),
          expect.stringContaining('500'),
          'Retry',
        ],
      ]);
    expect(delivered).not.toContain(batch.id);

    hookAnswer = 200;
    const [id] = (await mine())[0]!;
    await page.click(`#webhooks tr[data-delivery="${id}"] button.retry`);
    await expect
      .poll(() => page.textContent('#message'))
      .toContain(`Delivery ${id} is pending again.`);
    // Sent again and delivered: it leaves the table, which lists only pending and given-up ones.
    await expect.poll(() => delivered, { timeout: 15_000 }).toContain(batch.id);
    await expect.poll(onRefresh(page, mine), { timeout: 15_000 }).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('the dashboard API refuses requests without an admin key', async () => {
    const r = await fetch(`${server.baseUrl}/dashboard/api/overview`);
    // No key: 401 (a key that is not an admin key would be 403).
    expect(r.status).toBe(401);
    expect((await fetch(`${server.baseUrl}/dashboard/api/batches`)).status).toBe(401);
  });

  it('shows names as text: a deployment named like HTML is a checkbox value, not markup', async () => {
    const page = await browser.newPage();
    await openDashboard(page, server.baseUrl);
    const row = page.locator('#routers tr[data-router="odd-router"]');
    await row.waitFor();
    expect(await page.locator('#injected').count()).toBe(0);
    const values = await row
      .locator('input[type=checkbox]:checked')
      .evaluateAll((boxes) => boxes.map((b) => (b as unknown as { value: string }).value));
    expect(values.sort()).toEqual([ODD_NAME, 'small'].sort());
    // A Save with nothing changed sends nothing.
    await row.locator('button.save').click();
    await expect
      .poll(() => page.textContent('#message'))
      .toBe('Nothing to save for odd-router: its row is as drawn.');
    // Taken out and put back: saving sends the name back as it is, and the router keeps it.
    const odd = row.locator('input.member').last();
    expect(await odd.inputValue()).toBe(ODD_NAME);
    const markRow = () =>
      row.evaluate(
        (tr) => ((tr as unknown as { dataset: { before: string } }).dataset.before = '1'),
      );
    const redrawn = () =>
      page.locator('#routers tr[data-router="odd-router"][data-before]').count();
    await odd.uncheck();
    await markRow();
    await row.locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toContain('Saved odd-router');
    await expect.poll(redrawn).toBe(0);
    expect(await odd.isChecked()).toBe(false);
    await odd.check();
    await markRow();
    await row.locator('button.save').click();
    await expect.poll(() => page.textContent('#message')).toContain('Saved odd-router (added');
    // Drawn again from the saved config, with the focus back on the router's Save button.
    await expect.poll(redrawn).toBe(0);
    await expect
      .poll(() =>
        page.evaluate(() => {
          const el = (
            globalThis as unknown as {
              document: {
                activeElement: {
                  className: string;
                  closest(s: string): { dataset: { router: string } } | null;
                };
              };
            }
          ).document.activeElement;
          return `${el.closest('tr')?.dataset.router} ${el.className}`;
        }),
      )
      .toBe('odd-router save');
    const saved = (await (
      await fetch(`${server.baseUrl}/admin/v1/routers/odd-router`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).json()) as { modelSubset: string[] };
    expect(saved.modelSubset.sort()).toEqual([ODD_NAME, 'small'].sort());
    await page.close();
  }, 60_000);

  it('keeps the keyboard focus in the routers table across refreshes', async () => {
    const page = await pageOnOurClock(browser);
    await openDashboard(page, server.baseUrl);
    const box = '#routers tr[data-router="odd-router"] input[type=checkbox]';
    await page.focus(box);
    const focused = () =>
      page.evaluate(() => {
        const d = (globalThis as unknown as { document: { activeElement: { value?: string } } })
          .document;
        return d.activeElement.value;
      });
    const name = await focused();
    expect(name).toBeTruthy();
    // Two refreshes later (every 3 s of the page's clock, marked by the updated time) it is still
    // there.
    const updated = () => page.textContent('#updated');
    await untilRefreshed(page, updated, await updated());
    await untilRefreshed(page, updated, await updated());
    expect(await focused()).toBe(name);
    await page.close();
  }, 60_000);

  it('says the router cannot be reached, how old the figures are, and clears it when it answers', async () => {
    const page = await pageOnOurClock(browser);
    await openDashboard(page, server.baseUrl);
    await expect.poll(() => page.textContent('#updated')).toMatch(/^updated /);
    await page.route('**/dashboard/api/**', (r) => r.abort('connectionrefused'));
    const message = () => page.textContent('#message');
    await untilRefreshed(page, message, await message());
    expect(await message()).toMatch(
      /^Cannot reach the router \(.+\)\. The figures below are from .+; trying again/,
    );
    expect(await page.getAttribute('#main', 'class')).toContain('stale');
    await page.unroute('**/dashboard/api/**');
    await untilRefreshed(page, message, await message());
    expect(await page.isHidden('#message')).toBe(true);
    expect(await page.getAttribute('#main', 'class')).not.toContain('stale');
    await page.close();
  }, 60_000);

  it('forgets a key the router refuses and asks for another, then works with the right one', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', 'not-the-admin-key');
    await page.click('#key-form button');
    await expect
      .poll(() => page.textContent('#message'))
      .toMatch(/^The router refused that key: .+ Enter an admin API key\.$/);
    expect(await page.isHidden('#main')).toBe(true);
    // Not kept, so the page does not send it every 3 s; and never put in the address.
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length,
      ),
    ).toBe(0);
    await page.fill('#key-input', ADMIN);
    await page.press('#key-input', 'Enter');
    await page.waitForSelector('#main:not([hidden])', { timeout: 10_000 });
    expect(await page.isHidden('#message')).toBe(true);
    expect(page.url()).toBe(`${server.baseUrl}/dashboard`);
    await page.close();
  }, 60_000);

  it('spans the whole window, in a named time zone, and says what its live figures hold', async () => {
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    await openDashboard(page, server.baseUrl);
    await expect
      .poll(() => page.textContent('#live-note'))
      .toContain('Times: Asia/Tokyo (UTC+09:00).');
    // The server started minutes ago: the last hour reaches back before it.
    expect(await page.textContent('#live-note')).toMatch(
      /hold only requests since .+: this replica started then\./,
    );
    expect(await page.getAttribute('#live-note', 'class')).toContain('partial');
    // A bucket a minute over the hour, empty ones too, not only those with traffic.
    const traffic = await chartData(page, 'chart-traffic');
    expect(traffic.labels.length).toBeGreaterThanOrEqual(60);
    const perBucket = traffic.labels.map((_, i) =>
      traffic.datasets.reduce((n, d) => n + (d.data[i] ?? 0), 0),
    );
    expect(perBucket.filter((n) => n === 0).length).toBeGreaterThan(40);
    expect(perBucket.reduce((a, b) => a + b, 0)).toBe(
      Number((await page.textContent('#c-requests'))!.replace(/,/g, '')),
    );
    await context.close();
  }, 60_000);

  it('draws many models as the 8 busiest and the rest, in USD and ms, with an empty state', async () => {
    const page = await pageOnOurClock(browser);
    const models = Array.from({ length: 12 }, (_, i) => ({
      key: i === 0 ? `a-fine-tuned-model-with-a-very-long-name-${'x'.repeat(80)}` : `model-${i}`,
      requests: 100 - i,
      share: 0,
      costUsd: 0.001,
      baselineCostUsd: 0.002,
      savingsUsd: 0.001,
      latencyP50Ms: 100 + i,
      latencyP95Ms: 200,
      ttftP50Ms: i % 2 ? null : 50,
      ttftP95Ms: null,
      errors: 0,
      failovers: 0,
      cacheHits: 0,
    }));
    const requests = models.reduce((n, m) => n + m.requests, 0);
    let empty = false;
    const overview = (now: number) => ({
      now,
      window: { sinceMs: 3_600_000, bucketMs: 60_000 },
      live: { from: now - 7_200_000, reason: 'started', capacity: 20_000 },
      overview: {
        since: now - 3_600_000,
        requests: empty ? 0 : requests,
        costUsd: empty ? 0 : 1234.5,
        baselineCostUsd: 1234.4877,
        savingsUsd: -0.0123,
        savingsRatio: 0,
        errorRate: 0,
        invalidRequests: 12,
        invalidRequestRate: 0.031,
        failoverRate: 0,
        cacheHits: 0,
        cacheHitRate: 0,
        models: empty ? [] : models,
        series: empty
          ? []
          : [
              {
                t: Math.floor(now / 60_000) * 60_000,
                byModel: Object.fromEntries(models.map((m) => [m.key, m.requests])),
                costUsd: 1,
                baselineCostUsd: 1,
              },
            ],
        bucketMs: 60_000,
      },
      routers: [],
      deployments: [],
      health: [],
      configRevision: 1,
      cacheEnabled: false,
      status: {
        request_log: {
          ok: false,
          kind: 'postgres',
          buffered: 1200,
          dropped: 3,
          written: 0,
          lastError: 'connect ECONNREFUSED',
        },
      },
    });
    await page.route('**/dashboard/api/overview**', (r) =>
      r.fulfill({ json: overview(Date.now()) }),
    );
    await openDashboard(page, server.baseUrl);
    await expect.poll(() => page.textContent('#c-requests')).toBe(requests.toLocaleString('en-US'));
    expect(await page.textContent('#c-spend')).toBe('$1,234.50');
    // The request log failing, said in the header.
    expect(await page.textContent('#log-status')).toBe(
      'request log (postgres): failing: connect ECONNREFUSED, 1,200 queued, 3 dropped',
    );
    expect(await page.getAttribute('#log-status', 'class')).toBe('log-trouble');
    expect(await page.textContent('#c-savings')).toBe('-$0.0123 (0.0%)');
    // Requests refused as invalid: apart from the error rate, under it.
    expect(await page.textContent('#c-errors')).toBe('0.0%');
    expect(await page.textContent('#c-invalid')).toBe('and 12 invalid requests (3.1%), refused');
    expect(await page.isVisible('#c-invalid')).toBe(true);
    expect(await page.textContent('#live-note')).not.toContain('hold only');
    const traffic = await chartData(page, 'chart-traffic');
    expect(traffic.datasets.map((d) => d.label)).toEqual([
      ...models.slice(0, 8).map((m) => m.key),
      'other models (4)',
    ]);
    // Each its own colour.
    expect(new Set(traffic.datasets.map((d) => d.backgroundColor)).size).toBe(9);
    const share = await chartData(page, 'chart-share');
    expect((share.datasets[0]!.data as number[]).reduce((a, b) => a + b, 0)).toBe(requests);
    const latency = await chartData(page, 'chart-latency');
    expect(latency.labels).toHaveLength(8);
    // No TTFT where streams measured none: no bar, not a bar at 0.
    expect(latency.datasets[1]!.data.slice(0, 4)).toEqual([50, null, 50, null]);

    // No traffic in the window: the page says so, and zero is $0.00.
    empty = true;
    await expect
      .poll(
        onRefresh(page, () => page.isVisible('#empty-note')),
        { timeout: 15_000 },
      )
      .toBe(true);
    expect(await page.textContent('#empty-note')).toBe(
      'No request in the last 1 h on this replica.',
    );
    expect(await page.textContent('#c-spend')).toBe('$0.00');
    await page.close();
  }, 60_000);

  it('fits a phone: nothing wider than the screen but the tables, which scroll in their box', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
    await openDashboard(page, server.baseUrl);
    await expect.poll(() => page.textContent('#c-requests')).not.toBe('–');
    const widths = await page.evaluate(() => {
      const root = (
        globalThis as unknown as {
          document: { documentElement: { scrollWidth: number; clientWidth: number } };
        }
      ).document.documentElement;
      return { page: root.scrollWidth, screen: root.clientWidth };
    });
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    await page.close();
  }, 60_000);
});

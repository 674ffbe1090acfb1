// A user's pass over the dashboard in headless Chromium against a built router, after real
// requests: the Recent decisions table says who served a request that failed over, and what the
// failed tries answered, and names no deployment as having served a request every try of which
// failed (it showed the pick); at a phone's 400 px, a decision's time reads whole and a model id
// keeps a readable width (they were cut to "10:5" over "9:56" and to a few characters a line);
// requests no deployment served are "(not served)" in the Spend-by table as in the charts, and an
// empty batches or webhooks table says so in its body.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { failingCheapDeployment, simDeployment, testConfigInput } from '../helpers/test-config.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ADMIN = 'mr-dashboard-readability-admin-key';
/** An upstream model id as long as the default fleet's Llama ones. */
const LONG_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

type Row = { time: string; router: string; servedBy: string; attempts: string };

describe.skipIf(!haveChromium)('dashboard readability in headless Chromium', () => {
  let server: SpawnedServer;
  let browser: Browser;

  const chat = (model: string, content: string) =>
    fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    }).then((r) => r.status);

  async function open(width: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    await page.waitForSelector('#decisions tbody tr[data-decision]', { timeout: 10_000 });
    return page;
  }

  /** The decisions table's rows as the page shows them. */
  const decisionRows = (page: Page) =>
    page.locator('#decisions tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const td = (tr as unknown as { children: { innerText: string }[] }).children;
        return {
          time: td[0]!.innerText,
          router: td[1]!.innerText,
          servedBy: td[3]!.innerText,
          attempts: td[4]!.innerText.replace(/\n+/g, ' | '),
        } as Row;
      }),
    );

  /** How many lines the text of each cell matching `selector` takes, with the text. */
  const linesOf = (page: Page, selector: string) =>
    page.locator(selector).evaluateAll((cells) =>
      cells.map((cell) => {
        const doc = (cell as unknown as { ownerDocument: { createRange(): unknown } })
          .ownerDocument;
        const range = doc.createRange() as {
          selectNodeContents(n: unknown): void;
          getClientRects(): { top: number }[];
        };
        range.selectNodeContents(cell);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return { text: (cell as unknown as { innerText: string }).innerText, lines: tops.size };
      }),
    );

  beforeAll(async () => {
    const base = testConfigInput();
    server = await spawnServer(
      testConfigInput({
        deployments: [
          ...base.deployments,
          failingCheapDeployment('flaky'),
          simDeployment('llama', { model: LONG_MODEL }),
        ],
        routers: [
          ...(base.routers ?? []),
          { name: 'failover-router', routingMode: 'cost', modelSubset: ['flaky', 'small'] },
          { name: 'broken-router', routingMode: 'cost', modelSubset: ['flaky'] },
          { name: 'llama-router', modelSubset: ['llama'] },
        ],
        auth: { mode: 'none', adminKeyEnv: 'MR_TEST_ADMIN' },
        requestLog: {
          kind: 'sqlite',
          sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-dash-read-')), 'requests.db'),
        },
      }),
      { MR_TEST_ADMIN: ADMIN },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    expect(await chat('failover-router', 'What is 2+2?')).toBe(200);
    expect(await chat('broken-router', 'What is 3+3?')).toBe(500);
    expect(await chat('llama-router', 'Say hello.')).toBe(200);
    // Reaches no deployment: logged, served by none.
    expect(await chat('no-such-model', 'Hello?')).toBe(404);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says who served after a failover and what the failed try answered; none when every try failed', async () => {
    const page = await open(1280);
    const rows = await decisionRows(page);
    expect(rows.find((r) => r.router === 'failover-router')).toMatchObject({
      servedBy: 'small',
      attempts: '2 | flaky: 500 server_error',
    });
    // The pick (flaky) served nothing: "why" names it, "served by" does not.
    expect(rows.find((r) => r.router === 'broken-router')).toMatchObject({
      servedBy: 'none: every try failed',
      attempts: '1 | flaky: 500 server_error',
    });
    expect(rows.find((r) => r.router === 'llama-router')).toMatchObject({
      servedBy: 'llama',
      attempts: '1',
    });
    await page.close();
  });

  it('at 400 px a decision time reads whole and a model id keeps a readable width', async () => {
    const page = await open(400);
    const times = await linesOf(page, '#decisions tbody td:first-child');
    expect(times.length).toBe(3);
    for (const t of times) expect(t, t.text).toMatchObject({ lines: 1 });
    const model = (await linesOf(page, '#health tr[data-deployment="llama"] td:nth-child(2)'))[0];
    expect(model?.text).toBe(LONG_MODEL);
    // Eight lines of five characters before; a dozen or more a line now.
    expect(model?.lines).toBeLessThanOrEqual(3);
    await page.close();
  });

  it('names requests no deployment served as the charts do, and says so when a table is empty', async () => {
    const page = await open(1280);
    await page.selectOption('#usage-by', 'model');
    await expect
      .poll(() => page.locator('#usage tbody td:first-child').allInnerTexts(), { timeout: 10_000 })
      .toContain('(not served)');
    expect(await page.locator('#usage tbody td:first-child').allInnerTexts()).not.toContain(
      '(none)',
    );
    expect(await page.textContent('#usage-note')).toContain('(not served): requests that reached');
    // No batch and no webhook delivery: each table says so in its body, and the batches note
    // speaks of no greyed rows and no batch to stop.
    await expect
      .poll(() => page.locator('#batches tbody td.empty').allInnerTexts(), { timeout: 10_000 })
      .toEqual(['No batch yet.']);
    const batchesNote = await page.textContent('#batches-note');
    expect(batchesNote).toContain('No batch is running.');
    expect(batchesNote).not.toContain('Greyed');
    expect(batchesNote).not.toContain('Stop one');
    expect(await page.locator('#webhooks tbody td.empty').allInnerTexts()).toEqual([
      'No delivery is pending or given up.',
    ]);
    await page.close();
  });
});

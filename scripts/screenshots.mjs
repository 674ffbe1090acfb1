#!/usr/bin/env node
// Regenerates the screenshots in docs/img/ used by docs/tour.md: starts the built router on the
// embedded default config (simulated fleet) on a free loopback port, sends a bounded mix of
// requests, has two tenants start small batches (finished by the photo) and larger ones (still
// running), runs a small `compare`, and photographs the dashboard and the compare report in
// Debian's Chromium (playwright-core). Stops what it started. Usage: npm run build && node scripts/screenshots.mjs
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'docs', 'img');
const ADMIN = 'screenshot-admin-key';
const work = mkdtempSync(join(tmpdir(), 'mr-shots-'));
mkdirSync(OUT, { recursive: true });

const server = spawn(process.execPath, [join(ROOT, 'dist/src/main.js'), '--port', '0'], {
  cwd: work, // the default config's SQLite log lands in <work>/data
  env: { ...process.env, MODEL_ROUTER_ADMIN_KEY: ADMIN },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 20_000);
  const onData = (d) => {
    log += d.toString();
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  };
  server.stdout.on('data', onData);
  server.stderr.on('data', onData);
  server.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
});

try {
  const prompts = [
    'hi there',
    'Translate "good morning" into French.',
    'Write a Python function that merges two sorted lists, with tests.',
    'Prove that the square root of 2 is irrational.',
    'Summarise the causes of the First World War in three bullet points.',
    'What is 17 * 23?',
    'Which is a prime number?\nA. 21\nB. 27\nC. 29\nD. 33',
    'Design a rate limiter for a distributed API gateway; discuss GCRA versus token buckets.',
  ];
  for (let i = 0; i < 64; i++) {
    const model = i % 8 === 7 ? 'gpt-4.1' : i % 8 === 6 ? 'model-router-eu' : 'model-router';
    const r = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        // Attribution: which feature of an app each request came from (the spend-by table).
        'x-router-tags': ['support-bot', 'code-review', 'search'][i % 3],
        ...(i % 5 === 0 ? { 'x-router-mode': 'cost' } : i % 7 === 0 ? { 'x-router-mode': 'quality' } : {}),
      },
      body: JSON.stringify({
        model,
        stream: i % 2 === 0,
        messages: [{ role: 'user', content: prompts[i % prompts.length] }],
      }),
    });
    await r.arrayBuffer();
  }
  // Two tenants' batches for the dashboard's Batches table: keys issued through the admin API.
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const issue = async (tenant) => {
    const r = await fetch(`${base}/admin/v1/keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ tenant }),
    });
    return (await r.json()).key;
  };
  const research = await issue('research');
  const support = await issue('support');
  const openAiBatch = async (key, n) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        custom_id: `q${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'model-router', messages: [{ role: 'user', content: prompts[i % prompts.length] }] },
      }),
    );
    form.append('file', new Blob([lines.join('\n') + '\n']), 'questions.jsonl');
    const headers = { authorization: `Bearer ${key}` };
    const file = await (await fetch(`${base}/v1/files`, { method: 'POST', headers, body: form })).json();
    await fetch(`${base}/v1/batches`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
  };
  const messageBatch = (key, n) =>
    fetch(`${base}/v1/messages/batches`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: Array.from({ length: n }, (_, i) => ({
          custom_id: `m${i}`,
          params: { model: 'model-router', max_tokens: 256, messages: [{ role: 'user', content: prompts[i % prompts.length] }] },
        })),
      }),
    });
  await openAiBatch(research, 4);
  await messageBatch(support, 3);

  const promptFile = join(work, 'prompts.txt');
  writeFileSync(promptFile, prompts.join('\n'));
  execFileSync(
    join(ROOT, 'bin/model-router'),
    ['compare', '--endpoint', base, '--prompts', promptFile, '--targets', 'model-router,gpt-4.1,gpt-4.1-nano', '--modes', 'balanced,quality,cost', '--concurrency', '6', '--out', join(work, 'compare')],
    { stdio: 'inherit' },
  );

  // Started last, so they are still running when the dashboard is photographed.
  await openAiBatch(research, 80);
  await messageBatch(support, 40);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await page.goto(`${base}/dashboard`);
    await page.fill('#key-input', ADMIN);
    await page.click('#key-form button');
    await page.waitForSelector('#main:not([hidden])');
    await page.waitForTimeout(1500); // charts animate in
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    await page.goto(`file://${join(work, 'compare', 'report.html')}`);
    await page.screenshot({ path: join(OUT, 'compare-report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${join(OUT, 'dashboard.png')} and ${join(OUT, 'compare-report.png')}`);
} finally {
  server.kill('SIGTERM');
}

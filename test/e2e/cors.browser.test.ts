// CORS in headless Chromium (Debian's chromium + playwright-core): a page served from one loopback
// origin calls the built router on another with an API key (chat JSON and streaming, and
// /v1/messages as Anthropic's SDK calls it) and reads the router's headers; a page from an origin
// the config does not name is refused by the browser.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `\n*** ${CHROMIUM} not found: skipping the CORS browser tests (apt-get install -y chromium) ***\n`,
  );

const KEY = 'mr-cors-browser-key-0123456789';

/** A loopback page server (the web app's origin): one empty page. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(!haveChromium)('CORS in headless Chromium', () => {
  let router: SpawnedServer;
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  let browser: Browser;

  beforeAll(async () => {
    allowed = await pageServer();
    other = await pageServer();
    router = await spawnServer(
      testConfigInput({
        server: {
          host: '127.0.0.1',
          port: 0,
          logLevel: 'silent',
          cors: { origins: [allowed.origin] },
        },
        auth: {
          mode: 'keys',
          keys: [{ id: 'web', hash: hashApiKey(KEY), tenant: 'web', scopes: ['model-router'] }],
        },
      }),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await router?.stop();
    allowed?.server.close();
    other?.server.close();
  });

  /** Runs fetch calls to the router in a page of `origin`; what the page could read. */
  const callFrom = async (origin: string) => {
    const page = await browser.newPage();
    await page.goto(origin);
    const result = await page.evaluate(
      async ({ url, key }) => {
        const call = async (stream: boolean) => {
          try {
            const r = await fetch(`${url}/v1/chat/completions`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${key}`,
                'content-type': 'application/json',
                'x-stainless-lang': 'js', // as the openai SDK sends: needs the preflight
              },
              body: JSON.stringify({
                model: 'model-router',
                messages: [{ role: 'user', content: 'hello from a page' }],
                stream,
              }),
            });
            const text = await r.text();
            return {
              status: r.status,
              model: r.headers.get('x-router-model'),
              requestId: r.headers.get('x-request-id'),
              done: text.includes('[DONE]'),
              json: stream ? null : (JSON.parse(text) as { model: string }).model,
            };
          } catch (err) {
            return { error: String(err) };
          }
        };
        // As @anthropic-ai/sdk calls from a browser: its key header, version and browser flag.
        const messages = async () => {
          try {
            const r = await fetch(`${url}/v1/messages`, {
              method: 'POST',
              headers: {
                'x-api-key': key,
                'anthropic-version': '2023-06-01',
                'anthropic-dangerous-direct-browser-access': 'true',
                'content-type': 'application/json',
              },
              body: JSON.stringify({
                model: 'model-router',
                max_tokens: 64,
                messages: [{ role: 'user', content: 'hello from a page' }],
              }),
            });
            const body = (await r.json()) as { type: string };
            return { status: r.status, type: body.type, model: r.headers.get('x-router-model') };
          } catch (err) {
            return { error: String(err) };
          }
        };
        return { json: await call(false), stream: await call(true), messages: await messages() };
      },
      { url: router.baseUrl, key: KEY },
    );
    await page.close();
    return result;
  };

  it('serves a page of an allowed origin, JSON and streaming, with the router headers readable', async () => {
    const r = await callFrom(allowed.origin);
    expect(r.json).toMatchObject({ status: 200 });
    expect((r.json as { model: string }).model).toBe((r.json as { json: string }).json);
    expect((r.json as { requestId: string }).requestId).toMatch(/^req_/);
    expect(r.stream).toMatchObject({ status: 200, done: true });
    expect((r.stream as { model: string | null }).model).toMatch(/-sim$/);
    expect(r.messages).toMatchObject({ status: 200, type: 'message' });
    expect((r.messages as { model: string | null }).model).toMatch(/-sim$/);
  });

  it('is refused by the browser for a page of another origin', async () => {
    const r = await callFrom(other.origin);
    expect(r.json).toEqual({ error: expect.stringContaining('Failed to fetch') });
    expect(r.stream).toEqual({ error: expect.stringContaining('Failed to fetch') });
    expect(r.messages).toEqual({ error: expect.stringContaining('Failed to fetch') });
  });
});

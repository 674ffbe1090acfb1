// The dashboard's routes as a dashboard audit found them: a repeated query parameter answered a JS
// exception's text ("text.trim is not a function") as the 400's message, on the overview and on
// GET /admin/v1/usage (F4); the clamp warning for `bucket=0s` said "not 0d" (F5); `/dashboard/`
// was no page (F6); and the page came with no CSP, frame or sniffing headers (F7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { overviewWindow } from './overview-window.js';

// Unset, so the runtime makes a one-off admin key.
const ADMIN_ENV = 'MR_DASHBOARD_ROUTES_TEST_ADMIN_KEY_UNSET';
let runtime: Runtime;
let admin: Record<string, string>;

beforeAll(async () => {
  runtime = await createRuntime(
    parseConfig(testConfigInput({ auth: { mode: 'none', adminKeyEnv: ADMIN_ENV } }), {}).config,
  );
  admin = { authorization: `Bearer ${runtime.ephemeralAdminKey}` };
});
afterAll(async () => {
  await runtime.close();
});

const get = (url: string, headers: Record<string, string> = admin) =>
  runtime.app.inject({ method: 'GET', url, headers });

describe('dashboard routes', () => {
  it('a parameter given twice is a 400 naming it and saying so, on the overview and the usage', async () => {
    for (const [url, param] of [
      ['/dashboard/api/overview?since=1h&since=2h', 'since'],
      ['/dashboard/api/overview?bucket=1m&bucket=2m', 'bucket'],
      ['/admin/v1/usage?since=1h&since=2h', 'since'],
      ['/admin/v1/usage?until=1h&until=2h', 'until'],
    ] as const) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatchObject({ param, code: 'invalid_value' });
      expect(res.json().error.message, url).toMatch(
        new RegExp(`^${param} was given more than once \\("1[hm]", "2[hm]"\\): give it once`),
      );
    }
  });

  it('says what was asked for when it clamps: 0s is 0s, not 0d', () => {
    const now = Date.parse('2026-12-01T18:00:00Z');
    expect(overviewWindow({ since: '1h', bucket: '0s' }, now).warnings).toEqual([
      'bucket: at least 1s and at most the window (1h); using 1s, not 0s',
    ]);
    expect(overviewWindow({ since: '1h', bucket: '0.5s' }, now).warnings).toEqual([
      'bucket: at least 1s and at most the window (1h); using 1s, not 0.5s',
    ]);
    expect(overviewWindow({ since: '0s' }, now).warnings).toEqual([
      'since: the overview covers 1m to 7d (its live records); showing the last 1m, not 0s',
    ]);
  });

  it('/dashboard/ with a slash sends the browser to the page, with no key', async () => {
    const res = await get('/dashboard/', {});
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/dashboard');
  });

  it('sends the page and its assets with a CSP, no framing and no sniffing', async () => {
    for (const url of [
      '/dashboard',
      '/dashboard/assets/app.js',
      '/dashboard/assets/chart-text.js',
      '/dashboard/assets/style.css',
    ]) {
      const res = await get(url, {});
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      const csp = String(res.headers['content-security-policy']);
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ])
        expect(csp, url).toContain(directive);
    }
    // Chart.js is served from here, so script-src 'self' lets the page draw its charts.
    const html = (await get('/dashboard', {})).body;
    expect(html).toContain('<script src="/dashboard/assets/chart.umd.min.js"></script>');
    expect(html).not.toMatch(/<script>|<style>|\sstyle="|\son[a-z]+="/);
    expect((await get('/dashboard/assets/chart.umd.min.js', {})).statusCode).toBe(200);
  });

  it("an unknown asset is the router's usual 404 in the OpenAI envelope, as other unknown paths", async () => {
    const res = await get('/dashboard/assets/nope.js', {});
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      error: {
        message: 'No route for GET /dashboard/assets/nope.js',
        type: 'invalid_request_error',
        param: null,
        code: 'not_found',
      },
    });
    const other = (await get('/dashboard/nope', {})).json();
    expect(other.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
  });
});

describe('dashboard routes with API keys required', () => {
  it('/dashboard/ still sends the browser to the page with no key (the page asks for one)', async () => {
    const keyed = await createRuntime(
      parseConfig(testConfigInput({ auth: { mode: 'keys', adminKeyEnv: ADMIN_ENV } }), {}).config,
    );
    try {
      const res = await keyed.app.inject({ method: 'GET', url: '/dashboard/' });
      expect(res.statusCode).toBe(301);
      expect(res.headers.location).toBe('/dashboard');
      // Its data still needs the admin key.
      const data = await keyed.app.inject({ method: 'GET', url: '/dashboard/api/overview' });
      expect(data.statusCode).toBe(401);
    } finally {
      await keyed.close();
    }
  });
});

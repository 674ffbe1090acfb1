// Every file the dashboard page loads is served, with the page's security headers: the scripts
// index.html names and every module they import, followed from one to the next as a browser does
// (a module the routes did not serve would leave the page blank, with no error the server sees).
import { readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { DASHBOARD_HEADERS } from './dashboard-routes.js';

const ASSETS = fileURLToPath(new URL('./assets/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createRuntime(
    parseConfig(
      testConfigInput({ auth: { mode: 'none', adminKeyEnv: 'MR_DASHBOARD_ASSETS_TEST_UNSET' } }),
      {},
    ).config,
  );
});
afterAll(async () => {
  await runtime.close();
});

const get = (url: string) => runtime.app.inject({ method: 'GET', url });

/** The assets a page or a script names: src/href under /dashboard/assets, and relative imports. */
function referenced(body: string, kind: 'html' | 'js'): string[] {
  const found =
    kind === 'html'
      ? [...body.matchAll(/(?:src|href)="\/dashboard\/assets\/([^"]+)"/g)]
      : [...body.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?['"]\.\/([^'"]+)['"]/g)];
  return found.map((m) => m[1]!);
}

describe('dashboard assets', () => {
  it('serves every asset the page references, and every module those import, with the headers', async () => {
    const page = await get('/dashboard');
    expect(page.statusCode).toBe(200);
    const queue = referenced(page.body, 'html');
    expect(queue).toContain('app.js');
    const served = new Map<string, number>();
    while (queue.length) {
      const name = queue.shift()!;
      if (served.has(name)) continue;
      const res = await get(`/dashboard/assets/${name}`);
      served.set(name, res.statusCode);
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type'], name).toBe(TYPES[extname(name)]);
      for (const [header, value] of Object.entries(DASHBOARD_HEADERS))
        expect(res.headers[header], `${name} ${header}`).toBe(value);
      // Chart.js (from node_modules) imports nothing of ours.
      if (name.endsWith('.js') && name !== 'chart.umd.min.js')
        queue.push(...referenced(res.body, 'js'));
    }
    // The page is more than one module now: each imported one was followed.
    expect(served.size).toBeGreaterThan(5);
    // And no file of the folder is left out of the page (a module nothing imports is dead code).
    const inFolder = readdirSync(ASSETS).filter((f) => TYPES[extname(f)] && f !== 'index.html');
    expect(inFolder.filter((f) => !served.has(f))).toEqual([]);
  });

  it('serves page files by name only: a path out of the folder is a 404', async () => {
    for (const url of [
      '/dashboard/assets/..%2Fdashboard-routes.ts',
      '/dashboard/assets/..%2F..%2F..%2Fpackage.json',
    ])
      expect((await get(url)).statusCode, url).toBe(404);
  });
});

// /metrics as Prometheus's own tools read it (metrics audit, 2026-12-07): `promtool check metrics`
// on the text after varied traffic (it failed on prom-client's three `…_total` gauges), and the
// OpenMetrics a scraper asking for it gets (before: Prometheus text whatever the Accept header).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import { registry } from './metrics.js';
import { prefersOpenMetrics } from './metrics-exposition.js';

/** Debian's, or the one `.ci/run` unpacks from Debian's package (`PROMTOOL`). */
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const hasPromtool = existsSync(PROMTOOL);
if (!hasPromtool)
  console.warn(
    `SKIPPED: ${PROMTOOL} not found, so /metrics is not checked with promtool. Install it with ` +
      "`apt-get install prometheus` (Debian) or put a Prometheus release's promtool there.",
  );

/** What Prometheus 2.x sends when it scrapes. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

let runtime: Runtime;

beforeAll(async () => {
  const input = testConfigInput();
  input.deployments.push(
    simDeployment('broken', { simulation: { failure: { kind: '500', rate: 1 } } }),
    simEmbeddingDeployment('embed'),
  );
  input.pools = [{ name: 'failover', strategy: 'priority', deployments: ['broken', 'small'] }];
  input.routers!.push({ name: 'limited', modelSubset: ['small'], rateLimit: { rpm: 1 } });
  runtime = await createRuntime(parseConfig(input, {}).config);
  registry.resetMetrics();
  const post = (url: string, payload: object | string) =>
    runtime.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload,
    });
  const hi = [{ role: 'user', content: 'hi' }];
  const statuses = [
    (await post('/v1/chat/completions', { model: 'model-router', messages: hi })).statusCode,
    (await post('/v1/chat/completions', { model: 'model-router', stream: true, messages: hi }))
      .statusCode,
    (await post('/v1/chat/completions', { model: 'failover', messages: hi })).statusCode,
    (await post('/v1/chat/completions', { model: 'broken', messages: hi })).statusCode,
    (await post('/v1/chat/completions', { model: 'limited', messages: hi })).statusCode,
    (await post('/v1/chat/completions', { model: 'limited', messages: hi })).statusCode,
    (await post('/v1/chat/completions', { model: 'nowhere', messages: hi })).statusCode,
    (await post('/v1/chat/completions', '{"model": ')).statusCode,
    (await post('/v1/embeddings', { model: 'embed', input: ['a', 'b'] })).statusCode,
    (await post('/v1/responses', { model: 'model-router', input: 'hi' })).statusCode,
    (await post('/v1/messages', { model: 'model-router', max_tokens: 20, messages: hi }))
      .statusCode,
    (await runtime.app.inject({ method: 'GET', url: '/v1/unknown' })).statusCode,
  ];
  expect(statuses).toEqual([200, 200, 200, 500, 200, 429, 404, 400, 200, 200, 200, 404]);
});

afterAll(async () => {
  await runtime?.close();
});

const scrape = (accept?: string) =>
  runtime.app.inject({ method: 'GET', url: '/metrics', headers: accept ? { accept } : {} });

describe('/metrics exposition', () => {
  it.skipIf(!hasPromtool)('passes promtool check metrics after varied traffic', async () => {
    const res = await scrape();
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    // The traffic above is in it: failover, a rate limit, the served models.
    expect(res.payload).toMatch(/^model_router_failovers_total\{[^}]*deployment="broken"/m);
    expect(res.payload).toMatch(/^model_router_rate_limit_rejections_total\{router="limited"/m);
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: res.payload });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('answers OpenMetrics to a scraper that prefers it, and Prometheus text after it', async () => {
    const om = await scrape(PROMETHEUS_ACCEPT);
    expect(om.headers['content-type']).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const text = om.payload;
    expect(text.endsWith('# EOF\n')).toBe(true);
    // A counter's family is named without `_total`, its samples with it, once.
    expect(text).toContain('# TYPE model_router_requests counter\n');
    expect(text).toMatch(/^model_router_requests_total\{router="model-router",/m);
    expect(text).not.toContain('_total_total');
    for (const [, family] of text.matchAll(/^# TYPE (\S+) counter$/gm))
      expect(family!.endsWith('_total'), family).toBe(false);
    // The metrics themselves are not renamed by it (prom-client's own OpenMetrics writer does).
    const after = await scrape();
    expect(after.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(after.payload).toContain('# TYPE model_router_requests_total counter\n');
    expect(after.payload).toMatch(/^model_router_requests_total\{/m);
  });

  it.skipIf(!hasPromtool)('OpenMetrics that Prometheus parses', async () => {
    const text = (await scrape(PROMETHEUS_ACCEPT)).payload;
    // promtool reads OpenMetrics to backfill, with Prometheus's parser; it asks each sample
    // for a timestamp, which a scrape leaves out.
    const stamped = text.replace(/^([^#\n].*)$/gm, '$1 1700000000');
    const dir = mkdtempSync(join(tmpdir(), 'metrics-om-'));
    try {
      writeFileSync(join(dir, 'metrics.om'), stamped);
      const parsed = spawnSync(PROMTOOL, [
        'tsdb',
        'create-blocks-from',
        'openmetrics',
        join(dir, 'metrics.om'),
        join(dir, 'blocks'),
      ]);
      expect(String(parsed.stderr)).toBe('');
      expect(parsed.status).toBe(0);
      expect(String(parsed.stdout)).toMatch(/NUM SERIES/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('negotiates by the Accept header and its q-values', () => {
    expect(prefersOpenMetrics(undefined)).toBe(false);
    expect(prefersOpenMetrics('*/*')).toBe(false);
    expect(prefersOpenMetrics('text/plain;version=0.0.4')).toBe(false);
    expect(prefersOpenMetrics(PROMETHEUS_ACCEPT)).toBe(true);
    expect(prefersOpenMetrics('application/openmetrics-text')).toBe(true);
    expect(prefersOpenMetrics('text/plain, application/openmetrics-text;q=0.5')).toBe(false);
    expect(prefersOpenMetrics('application/openmetrics-text;q=0, text/plain;q=0.1')).toBe(false);
  });
});

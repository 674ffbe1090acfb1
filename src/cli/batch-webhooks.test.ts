// `batches webhooks` against a running router's admin API (createRuntime on a loopback port, its
// outbox in a SQLite request log written before it started): the table, `--status`/`--state`,
// `--batch`, `--json`, `--retry` of a given-up delivery and of one that cannot be, the usage
// errors; and the outbox gauge on `/metrics`, counted when the router started.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { createSqliteRequestStore } from '../store/sql/sqlite-request-store.js';
import type { NewWebhookDelivery } from '../store/webhook-outbox.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { deliveryTable } from './batch-webhooks.js';
import { run } from './batches.js';
import { captureIo } from '../../test/helpers/cli-io.js';

const ADMIN = 'mr-webhooks-cli-ops-0123456789';
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

let rt: Runtime;
let url: string;

const io = (env: NodeJS.ProcessEnv = { MODEL_ROUTER_ADMIN_KEY: ADMIN }) => captureIo(env);

const delivery = (id: string, batchId: string, at: number): NewWebhookDelivery => ({
  id,
  eventId: `evt_${id}`,
  event: 'batch.completed',
  batchId,
  owner: 'acme',
  target: 't',
  host: 'hooks.example.com',
  body: '{}',
  createdAt: at,
});

beforeAll(async () => {
  const sqlitePath = join(mkdtempSync(join(tmpdir(), 'mr-webhooks-cli-')), 'requests.db');
  // The outbox as a fleet left it: one delivered, one given up, one waiting for its next attempt.
  const store = createSqliteRequestStore(sqlitePath);
  await store.addWebhookDeliveries([
    delivery('whdel_done', 'batch_1', T0),
    delivery('whdel_gaveup', 'batch_2', T0 + 1_000),
    delivery('whdel_waiting', 'batch_1', T0 + 2_000),
  ]);
  const end = async (id: string, how: Parameters<typeof store.endWebhookAttempt>[2]) => {
    expect((await store.claimWebhookDelivery('w', T0 + 5_000, T0 + 10_000))?.id).toBe(id);
    expect(await store.endWebhookAttempt(id, 'w', how)).toBe(true);
  };
  await end('whdel_done', { status: 'delivered', at: T0 + 6_000 });
  await end('whdel_gaveup', {
    status: 'failed',
    at: T0 + 7_000,
    error: 'HTTP 500 on each of 8 attempts',
    sent: true,
  });
  await end('whdel_waiting', {
    status: 'pending',
    at: T0 + 8_000,
    nextAttemptAt: T0 + 60_000,
    error: 'connect ECONNREFUSED',
  });
  await store.close();
  rt = await createRuntime(
    testConfig({
      auth: {
        mode: 'keys',
        keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true }],
      },
      requestLog: { kind: 'sqlite', sqlitePath },
      // No deliverer: the outbox stays as written.
      batches: { enabled: false },
    }),
  );
  url = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
});

describe('batches webhooks CLI', () => {
  it('counts the outbox by state for /metrics', async () => {
    // Counted when the router started (first: a retry below changes the outbox).
    let text = '';
    while (!text.includes('model_router_batch_webhook_deliveries{'))
      text = (await rt.app.inject({ url: '/metrics' })).body;
    const series = text
      .split('\n')
      .filter((l) => l.startsWith('model_router_batch_webhook_deliveries{'));
    expect(series).toEqual([
      'model_router_batch_webhook_deliveries{state="pending"} 1',
      'model_router_batch_webhook_deliveries{state="delivering"} 0',
      'model_router_batch_webhook_deliveries{state="delivered"} 1',
      'model_router_batch_webhook_deliveries{state="failed"} 1',
    ]);
  });

  it('lists the outbox newest first as a table', async () => {
    const c = io();
    expect(await run(['webhooks', '--url', url], c.io)).toBe(0);
    expect(c.lines()).toEqual([
      'ID             STATUS     TYPE             BATCH    TENANT  HOST               ATTEMPTS  WHEN                       LAST ERROR',
      'whdel_waiting  pending    batch.completed  batch_1  acme    hooks.example.com  1         next 2026-01-01T00:01:00Z  connect ECONNREFUSED',
      'whdel_gaveup   failed     batch.completed  batch_2  acme    hooks.example.com  1         2026-01-01T00:00:07Z       HTTP 500 on each of 8 attempts',
      'whdel_done     delivered  batch.completed  batch_1  acme    hooks.example.com  1         2026-01-01T00:00:06Z',
    ]);
  });

  it('--state (or --status), --batch and --limit narrow it; --json prints the API objects', async () => {
    const failed = io();
    expect(await run(['webhooks', '--url', url, '--state', 'failed', '--json'], failed.io)).toBe(0);
    expect(JSON.parse(failed.text())).toEqual([
      expect.objectContaining({
        id: 'whdel_gaveup',
        object: 'batch.webhook_delivery',
        status: 'failed',
        batch_id: 'batch_2',
        last_error: 'HTTP 500 on each of 8 attempts',
      }),
    ]);
    const batch1 = io();
    expect(
      await run(['webhooks', '--url', url, '--batch', 'batch_1', '--limit', '1'], batch1.io),
    ).toBe(0);
    expect(
      batch1
        .lines()
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['whdel_waiting']);
    const none = io();
    expect(
      await run(['webhooks', '--url', url, '--status', 'failed', '--batch', 'x'], none.io),
    ).toBe(0);
    expect(none.err.join('')).toBe('no failed webhook deliveries\n');
  });

  it('--retry makes a given-up delivery pending again; a delivered one cannot be', async () => {
    const retried = io();
    expect(await run(['webhooks', '--url', url, '--retry', 'whdel_gaveup'], retried.io)).toBe(0);
    expect(retried.lines()[1]).toMatch(
      /^whdel_gaveup\s+pending\s+batch\.completed\s+batch_2\s+.*\s0\s+next /,
    );
    const again = io();
    expect(await run(['webhooks', '--url', url, '--status', 'failed'], again.io)).toBe(0);
    expect(again.err.join('')).toBe('no failed webhook deliveries\n');
    const done = io();
    expect(await run(['webhooks', '--url', url, '--retry', 'whdel_done'], done.io)).toBe(1);
    expect(done.err.join('')).toMatch(/^batches webhooks --retry: HTTP 409: .*was delivered/);
    const unknown = io();
    expect(await run(['webhooks', '--url', url, '--retry', 'whdel_nope'], unknown.io)).toBe(1);
    expect(unknown.err.join('')).toMatch(/HTTP 404: No batch webhook delivery whdel_nope/);
  });

  it('says what is wrong with the arguments', async () => {
    const bad = async (args: string[], why: RegExp) => {
      const c = io();
      expect(await run(['webhooks', ...args], c.io)).toBe(2);
      expect(c.err.join('')).toMatch(why);
    };
    await bad(
      ['--url', url, '--state', 'delivering'],
      /--status must be one of pending, delivered, failed, all/,
    );
    await bad(['--url', url, '--state', 'failed', '--status', 'pending'], /say different things/);
    await bad(['--url', url, '--limit', '0'], /--limit must be a whole number/);
    await bad(['--state', 'failed'], /--url is needed/);
    // A wrong option throws, for main.ts to say as for every command (cli-help.e2e.test.ts).
    await expect(run(['webhooks', '--url', url, '--bogus'], io({}).io)).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
    const keyless = io({});
    expect(await run(['webhooks', '--url', url], keyless.io)).toBe(1);
    expect(keyless.err.join('')).toMatch(/an admin key is needed/);
  });

  it('renders an empty error column without trailing spaces', () => {
    expect(deliveryTable([]).endsWith('LAST ERROR')).toBe(true);
  });
});

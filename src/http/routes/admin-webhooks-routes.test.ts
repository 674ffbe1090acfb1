// The batch webhooks' outbox for operators, through the whole router (createRuntime + app.inject)
// over a SQLite request log: deliveries listed newest first, filtered by status and batch, paged,
// with their attempts, next attempt and last error, the receiver as its host only; refused (403)
// to a tenant's key; a given-up delivery retried (pending again, attempts afresh), a delivered one
// refused (409), an unknown one 404, a bad filter 400.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import type { BatchStore } from '../../store/batch-store.js';
import type { NewWebhookDelivery } from '../../store/webhook-outbox.js';
import { testConfig } from '../../../test/helpers/test-config.js';

const ADMIN = 'mr-adminwh-ops-0123456789';
const KEY_A = 'mr-adminwh-key-a-0123456789';
const KEYS = [
  { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] },
  { id: 'a', hash: hashApiKey(KEY_A), tenant: 'acme' },
];
const T0 = 1_767_225_600_000; // 2026-01-01

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const delivery = (id: string, batchId: string, createdAt: number): NewWebhookDelivery => ({
  id,
  eventId: `evt_${id}`,
  event: 'batch.completed',
  batchId,
  owner: 'acme',
  target: 'target',
  host: 'hooks.example.com',
  body: '{}',
  createdAt,
});

describe('admin batch webhooks API', () => {
  let rt: Runtime;
  let store: BatchStore;
  const call = async (method: 'GET' | 'POST', url: string, key = ADMIN) => {
    const res = await rt.app.inject({ method, url, headers: { authorization: `Bearer ${key}` } });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const ids = (list: Json) => (list.data as Json[]).map((d) => d.id as string);

  beforeAll(async () => {
    rt = await createRuntime(
      testConfig({
        auth: { mode: 'keys', keys: KEYS },
        requestLog: {
          kind: 'sqlite',
          sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-adminwh-')), 'requests.db'),
        },
        // No deliverer on this replica: the deliveries stay as written.
        batches: { enabled: false },
      }),
    );
    store = rt.requestLog!.store;
    await store.addWebhookDeliveries([
      delivery('whdel_sent', 'batch_1', T0),
      delivery('whdel_gaveup', 'batch_2', T0 + 1_000),
      delivery('whdel_waiting', 'batch_3', T0 + 2_000),
    ]);
    const claim = async (id: string) =>
      expect((await store.claimWebhookDelivery('w', T0 + 5_000, T0 + 6_000))?.id).toBe(id);
    await claim('whdel_sent');
    await store.endWebhookAttempt('whdel_sent', 'w', { status: 'delivered', at: T0 + 5_000 });
    await claim('whdel_gaveup');
    await store.endWebhookAttempt('whdel_gaveup', 'w', {
      status: 'failed',
      at: T0 + 7_000,
      error: 'HTTP 500 on each of 8 attempts',
      sent: true,
    });
    await claim('whdel_waiting');
    await store.endWebhookAttempt('whdel_waiting', 'w', {
      status: 'pending',
      at: T0 + 5_000,
      nextAttemptAt: T0 + 65_000,
      error: 'HTTP 503',
    });
  });

  afterAll(async () => {
    await rt?.close();
  });

  it('lists deliveries newest first, filtered by status and batch, paged', async () => {
    const all = await call('GET', '/admin/v1/batch-webhooks');
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(['whdel_waiting', 'whdel_gaveup', 'whdel_sent']);
    expect(all.body).toMatchObject({ object: 'list', has_more: false, last_id: 'whdel_sent' });
    const [waiting, gaveUp, sent] = all.body.data as Json[];
    expect(waiting).toEqual({
      id: 'whdel_waiting',
      object: 'batch.webhook_delivery',
      event_id: 'evt_whdel_waiting',
      type: 'batch.completed',
      batch_id: 'batch_3',
      tenant: 'acme',
      host: 'hooks.example.com',
      status: 'pending',
      attempts: 1,
      next_attempt_at: (T0 + 65_000) / 1000,
      last_error: 'HTTP 503',
      created_at: (T0 + 2_000) / 1000,
      finished_at: null,
    });
    expect(gaveUp).toMatchObject({
      status: 'failed',
      attempts: 1,
      next_attempt_at: null,
      last_error: 'HTTP 500 on each of 8 attempts',
      finished_at: (T0 + 7_000) / 1000,
    });
    expect(sent).toMatchObject({ status: 'delivered', last_error: null });
    const q = async (query: string) =>
      ids((await call('GET', `/admin/v1/batch-webhooks?${query}`)).body);
    expect(await q('status=failed')).toEqual(['whdel_gaveup']);
    expect(await q('status=pending')).toEqual(['whdel_waiting']);
    expect(await q('batch_id=batch_1')).toEqual(['whdel_sent']);
    expect(await q('limit=1')).toEqual(['whdel_waiting']);
    expect((await call('GET', '/admin/v1/batch-webhooks?limit=1')).body.has_more).toBe(true);
    expect(await q('limit=1&after=whdel_waiting')).toEqual(['whdel_gaveup']);
    const bad = await call('GET', '/admin/v1/batch-webhooks?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      param: 'status',
      message: expect.stringMatching(/pending/),
    });
  });

  it('is for admin keys only', async () => {
    expect((await call('GET', '/admin/v1/batch-webhooks', KEY_A)).status).toBe(403);
    expect((await call('POST', '/admin/v1/batch-webhooks/whdel_gaveup/retry', KEY_A)).status).toBe(
      403,
    );
  });

  it('retries a given-up delivery; a delivered one is 409, an unknown one 404', async () => {
    const retried = await call('POST', '/admin/v1/batch-webhooks/whdel_gaveup/retry');
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      id: 'whdel_gaveup',
      status: 'pending',
      attempts: 0,
      finished_at: null,
    });
    // Due now (with the one waiting since 2026): the next claims on any replica take them.
    const claimed: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++)
      claimed.push((await store.claimWebhookDelivery('w2', Date.now(), Date.now() + 1_000))?.id);
    expect(claimed).toEqual(['whdel_waiting', 'whdel_gaveup', undefined]);
    const delivered = await call('POST', '/admin/v1/batch-webhooks/whdel_sent/retry');
    expect(delivered.status).toBe(409);
    expect(delivered.body.error).toMatchObject({ code: 'webhook_delivery_not_retryable' });
    const unknown = await call('POST', '/admin/v1/batch-webhooks/whdel_none/retry');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'webhook_delivery_not_found' });
  });
});

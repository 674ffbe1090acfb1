// Every tenant's batches for operators, through the whole router (createRuntime + app.inject):
// batches two tenants made through their own APIs are listed for an admin key, refused (403) to
// any other key, and stopped by the admin's cancel as by their owner's (the runner on this replica
// stops at once); listing filters and pages over a request log's batches, finished ones cannot be
// cancelled (409), and the dashboard's JSON shows unfinished batches and the last finished ones.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { emptyUsage, type BatchDoc } from '../../batch/batch-object.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import type { BatchStatus, BatchStore, StoredBatch } from '../../store/batch-store.js';
import { simDeployment, testConfig, testConfigInput } from '../../../test/helpers/test-config.js';

const ADMIN = 'mr-adminb-ops-0123456789';
const KEY_A = 'mr-adminb-key-a-0123456789';
const KEY_B = 'mr-adminb-key-b-0123456789';

const KEYS = [
  { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] },
  { id: 'a', hash: hashApiKey(KEY_A), tenant: 'acme' },
  { id: 'b', hash: hashApiKey(KEY_B), tenant: 'beta' },
];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(rt: Runtime) {
  const call = async (method: 'GET' | 'POST', url: string, key: string, payload?: object) => {
    const res = await rt.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.json() as Json };
  };
  return {
    get: (url: string, key = ADMIN) => call('GET', url, key),
    post: (url: string, key = ADMIN, payload?: object) => call('POST', url, key, payload),
  };
}

describe('admin batches API with the runner', () => {
  let rt: Runtime;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    const input = testConfigInput({
      auth: { mode: 'keys', keys: KEYS },
      // One line at a time over slow lines, and leases renewed rarely: a batch stops soon after a
      // cancel only if the route told this replica's runner. A line takes 1 s, so a batch of 10
      // outlasts the test's steps before its cancels however slowly the machine runs.
      batches: { pollIntervalMs: 50, concurrency: 1, leaseSeconds: 600 },
    });
    input.deployments.push(
      simDeployment('slow', { simulation: { ttftMs: 1_000, tokensPerSecond: 1_000_000 } }),
    );
    rt = await createRuntime(testConfig(input));
    api = client(rt);
  });

  afterAll(async () => {
    await rt?.close();
  });

  const ids = (list: Json) => (list.data as Json[]).map((b) => b.id as string);

  async function createOpenAiBatch(key: string, lines: number): Promise<string> {
    const jsonl = Array.from({ length: lines }, (_, i) =>
      JSON.stringify({
        custom_id: `r${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'slow', messages: [{ role: 'user', content: `question ${i}` }] },
      }),
    ).join('\n');
    const upload = await rt.app.inject({
      method: 'POST',
      url: '/v1/files',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'multipart/form-data; boundary=XX',
      },
      payload:
        '--XX\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n' +
        '--XX\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\n\r\n' +
        `${jsonl}\n\r\n--XX--\r\n`,
    });
    expect(upload.statusCode).toBe(200);
    const created = await api.post('/v1/batches', key, {
      input_file_id: upload.json().id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe(200);
    return created.body.id;
  }

  async function createMessageBatch(key: string, lines: number): Promise<string> {
    const res = await rt.app.inject({
      method: 'POST',
      url: '/v1/messages/batches',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      payload: {
        requests: Array.from({ length: lines }, (_, i) => ({
          custom_id: `m${i}`,
          params: {
            model: 'slow',
            max_tokens: 32,
            messages: [{ role: 'user', content: `message ${i}` }],
          },
        })),
      },
    });
    expect(res.statusCode).toBe(200);
    return res.json().id;
  }

  /** The batch as the admin API shows it, once `done` says it has finished. */
  async function settled(id: string, done: (b: Json) => boolean): Promise<Json> {
    let last: Json = {};
    await expect
      .poll(
        async () => {
          last = (await api.get(`/admin/v1/batches/${id}`)).body;
          return done(last);
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true);
    return last;
  }

  it("lists two tenants' batches for the admin only, and the admin's cancel stops them", async () => {
    const openai = await createOpenAiBatch(KEY_A, 10);
    const anthropic = await createMessageBatch(KEY_B, 10);

    const listed = await api.get('/admin/v1/batches?status=unfinished');
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ object: 'list', has_more: false });
    expect(ids(listed.body).sort()).toEqual([anthropic, openai].sort());
    const byId = new Map((listed.body.data as Json[]).map((b) => [b.id, b]));
    expect(byId.get(openai)).toMatchObject({
      object: 'batch',
      endpoint: '/v1/chat/completions',
      tenant: 'acme',
      key_id: 'a',
      api: 'openai',
    });
    expect(byId.get(anthropic)).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      tenant: 'beta',
      key_id: 'b',
      api: 'anthropic',
    });
    // Each tenant still sees only its own.
    expect(ids((await api.get('/v1/batches', KEY_B)).body)).not.toContain(openai);

    // Any other key: 403 in OpenAI's envelope, and nothing cancelled.
    for (const [method, url] of [
      ['GET', '/admin/v1/batches'],
      ['GET', `/admin/v1/batches/${anthropic}`],
      ['POST', `/admin/v1/batches/${anthropic}/cancel`],
    ] as const) {
      const res = method === 'GET' ? await api.get(url, KEY_B) : await api.post(url, KEY_B);
      expect(res.status, url).toBe(403);
      expect(res.body.error).toMatchObject({ type: expect.any(String), code: expect.any(String) });
    }
    expect((await api.get(`/admin/v1/batches/${anthropic}`)).body.cancel_initiated_at).toBeNull();

    // The admin cancels beta's Message Batch: it ends canceled, as beta's own API shows.
    const cancelling = await api.post(`/admin/v1/batches/${anthropic}/cancel`);
    expect(cancelling.status).toBe(200);
    expect(cancelling.body).toMatchObject({ processing_status: 'canceling', tenant: 'beta' });
    const ended = await settled(anthropic, (b) => b.processing_status === 'ended');
    expect(ended.request_counts.canceled).toBeGreaterThan(0);
    const own = await rt.app.inject({
      method: 'GET',
      url: `/v1/messages/batches/${anthropic}`,
      headers: { 'x-api-key': KEY_B },
    });
    expect(own.json()).toMatchObject({
      processing_status: 'ended',
      request_counts: ended.request_counts,
    });

    // And acme's Batch: it ends cancelled.
    const stopping = await api.post(`/admin/v1/batches/${openai}/cancel`);
    expect(stopping.body).toMatchObject({ status: 'cancelling', tenant: 'acme', api: 'openai' });
    const cancelled = await settled(openai, (b) => b.status === 'cancelled');
    expect(cancelled.request_counts.completed).toBeLessThan(10);
    expect((await api.get(`/v1/batches/${openai}`, KEY_A)).body.status).toBe('cancelled');

    // Finished: a second cancel is refused, for either API.
    for (const id of [openai, anthropic]) {
      const again = await api.post(`/admin/v1/batches/${id}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'batch_not_cancellable', param: 'batch_id' });
    }
    expect(ids((await api.get('/admin/v1/batches?status=unfinished')).body)).toEqual([]);
  }, 30_000);
});

describe('admin batches API over a request log', () => {
  const T0 = 1_767_225_600_000; // 2026-01-01
  let rt: Runtime;
  let store: BatchStore;
  let api: ReturnType<typeof client>;

  const stored = (
    id: string,
    owner: string,
    createdAt: number,
    status: BatchStatus,
    keyId?: string,
  ): StoredBatch => {
    const doc: BatchDoc = {
      endpoint: id.startsWith('msgbatch_') ? '/v1/messages' : '/v1/embeddings',
      inputFileId: `file-${id}`,
      completionWindow: '24h',
      ...(keyId ? { keyId } : {}),
      metadata: null,
      expiresAt: createdAt + 86_400_000,
      requestCounts: { total: 4, completed: 3, failed: 1 },
      usage: emptyUsage(),
    };
    return { id, owner, createdAt, status, doc: JSON.stringify(doc) };
  };

  beforeAll(async () => {
    rt = await createRuntime(
      testConfig({
        auth: { mode: 'keys', keys: KEYS },
        requestLog: {
          kind: 'sqlite',
          sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-adminb-')), 'requests.db'),
        },
        // No runner on this replica (the batches stay as written); the admin API still serves.
        batches: { enabled: false },
      }),
    );
    api = client(rt);
    store = rt.requestLog!.store;
    for (const b of [
      stored('batch_old', 'acme', T0, 'completed', 'a'),
      stored('msgbatch_run', 'acme', T0 + 1, 'in_progress', 'a'),
      stored('batch_beta', 'beta', T0 + 2, 'validating', 'b'),
      stored('batch_beta_done', 'beta', T0 + 3, 'cancelled'),
      stored('msgbatch_beta', 'beta', T0 + 4, 'finalizing', 'b'),
    ])
      await store.createBatch(b);
  });

  afterAll(async () => {
    await rt?.close();
  });

  const ids = (list: Json) => (list.data as Json[]).map((b) => b.id as string);

  it('filters by status and tenant, newest first, paged with after and limit', async () => {
    const all = await api.get('/admin/v1/batches');
    const newest = ['msgbatch_beta', 'batch_beta_done', 'batch_beta', 'msgbatch_run', 'batch_old'];
    expect(ids(all.body)).toEqual(newest);
    expect(all.body).toMatchObject({
      object: 'list',
      first_id: 'msgbatch_beta',
      last_id: 'batch_old',
      has_more: false,
    });
    const [anthropic, , , , openai] = all.body.data as Json[];
    expect(openai).toMatchObject({
      id: 'batch_old',
      object: 'batch',
      status: 'completed',
      created_at: T0 / 1000,
      request_counts: { total: 4, completed: 3, failed: 1 },
      tenant: 'acme',
      key_id: 'a',
      api: 'openai',
    });
    expect(anthropic).toMatchObject({
      id: 'msgbatch_beta',
      type: 'message_batch',
      processing_status: 'in_progress',
      created_at: new Date(T0 + 4).toISOString(),
      tenant: 'beta',
      api: 'anthropic',
    });
    expect((all.body.data as Json[])[1]!.key_id).toBeNull();

    const list = async (query: string) => ids((await api.get(`/admin/v1/batches?${query}`)).body);
    expect(await list('status=unfinished')).toEqual([
      'msgbatch_beta',
      'batch_beta',
      'msgbatch_run',
    ]);
    expect(await list('status=finished')).toEqual(['batch_beta_done', 'batch_old']);
    expect(await list('status=all&tenant=acme')).toEqual(['msgbatch_run', 'batch_old']);
    expect(await list('status=unfinished&tenant=beta')).toEqual(['msgbatch_beta', 'batch_beta']);
    expect(await list('tenant=nobody')).toEqual([]);

    const first = (await api.get('/admin/v1/batches?limit=2')).body;
    expect(first).toMatchObject({ first_id: 'msgbatch_beta', last_id: 'batch_beta_done' });
    expect(first.has_more).toBe(true);
    const second = (await api.get(`/admin/v1/batches?limit=2&after=${first.last_id}`)).body;
    expect(ids(second)).toEqual(['batch_beta', 'msgbatch_run']);
    expect(second.has_more).toBe(true);
    const third = (await api.get(`/admin/v1/batches?limit=2&after=${second.last_id}`)).body;
    expect(ids(third)).toEqual(['batch_old']);
    expect(third.has_more).toBe(false);
    expect(await list('status=unfinished&after=batch_beta_done')).toEqual([
      'batch_beta',
      'msgbatch_run',
    ]);

    const bad = await api.get('/admin/v1/batches?status=running');
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('status');
    expect((await api.get('/admin/v1/batches?limit=0')).status).toBe(400);
    expect((await api.get('/admin/v1/batches', KEY_A)).status).toBe(403);
  });

  it("reads and cancels any tenant's batch; a finished one is 409, an unknown one 404", async () => {
    const one = await api.get('/admin/v1/batches/batch_beta');
    expect(one.body).toMatchObject({ id: 'batch_beta', status: 'validating', tenant: 'beta' });
    const missing = await api.get('/admin/v1/batches/batch_nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('batch_not_found');
    expect((await api.post('/admin/v1/batches/batch_nope/cancel')).status).toBe(404);

    for (const id of ['batch_old', 'batch_beta_done']) {
      const refused = await api.post(`/admin/v1/batches/${id}/cancel`);
      expect(refused.status, id).toBe(409);
      expect(refused.body.error.message).toMatch(/only a batch that has not finished/);
    }
    expect((await store.findBatch('batch_old'))?.cancelRequestedAt).toBeUndefined();

    const cancelled = await api.post('/admin/v1/batches/batch_beta/cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelling', tenant: 'beta' });
    expect(cancelled.body.cancelling_at).toEqual(expect.any(Number));
    // Recorded for whichever replica holds the batch (it sees it at its next lease renewal).
    expect((await store.getBatch('batch_beta', 'beta'))?.cancelRequestedAt).toBeGreaterThan(0);
    expect((await api.get('/admin/v1/batches/batch_beta')).body.status).toBe('cancelling');
  });

  it("the dashboard's JSON: unfinished batches and the last finished, admin key only", async () => {
    const res = await api.get('/dashboard/api/batches');
    expect(res.status).toBe(200);
    expect(res.body.unfinished.map((b: Json) => b.id)).toEqual([
      'msgbatch_beta',
      'batch_beta',
      'msgbatch_run',
    ]);
    expect(res.body.finished.map((b: Json) => b.id)).toEqual(['batch_beta_done', 'batch_old']);
    expect(res.body.moreUnfinished).toBe(false);
    expect(res.body.unfinished[2]).toEqual({
      id: 'msgbatch_run',
      tenant: 'acme',
      api: 'anthropic',
      status: 'in_progress',
      endpoint: '/v1/messages',
      createdAt: T0 + 1,
      requestCounts: { total: 4, completed: 3, failed: 1 },
    });
    expect((await api.get('/dashboard/api/batches', KEY_B)).status).toBe(403);
  });
});

// The Message Batches routes in process over the memory store, the batch ended by finishBatch as
// the runner ends it: the stored input file in OpenAI line form, deletion taking the batch's files
// with it, cancel of an ended batch changing nothing, and the routes off with `batches.enabled`.
import Fastify, { type FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import { readDoc } from '../../batch/batch-object.js';
import { finishBatch } from '../../batch/finish-batch.js';
import { ConfigHolder, compileConfig } from '../../config/runtime-config.js';
import { systemClock } from '../../core/clock.js';
import type { BatchStore } from '../../store/batch-store.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { errorHandler } from '../error-handler.js';
import { registerMessageBatchesRoutes } from './message-batches-routes.js';

let app: FastifyInstance;
let store: BatchStore;
let woken = 0;

async function build(enabled = true): Promise<void> {
  store = createMemoryBatchStore();
  woken = 0;
  app = Fastify();
  app.decorateRequest('auth', null as never);
  app.addHook('onRequest', async (request) => {
    request.auth = { tenant: 'acme', keyId: 'a', admin: false, scopes: ['*'] };
  });
  app.setErrorHandler(errorHandler);
  const config = new ConfigHolder(compileConfig(testConfig({ batches: { enabled } })));
  await registerMessageBatchesRoutes(
    app,
    store,
    { wake: () => void woken++, noticeCancel: () => {} },
    config,
  );
}

const params = { model: 'small', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] };

async function create(): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/messages/batches',
    payload: { requests: [{ custom_id: 'one', params }] },
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ id: string }>().id;
}

/** Ends the batch as the runner does: one line answered, its output file written. */
async function end(id: string): Promise<void> {
  const now = Date.now();
  const stored = (await store.claimBatch('w', now, now + 60_000, []))!;
  await store.putResults(id, [{ line: 0, ok: true, json: '{"custom_id":"one"}' }]);
  await finishBatch(store, 'w', stored, readDoc(stored), 'completed', systemClock);
}

describe('Message Batches routes', () => {
  beforeEach(() => build());

  it('stores the requests as /v1/messages lines in a file of its own and wakes the runner', async () => {
    const id = await create();
    expect(woken).toBe(1);
    const doc = readDoc((await store.getBatch(id, 'acme'))!);
    expect(doc).toMatchObject({ endpoint: '/v1/messages', keyId: 'a' });
    expect(await store.getFile(doc.inputFileId, 'acme')).toMatchObject({
      purpose: 'anthropic_batch',
    });
    const content = (await store.getFileContent(doc.inputFileId, 'acme'))!.toString();
    expect(JSON.parse(content)).toEqual({
      custom_id: 'one',
      method: 'POST',
      url: '/v1/messages',
      body: params,
    });
  });

  it('deletes an ended batch with its input and output files', async () => {
    const id = await create();
    await end(id);
    const doc = readDoc((await store.getBatch(id, 'acme'))!);
    expect(doc.outputFileId).toBeDefined();
    expect(await store.getFile(doc.outputFileId!, 'acme')).toMatchObject({
      purpose: 'anthropic_batch_output',
    });
    const cancel = await app.inject({ method: 'POST', url: `/v1/messages/batches/${id}/cancel` });
    expect(cancel.json()).toMatchObject({ processing_status: 'ended', cancel_initiated_at: null });

    const res = await app.inject({ method: 'DELETE', url: `/v1/messages/batches/${id}` });
    expect(res.json()).toEqual({ id, type: 'message_batch_deleted' });
    expect(await store.getBatch(id, 'acme')).toBeUndefined();
    expect(await store.getFile(doc.inputFileId, 'acme')).toBeUndefined();
    expect(await store.getFile(doc.outputFileId!, 'acme')).toBeUndefined();
  });

  it("refuses a batch whose shape Anthropic refuses, in Anthropic's words and envelope", async () => {
    const refused = async (payload: unknown) => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages/batches',
        payload: payload as object,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      return body.error.message as string;
    };
    const ok = { custom_id: 'one', params };
    const { model: _m, ...noModel } = params;
    const { max_tokens: _t, ...noMaxTokens } = params;
    const { messages: _s, ...noMessages } = params;
    expect(await refused({ requests: 'x' })).toMatch(/^requests: Input should be a valid list/);
    expect(await refused({ requests: [ok], extra: 1 })).toBe(
      'extra: Extra inputs are not permitted',
    );
    expect(await refused({ requests: [{ params }] })).toBe('requests.0.custom_id: Field required');
    expect(await refused({ requests: [{ custom_id: 7, params }] })).toBe(
      'requests.0.custom_id: Input should be a valid string',
    );
    expect(await refused({ requests: [ok, { ...ok }] })).toBe(
      'requests.1.custom_id: Duplicate custom_id "one" (also requests.0.custom_id); each request in a batch needs its own.',
    );
    expect(await refused({ requests: [{ ...ok, note: 'x' }] })).toBe(
      'requests.0.note: Extra inputs are not permitted',
    );
    expect(await refused({ requests: [{ custom_id: 'one' }] })).toBe(
      'requests.0.params: Field required',
    );
    expect(await refused({ requests: [ok, { custom_id: 'b', params: noModel }] })).toBe(
      'requests.1.params.model: Field required',
    );
    expect(await refused({ requests: [{ custom_id: 'a', params: { ...params, model: 1 } }] })).toBe(
      'requests.0.params.model: Input should be a valid string',
    );
    expect(await refused({ requests: [{ custom_id: 'a', params: noMaxTokens }] })).toBe(
      'requests.0.params.max_tokens: Field required',
    );
    expect(
      await refused({ requests: [{ custom_id: 'a', params: { ...params, max_tokens: '8' } }] }),
    ).toBe('requests.0.params.max_tokens: Input should be a valid integer');
    expect(
      await refused({ requests: [{ custom_id: 'a', params: { ...params, max_tokens: 0 } }] }),
    ).toBe('requests.0.params.max_tokens: Input should be greater than or equal to 1');
    expect(await refused({ requests: [{ custom_id: 'a', params: noMessages }] })).toBe(
      'requests.0.params.messages: Field required',
    );
    expect(
      await refused({ requests: [{ custom_id: 'a', params: { ...params, messages: 'hi' } }] }),
    ).toBe('requests.0.params.messages: Input should be a valid list');
    expect(await store.listBatches('acme', undefined, 10)).toEqual([]);
    expect(woken).toBe(0);
  });

  it('answers 404 in Anthropic shape when batches are turned off', async () => {
    await build(false);
    const res = await app.inject({ method: 'GET', url: '/v1/messages/batches' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringMatching(/batches\.enabled/) },
      request_id: expect.any(String),
    });
  });
});

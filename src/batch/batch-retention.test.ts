// Retention of finished batches through the APIs, on the memory and SQLite stores: the batch
// service's sweep (on the injected clock) deletes a batch `batches.retentionDays` after it finished,
// so it answers 404 with its output file, and a Message Batch goes with its own input file; a batch
// finished more recently, one still running and the client's uploaded input stay; 0 keeps them all.
// Webhook deliveries delivered or given up that long ago go with the same sweep; pending ones stay.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyStore } from '../auth/key-store.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { errorHandler } from '../http/error-handler.js';
import type { BatchStore } from '../store/batch-store.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { createSqliteRequestStore } from '../store/sql/sqlite-request-store.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { readDoc } from './batch-object.js';
import { BatchService } from './batch-service.js';
import { finishBatch } from './finish-batch.js';

const DAY = 86_400_000;

const STORES: { name: string; open(): BatchStore & { close?(): Promise<void> } }[] = [
  { name: 'memory', open: createMemoryBatchStore },
  { name: 'SQLite', open: () => createSqliteRequestStore(':memory:') },
];

let app: FastifyInstance | undefined;
let closeStore: (() => Promise<void>) | undefined;

afterEach(async () => {
  await app?.close();
  await closeStore?.();
  app = undefined;
  closeStore = undefined;
});

async function build(open: () => BatchStore & { close?(): Promise<void> }, retentionDays: number) {
  const store = open();
  closeStore = store.close?.bind(store);
  const clock = createManualClock();
  const config = new ConfigHolder(compileConfig(testConfig({ batches: { retentionDays } })));
  const service = new BatchService({
    store,
    config,
    keys: new KeyStore({ state: new MemoryState(clock), clock, configKeys: () => [] }),
    clock,
    log: { warn: () => {}, info: () => {} },
  });
  // Batches are ended by hand below, as the runner ends them: this one takes none.
  await service.runner.stop();
  app = Fastify();
  app.decorateRequest('auth', null as never);
  app.addHook('onRequest', async (request) => {
    request.auth = { tenant: 'acme', admin: false, scopes: ['*'] };
  });
  app.setErrorHandler(errorHandler);
  await service.register(app);
  const inject = app.inject.bind(app);
  const get = async (url: string) => (await inject({ method: 'GET', url })).statusCode;

  const content = Buffer.from(
    '{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"x"}}\n',
  );
  const file = { owner: 'acme', purpose: 'batch', filename: 'in.jsonl', bytes: content.length };
  await store.putFile({ ...file, id: 'file-in', createdAt: clock.now() }, content);

  const createBatch = async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/batches',
      payload: { input_file_id: 'file-in', endpoint: '/v1/embeddings', completion_window: '24h' },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ id: string }>().id;
  };
  const createMessageBatch = async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/messages/batches',
      payload: {
        requests: [
          {
            custom_id: 'one',
            params: { model: 'small', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
          },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ id: string }>().id;
  };
  /** Ends a batch now as the runner does: its one line answered, its output file written. */
  const end = async (id: string) => {
    const others = (await store.listBatches('acme', undefined, 100)).map((b) => b.id);
    const now = clock.now();
    const stored = await store.claimBatch(
      'w',
      now,
      now + 60_000,
      others.filter((o) => o !== id),
    );
    expect(stored?.id).toBe(id);
    await store.putResults(id, [{ line: 0, ok: true, json: '{"custom_id":"a"}' }]);
    await finishBatch(store, 'w', stored!, readDoc(stored!), 'completed', clock);
    return readDoc((await store.findBatch(id))!);
  };
  return { store, clock, service, get, createBatch, createMessageBatch, end };
}

describe('batches.retentionDays', () => {
  for (const { name, open } of STORES) {
    it(`${name}: a batch finished 30 days ago is gone with its output file; a newer one stays`, async () => {
      const { store, clock, service, get, createBatch, createMessageBatch, end } = await build(
        open,
        30,
      );
      const running = await createBatch();
      const old = await createBatch();
      const oldOutput = (await end(old)).outputFileId!;
      const oldMessages = await createMessageBatch();
      const oldMessagesInput = readDoc((await store.findBatch(oldMessages))!).inputFileId;
      const oldMessagesOutput = (await end(oldMessages)).outputFileId!;
      clock.advance(10 * DAY);
      const recent = await createBatch();
      const recentOutput = (await end(recent)).outputFileId!;

      clock.advance(20 * DAY - 1);
      await service.sweepOnce();
      expect(await get(`/v1/batches/${old}`)).toBe(200); // 1 ms short of 30 days

      clock.advance(1);
      await service.sweepOnce();
      expect(await get(`/v1/batches/${old}`)).toBe(404);
      expect(await get(`/v1/files/${oldOutput}`)).toBe(404);
      expect(await get(`/v1/files/${oldOutput}/content`)).toBe(404);
      expect(await get(`/v1/messages/batches/${oldMessages}`)).toBe(404);
      for (const id of [oldMessagesInput, oldMessagesOutput])
        expect(await store.getFile(id, 'acme')).toBeUndefined();
      // Newer, unfinished, and the client's own upload: kept.
      expect(await get(`/v1/batches/${recent}`)).toBe(200);
      expect(await get(`/v1/files/${recentOutput}/content`)).toBe(200);
      expect(await get(`/v1/batches/${running}`)).toBe(200);
      expect(await get('/v1/files/file-in')).toBe(200);

      clock.advance(10 * DAY);
      await service.sweepOnce();
      expect(await get(`/v1/batches/${recent}`)).toBe(404);
      expect(await get(`/v1/files/${recentOutput}`)).toBe(404);
      expect(await get(`/v1/batches/${running}`)).toBe(200);
    });
  }

  for (const { name, open } of STORES) {
    it(`${name}: webhook deliveries delivered or given up 30 days ago go; pending ones stay`, async () => {
      const { store, clock, service } = await build(open, 30);
      const at = clock.now();
      const delivery = (id: string) => ({
        id,
        eventId: `evt_${id}`,
        event: 'batch.completed',
        batchId: `batch_${id}`,
        owner: 'acme',
        target: 't',
        host: 'h',
        body: '{}',
        createdAt: at,
      });
      await store.addWebhookDeliveries(['sent', 'gave_up', 'pending'].map(delivery));
      for (const id of ['gave_up', 'pending', 'sent']) {
        expect((await store.claimWebhookDelivery('w', at, at + 1_000))?.id).toBe(id);
        await store.endWebhookAttempt(
          id,
          'w',
          id === 'sent'
            ? { status: 'delivered', at }
            : id === 'gave_up'
              ? { status: 'failed', at: at + DAY, error: 'HTTP 500', sent: true }
              : { status: 'pending', at, nextAttemptAt: at + 365 * DAY, error: 'HTTP 503' },
        );
      }
      const left = async () =>
        (await store.listWebhookDeliveries({ limit: 10 })).map((d) => d.id).sort();
      clock.advance(30 * DAY - 1);
      await service.sweepOnce();
      expect(await left()).toEqual(['gave_up', 'pending', 'sent']);
      clock.advance(1);
      await service.sweepOnce();
      expect(await left()).toEqual(['gave_up', 'pending']);
      clock.advance(DAY);
      await service.sweepOnce();
      expect(await left()).toEqual(['pending']);
    });
  }

  it('0 keeps finished batches until they are deleted', async () => {
    const { clock, service, get, createBatch, end } = await build(createMemoryBatchStore, 0);
    const id = await createBatch();
    const output = (await end(id)).outputFileId!;
    clock.advance(3650 * DAY);
    await service.sweepOnce();
    expect(await get(`/v1/batches/${id}`)).toBe(200);
    expect(await get(`/v1/files/${output}`)).toBe(200);
  });
});

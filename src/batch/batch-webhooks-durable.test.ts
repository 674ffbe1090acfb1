// Batch webhooks survive the replica that ended the batch, on the stores replicas share (a SQLite
// file, a real PostgreSQL): a batch ends while its receiver (a real HTTP server on loopback) is
// down, the replica stops, a new one starts on the same store and delivers the same webhook-id,
// signed so the openai SDK verifies it; and two replicas sending from one PostgreSQL outbox at
// once deliver each event to each receiver exactly once. Time is a manual clock: a retry is due
// when the test moves it, never on the wall clock.
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyStore } from '../auth/key-store.js';
import type { BatchWebhookConfig } from '../config/batch-schema.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { errorHandler } from '../http/error-handler.js';
import { MemoryState } from '../store/memory/memory-state.js';
import type { RequestLogStore } from '../store/request-log.js';
import { createPostgresRequestStore } from '../store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../store/sql/sqlite-request-store.js';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { BatchService } from './batch-service.js';
import { BatchWebhooks, type WebhookOutcome } from './batch-webhooks.js';
import type { FinishedStatus } from './webhook-event.js';

const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const SECRET_ENV = 'MR_DURABLE_TEST_HOOK_SECRET';
const havePg = await pgAvailable('the PostgreSQL batch webhook tests');
const schemaBase = `mr_whdur_${process.pid}_${Date.now()}`;
const schemas: string[] = [];
const openai = new OpenAI({ apiKey: 'unused' });

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A receiver on loopback that is down (drops the connection) until `up` is set. */
async function startReceiver(): Promise<Server & { url: string; got: Received[]; up: boolean }> {
  const receiver = Object.assign(createServer(), { url: '', got: [] as Received[], up: false });
  receiver.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      receiver.got.push({ headers: req.headers as Record<string, string>, body });
      if (!receiver.up) return req.socket.destroy();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks?token=abc`;
  return receiver;
}

const BACKENDS = [
  {
    name: 'SQLite file',
    skip: false,
    opener() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-whdur-')), 'requests.db');
      return () => createSqliteRequestStore(path);
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    opener() {
      const schema = `${schemaBase}_${schemas.length}`;
      schemas.push(schema);
      return () => createPostgresRequestStore(PG_URL, { schema });
    },
  },
];

afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

beforeAll(() => {
  vi.stubEnv(SECRET_ENV, SECRET);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
  const end = performance.now() + 10_000;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** One replica's batch service on `store`, serving its routes, running batches and webhooks. */
async function startReplica(
  store: RequestLogStore,
  hooks: BatchWebhookConfig[],
  clock: ReturnType<typeof createManualClock>,
  outcomes: WebhookOutcome[],
) {
  const config = new ConfigHolder(
    compileConfig(testConfig({ batches: { webhooks: hooks, pollIntervalMs: 50 } })),
  );
  const service = new BatchService({
    store,
    config,
    keys: new KeyStore({ state: new MemoryState(clock), clock, configKeys: () => [] }),
    clock,
    log: { warn: () => {}, info: () => {} },
    onWebhook: (_, outcome) => outcomes.push(outcome),
  });
  const app: FastifyInstance = Fastify();
  app.decorateRequest('auth', null as never);
  app.addHook('onRequest', async (request) => {
    request.auth = { tenant: 'acme', admin: false, scopes: ['*'] };
  });
  app.setErrorHandler(errorHandler);
  await service.register(app);
  service.start(app);
  return { service, app };
}

describe('batch webhooks across a restart', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));
  afterEach(() => {
    receiver.got.length = 0;
    receiver.up = false;
  });

  for (const backend of BACKENDS) {
    it.skipIf(backend.skip)(
      `${backend.name}: the next replica delivers what the stopped one could not, same webhook-id`,
      async () => {
        const open = backend.opener();
        const clock = createManualClock(Date.now());
        const hooks = [
          { url: receiver.url, secretEnv: SECRET_ENV, events: ['batch.completed' as const] },
        ];
        const outcomes: WebhookOutcome[] = [];
        // Replica 1: a batch (one line, which fails here: no model route) ends; the receiver is down.
        const store1 = open();
        const one = await startReplica(store1, hooks, clock, outcomes);
        const content = Buffer.from(
          '{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"x"}}\n',
        );
        const file = {
          owner: 'acme',
          purpose: 'batch',
          filename: 'in.jsonl',
          createdAt: clock.now(),
        };
        await store1.putFile({ ...file, id: 'file-in', bytes: content.length }, content);
        const created = await one.app.inject({
          method: 'POST',
          url: '/v1/batches',
          payload: {
            input_file_id: 'file-in',
            endpoint: '/v1/embeddings',
            completion_window: '24h',
          },
        });
        expect(created.statusCode).toBe(200);
        const batchId = created.json<{ id: string }>().id;
        await until('the first attempt', () => receiver.got.length === 1 && outcomes.length === 1);
        expect((await store1.findBatch(batchId))?.status).toBe('completed');
        expect(outcomes).toEqual(['retried']);
        const firstId = receiver.got[0]!.headers['webhook-id'];
        await one.service.stop();
        await one.app.close();
        await store1.close();

        // Replica 2 on the same store, the receiver back; the retry falls due.
        receiver.up = true;
        const store2 = open();
        const [pending] = await store2.listWebhookDeliveries({ limit: 10 });
        expect(pending).toMatchObject({ batchId, status: 'pending', attempts: 1 });
        expect(pending!.lastError).toMatch(/fetch failed/);
        const two = await startReplica(store2, hooks, clock, outcomes);
        clock.advance(1_000);
        await until('the delivery', () => receiver.got.length === 2 && outcomes.length === 2);
        await two.service.stop();
        await two.app.close();
        const second = receiver.got[1]!;
        expect(second.headers['webhook-id']).toBe(firstId);
        const event = await openai.webhooks.unwrap(second.body, second.headers, SECRET);
        expect(event).toMatchObject({
          id: firstId,
          type: 'batch.completed',
          data: { id: batchId },
        });
        expect(outcomes).toEqual(['retried', 'delivered']);
        expect(await store2.listWebhookDeliveries({ limit: 10 })).toEqual([
          expect.objectContaining({ batchId, status: 'delivered', attempts: 2 }),
        ]);
        await store2.close();
      },
    );
  }
});

describe.skipIf(!havePg)('two replicas on one PostgreSQL outbox', () => {
  it('deliver each event to each receiver exactly once', async () => {
    const schema = `${schemaBase}_${schemas.length}`;
    schemas.push(schema);
    const stores = [0, 1].map(() => createPostgresRequestStore(PG_URL, { schema }));
    const clock = createManualClock(Date.now());
    const hooks: BatchWebhookConfig[] = ['a', 'b'].map((h) => ({
      url: `https://${h}.example.com/hook`,
      secretEnv: SECRET_ENV,
      events: ['batch.completed', 'batch.failed'],
    }));
    const sent: string[] = [];
    let calls = 0;
    const replicas = stores.map(
      (store) =>
        new BatchWebhooks({
          store,
          settings: () => ({
            webhooks: hooks,
            webhookTimeoutMs: 1_000,
            webhookAttempts: 5,
            pollIntervalMs: 50,
          }),
          clock,
          log: { warn: () => {}, info: () => {} },
          env: { [SECRET_ENV]: SECRET },
          // Each receiver fails every third call: those are tried again, by either replica.
          post: async (url, _body, headers) => {
            await new Promise((r) => setTimeout(r, 2));
            if (++calls % 3 === 0) return { status: 503, headers: {} };
            sent.push(`${new URL(url).host} ${headers['webhook-id']}`);
            return { status: 200, headers: {} };
          },
        }),
    );
    const events: string[] = [];
    for (let i = 0; i < 20; i++) {
      const status: FinishedStatus = i % 4 === 0 ? 'failed' : 'completed';
      const list = replicas[0]!.deliveriesFor(
        { id: `batch_${i}`, owner: 'acme' },
        status,
        clock.now(),
      );
      events.push(...list.map((d) => `${d.host} ${d.eventId}`));
      await stores[i % 2]!.addWebhookDeliveries(list);
    }
    expect(events).toHaveLength(40);
    // Both replicas at once, several passes each, until every retry fell due and was sent.
    for (let round = 0; round < 6; round++) {
      await Promise.all(replicas.map((r) => r.deliverDue()));
      clock.advance(60_000);
    }
    expect(sent.sort()).toEqual(events.sort());
    const rows = await stores[0]!.listWebhookDeliveries({ limit: 100 });
    expect(rows.filter((r) => r.status === 'delivered')).toHaveLength(40);
    for (const s of stores) await s.close();
  });
});

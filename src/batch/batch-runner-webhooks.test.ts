// The runner tells its webhooks when it writes a batch's final status, and only then: once for a
// batch that completes, fails validation, is cancelled or expires; never for a batch still
// running; never from a replica that no longer holds the batch's lease. The webhook deliveries
// are recorded in the outbox with the final status, by the lease holder only.
import { describe, expect, it } from 'vitest';
import { createTestBatch } from '../../test/helpers/batch-fixtures.js';
import { systemClock } from '../core/clock.js';
import { ANONYMOUS } from '../gateway/gateway-types.js';
import type { BatchStore, StoredBatch } from '../store/batch-store.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import type { LineReply } from './batch-line.js';
import { readDoc } from './batch-object.js';
import { BatchRunner } from './batch-runner.js';
import type { BatchRunnerDeps } from './batch-runner-deps.js';
import { finishBatch, type BatchEnd } from './finish-batch.js';
import { batchDeliveries, batchWebhookPayload, type FinishedStatus } from './webhook-event.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

const OWNER = 'acme';
const HOOK = {
  url: 'https://hooks.example.com/b',
  secretEnv: 'S',
  events: ['batch.completed' as const],
};

async function upload(store: BatchStore, text: string): Promise<void> {
  const content = Buffer.from(text);
  const file = { owner: OWNER, purpose: 'batch', filename: 'in.jsonl', createdAt: 1 };
  await store.putFile({ id: 'file-in', bytes: content.length, ...file }, content);
}

const chatLines = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'm', messages: [{ role: 'user', content: `q${i}` }] },
    }),
  ).join('\n') + '\n';

async function createBatch(store: BatchStore, id: string, expiresAt = Date.now() + 60_000) {
  await createTestBatch(store, { id: id, owner: OWNER, expiresAt });
}

const ok: LineReply = { status: 200, headers: {}, body: '{"id":"x","usage":{}}' };

/** A runner whose lines answer `send`, recording what it tells the webhooks. */
function runner(
  store: BatchStore,
  send: () => Promise<LineReply> = async () => ok,
  webhooksFor?: BatchRunnerDeps['webhooksFor'],
) {
  const told: string[] = [];
  const endedAt = new Map<string, number>();
  const r = new BatchRunner({
    store,
    clock: systemClock,
    settings: () => ({
      concurrency: 2,
      maxActive: 4,
      maxAttempts: 3,
      maxRequests: 1_000,
      pollIntervalMs: 20,
    }),
    callerFor: () => ANONYMOUS,
    send,
    log: { warn: () => {}, info: () => {} },
    leaseMs: 600,
    ...(webhooksFor ? { webhooksFor } : {}),
    onFinished: (batch: StoredBatch, status: FinishedStatus, at: number) => {
      told.push(`${batch.id} ${batch.owner} ${status}`);
      endedAt.set(batch.id, at);
    },
  });
  return { r, told, endedAt };
}

async function waitFor(store: BatchStore, id: string, status: string) {
  const until = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const b = await store.getBatch(id, OWNER);
    if (b?.status === status) return b;
    if (Date.now() > until) throw new Error(`batch ${id} is ${b?.status}, not ${status}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('BatchRunner tells its webhooks', () => {
  it('once when a batch completes, fails validation or expires', async () => {
    const store = createMemoryBatchStore();
    await upload(store, chatLines(3));
    await createBatch(store, 'batch_done');
    await createBatch(store, 'batch_late', Date.now() - 1);
    const { r, told, endedAt } = runner(store);
    r.start();
    await waitFor(store, 'batch_done', 'completed');
    await waitFor(store, 'batch_late', 'expired');
    await store.putFile(
      { id: 'file-bad', owner: OWNER, purpose: 'batch', filename: 'b', bytes: 3, createdAt: 1 },
      Buffer.from('{x\n'),
    );
    const bad = (await store.getBatch('batch_done', OWNER))!;
    await store.createBatch({
      ...bad,
      id: 'batch_bad',
      status: 'validating',
      doc: JSON.stringify({ ...readDoc(bad), inputFileId: 'file-bad' }),
    });
    r.wake();
    await waitFor(store, 'batch_bad', 'failed');
    await r.stop();
    expect(told.sort()).toEqual([
      'batch_bad acme failed',
      'batch_done acme completed',
      'batch_late acme expired',
    ]);
    // The time told is the one the batch shows (the event's created_at).
    const doc = async (id: string) => readDoc((await store.getBatch(id, OWNER))!);
    expect(endedAt.get('batch_done')).toBe((await doc('batch_done')).completedAt);
    expect(endedAt.get('batch_late')).toBe((await doc('batch_late')).expiredAt);
    expect(endedAt.get('batch_bad')).toBe((await doc('batch_bad')).failedAt);
  });

  it('not while a batch runs; once when its cancel ends it', async () => {
    const store = createMemoryBatchStore();
    await upload(store, chatLines(4));
    await createBatch(store, 'batch_slow');
    let release = () => {};
    const held = new Promise<void>((res) => (release = res));
    const { r, told } = runner(store, async () => (await held, ok));
    r.start();
    await waitFor(store, 'batch_slow', 'in_progress');
    await new Promise((res) => setTimeout(res, 100)); // lease renewals, polls: nothing to tell
    expect(told).toEqual([]);
    await store.requestCancel('batch_slow', OWNER, Date.now());
    r.noticeCancel('batch_slow');
    release();
    await waitFor(store, 'batch_slow', 'cancelled');
    await r.stop();
    expect(told).toEqual(['batch_slow acme cancelled']);
  });

  it('finishBatch records deliveries and tells nothing for a replica that lost the lease', async () => {
    const store = createMemoryBatchStore();
    await upload(store, chatLines(1));
    await createBatch(store, 'batch_1');
    const now = Date.now();
    const stored = (await store.claimBatch('holder', now, now + 60_000, []))!;
    const told: string[] = [];
    const end = (who: string): BatchEnd => ({
      deliveries: (at) => [
        {
          id: `whdel_${who}`,
          eventId: 'evt_1',
          event: 'batch.completed',
          batchId: 'batch_1',
          owner: OWNER,
          target: 't',
          host: 'h',
          body: '{}',
          createdAt: at,
        },
      ],
      ended: () => told.push(who),
    });
    await expect(
      finishBatch(
        store,
        'former',
        stored,
        readDoc(stored),
        'completed',
        systemClock,
        end('former'),
      ),
    ).rejects.toThrow(/another replica/);
    expect(told).toEqual([]);
    expect(await store.listWebhookDeliveries({ limit: 10 })).toEqual([]);
    await finishBatch(
      store,
      'holder',
      stored,
      readDoc(stored),
      'completed',
      systemClock,
      end('holder'),
    );
    expect(told).toEqual(['holder']);
    const done = (await store.getBatch('batch_1', OWNER))!;
    expect(done.status).toBe('completed');
    // Recorded with the final status, due when the batch ended.
    expect(await store.listWebhookDeliveries({ limit: 10 })).toEqual([
      expect.objectContaining({
        id: 'whdel_holder',
        status: 'pending',
        nextAttemptAt: readDoc(done).completedAt,
      }),
    ]);
  });

  it("records each ending's deliveries from webhooksFor with the final status", async () => {
    const store = createMemoryBatchStore();
    await upload(store, chatLines(2));
    await createBatch(store, 'batch_done');
    // A batch whose input does not validate: its `failed` is written with its delivery too.
    await store.putFile(
      { id: 'file-bad', owner: OWNER, purpose: 'batch', filename: 'b', bytes: 3, createdAt: 1 },
      Buffer.from('{x\n'),
    );
    const first = (await store.getBatch('batch_done', OWNER))!;
    await store.createBatch({
      ...first,
      id: 'batch_bad',
      doc: JSON.stringify({ ...readDoc(first), inputFileId: 'file-bad' }),
    });
    const hooks = [HOOK, { ...HOOK, events: ['batch.failed' as const] }];
    const { r } = runner(store, undefined, (batch, status, at) =>
      batchDeliveries(hooks, batch, status, at),
    );
    r.start();
    const done = await waitFor(store, 'batch_done', 'completed');
    const bad = await waitFor(store, 'batch_bad', 'failed');
    await r.stop();
    const recorded = await store.listWebhookDeliveries({ limit: 10 });
    expect(recorded.map((d) => `${d.batchId} ${d.event} ${d.status}`).sort()).toEqual([
      'batch_bad batch.failed pending',
      'batch_done batch.completed pending',
    ]);
    expect(recorded.find((d) => d.batchId === 'batch_done')).toMatchObject({
      eventId: batchWebhookPayload('batch_done', 'completed', 0).id,
      owner: OWNER,
      host: 'hooks.example.com',
      createdAt: readDoc(done).completedAt,
    });
    expect(recorded.find((d) => d.batchId === 'batch_bad')).toMatchObject({
      createdAt: readDoc(bad).failedAt,
    });
  });
});

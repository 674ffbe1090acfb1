// The BatchStore contract, batches: round trip, cross-tenant listing, cancel requests, deletion,
// leases (atomic claims across replicas), and finished lines, on every backend
// (test/helpers/batch-store-backends.ts); and the request-log stores keeping them from retention.
import { describe, expect, it } from 'vitest';
import type { AllBatchesQuery, BatchStatus } from './batch-store.js';
import type { RequestLogStore } from './request-log.js';
import pg from 'pg';
import {
  BACKENDS,
  LEASE,
  PG_URL,
  havePg,
  schemas,
  T0,
  batch,
  file,
  forEachBackend,
  ids,
} from '../../test/helpers/batch-store-backends.js';

forEachBackend('BatchStore contract (batches)', (within) => {
  it('batches: round trip, owner isolation, newest first with after and limit', () =>
    within(async ({ store, replica }) => {
      const list = [
        batch('batch_b', { createdAt: T0 + 1 }),
        batch('batch_a', { createdAt: T0 + 1, status: 'completed' }),
        batch('batch_c', { createdAt: T0 }),
        batch('batch_d', { createdAt: T0 + 2, doc: '{"quote":"\\"x\\"","ü":1}' }),
        batch('batch_x', { createdAt: T0 + 5, owner: 'team-b' }),
      ];
      for (const b of list) await store.createBatch(b);
      const other = replica();
      expect(await other.getBatch('batch_d', 'team-a')).toStrictEqual(list[3]);
      expect(await other.getBatch('batch_d', 'team-b')).toBeUndefined();
      expect(await other.getBatch('batch_none', 'team-a')).toBeUndefined();
      const newest = ['batch_d', 'batch_b', 'batch_a', 'batch_c'];
      const all = await other.listBatches('team-a', undefined, 10);
      expect(ids(all)).toEqual(newest);
      expect(all[2]).toStrictEqual(list[1]);
      expect(ids(await other.listBatches('team-a', undefined, 2))).toEqual(newest.slice(0, 2));
      expect(ids(await other.listBatches('team-a', 'batch_b', 1))).toEqual(['batch_a']);
      expect(ids(await other.listBatches('team-a', 'batch_a', 10))).toEqual(['batch_c']);
      expect(await other.listBatches('team-a', 'batch_c', 10)).toEqual([]);
      expect(await other.listBatches('team-a', 'batch_unknown', 10)).toEqual([]);
      expect(await other.listBatches('team-a', 'batch_x', 10)).toEqual([]);
      expect(ids(await other.listBatches('team-b', undefined, 10))).toEqual(['batch_x']);
    }));

  it("listAllBatches and findBatch: every owner's batches, filtered, newest first, paged", () =>
    within(async ({ store, replica }) => {
      const list = [
        batch('batch_a1', { createdAt: T0 + 1, status: 'in_progress' }),
        batch('batch_a2', { createdAt: T0 + 3, status: 'completed' }),
        batch('msgbatch_a3', { createdAt: T0 + 3 }),
        batch('batch_b1', { createdAt: T0 + 2, owner: 'team-b', status: 'cancelled' }),
        batch('batch_b2', { createdAt: T0 + 4, owner: 'team-b', status: 'finalizing' }),
        batch('batch_b3', { createdAt: T0, owner: 'team-b', status: 'failed' }),
        batch('batch_b4', { createdAt: T0 + 5, owner: 'team-b', status: 'expired' }),
      ];
      for (const b of list) await store.createBatch(b);
      const other = replica();
      const all = (q: Partial<AllBatchesQuery> = {}) =>
        other.listAllBatches({ limit: 100, ...q }).then(ids);
      const newest = ['batch_b4', 'batch_b2', 'msgbatch_a3', 'batch_a2', 'batch_b1', 'batch_a1'];
      expect(await all()).toEqual([...newest, 'batch_b3']);
      expect((await other.listAllBatches({ limit: 1 }))[0]).toStrictEqual(list[6]);
      expect(await all({ status: 'unfinished' })).toEqual(['batch_b2', 'msgbatch_a3', 'batch_a1']);
      expect(await all({ status: 'finished' })).toEqual([
        'batch_b4',
        'batch_a2',
        'batch_b1',
        'batch_b3',
      ]);
      expect(await all({ owner: 'team-a' })).toEqual(['msgbatch_a3', 'batch_a2', 'batch_a1']);
      expect(await all({ owner: 'team-b', status: 'unfinished' })).toEqual(['batch_b2']);
      expect(await all({ owner: 'team-c' })).toEqual([]);
      // Paged: the cursor is any batch, matching the filters or not (one may finish meanwhile).
      expect(await all({ limit: 2 })).toEqual(newest.slice(0, 2));
      expect(await all({ after: 'batch_b2', limit: 2 })).toEqual(['msgbatch_a3', 'batch_a2']);
      expect(await all({ after: 'batch_b4', status: 'unfinished', limit: 2 })).toEqual([
        'batch_b2',
        'msgbatch_a3',
      ]);
      expect(await all({ after: 'batch_a2', status: 'unfinished' })).toEqual(['batch_a1']);
      expect(await all({ after: 'batch_a1', owner: 'team-b' })).toEqual(['batch_b3']);
      expect(await all({ after: 'batch_b3' })).toEqual([]);
      expect(await all({ after: 'batch_unknown' })).toEqual([]);
      expect(await other.findBatch('batch_b2')).toStrictEqual(list[4]);
      expect(await other.findBatch('msgbatch_a3')).toStrictEqual(list[2]);
      expect(await other.findBatch('batch_none')).toBeUndefined();
      // A cancel request shows in both, and a deleted batch is gone from both.
      await store.requestCancel('batch_b2', 'team-b', T0 + 9);
      expect((await other.findBatch('batch_b2'))?.cancelRequestedAt).toBe(T0 + 9);
      expect(await store.deleteBatch('batch_a1', 'team-a')).toBe(true);
      expect(await other.findBatch('batch_a1')).toBeUndefined();
      expect(await all({ status: 'unfinished' })).toEqual(['batch_b2', 'msgbatch_a3']);
    }));

  it('requestCancel keeps the first time, leaves finished batches alone, and is owner-bound', () =>
    within(async ({ store }) => {
      await store.createBatch(batch('batch_1', { status: 'in_progress' }));
      expect(await store.requestCancel('batch_1', 'team-b', T0 + 5)).toBeUndefined();
      expect((await store.getBatch('batch_1', 'team-a'))?.cancelRequestedAt).toBeUndefined();
      expect(await store.requestCancel('batch_1', 'team-a', T0 + 10)).toStrictEqual(
        batch('batch_1', { status: 'in_progress', cancelRequestedAt: T0 + 10 }),
      );
      expect((await store.requestCancel('batch_1', 'team-a', T0 + 20))?.cancelRequestedAt).toBe(
        T0 + 10,
      );
      expect(await store.requestCancel('batch_none', 'team-a', T0)).toBeUndefined();
      const finished: BatchStatus[] = ['failed', 'completed', 'expired', 'cancelled'];
      for (const status of finished) {
        await store.createBatch(batch(`batch_${status}`, { status }));
        expect(await store.requestCancel(`batch_${status}`, 'team-a', T0 + 30)).toStrictEqual(
          batch(`batch_${status}`, { status }),
        );
      }
    }));

  it("deleteBatch: the owner's batch goes with its lines and lease; another owner's stays", () =>
    within(async ({ store }) => {
      await store.createBatch(batch('batch_1', { status: 'in_progress' }));
      await store.putResults('batch_1', [{ line: 0, ok: true, json: '{}' }]);
      expect(await store.claimBatch('w1', T0 + 1, T0 + 1_000, [])).toMatchObject({
        id: 'batch_1',
      });
      expect(await store.deleteBatch('batch_1', 'team-b')).toBe(false);
      expect(await store.getBatch('batch_1', 'team-a')).toBeDefined();
      expect(await store.deleteBatch('batch_1', 'team-a')).toBe(true);
      expect(await store.getBatch('batch_1', 'team-a')).toBeUndefined();
      expect(await store.resultLines('batch_1')).toEqual([]);
      expect((await store.renewLease('batch_1', 'w1', T0 + 2_000)).held).toBe(false);
      expect(await store.deleteBatch('batch_1', 'team-a')).toBe(false);
    }));

  it('claimBatch: oldest unfinished first, skips finished, held and excluded batches', () =>
    within(async ({ store }) => {
      await store.createBatch(batch('batch_done', { createdAt: T0 - 10, status: 'completed' }));
      await store.createBatch(batch('batch_fail', { createdAt: T0 - 9, status: 'failed' }));
      await store.createBatch(batch('batch_exp', { createdAt: T0 - 8, status: 'expired' }));
      await store.createBatch(batch('batch_can', { createdAt: T0 - 7, status: 'cancelled' }));
      await store.createBatch(batch('batch_3', { createdAt: T0 + 1, status: 'finalizing' }));
      await store.createBatch(batch('batch_2', { createdAt: T0, status: 'in_progress' }));
      await store.createBatch(batch('batch_1', { createdAt: T0, owner: 'team-b' }));
      const now = T0 + 100;
      const first = await store.claimBatch('w1', now, now + LEASE, []);
      expect(first).toStrictEqual(batch('batch_1', { owner: 'team-b' }));
      expect(ids([(await store.claimBatch('w1', now, now + LEASE, ['batch_2']))!])).toEqual([
        'batch_3',
      ]);
      expect((await store.claimBatch('w2', now, now + LEASE, []))?.id).toBe('batch_2');
      expect(await store.claimBatch('w2', now, now + LEASE, [])).toBeUndefined();
      // A lease that ends exactly now is still held; one that ended before is free.
      expect(await store.claimBatch('w3', now + LEASE, now + 2 * LEASE, [])).toBeUndefined();
      const excluded = await store.claimBatch('w3', now + LEASE + 1, now + 3 * LEASE, [
        'batch_1',
        'batch_2',
      ]);
      expect(excluded?.id).toBe('batch_3');
    }));

  it('leases: an expired lease passes to another worker; the old holder can no longer write', () =>
    within(async ({ store, replica }) => {
      const other = replica();
      await store.createBatch(batch('batch_1'));
      expect((await store.claimBatch('w1', T0, T0 + 10, []))?.id).toBe('batch_1');
      expect(await store.renewLease('batch_1', 'w1', T0 + 20)).toStrictEqual({ held: true });
      // w2 cannot renew (nor extend) w1's lease, nor claim it before it ends.
      expect(await other.renewLease('batch_1', 'w2', T0 + 1000)).toStrictEqual({ held: false });
      expect(await other.claimBatch('w2', T0 + 20, T0 + 100, [])).toBeUndefined();
      expect(await other.updateBatch('batch_1', 'w2', 'failed', '{"w":2}')).toBe(false);
      expect(await store.getBatch('batch_1', 'team-a')).toStrictEqual(batch('batch_1'));
      expect(await store.updateBatch('batch_1', 'w1', 'in_progress', '{"w":1}')).toBe(true);
      const taken = await other.claimBatch('w2', T0 + 21, T0 + 100, []);
      expect(taken).toStrictEqual(batch('batch_1', { status: 'in_progress', doc: '{"w":1}' }));
      expect(await store.renewLease('batch_1', 'w1', T0 + 200)).toStrictEqual({ held: false });
      expect(await store.updateBatch('batch_1', 'w1', 'failed', '{"w":"stale"}')).toBe(false);
      // Releasing someone else's lease does nothing; the holder's release frees the batch.
      await store.releaseLease('batch_1', 'w1');
      expect(await store.claimBatch('w1', T0 + 22, T0 + 100, [])).toBeUndefined();
      await other.releaseLease('batch_1', 'w2');
      expect((await store.claimBatch('w1', T0 + 22, T0 + 100, []))?.id).toBe('batch_1');
      expect(await store.getBatch('batch_1', 'team-a')).toStrictEqual(
        batch('batch_1', { status: 'in_progress', doc: '{"w":1}' }),
      );
    }));

  it('leases: renewLease reports a cancel request; updateBatch never touches it', () =>
    within(async ({ store, replica }) => {
      await store.createBatch(batch('batch_1'));
      await store.claimBatch('w1', T0, T0 + LEASE, []);
      expect(await replica().requestCancel('batch_1', 'team-a', T0 + 5)).toMatchObject({
        cancelRequestedAt: T0 + 5,
      });
      expect(await store.renewLease('batch_1', 'w1', T0 + LEASE)).toStrictEqual({
        held: true,
        cancelRequestedAt: T0 + 5,
      });
      expect(await store.updateBatch('batch_1', 'w1', 'cancelled', '{"done":true}')).toBe(true);
      expect(await store.getBatch('batch_1', 'team-a')).toStrictEqual(
        batch('batch_1', {
          status: 'cancelled',
          doc: '{"done":true}',
          cancelRequestedAt: T0 + 5,
        }),
      );
      // Finished: never claimed again, even with its lease given up.
      await store.releaseLease('batch_1', 'w1');
      expect(await store.claimBatch('w2', T0 + 2 * LEASE, T0 + 3 * LEASE, [])).toBeUndefined();
    }));

  it('claimBatch is atomic: two replicas claiming at once never get the same batch', () =>
    within(async ({ store, replica }) => {
      const other = replica();
      // A race shows only sometimes: run several, each over fresh batches.
      for (let round = 0; round < 5; round++) {
        const now = T0 + 1000 * (round + 1);
        const all = Array.from(
          { length: 12 },
          (_, i) => `batch_${round}_${String(i).padStart(2, '0')}`,
        );
        for (const [i, id] of all.entries())
          await store.createBatch(batch(id, { createdAt: now + i }));
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? other : store)
              .claimBatch(`w${i % 2}`, now, now + LEASE, [])
              .then((b) => b && { id: b.id, worker: `w${i % 2}` }),
          ),
        );
        const won = claims.filter((c) => c !== undefined);
        expect(new Set(won.map((c) => c.id)).size).toBe(won.length);
        // Each winner holds what it was given.
        for (const c of won) {
          expect(await store.renewLease(c.id, c.worker, now + LEASE)).toEqual({ held: true });
        }
        // Whatever the race left is still there, once each.
        const rest: string[] = [];
        for (let b; (b = await store.claimBatch('w9', now, now + LEASE, []));) rest.push(b.id);
        expect([...won.map((c) => c.id), ...rest].sort()).toEqual(all);
      }
    }));

  it('results: upsert by line (last write wins), lines ascending, each kind in line order', () =>
    within(async ({ store, replica }) => {
      const json = (line: number, v = '') => JSON.stringify({ line, v, s: 'a"b\\c,{}\n☃' });
      await store.putResults('batch_1', [
        { line: 5, ok: true, json: json(5) },
        { line: 2, ok: false, json: json(2) },
        { line: 10, ok: true, json: json(10) },
        { line: 0, ok: true, json: json(0) },
      ]);
      await store.putResults('batch_1', [
        { line: 2, ok: true, json: json(2, 'retried') },
        { line: 7, ok: false, json: json(7) },
        { line: 7, ok: false, json: json(7, 'twice') },
      ]);
      await store.putResults('batch_2', [{ line: 1, ok: true, json: '{}' }]);
      await store.putResults('batch_2', []);
      const other = replica();
      expect(await other.resultLines('batch_1')).toEqual([0, 2, 5, 7, 10]);
      expect(await other.readResults('batch_1', true)).toEqual([
        json(0),
        json(2, 'retried'),
        json(5),
        json(10),
      ]);
      expect(await other.readResults('batch_1', false)).toEqual([json(7, 'twice')]);
      expect(await other.resultLines('batch_none')).toEqual([]);
      await other.deleteResults('batch_1');
      expect(await store.resultLines('batch_1')).toEqual([]);
      expect(await store.readResults('batch_1', true)).toEqual([]);
      expect(await store.readResults('batch_2', true)).toEqual(['{}']);
    }));

  it('results: a 50,000-line batch in one call', () =>
    within(async ({ store }) => {
      const n = 50_000;
      const results = Array.from({ length: n }, (_, i) => ({
        line: n - 1 - i,
        ok: i % 10 !== 0,
        json: `{"custom_id":"req-${n - 1 - i}"}`,
      }));
      await store.putResults('batch_big', results);
      const lines = await store.resultLines('batch_big');
      expect(lines.length).toBe(n);
      expect(lines[0]).toBe(0);
      expect(lines[n - 1]).toBe(n - 1);
      const errors = await store.readResults('batch_big', false);
      expect(errors.length).toBe(n / 10);
      expect(errors[0]).toBe(`{"custom_id":"req-${(n - 1) % 10}"}`);
      expect((await store.readResults('batch_big', true)).length).toBe(n - n / 10);
    }));
});

describe('batches in the request-log stores', () => {
  const sqlBackends = BACKENDS.filter((b) => b.name !== 'memory');
  for (const backend of sqlBackends) {
    it.skipIf(backend.skip)(
      `${backend.name}: the request log's retention keeps files, batches and results`,
      async () => {
        const o = await backend.open();
        try {
          const store = o.store as RequestLogStore;
          await store.putFile(file('file-1', { createdAt: 1 }), Buffer.from('x'));
          await store.createBatch(batch('batch_1', { createdAt: 1 }));
          await store.putResults('batch_1', [{ line: 0, ok: true, json: '{}' }]);
          expect(await store.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(0);
          expect(await store.getFile('file-1', 'team-a')).toBeDefined();
          expect(await store.getBatch('batch_1', 'team-a')).toBeDefined();
          expect(await store.resultLines('batch_1')).toEqual([0]);
        } finally {
          await o.close();
        }
      },
    );
  }

  it.skipIf(!havePg)('PostgreSQL: the batch tables live in the configured schema', async () => {
    const o = await BACKENDS.find((b) => b.name === 'PostgreSQL')!.open();
    const schema = schemas[schemas.length - 1]!;
    try {
      await (o.store as RequestLogStore).migrate();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      const res = await c.query(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [schema],
      );
      const idx = await c.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [schema]);
      await c.end();
      expect(res.rows.map((r: { table_name: string }) => r.table_name)).toEqual([
        'batch_results',
        'batches',
        'chat_completion_blob_refs',
        'chat_completions',
        'conversation_items',
        'conversation_objects',
        'conversations',
        'feedback',
        'files',
        'requests',
        'response_blob_refs',
        'response_blobs',
        'response_events',
        'response_items',
        'schema_migrations',
        'webhook_deliveries',
      ]);
      expect(idx.rows.map((r: { indexname: string }) => r.indexname)).toEqual(
        expect.arrayContaining([
          'files_owner_created',
          'batches_owner_created',
          'batches_status',
          'webhook_deliveries_due',
          'webhook_deliveries_finished',
          'response_blob_refs_hash',
          'chat_completion_blob_refs_hash',
        ]),
      );
    } finally {
      await o.close();
    }
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type {
  AllBatchesQuery,
  BatchStatus,
  BatchStore,
  StoredBatch,
  StoredFile,
} from './batch-store.js';
import { createMemoryBatchStore } from './memory/memory-batch-store.js';
import type { RequestLogStore } from './request-log.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const PG_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = 1_700_000_000_000;
const LEASE = 60_000;

async function pgAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    console.warn(
      `\n*** PostgreSQL is not reachable at ${PG_URL}: skipping the PostgreSQL batch-store tests ***\n`,
    );
    return false;
  }
}

const havePg = await pgAvailable();
const schemaBase = `mr_bstore_${process.pid}_${Date.now()}`;
const schemas: string[] = [];

afterAll(async () => {
  if (!havePg || schemas.length === 0) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

/** A fresh, empty store; `replica()` is another connection to the same data (another replica). */
interface Opened {
  store: BatchStore;
  replica(): BatchStore;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  skip: boolean;
  open(): Promise<Opened>;
}

function sqlOpened(first: RequestLogStore, more: () => RequestLogStore): Opened {
  const opened: RequestLogStore[] = [first];
  return {
    store: first,
    replica() {
      const s = more();
      opened.push(s);
      return s;
    },
    close: async () => {
      for (const s of opened) await s.close();
    },
  };
}

const BACKENDS: Backend[] = [
  {
    name: 'memory',
    skip: false,
    async open() {
      const store = createMemoryBatchStore();
      return { store, replica: () => store, close: async () => {} };
    },
  },
  {
    name: 'SQLite file',
    skip: false,
    async open() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-bstore-')), 'requests.db');
      return sqlOpened(createSqliteRequestStore(path), () => createSqliteRequestStore(path));
    },
  },
  {
    name: 'SQLite :memory:',
    skip: false,
    async open() {
      const store = createSqliteRequestStore(':memory:');
      return { store, replica: () => store, close: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    async open() {
      const schema = `${schemaBase}_${schemas.length}`;
      schemas.push(schema);
      return sqlOpened(createPostgresRequestStore(PG_URL, { schema }), () =>
        createPostgresRequestStore(PG_URL, { schema }),
      );
    },
  },
];

const file = (id: string, extra: Partial<StoredFile> = {}): StoredFile => ({
  id,
  owner: 'team-a',
  purpose: 'batch',
  filename: `${id}.jsonl`,
  bytes: 10,
  createdAt: T0,
  ...extra,
});

const batch = (id: string, extra: Partial<StoredBatch> = {}): StoredBatch => ({
  id,
  owner: 'team-a',
  createdAt: T0,
  status: 'validating',
  doc: JSON.stringify({ id, object: 'batch' }),
  ...extra,
});

const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`BatchStore contract: ${backend.name}`, () => {
    const within = async (fn: (o: Opened) => Promise<void>) => {
      const o = await backend.open();
      try {
        await fn(o);
      } finally {
        await o.close();
      }
    };

    it('files: metadata and bytes round-trip byte for byte (non-UTF-8, empty, 5 MB)', () =>
      within(async ({ store, replica }) => {
        const odd = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x0a, 0xed, 0xa0, 0x80]);
        const big = Buffer.alloc(5 * 1024 * 1024);
        for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
        const bigMeta = file('file-big', { bytes: big.length, expiresAt: T0 + 86_400_000 });
        await store.putFile(file('file-odd', { bytes: odd.length }), odd);
        await store.putFile(
          file('file-empty', { bytes: 0, purpose: 'batch_output' }),
          Buffer.alloc(0),
        );
        await store.putFile(bigMeta, big);
        const other = replica();
        expect(await other.getFile('file-big', 'team-a')).toStrictEqual(bigMeta);
        expect(await other.getFile('file-odd', 'team-a')).toStrictEqual(
          file('file-odd', { bytes: odd.length }),
        );
        const gotOdd = await other.getFileContent('file-odd', 'team-a');
        expect(gotOdd && Buffer.isBuffer(gotOdd)).toBe(true);
        expect(gotOdd!.equals(odd)).toBe(true);
        expect((await other.getFileContent('file-empty', 'team-a'))?.length).toBe(0);
        const gotBig = await other.getFileContent('file-big', 'team-a');
        expect(gotBig?.length).toBe(big.length);
        expect(gotBig!.equals(big)).toBe(true);
        expect(typeof (await other.getFile('file-big', 'team-a'))!.bytes).toBe('number');
        expect(await store.getFile('file-none', 'team-a')).toBeUndefined();
        expect(await store.getFileContent('file-none', 'team-a')).toBeUndefined();
      }));

    it("files: another owner's file does not exist for it", () =>
      within(async ({ store }) => {
        await store.putFile(file('file-1'), Buffer.from('abc'));
        expect(await store.getFile('file-1', 'team-b')).toBeUndefined();
        expect(await store.getFileContent('file-1', 'team-b')).toBeUndefined();
        expect(await store.deleteFile('file-1', 'team-b')).toBe(false);
        expect(await store.listFiles({ owner: 'team-b', limit: 10, order: 'asc' })).toEqual([]);
        expect(
          await store.listFiles({ owner: 'team-b', after: 'file-1', limit: 10, order: 'asc' }),
        ).toEqual([]);
        expect((await store.getFileContent('file-1', 'team-a'))?.toString()).toBe('abc');
      }));

    it('files: listed by creation time then id, either way, paged with after, limit and purpose', () =>
      within(async ({ store }) => {
        // Ids out of creation order; two pairs share a creation time (the id breaks the tie).
        const list = [
          file('file-c', { createdAt: T0 + 1 }),
          file('file-a', { createdAt: T0 + 2 }),
          file('file-B', { createdAt: T0 + 2, purpose: 'batch_output' }),
          file('file-d', { createdAt: T0 + 3, expiresAt: T0 + 9 }),
          file('file-b', { createdAt: T0 }),
          file('file-x', { createdAt: T0 + 1, owner: 'team-b' }),
        ];
        for (const f of list) await store.putFile(f, Buffer.from(f.id));
        const asc = ['file-b', 'file-c', 'file-B', 'file-a', 'file-d'];
        const all = await store.listFiles({ owner: 'team-a', limit: 100, order: 'asc' });
        expect(ids(all)).toEqual(asc);
        // Listing returns the metadata only, exactly as stored.
        expect(all[4]).toStrictEqual(list[3]);
        expect(all.every((f) => !('content' in f))).toBe(true);
        const desc = await store.listFiles({ owner: 'team-a', limit: 100, order: 'desc' });
        expect(ids(desc)).toEqual([...asc].reverse());
        const page = (after: string | undefined, order: 'asc' | 'desc', limit = 2) =>
          store.listFiles({ owner: 'team-a', limit, order, ...(after ? { after } : {}) }).then(ids);
        expect(await page(undefined, 'asc')).toEqual(['file-b', 'file-c']);
        expect(await page('file-c', 'asc')).toEqual(['file-B', 'file-a']);
        expect(await page('file-a', 'asc')).toEqual(['file-d']);
        expect(await page('file-d', 'asc')).toEqual([]);
        expect(await page('file-a', 'desc')).toEqual(['file-B', 'file-c']);
        expect(await page('file-B', 'desc', 10)).toEqual(['file-c', 'file-b']);
        expect(await page('file-unknown', 'asc')).toEqual([]);
        expect(await page('file-x', 'asc')).toEqual([]);
        const outputs = await store.listFiles({
          owner: 'team-a',
          purpose: 'batch_output',
          limit: 10,
          order: 'asc',
        });
        expect(ids(outputs)).toEqual(['file-B']);
        const uploads = await store.listFiles({
          owner: 'team-a',
          purpose: 'batch',
          after: 'file-c',
          limit: 10,
          order: 'asc',
        });
        expect(ids(uploads)).toEqual(['file-a', 'file-d']);
      }));

    it('files: delete, and the sweep of expired files (at or before now)', () =>
      within(async ({ store }) => {
        await store.putFile(file('file-1', { expiresAt: T0 + 10 }), Buffer.from('1'));
        await store.putFile(file('file-2', { expiresAt: T0 + 20 }), Buffer.from('2'));
        await store.putFile(
          file('file-3', { expiresAt: T0 + 21, owner: 'team-b' }),
          Buffer.from('3'),
        );
        await store.putFile(file('file-4'), Buffer.from('4'));
        expect(await store.deleteFile('file-4', 'team-a')).toBe(true);
        expect(await store.deleteFile('file-4', 'team-a')).toBe(false);
        expect(await store.getFile('file-4', 'team-a')).toBeUndefined();
        expect(await store.getFileContent('file-4', 'team-a')).toBeUndefined();
        expect(await store.deleteExpiredFiles(T0 + 9)).toBe(0);
        expect(await store.deleteExpiredFiles(T0 + 20)).toBe(2);
        expect(await store.getFile('file-2', 'team-a')).toBeUndefined();
        expect(await store.getFile('file-3', 'team-b')).toBeDefined();
        expect(await store.deleteExpiredFiles(Number.MAX_SAFE_INTEGER)).toBe(1);
      }));

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
        expect(await all({ status: 'unfinished' })).toEqual([
          'batch_b2',
          'msgbatch_a3',
          'batch_a1',
        ]);
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
}

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
        'conversations',
        'files',
        'requests',
        'schema_migrations',
      ]);
      expect(idx.rows.map((r: { indexname: string }) => r.indexname)).toEqual(
        expect.arrayContaining(['files_owner_created', 'batches_owner_created', 'batches_status']),
      );
    } finally {
      await o.close();
    }
  });
});

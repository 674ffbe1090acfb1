// The BatchStore contract, retention: finished batches past their time are deleted with their
// lines, lease and the files the sweep names (the owner's only), measured from when they finished,
// oldest first and at most `limit` a call; unfinished ones never. On every backend
// (test/helpers/batch-store-backends.ts); and the SQL stores upgraded from a database made before
// batches had a finish time (migration 9), whose finished rows are swept by their doc's time.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { BatchStatus, BatchStore, StoredBatch } from './batch-store.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';
import type { RequestLogStore } from './request-log.js';
import {
  PG_URL,
  T0,
  batch,
  file,
  forEachBackend,
  havePg,
  schemas,
} from '../../test/helpers/batch-store-backends.js';

const DAY = 86_400_000;
const CUTOFF = T0 + 30 * DAY;

const FIELD: Record<string, string> = {
  completed: 'completedAt',
  failed: 'failedAt',
  cancelled: 'cancelledAt',
  expired: 'expiredAt',
};

/** A finished batch as the runner leaves it: its doc says when. */
const finished = (id: string, status: BatchStatus, at: number, extra: Partial<StoredBatch> = {}) =>
  batch(id, { status, doc: JSON.stringify({ [FIELD[status]!]: at }), ...extra });

/** The sweep as the batch service asks it: the batch's output file, plus `more`. */
const sweep = (finishedBy: number, limit = 100, more: Record<string, string[]> = {}) => ({
  finishedBy,
  limit,
  filesOf: (b: StoredBatch) => [`file-out-${b.id}`, ...(more[b.id] ?? [])],
});

const present = async (store: BatchStore, id: string, owner = 'team-a') =>
  (await store.findBatch(id)) !== undefined || (await store.getFile(id, owner)) !== undefined;

forEachBackend('BatchStore contract (retention)', (within) => {
  it('deletes batches finished by the cutoff with their lines and files; the rest stay', () =>
    within(async ({ store, replica }) => {
      await store.createBatch(finished('batch_done', 'completed', CUTOFF - DAY));
      await store.createBatch(finished('batch_fail', 'failed', CUTOFF - 2 * DAY));
      await store.createBatch(finished('batch_exp', 'expired', CUTOFF));
      // Finished through updateBatch, as the runner finishes it.
      await store.createBatch(batch('batch_can', { status: 'in_progress' }));
      await store.claimBatch('w1', T0, T0 + 1_000, []);
      const cancelled = finished('batch_can', 'cancelled', CUTOFF - 3 * DAY);
      expect(await store.updateBatch('batch_can', 'w1', 'cancelled', cancelled.doc)).toBe(true);
      // Created long ago but finished after the cutoff: measured from when it finished.
      await store.createBatch(
        finished('batch_late', 'completed', CUTOFF + 1, { createdAt: T0 - DAY }),
      );
      // Unfinished, however old.
      await store.createBatch(
        batch('batch_run', { createdAt: T0 - 90 * DAY, status: 'in_progress' }),
      );
      await store.createBatch(
        batch('batch_fin', { createdAt: T0 - 90 * DAY, status: 'finalizing' }),
      );
      await store.createBatch(batch('batch_val', { createdAt: T0 - 90 * DAY }));
      for (const b of ['batch_done', 'batch_can', 'batch_late'])
        await store.putFile(file(`file-out-${b}`, { purpose: 'batch_output' }), Buffer.from('o'));
      await store.putFile(file('file-in'), Buffer.from('input'));
      await store.putFile(file('file-theirs', { owner: 'team-b' }), Buffer.from('b'));
      await store.putResults('batch_done', [{ line: 0, ok: true, json: '{}' }]);
      await store.putResults('batch_run', [{ line: 0, ok: true, json: '{}' }]);

      const deleted = await replica().deleteFinishedBatches(
        sweep(CUTOFF, 100, { batch_done: ['file-theirs', 'file-err-none'] }),
      );
      expect(deleted).toBe(4);
      for (const id of ['batch_done', 'batch_fail', 'batch_exp', 'batch_can'])
        expect(await present(store, id)).toBe(false);
      for (const id of ['batch_late', 'batch_run', 'batch_fin', 'batch_val'])
        expect(await present(store, id)).toBe(true);
      expect(await store.resultLines('batch_done')).toEqual([]);
      expect(await store.resultLines('batch_run')).toEqual([0]);
      expect(await present(store, 'file-out-batch_done')).toBe(false);
      expect(await present(store, 'file-out-batch_can')).toBe(false);
      expect(await present(store, 'file-out-batch_late')).toBe(true);
      // Files it does not name, and another owner's it does, stay.
      expect(await present(store, 'file-in')).toBe(true);
      expect(await present(store, 'file-theirs', 'team-b')).toBe(true);
      // Idempotent: nothing more is due.
      expect(await store.deleteFinishedBatches(sweep(CUTOFF))).toBe(0);
      expect(await store.deleteFinishedBatches(sweep(CUTOFF + 1))).toBe(1);
      expect(await present(store, 'file-out-batch_late')).toBe(false);
    }));

  it('at most `limit` batches a call, the longest finished first', () =>
    within(async ({ store }) => {
      // Created in the opposite order to the one they finished in.
      for (let i = 0; i < 5; i++)
        await store.createBatch(
          finished(`batch_${i}`, 'completed', T0 + 10 - i, { createdAt: T0 + i }),
        );
      const left = async () => {
        const all = await store.listAllBatches({ limit: 10 });
        return all.map((b) => b.id).sort();
      };
      expect(await store.deleteFinishedBatches(sweep(T0 + 100, 2))).toBe(2);
      expect(await left()).toEqual(['batch_0', 'batch_1', 'batch_2']);
      expect(await store.deleteFinishedBatches(sweep(T0 + 100, 2))).toBe(2);
      expect(await left()).toEqual(['batch_0']);
      expect(await store.deleteFinishedBatches(sweep(T0 + 100, 2))).toBe(1);
      expect(await left()).toEqual([]);
    }));

  it('a finished batch whose doc names no finish time is measured from its creation', () =>
    within(async ({ store }) => {
      await store.createBatch(batch('batch_bare', { status: 'completed', doc: '{}' }));
      await store.createBatch(batch('batch_bad', { status: 'failed', doc: '{not json' }));
      await store.createBatch(
        batch('batch_new', { status: 'cancelled', doc: '{}', createdAt: T0 + DAY }),
      );
      expect(await store.deleteFinishedBatches(sweep(T0))).toBe(2);
      expect(await present(store, 'batch_new')).toBe(true);
    }));
});

/** A store over a database as an older router left it, for the upgrade tests. */
interface OldDatabase {
  open(): RequestLogStore;
  /** Runs statements on the database directly (`{batches}`: the batches table). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

const OLD_DATABASES: { name: string; skip: boolean; make(): Promise<OldDatabase> }[] = [
  {
    name: 'SQLite',
    skip: false,
    async make() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-bretain-')), 'requests.db');
      const db = new Database(path);
      return {
        open: () => createSqliteRequestStore(path),
        exec: async (sql) => void db.exec(sql.replaceAll('{batches}', 'batches')),
        close: async () => void db.close(),
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    async make() {
      const schema = `mr_bretain_${process.pid}_${Date.now()}`;
      schemas.push(schema); // dropped after the tests (batch-store-backends.ts)
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      return {
        open: () => createPostgresRequestStore(PG_URL, { schema }),
        exec: async (sql) => {
          const text = sql
            .replaceAll('{batches}', `"${schema}".batches`)
            .replaceAll('schema_migrations', `"${schema}".schema_migrations`)
            .replaceAll('DROP INDEX batches_finished', `DROP INDEX "${schema}".batches_finished`);
          for (const stmt of text.split(';')) if (stmt.trim()) await c.query(stmt);
        },
        close: () => c.end(),
      };
    },
  },
];

describe('batches finished before the finish-time column (migration 9)', () => {
  for (const old of OLD_DATABASES) {
    it.skipIf(old.skip)(
      `${old.name}: an upgraded database sweeps them by the time their doc names`,
      async () => {
        const db = await old.make();
        // The database as migration 8 left it: no finished_at, rows written without one.
        const first = db.open();
        await first.migrate();
        await first.close();
        await db.exec(`DROP INDEX batches_finished; ALTER TABLE {batches} DROP COLUMN finished_at;
          DELETE FROM schema_migrations WHERE version = 9`);
        const rows = [
          finished('batch_old', 'completed', CUTOFF - DAY),
          finished('batch_recent', 'cancelled', CUTOFF + DAY, { createdAt: T0 - DAY }),
          batch('batch_running', { status: 'in_progress', createdAt: T0 - DAY }),
        ];
        for (const b of rows)
          await db.exec(`INSERT INTO {batches} (id, owner, created_at, status, doc)
            VALUES ('${b.id}', '${b.owner}', ${b.createdAt}, '${b.status}', '${b.doc}')`);
        const store = db.open();
        try {
          await store.putFile(file('file-out-batch_old'), Buffer.from('o'));
          expect(await store.deleteFinishedBatches(sweep(CUTOFF))).toBe(1);
          expect(await present(store, 'batch_old')).toBe(false);
          expect(await present(store, 'file-out-batch_old')).toBe(false);
          expect(await present(store, 'batch_recent')).toBe(true);
          expect(await present(store, 'batch_running')).toBe(true);
          // A row an older replica finishes after the upgrade (no finished_at written) too.
          await db.exec(`UPDATE {batches} SET status = 'completed', doc = '{"completedAt":${T0}}'
            WHERE id = 'batch_running'`);
          expect(await store.deleteFinishedBatches(sweep(CUTOFF))).toBe(1);
          expect(await present(store, 'batch_running')).toBe(false);
          expect(await store.deleteFinishedBatches(sweep(CUTOFF + DAY))).toBe(1);
        } finally {
          await store.close();
          await db.close();
        }
      },
    );
  }
});

// Replicas sharing a real PostgreSQL: a payload is not dropped under a replica that is about to
// refer to it. One replica's write is held open mid-transaction (it has locked the payload and
// added its reference, not committed); another deletes the only committed response referring to
// the payload. The delete waits for the write and then keeps the payload. And a deadlock between
// a writer and a delete over two payloads, which PostgreSQL breaks by aborting one, costs no error.
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { blobKey } from '../inline-blobs.js';
import { createResponseStore } from '../response-store.js';
import { referToBlobs } from './postgres-inline-blobs.js';
import { createPostgresRequestStore } from './postgres-request-store.js';

const havePg = await pgAvailable('the PostgreSQL inline-blob concurrency test');
const schema = `mr_blobrace_${process.pid}_${Date.now()}`;
afterAll(async () => {
  if (havePg) await dropSchema(schema);
});

const IMAGE = `data:image/png;base64,${'iVBO'.repeat(2000)}`;

/** Resolves once a session waits on a lock in `schema` (the delete, blocked by the writer), or
 * after 5 s of looking. */
async function someoneWaitsOnALock(
  watcher: pg.Client,
  inSchema = schema,
): Promise<'waiting' | 'no one waits'> {
  for (let look = 0; look < 500; look++) {
    const res = await watcher.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
      [`%"${inSchema}".response_blobs%`],
    );
    if ((res.rows[0] as { n: number }).n > 0) return 'waiting';
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return 'no one waits';
}

it.skipIf(!havePg)(
  'a delete waits for a replica referring to the payload, then keeps it',
  async () => {
    const log = createPostgresRequestStore(PG_URL, { schema });
    const store = createResponseStore(100, log);
    const ask = {
      role: 'user' as const,
      content: [{ type: 'image_url' as const, image_url: { url: IMAGE } }],
    };
    const base = { model: 'm', createdAt: 1, owner: 'team-a' };
    await store.save({ ...base, id: 'resp_old', messages: [ask] });
    const json = JSON.stringify(IMAGE);
    const tables = {
      blobs: `"${schema}".response_blobs`,
      refs: `"${schema}".response_blob_refs`,
      chatRefs: `"${schema}".chat_completion_blob_refs`,
    };
    const writer = new pg.Client({ connectionString: PG_URL });
    const watcher = new pg.Client({ connectionString: PG_URL });
    await writer.connect();
    await watcher.connect();
    await writer.query('BEGIN');
    await referToBlobs(writer, tables, { table: tables.refs, key: { response_id: 'resp_new' } }, [
      { hash: blobKey(json), json },
    ]);
    const deleting = store.delete('resp_old', 'team-a').then(() => 'deleted' as const);
    // The delete must be blocked by the open write, not done before it.
    expect(await Promise.race([deleting, someoneWaitsOnALock(watcher)])).toBe('waiting');
    await writer.query('COMMIT');
    expect(await deleting).toBe('deleted');
    expect(await log.inlineBlobs([blobKey(json)])).toEqual(new Map([[blobKey(json), json]]));
    const refs = await watcher.query(`SELECT response_id FROM ${tables.refs}`);
    expect(refs.rows).toEqual([{ response_id: 'resp_new' }]);
    await writer.end();
    await watcher.end();
    await log.close();
  },
);

it.skipIf(!havePg)(
  'a delete PostgreSQL aborts to break a deadlock over payloads runs again and succeeds',
  async () => {
    const own = `${schema}_dl`;
    // PostgreSQL looks for a deadlock once, deadlock_timeout after a wait begins, and aborts the
    // backend that found it. The delete's look must come after the writer waits too (5 s later,
    // however loaded the machine), and the writer must never look first (60 s): with the
    // default 1 s each, a writer that took over a second to send its next query was the victim.
    const url = new URL(PG_URL);
    url.searchParams.set('options', '-c deadlock_timeout=5s');
    const log = createPostgresRequestStore(url.toString(), { schema: own });
    const store = createResponseStore(100, log);
    const payloads = ['iVBO', '/9j/'].map((fill) => `data:image/png;base64,${fill.repeat(2000)}`);
    const [low, high] = payloads.map((p) => blobKey(JSON.stringify(p))).sort();
    const ask = {
      role: 'user' as const,
      content: payloads.map((url) => ({ type: 'image_url' as const, image_url: { url } })),
    };
    await store.save({ id: 'resp_y', messages: [ask], model: 'm', createdAt: 1, owner: 'team-a' });
    const blobs = `"${own}".response_blobs`;
    const writer = new pg.Client({ connectionString: PG_URL });
    const watcher = new pg.Client({ connectionString: PG_URL });
    await writer.connect();
    await watcher.connect();
    try {
      await writer.query("SET deadlock_timeout = '60s'");
      // A writer holds the later payload (as holdBlobs does) ...
      await writer.query('BEGIN');
      await writer.query(`SELECT hash FROM ${blobs} WHERE hash = $1 FOR SHARE`, [high]);
      // ... the delete locks the earlier one and waits for it ...
      const deleting = store.delete('resp_y', 'team-a');
      expect(await someoneWaitsOnALock(watcher, own)).toBe('waiting');
      // ... and the writer then wants the earlier one (as a drop does): a deadlock, which
      // PostgreSQL breaks by aborting the delete, the first to wait.
      await writer.query(`SELECT hash FROM ${blobs} WHERE hash = $1 FOR UPDATE`, [low]);
      await writer.query('COMMIT');
      expect(await deleting).toBe(true);
      expect(await log.inlineBlobUsage()).toEqual({ blobs: 0, bytes: 0 });
    } finally {
      await writer.end();
      await watcher.end();
      await log.close();
      await dropSchema(own);
    }
  },
);

// Responses API conversations in the PostgreSQL request log (response-store.ts has the
// contract), shared by every replica: the `conversations` rows, the lease of a running background
// response on its row (conditional updates, so a cancel, the sweep and the run's own end race
// safely), a streamed one's events in `response_events`, its output items in `response_items`,
// and the inline payloads it refers to (postgres-inline-blobs.ts).
import type pg from 'pg';
import type { InlineBlob } from '../inline-blobs.js';
import type { ConversationStore, KeptItems } from '../response-store.js';
import {
  dropUnreferencedBlobs,
  inBlobTransaction,
  postgresBlobUsage,
  referToBlobs,
  type BlobTables,
} from './postgres-inline-blobs.js';

/** An item id a tenant already has now names the newest item (response_items' key). */
const UPSERT_ITEM = `ON CONFLICT (owner, id) DO UPDATE SET response_id = EXCLUDED.response_id,
  created_at = EXCLUDED.created_at, body = EXCLUDED.body`;

export function createPostgresConversationStore(
  pool: pg.Pool,
  tables: { conversations: string; events: string; items: string } & BlobTables,
  ready: () => Promise<void>,
): ConversationStore {
  const { conversations, events: eventsTable, items: itemsTable } = tables;
  const responseHolder = (id: string) => ({ table: tables.refs, key: { response_id: id } });
  /**
   * A write of a conversation (`write`: an INSERT or a conditional UPDATE of row `id`, its
   * parameters in `params`) and, when it matched a row, the response's items and (unless
   * `blobs` is undefined: the body was not written) the payloads its body refers to, all or
   * nothing. Without payloads one statement, one round trip (the references a rewritten body no
   * longer has go in it; the payloads they leave unreferenced are dropped after). Whether it
   * matched.
   */
  const writeWith = async (
    id: string,
    write: string,
    params: unknown[],
    kept: KeptItems | undefined,
    blobs: readonly InlineBlob[] | undefined,
  ): Promise<boolean> => {
    const values = [...params];
    const ctes = [`written AS (${write} RETURNING id)`];
    if (kept?.items.length)
      ctes.push(`kept AS (INSERT INTO ${itemsTable} (owner, id, response_id, created_at, body)
         SELECT $${values.push(kept.owner)}, item.id, written.id, $${values.push(kept.createdAt)}, item.body
         FROM written, unnest($${values.push(kept.items.map((i) => i.id))}::text[],
           $${values.push(kept.items.map((i) => i.json))}::text[]) AS item (id, body)
         ${UPSERT_ITEM})`);
    const unrefer = blobs?.length === 0;
    if (unrefer)
      ctes.push(`dropped AS (DELETE FROM ${tables.refs} WHERE response_id IN (SELECT id FROM written)
         RETURNING hash)`);
    const statement = `WITH ${ctes.join(', ')}
      SELECT (SELECT count(*) FROM written)::int AS matched${unrefer ? ', ARRAY(SELECT hash FROM dropped) AS dropped' : ''}`;
    if (blobs?.length)
      return inBlobTransaction(pool, async (client) => {
        const res = await client.query(statement, values);
        const matched = (res.rows[0] as { matched: number }).matched > 0;
        if (matched) await referToBlobs(client, tables, responseHolder(id), blobs);
        return matched;
      });
    const res = await pool.query(statement, values);
    const row = res.rows[0] as { matched: number; dropped?: string[] };
    if (row.dropped?.length)
      await inBlobTransaction(pool, (client) =>
        dropUnreferencedBlobs(client, tables, row.dropped!),
      );
    return row.matched > 0;
  };
  return {
    async saveConversation(id, createdAt, json, lease, kept, blobs = []) {
      await ready();
      await writeWith(
        id,
        `INSERT INTO ${conversations} (id, created_at, body, lease_holder, lease_until) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, lease_holder = EXCLUDED.lease_holder, lease_until = EXCLUDED.lease_until`,
        [id, createdAt, json, lease?.holder ?? null, lease?.until ?? null],
        kept && { ...kept, createdAt },
        blobs,
      );
    },
    async getConversation(id) {
      await ready();
      const res = await pool.query(`SELECT body FROM ${conversations} WHERE id = $1`, [id]);
      return (res.rows[0] as { body?: string } | undefined)?.body;
    },
    async deleteConversation(id) {
      await ready();
      return inBlobTransaction(pool, async (client) => {
        await client.query(`DELETE FROM ${eventsTable} WHERE response_id = $1`, [id]);
        await client.query(`DELETE FROM ${itemsTable} WHERE response_id = $1`, [id]);
        const res = await client.query(`DELETE FROM ${conversations} WHERE id = $1`, [id]);
        await referToBlobs(client, tables, responseHolder(id), []);
        return (res.rowCount ?? 0) > 0;
      });
    },
    async inlineBlobs(hashes) {
      if (hashes.length === 0) return new Map();
      await ready();
      const res = await pool.query(`SELECT hash, body FROM ${tables.blobs} WHERE hash = ANY($1)`, [
        hashes,
      ]);
      return new Map((res.rows as { hash: string; body: string }[]).map((r) => [r.hash, r.body]));
    },
    async inlineBlobUsage() {
      await ready();
      return postgresBlobUsage(pool, tables);
    },
    async updateLeasedConversation(id, holder, json, until, kept, blobs = []) {
      await ready();
      const params: unknown[] = [id, holder];
      const sets: string[] = [];
      if (json !== undefined) sets.push(`body = $${params.push(json)}`);
      if (until === null) sets.push('lease_holder = NULL', 'lease_until = NULL');
      else sets.push(`lease_until = $${params.push(until)}`);
      return writeWith(
        id,
        `UPDATE ${conversations} SET ${sets.join(', ')} WHERE id = $1 AND lease_holder = $2`,
        params,
        kept,
        json === undefined ? undefined : blobs,
      );
    },
    async endLeasedConversation(id, json, expiredBefore, kept, blobs = []) {
      await ready();
      const expired = expiredBefore === undefined ? '' : ' AND lease_until < $3';
      return writeWith(
        id,
        `UPDATE ${conversations} SET body = $2, lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder IS NOT NULL${expired}`,
        [id, json, ...(expiredBefore === undefined ? [] : [expiredBefore])],
        kept,
        blobs,
      );
    },
    async expiredConversations(now, limit) {
      await ready();
      const res = await pool.query(
        `SELECT body FROM ${conversations} WHERE lease_until < $1 ORDER BY lease_until LIMIT $2`,
        [now, limit],
      );
      return (res.rows as { body: string }[]).map((r) => r.body);
    },
    async appendConversationEvents(id, first, events) {
      if (events.length === 0) return;
      await ready();
      const values: unknown[] = [id];
      const rows = events.map((e, i) => `($1, $${values.push(first + i)}, $${values.push(e)})`);
      await pool.query(
        `INSERT INTO ${eventsTable} (response_id, seq, body) VALUES ${rows.join(', ')}
         ON CONFLICT (response_id, seq) DO UPDATE SET body = EXCLUDED.body`,
        values,
      );
    },
    async saveConversationItems(id, owner, createdAt, items) {
      if (items.length === 0) return;
      await ready();
      await pool.query(
        `INSERT INTO ${itemsTable} (owner, id, response_id, created_at, body)
         SELECT $1, item.id, $2, $3, item.body FROM unnest($4::text[], $5::text[]) AS item (id, body)
         ${UPSERT_ITEM}`,
        [owner, id, createdAt, items.map((i) => i.id), items.map((i) => i.json)],
      );
    },
    async conversationItems(owner, ids) {
      if (ids.length === 0) return [];
      await ready();
      const res = await pool.query(
        `SELECT id, body AS json FROM ${itemsTable} WHERE owner = $1 AND id = ANY($2)`,
        [owner, ids],
      );
      return res.rows as { id: string; json: string }[];
    },
    async conversationEvents(id, after, limit) {
      await ready();
      const res = await pool.query(
        `SELECT body FROM ${eventsTable} WHERE response_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [id, after, limit],
      );
      return (res.rows as { body: string }[]).map((r) => r.body);
    },
  };
}

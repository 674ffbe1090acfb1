// Responses API conversations in the PostgreSQL request log (response-store.ts has the
// contract), shared by every replica: the `conversations` rows, the lease of a running background
// response on its row (conditional updates, so a cancel, the sweep and the run's own end race
// safely), a streamed one's events in `response_events`, and its output items in `response_items`.
import type pg from 'pg';
import type { ConversationStore, KeptItems } from '../response-store.js';
import { inTransaction } from './pg-transaction.js';

/** An item id a tenant already has now names the newest item (response_items' key). */
const UPSERT_ITEM = `ON CONFLICT (owner, id) DO UPDATE SET response_id = EXCLUDED.response_id,
  created_at = EXCLUDED.created_at, body = EXCLUDED.body`;

export function createPostgresConversationStore(
  pool: pg.Pool,
  tables: { conversations: string; events: string; items: string },
  ready: () => Promise<void>,
): ConversationStore {
  const { conversations, events: eventsTable, items: itemsTable } = tables;
  /**
   * A conditional UPDATE of a conversation (`update`, its parameters in `params`) and, when it
   * matched a row, the response's items: one statement, so all or nothing, in one round trip.
   * Whether it matched.
   */
  const writeWithItems = async (
    update: string,
    params: unknown[],
    kept: KeptItems | undefined,
  ): Promise<boolean> => {
    if (!kept?.items.length) return ((await pool.query(update, params)).rowCount ?? 0) > 0;
    const at = params.length;
    const res = await pool.query(
      `WITH written AS (${update} RETURNING id),
       kept AS (INSERT INTO ${itemsTable} (owner, id, response_id, created_at, body)
         SELECT $${at + 1}, item.id, written.id, $${at + 2}, item.body
         FROM written, unnest($${at + 3}::text[], $${at + 4}::text[]) AS item (id, body)
         ${UPSERT_ITEM})
       SELECT count(*)::int AS matched FROM written`,
      [
        ...params,
        kept.owner,
        kept.createdAt,
        kept.items.map((i) => i.id),
        kept.items.map((i) => i.json),
      ],
    );
    return (res.rows[0] as { matched: number }).matched > 0;
  };
  return {
    async saveConversation(id, createdAt, json, lease, kept) {
      await ready();
      const save = `INSERT INTO ${conversations} (id, created_at, body, lease_holder, lease_until) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, lease_holder = EXCLUDED.lease_holder, lease_until = EXCLUDED.lease_until`;
      const params = [id, createdAt, json, lease?.holder ?? null, lease?.until ?? null];
      if (!kept?.items.length) return void (await pool.query(save, params));
      // The response and its items in one statement: one round trip, all or nothing.
      await pool.query(
        `WITH saved AS (${save} RETURNING id)
         INSERT INTO ${itemsTable} (owner, id, response_id, created_at, body)
         SELECT $6, item.id, saved.id, $2, item.body
         FROM saved, unnest($7::text[], $8::text[]) AS item (id, body)
         ${UPSERT_ITEM}`,
        [...params, kept.owner, kept.items.map((i) => i.id), kept.items.map((i) => i.json)],
      );
    },
    async getConversation(id) {
      await ready();
      const res = await pool.query(`SELECT body FROM ${conversations} WHERE id = $1`, [id]);
      return (res.rows[0] as { body?: string } | undefined)?.body;
    },
    async deleteConversation(id) {
      await ready();
      return inTransaction(pool, async (client) => {
        await client.query(`DELETE FROM ${eventsTable} WHERE response_id = $1`, [id]);
        await client.query(`DELETE FROM ${itemsTable} WHERE response_id = $1`, [id]);
        const res = await client.query(`DELETE FROM ${conversations} WHERE id = $1`, [id]);
        return (res.rowCount ?? 0) > 0;
      });
    },
    async updateLeasedConversation(id, holder, json, until, kept) {
      await ready();
      const params: unknown[] = [id, holder];
      const sets: string[] = [];
      if (json !== undefined) sets.push(`body = $${params.push(json)}`);
      if (until === null) sets.push('lease_holder = NULL', 'lease_until = NULL');
      else sets.push(`lease_until = $${params.push(until)}`);
      return writeWithItems(
        `UPDATE ${conversations} SET ${sets.join(', ')} WHERE id = $1 AND lease_holder = $2`,
        params,
        kept,
      );
    },
    async endLeasedConversation(id, json, expiredBefore, kept) {
      await ready();
      const expired = expiredBefore === undefined ? '' : ' AND lease_until < $3';
      return writeWithItems(
        `UPDATE ${conversations} SET body = $2, lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder IS NOT NULL${expired}`,
        [id, json, ...(expiredBefore === undefined ? [] : [expiredBefore])],
        kept,
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

// Conversations (the Conversations API) in the PostgreSQL request log (conversation-object-store.ts
// has the contract), shared by every replica: `conversation_objects` rows by tenant and id (an
// append locks its row, so two replicas' appends get distinct positions) and `conversation_items`
// by position, an item id at most once per conversation.
import type pg from 'pg';
import type {
  ConversationItem,
  ConversationObjectStore,
  StoredConversation,
} from '../conversation-object-store.js';
import { inTransaction } from './pg-transaction.js';

interface ObjectRow {
  id: string;
  owner: string;
  created_at: string | number;
  metadata: string;
  next_seq: number;
  lock_holder: string | null;
  lock_until: string | number | null;
}

const fromRow = (row: ObjectRow): StoredConversation => ({
  id: row.id,
  owner: row.owner,
  createdAt: Number(row.created_at),
  metadata: JSON.parse(row.metadata) as Record<string, string>,
});

const lockedAgainst = (row: ObjectRow, now: number, holder?: string) =>
  row.lock_holder !== null && Number(row.lock_until) >= now && row.lock_holder !== holder;

const items = (rows: { body: string }[]) => rows.map((r) => JSON.parse(r.body) as ConversationItem);

export function createPostgresConversationObjectStore(
  pool: pg.Pool,
  tables: { objects: string; items: string },
  ready: () => Promise<void>,
): ConversationObjectStore {
  const { objects, items: itemTable } = tables;
  const query = async (text: string, params: unknown[]) => {
    await ready();
    return pool.query(text, params);
  };
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>) => {
    await ready();
    return inTransaction(pool, work);
  };
  const lockedRow = async (client: pg.PoolClient, owner: string, id: string) =>
    (await client
      .query(`SELECT * FROM ${objects} WHERE owner = $1 AND id = $2 FOR UPDATE`, [owner, id])
      .then((r) => r.rows[0])) as ObjectRow | undefined;
  const insertItems = async (
    client: pg.PoolClient,
    owner: string,
    id: string,
    seq: number,
    list: readonly ConversationItem[],
  ) => {
    const added: ConversationItem[] = [];
    for (const item of list) {
      const res = await client.query(
        `INSERT INTO ${itemTable} (owner, conversation_id, seq, id, body) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (owner, conversation_id, id) DO NOTHING`,
        [owner, id, seq + added.length, item.id, JSON.stringify(item)],
      );
      if ((res.rowCount ?? 0) > 0) added.push(item);
    }
    return added;
  };
  return {
    async createConversationObject(c, first) {
      await transaction(async (client) => {
        await client.query(`DELETE FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2`, [
          c.owner,
          c.id,
        ]);
        const added = await insertItems(client, c.owner, c.id, 0, first);
        await client.query(
          `INSERT INTO ${objects} (owner, id, created_at, updated_at, metadata, next_seq)
           VALUES ($1, $2, $3, $3, $4, $5)
           ON CONFLICT (owner, id) DO UPDATE SET created_at = EXCLUDED.created_at,
             updated_at = EXCLUDED.updated_at, metadata = EXCLUDED.metadata, next_seq = EXCLUDED.next_seq,
             lock_holder = NULL, lock_until = NULL`,
          [c.owner, c.id, c.createdAt, JSON.stringify(c.metadata), added.length],
        );
      });
    },
    async readConversationObject(id, owner) {
      const res = await query(`SELECT * FROM ${objects} WHERE owner = $1 AND id = $2`, [owner, id]);
      const row = res.rows[0] as ObjectRow | undefined;
      return row && fromRow(row);
    },
    async setConversationMetadata(id, owner, metadata, now) {
      const res = await query(
        `UPDATE ${objects} SET metadata = $3, updated_at = $4 WHERE owner = $1 AND id = $2`,
        [owner, id, JSON.stringify(metadata), now],
      );
      return (res.rowCount ?? 0) > 0;
    },
    async deleteConversationObject(id, owner) {
      return transaction(async (client) => {
        await client.query(`DELETE FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2`, [
          owner,
          id,
        ]);
        const res = await client.query(`DELETE FROM ${objects} WHERE owner = $1 AND id = $2`, [
          owner,
          id,
        ]);
        return (res.rowCount ?? 0) > 0;
      });
    },
    async appendConversationItems(id, owner, list, now, holder) {
      return transaction(async (client) => {
        const found = await lockedRow(client, owner, id);
        if (!found) return { kind: 'missing' as const };
        if (lockedAgainst(found, now, holder)) return { kind: 'locked' as const };
        const added = await insertItems(client, owner, id, Number(found.next_seq), list);
        const release = holder !== undefined && found.lock_holder === holder;
        await client.query(
          `UPDATE ${objects} SET next_seq = $3, updated_at = $4${release ? ', lock_holder = NULL, lock_until = NULL' : ''}
           WHERE owner = $1 AND id = $2`,
          [owner, id, Number(found.next_seq) + added.length, now],
        );
        return { kind: 'appended' as const, added };
      });
    },
    async listConversationItems(q) {
      const exists = await query(`SELECT 1 FROM ${objects} WHERE owner = $1 AND id = $2`, [
        q.owner,
        q.conversationId,
      ]);
      if (exists.rowCount === 0) return undefined;
      const params: unknown[] = [q.owner, q.conversationId];
      const after =
        q.after === undefined
          ? ''
          : ` AND seq ${q.order === 'asc' ? '>' : '<'} (SELECT seq FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2 AND id = $${params.push(q.after)})`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const res = await query(
        `SELECT body FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2${after}
         ORDER BY seq ${dir} LIMIT $${params.push(q.limit)}`,
        params,
      );
      return items(res.rows as { body: string }[]);
    },
    async allConversationItems(id, owner) {
      const res = await query(
        `SELECT body FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2 ORDER BY seq`,
        [owner, id],
      );
      return items(res.rows as { body: string }[]);
    },
    async getConversationItem(id, owner, itemId) {
      const res = await query(
        `SELECT body FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2 AND id = $3`,
        [owner, id, itemId],
      );
      const row = res.rows[0] as { body: string } | undefined;
      return row && (JSON.parse(row.body) as ConversationItem);
    },
    async deleteConversationItem(id, owner, itemId, now) {
      return transaction(async (client) => {
        const found = await lockedRow(client, owner, id);
        if (!found) return 'missing' as const;
        if (lockedAgainst(found, now)) return 'locked' as const;
        const res = await client.query(
          `DELETE FROM ${itemTable} WHERE owner = $1 AND conversation_id = $2 AND id = $3`,
          [owner, id, itemId],
        );
        if ((res.rowCount ?? 0) === 0) return 'missing' as const;
        await client.query(`UPDATE ${objects} SET updated_at = $3 WHERE owner = $1 AND id = $2`, [
          owner,
          id,
          now,
        ]);
        return 'deleted' as const;
      });
    },
    async lockConversation(id, owner, holder, until, now) {
      const res = await query(
        `UPDATE ${objects} SET lock_holder = $3, lock_until = $4
         WHERE owner = $1 AND id = $2 AND (lock_holder IS NULL OR lock_until < $5 OR lock_holder = $3)`,
        [owner, id, holder, until, now],
      );
      if ((res.rowCount ?? 0) > 0) return 'locked';
      const exists = await query(`SELECT 1 FROM ${objects} WHERE owner = $1 AND id = $2`, [
        owner,
        id,
      ]);
      return exists.rowCount ? 'busy' : 'missing';
    },
    async unlockConversation(id, owner, holder) {
      await query(
        `UPDATE ${objects} SET lock_holder = NULL, lock_until = NULL
         WHERE owner = $1 AND id = $2 AND lock_holder = $3`,
        [owner, id, holder],
      );
    },
  };
}

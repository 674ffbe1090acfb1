// Conversations (the Conversations API) in the SQLite request log (conversation-object-store.ts
// has the contract): `conversation_objects` rows by tenant and id, with the next item's position
// and the lock of the response running on it, and `conversation_items` by position (an item id at
// most once per conversation).
import type Database from 'better-sqlite3';
import type {
  ConversationItem,
  ConversationObjectStore,
  StoredConversation,
} from '../conversation-object-store.js';

interface ObjectRow {
  id: string;
  owner: string;
  created_at: number;
  metadata: string;
  next_seq: number;
  lock_holder: string | null;
  lock_until: number | null;
}

const fromRow = (row: ObjectRow): StoredConversation => ({
  id: row.id,
  owner: row.owner,
  createdAt: Number(row.created_at),
  metadata: JSON.parse(row.metadata) as Record<string, string>,
});

/** Whether another holder's lock is live at `now`. */
const lockedAgainst = (row: ObjectRow, now: number, holder?: string) =>
  row.lock_holder !== null && Number(row.lock_until) >= now && row.lock_holder !== holder;

const items = (rows: { body: string }[]) => rows.map((r) => JSON.parse(r.body) as ConversationItem);

export function createSqliteConversationObjectStore(
  db: Database.Database,
  ready: () => Promise<void>,
): ConversationObjectStore {
  const row = (owner: string, id: string) =>
    db.prepare('SELECT * FROM conversation_objects WHERE owner = ? AND id = ?').get(owner, id) as
      ObjectRow | undefined;
  /** Inserts items from position `seq` on, skipping ids the conversation has; the added ones. */
  const insertItems = (
    owner: string,
    id: string,
    seq: number,
    list: readonly ConversationItem[],
  ): ConversationItem[] => {
    const insert = db.prepare(
      'INSERT OR IGNORE INTO conversation_items (owner, conversation_id, seq, id, body) VALUES (?, ?, ?, ?, ?)',
    );
    const added: ConversationItem[] = [];
    for (const item of list)
      if (insert.run(owner, id, seq + added.length, item.id, JSON.stringify(item)).changes > 0)
        added.push(item);
    return added;
  };
  return {
    async createConversationObject(c, first) {
      await ready();
      db.transaction(() => {
        db.prepare('DELETE FROM conversation_items WHERE owner = ? AND conversation_id = ?').run(
          c.owner,
          c.id,
        );
        const added = insertItems(c.owner, c.id, 0, first);
        db.prepare(
          `INSERT OR REPLACE INTO conversation_objects (owner, id, created_at, updated_at, metadata, next_seq)
           VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(c.owner, c.id, c.createdAt, c.createdAt, JSON.stringify(c.metadata), added.length);
      })();
    },
    async readConversationObject(id, owner) {
      await ready();
      const found = row(owner, id);
      return found && fromRow(found);
    },
    async setConversationMetadata(id, owner, metadata, now) {
      await ready();
      return (
        db
          .prepare(
            'UPDATE conversation_objects SET metadata = ?, updated_at = ? WHERE owner = ? AND id = ?',
          )
          .run(JSON.stringify(metadata), now, owner, id).changes > 0
      );
    },
    async deleteConversationObject(id, owner) {
      await ready();
      return db.transaction(() => {
        db.prepare('DELETE FROM conversation_items WHERE owner = ? AND conversation_id = ?').run(
          owner,
          id,
        );
        return (
          db.prepare('DELETE FROM conversation_objects WHERE owner = ? AND id = ?').run(owner, id)
            .changes > 0
        );
      })();
    },
    async appendConversationItems(id, owner, list, now, holder) {
      await ready();
      // IMMEDIATE: it reads before it writes (sqlite-busy-writer.test.ts).
      return db
        .transaction(() => {
          const found = row(owner, id);
          if (!found) return { kind: 'missing' as const };
          if (lockedAgainst(found, now, holder)) return { kind: 'locked' as const };
          const added = insertItems(owner, id, Number(found.next_seq), list);
          const release = holder !== undefined && found.lock_holder === holder;
          db.prepare(
            `UPDATE conversation_objects SET next_seq = ?, updated_at = ?${release ? ', lock_holder = NULL, lock_until = NULL' : ''}
           WHERE owner = ? AND id = ?`,
          ).run(Number(found.next_seq) + added.length, now, owner, id);
          return { kind: 'appended' as const, added };
        })
        .immediate();
    },
    async listConversationItems(q) {
      await ready();
      if (!row(q.owner, q.conversationId)) return undefined;
      const params: unknown[] = [q.owner, q.conversationId];
      let after = '';
      if (q.after !== undefined) {
        after = ` AND seq ${q.order === 'asc' ? '>' : '<'} (SELECT seq FROM conversation_items WHERE owner = ? AND conversation_id = ? AND id = ?)`;
        params.push(q.owner, q.conversationId, q.after);
      }
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      return items(
        db
          .prepare(
            `SELECT body FROM conversation_items WHERE owner = ? AND conversation_id = ?${after}
             ORDER BY seq ${dir} LIMIT ?`,
          )
          .all(...params, q.limit) as { body: string }[],
      );
    },
    async allConversationItems(id, owner) {
      await ready();
      return items(
        db
          .prepare(
            'SELECT body FROM conversation_items WHERE owner = ? AND conversation_id = ? ORDER BY seq',
          )
          .all(owner, id) as { body: string }[],
      );
    },
    async getConversationItem(id, owner, itemId) {
      await ready();
      const found = db
        .prepare(
          'SELECT body FROM conversation_items WHERE owner = ? AND conversation_id = ? AND id = ?',
        )
        .get(owner, id, itemId) as { body: string } | undefined;
      return found && (JSON.parse(found.body) as ConversationItem);
    },
    async deleteConversationItem(id, owner, itemId, now) {
      await ready();
      // IMMEDIATE: it reads before it writes (sqlite-busy-writer.test.ts).
      return db
        .transaction(() => {
          const found = row(owner, id);
          if (!found) return 'missing' as const;
          if (lockedAgainst(found, now)) return 'locked' as const;
          const gone = db
            .prepare(
              'DELETE FROM conversation_items WHERE owner = ? AND conversation_id = ? AND id = ?',
            )
            .run(owner, id, itemId).changes;
          if (gone === 0) return 'missing' as const;
          db.prepare(
            'UPDATE conversation_objects SET updated_at = ? WHERE owner = ? AND id = ?',
          ).run(now, owner, id);
          return 'deleted' as const;
        })
        .immediate();
    },
    async lockConversation(id, owner, holder, until, now) {
      await ready();
      const taken = db
        .prepare(
          `UPDATE conversation_objects SET lock_holder = ?, lock_until = ?
           WHERE owner = ? AND id = ? AND (lock_holder IS NULL OR lock_until < ? OR lock_holder = ?)`,
        )
        .run(holder, until, owner, id, now, holder).changes;
      if (taken > 0) return 'locked';
      return row(owner, id) ? 'busy' : 'missing';
    },
    async unlockConversation(id, owner, holder) {
      await ready();
      db.prepare(
        `UPDATE conversation_objects SET lock_holder = NULL, lock_until = NULL
         WHERE owner = ? AND id = ? AND lock_holder = ?`,
      ).run(owner, id, holder);
    },
  };
}

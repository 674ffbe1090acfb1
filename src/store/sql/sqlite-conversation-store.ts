// Responses API conversations in the SQLite request log (response-store.ts has the contract):
// the `conversations` rows, the lease of a running background response on its row, and a
// streamed one's events in `response_events`, its output items in `response_items`, the inline
// payloads it refers to in `response_blobs` (once each) by `response_blob_refs`.
import type Database from 'better-sqlite3';
import type { InlineBlob } from '../inline-blobs.js';
import type { ConversationStore, KeptItem, KeptItems } from '../response-store.js';
import { lookUpSqliteBlobs, referToBlobs, sqliteBlobUsage } from './sqlite-inline-blobs.js';

export function createSqliteConversationStore(
  db: Database.Database,
  ready: () => Promise<void>,
): ConversationStore {
  const keepItems = (id: string, owner: string, createdAt: number, items: readonly KeptItem[]) => {
    const upsert = db.prepare(
      'INSERT OR REPLACE INTO response_items (owner, id, response_id, created_at, body) VALUES (?, ?, ?, ?, ?)',
    );
    for (const i of items) upsert.run(owner, i.id, id, createdAt, i.json);
  };
  /** Response `id` now refers to `blobs`, and no longer to its earlier ones. */
  const refer = (id: string, blobs: readonly InlineBlob[]) =>
    referToBlobs(db, { table: 'response_blob_refs', key: { response_id: id } }, blobs);
  /** A conditional write and, when it matched, the response's items and (unless undefined: the
   * body was not written) the payloads its body refers to: one transaction. */
  const writeWithItems = (
    id: string,
    kept: KeptItems | undefined,
    blobs: readonly InlineBlob[] | undefined,
    write: () => boolean,
  ) =>
    db.transaction(() => {
      const matched = write();
      if (matched && kept) keepItems(id, kept.owner, kept.createdAt, kept.items);
      if (matched && blobs) refer(id, blobs);
      return matched;
    })();
  return {
    async saveConversation(id, createdAt, json, lease, kept, blobs = []) {
      await ready();
      db.transaction(() => {
        db.prepare(
          'INSERT OR REPLACE INTO conversations (id, created_at, body, lease_holder, lease_until) VALUES (?, ?, ?, ?, ?)',
        ).run(id, createdAt, json, lease?.holder ?? null, lease?.until ?? null);
        if (kept) keepItems(id, kept.owner, createdAt, kept.items);
        refer(id, blobs);
      })();
    },
    async getConversation(id) {
      await ready();
      const row = db.prepare('SELECT body FROM conversations WHERE id = ?').get(id) as
        { body: string } | undefined;
      return row?.body;
    },
    async deleteConversation(id) {
      await ready();
      return db.transaction(() => {
        db.prepare('DELETE FROM response_events WHERE response_id = ?').run(id);
        db.prepare('DELETE FROM response_items WHERE response_id = ?').run(id);
        refer(id, []);
        return db.prepare('DELETE FROM conversations WHERE id = ?').run(id).changes > 0;
      })();
    },
    async inlineBlobs(hashes) {
      if (hashes.length === 0) return new Map();
      await ready();
      return lookUpSqliteBlobs(db, hashes);
    },
    async inlineBlobUsage() {
      await ready();
      return sqliteBlobUsage(db);
    },
    async updateLeasedConversation(id, holder, json, until, kept, blobs = []) {
      await ready();
      const lease = until === null ? 'lease_holder = NULL, lease_until = NULL' : 'lease_until = ?';
      const body = json === undefined ? '' : 'body = ?, ';
      const params = [...(json === undefined ? [] : [json]), ...(until === null ? [] : [until])];
      const update = db.prepare(
        `UPDATE conversations SET ${body}${lease} WHERE id = ? AND lease_holder = ?`,
      );
      const written = json === undefined ? undefined : blobs;
      return writeWithItems(id, kept, written, () => update.run(...params, id, holder).changes > 0);
    },
    async endLeasedConversation(id, json, expiredBefore, kept, blobs = []) {
      await ready();
      const expired = expiredBefore === undefined ? '' : ' AND lease_until < ?';
      const end = db.prepare(
        `UPDATE conversations SET body = ?, lease_holder = NULL, lease_until = NULL WHERE id = ? AND lease_holder IS NOT NULL${expired}`,
      );
      const params = [json, id, ...(expiredBefore === undefined ? [] : [expiredBefore])];
      return writeWithItems(id, kept, blobs, () => end.run(...params).changes > 0);
    },
    async expiredConversations(now, limit) {
      await ready();
      const rows = db
        .prepare(
          'SELECT body FROM conversations WHERE lease_until < ? ORDER BY lease_until LIMIT ?',
        )
        .all(now, limit) as { body: string }[];
      return rows.map((r) => r.body);
    },
    async appendConversationEvents(id, first, events) {
      await ready();
      const insert = db.prepare(
        'INSERT OR REPLACE INTO response_events (response_id, seq, body) VALUES (?, ?, ?)',
      );
      db.transaction(() => events.forEach((e, i) => insert.run(id, first + i, e)))();
    },
    async saveConversationItems(id, owner, createdAt, items) {
      await ready();
      db.transaction(() => keepItems(id, owner, createdAt, items))();
    },
    async conversationItems(owner, ids) {
      if (ids.length === 0) return [];
      await ready();
      return db
        .prepare(
          `SELECT id, body AS json FROM response_items WHERE owner = ? AND id IN (${ids.map(() => '?').join(', ')})`,
        )
        .all(owner, ...ids) as { id: string; json: string }[];
    },
    async conversationEvents(id, after, limit) {
      await ready();
      const rows = db
        .prepare(
          'SELECT body FROM response_events WHERE response_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        )
        .all(id, after, limit) as { body: string }[];
      return rows.map((r) => r.body);
    },
  };
}

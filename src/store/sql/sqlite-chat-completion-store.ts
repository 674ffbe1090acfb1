// Stored chat completions in the SQLite request log (chat-completion-store.ts has the contract):
// the `chat_completions` rows, keyed by tenant and id; the list's metadata filter is one
// `json_each` lookup per pair, so any key (quotes, dots) matches as sent. The messages' inline
// data is kept once (sqlite-inline-blobs.ts).
import type Database from 'better-sqlite3';
import { messagesFromStore, messagesToStore } from '../inline-blobs.js';
import type {
  ChatCompletionStore,
  ListedChatCompletion,
  StoredChatCompletion,
} from '../chat-completion-store.js';
import { lookUpSqliteBlobs, referToBlobs, sqliteBlobUsage } from './sqlite-inline-blobs.js';

interface Row {
  id: string;
  owner: string;
  created_at: number;
  model: string;
  metadata: string;
  body: string;
  messages?: string;
}

const LISTED = 'id, owner, created_at, model, metadata, body';

function listedFromRow(row: Row): ListedChatCompletion {
  return {
    id: row.id,
    owner: row.owner,
    createdAt: Number(row.created_at),
    model: row.model,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    completion: JSON.parse(row.body) as Record<string, unknown>,
  };
}

export function createSqliteChatCompletionStore(
  db: Database.Database,
  ready: () => Promise<void>,
): ChatCompletionStore {
  const holder = (owner: string, id: string) =>
    ({ table: 'chat_completion_blob_refs', key: { owner, id } }) as const;
  return {
    async saveChatCompletion(c) {
      await ready();
      const messages = messagesToStore(c.messages);
      db.transaction(() => {
        db.prepare(
          `INSERT OR REPLACE INTO chat_completions (${LISTED}, messages) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          c.id,
          c.owner,
          c.createdAt,
          c.model,
          JSON.stringify(c.metadata),
          JSON.stringify(c.completion),
          messages.json,
        );
        referToBlobs(db, holder(c.owner, c.id), messages.blobs);
      })();
    },
    async getChatCompletion(id, owner) {
      await ready();
      const row = db
        .prepare(`SELECT ${LISTED}, messages FROM chat_completions WHERE owner = ? AND id = ?`)
        .get(owner, id) as Row | undefined;
      if (!row) return undefined;
      const stored: StoredChatCompletion = {
        ...listedFromRow(row),
        messages: await messagesFromStore(row.messages!, async (keys) =>
          lookUpSqliteBlobs(db, keys),
        ),
      };
      return stored;
    },
    async listChatCompletions(q) {
      await ready();
      const where = ['owner = ?'];
      const params: unknown[] = [q.owner];
      if (q.model !== undefined) {
        where.push('model = ?');
        params.push(q.model);
      }
      for (const [k, v] of Object.entries(q.metadata ?? {})) {
        where.push(
          "EXISTS (SELECT 1 FROM json_each(metadata) WHERE key = ? AND type = 'text' AND value = ?)",
        );
        params.push(k, v);
      }
      if (q.after !== undefined) {
        where.push(
          `(created_at, id) ${q.order === 'asc' ? '>' : '<'} (SELECT created_at, id FROM chat_completions WHERE owner = ? AND id = ?)`,
        );
        params.push(q.owner, q.after);
      }
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = db
        .prepare(
          `SELECT ${LISTED} FROM chat_completions WHERE ${where.join(' AND ')}
           ORDER BY created_at ${dir}, id ${dir} LIMIT ?`,
        )
        .all(...params, q.limit) as Row[];
      return rows.map(listedFromRow);
    },
    async setChatCompletionMetadata(id, owner, metadata) {
      await ready();
      return (
        db
          .prepare('UPDATE chat_completions SET metadata = ? WHERE owner = ? AND id = ?')
          .run(JSON.stringify(metadata), owner, id).changes > 0
      );
    },
    async inlineBlobUsage() {
      await ready();
      return sqliteBlobUsage(db);
    },
    async deleteChatCompletion(id, owner) {
      await ready();
      // IMMEDIATE: it reads before it writes (sqlite-busy-writer.test.ts).
      return db
        .transaction(() => {
          referToBlobs(db, holder(owner, id), []);
          return (
            db.prepare('DELETE FROM chat_completions WHERE owner = ? AND id = ?').run(owner, id)
              .changes > 0
          );
        })
        .immediate();
    },
  };
}

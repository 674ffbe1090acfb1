// Stored chat completions in the PostgreSQL request log (chat-completion-store.ts has the
// contract), shared by every replica: the `chat_completions` rows keyed by tenant and id, their
// metadata JSONB (the list's filter is one containment test). Ids compare bytewise (COLLATE "C"),
// as SQLite and the memory store order them. The messages' inline data is kept once
// (postgres-inline-blobs.ts).
import type pg from 'pg';
import { messagesFromStore, messagesToStore } from '../inline-blobs.js';
import type {
  ChatCompletionStore,
  ListedChatCompletion,
  StoredChatCompletion,
} from '../chat-completion-store.js';
import {
  dropUnreferencedBlobs,
  inBlobTransaction,
  postgresBlobUsage,
  referToBlobs,
  type BlobTables,
} from './postgres-inline-blobs.js';

interface Row {
  id: string;
  owner: string;
  created_at: string | number;
  model: string;
  /** JSONB: parsed by the driver (a string only if a type parser says otherwise). */
  metadata: Record<string, string> | string;
  body: string;
  messages?: string;
}

const LISTED = 'id, owner, created_at, model, metadata, body';
const BY_ID = 'id COLLATE "C"';

function listedFromRow(row: Row): ListedChatCompletion {
  return {
    id: row.id,
    owner: row.owner,
    createdAt: Number(row.created_at),
    model: row.model,
    metadata:
      typeof row.metadata === 'string'
        ? (JSON.parse(row.metadata) as Record<string, string>)
        : row.metadata,
    completion: JSON.parse(row.body) as Record<string, unknown>,
  };
}

export function createPostgresChatCompletionStore(
  pool: pg.Pool,
  tables: { completions: string } & BlobTables,
  ready: () => Promise<void>,
): ChatCompletionStore {
  const table = tables.completions;
  const holder = (owner: string, id: string) => ({ table: tables.chatRefs, key: { owner, id } });
  const query = async (text: string, params: unknown[]) => {
    await ready();
    return pool.query(text, params);
  };
  return {
    // Without payloads one statement, which also drops the references a replaced completion had
    // (the payloads they leave unreferenced go after); with payloads a transaction.
    async saveChatCompletion(c) {
      await ready();
      const messages = messagesToStore(c.messages);
      const save = `INSERT INTO ${table} (${LISTED}, messages) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (owner, id) DO UPDATE SET created_at = EXCLUDED.created_at, model = EXCLUDED.model,
           metadata = EXCLUDED.metadata, body = EXCLUDED.body, messages = EXCLUDED.messages`;
      const params = [
        c.id,
        c.owner,
        c.createdAt,
        c.model,
        JSON.stringify(c.metadata),
        JSON.stringify(c.completion),
        messages.json,
      ];
      if (messages.blobs.length)
        return inBlobTransaction(pool, async (client) => {
          await client.query(save, params);
          await referToBlobs(client, tables, holder(c.owner, c.id), messages.blobs);
        });
      const res = await pool.query(
        `WITH saved AS (${save}), dropped AS (DELETE FROM ${tables.chatRefs} WHERE owner = $2 AND id = $1 RETURNING hash)
         SELECT hash FROM dropped`,
        params,
      );
      const dropped = (res.rows as { hash: string }[]).map((r) => r.hash);
      if (dropped.length)
        await inBlobTransaction(pool, (client) => dropUnreferencedBlobs(client, tables, dropped));
    },
    async getChatCompletion(id, owner) {
      const res = await query(
        `SELECT ${LISTED}, messages FROM ${table} WHERE owner = $1 AND id = $2`,
        [owner, id],
      );
      const row = res.rows[0] as Row | undefined;
      if (!row) return undefined;
      const stored: StoredChatCompletion = {
        ...listedFromRow(row),
        messages: await messagesFromStore(row.messages!, async (keys) => {
          const found = await pool.query(
            `SELECT hash, body FROM ${tables.blobs} WHERE hash = ANY($1)`,
            [keys],
          );
          return new Map(
            (found.rows as { hash: string; body: string }[]).map((r) => [r.hash, r.body]),
          );
        }),
      };
      return stored;
    },
    async listChatCompletions(q) {
      const params: unknown[] = [q.owner];
      const where = ['owner = $1'];
      if (q.model !== undefined) where.push(`model = $${params.push(q.model)}`);
      if (q.metadata && Object.keys(q.metadata).length)
        where.push(`metadata @> $${params.push(JSON.stringify(q.metadata))}::jsonb`);
      if (q.after !== undefined)
        where.push(
          `(created_at, ${BY_ID}) ${q.order === 'asc' ? '>' : '<'} (SELECT created_at, id FROM ${table} WHERE owner = $1 AND id = $${params.push(q.after)})`,
        );
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const res = await query(
        `SELECT ${LISTED} FROM ${table} WHERE ${where.join(' AND ')}
         ORDER BY created_at ${dir}, ${BY_ID} ${dir} LIMIT $${params.push(q.limit)}`,
        params,
      );
      return (res.rows as Row[]).map(listedFromRow);
    },
    async setChatCompletionMetadata(id, owner, metadata) {
      const res = await query(
        `UPDATE ${table} SET metadata = $3::jsonb WHERE owner = $1 AND id = $2`,
        [owner, id, JSON.stringify(metadata)],
      );
      return (res.rowCount ?? 0) > 0;
    },
    async inlineBlobUsage() {
      await ready();
      return postgresBlobUsage(pool, tables);
    },
    async deleteChatCompletion(id, owner) {
      await ready();
      return inBlobTransaction(pool, async (client) => {
        const res = await client.query(`DELETE FROM ${table} WHERE owner = $1 AND id = $2`, [
          owner,
          id,
        ]);
        await referToBlobs(client, tables, holder(owner, id), []);
        return (res.rowCount ?? 0) > 0;
      });
    },
  };
}

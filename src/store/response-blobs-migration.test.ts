// A request log written before inline data was kept once (migrations 1-19, each response's data in
// its body) gains the payload tables on its next start, in SQLite and a real PostgreSQL: the old
// responses and stored chat completions read as they were written, and a conversation continued
// from one keeps its new turns' payloads once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import type { ChatMessage } from '../core/wire-types.js';
import type { RequestLogStore } from './request-log.js';
import { createResponseStore, type StoredResponse } from './response-store.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL inline-blob migration test');
const schema = `mr_blobmig_${process.pid}_${Date.now()}`;
afterAll(async () => {
  if (havePg) await dropSchema(schema);
});

const T0 = 1_700_000_000_000;
const IMAGE = `data:image/png;base64,${'iVBO'.repeat(2000)}`;
const ask = (text: string): ChatMessage => ({
  role: 'user',
  content: [
    { type: 'text', text },
    { type: 'image_url', image_url: { url: IMAGE } },
  ],
});
const OLD: StoredResponse = {
  id: 'resp_old',
  messages: [ask('what is it?'), { role: 'assistant', content: 'a cat' }],
  model: 'm',
  createdAt: T0,
  owner: 'team-a',
  inputFrom: 0,
};

/** What the previous build left: no payload tables, migration 20 not applied, `OLD` with its
 * image in its body and a stored completion with it in its messages (`OLD_CHAT`). */
const UNDO_20 = [
  'DROP TABLE {s}chat_completion_blob_refs',
  'DROP TABLE {s}response_blob_refs',
  'DROP TABLE {s}response_blobs',
  'DELETE FROM {s}schema_migrations WHERE version = 20',
];

const OLD_CHAT = [
  'team-a',
  'chatcmpl-old',
  T0,
  'm',
  '{}',
  '{"id":"chatcmpl-old"}',
  JSON.stringify(OLD.messages),
];
const INSERT_OLD_CHAT = `INSERT INTO {s}chat_completions (owner, id, created_at, model, metadata, body, messages)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;

const backends: {
  name: string;
  skip: boolean;
  /** A log as the previous build left it, and how to count a table's rows. */
  openOld(): Promise<{ log: RequestLogStore; rows(table: string): Promise<number> }>;
}[] = [
  {
    name: 'SQLite',
    skip: false,
    async openOld() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-blobmig-')), 'r.db');
      const fresh = createSqliteRequestStore(path);
      await fresh.migrate();
      await fresh.close();
      const db = new Database(path);
      for (const sql of UNDO_20) db.exec(sql.replace('{s}', ''));
      db.prepare('INSERT INTO conversations (id, created_at, body) VALUES (?, ?, ?)').run(
        OLD.id,
        T0,
        JSON.stringify(OLD),
      );
      db.prepare(INSERT_OLD_CHAT.replace('{s}', '').replace(/\$\d/g, '?')).run(...OLD_CHAT);
      db.close();
      const rows = async (table: string) => {
        const read = new Database(path, { readonly: true });
        const row = read.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
        read.close();
        return row.n;
      };
      return { log: createSqliteRequestStore(path), rows };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    async openOld() {
      const fresh = createPostgresRequestStore(PG_URL, { schema });
      await fresh.migrate();
      await fresh.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      for (const sql of UNDO_20) await c.query(sql.replace('{s}', `"${schema}".`));
      await c.query(
        `INSERT INTO "${schema}".conversations (id, created_at, body) VALUES ($1, $2, $3)`,
        [OLD.id, T0, JSON.stringify(OLD)],
      );
      await c.query(INSERT_OLD_CHAT.replace('{s}', `"${schema}".`), OLD_CHAT);
      await c.end();
      const rows = async (table: string) => {
        const read = new pg.Client({ connectionString: PG_URL });
        await read.connect();
        const res = await read.query(`SELECT count(*)::int AS n FROM "${schema}".${table}`);
        await read.end();
        return (res.rows[0] as { n: number }).n;
      };
      return { log: createPostgresRequestStore(PG_URL, { schema }), rows };
    },
  },
];

describe.each(backends)('a log from before inline data was kept once ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'gains the payload tables; its responses read as written; new turns keep payloads once',
    async () => {
      const { log, rows } = await backend.openOld();
      const store = createResponseStore(100, log);
      expect(await store.get(OLD.id, 'team-a')).toEqual(OLD);
      expect((await log.getChatCompletion('chatcmpl-old', 'team-a'))?.messages).toEqual(
        OLD.messages,
      );
      // A conversation continued from it: the image twice more in each turn, kept once.
      const next: StoredResponse = {
        ...OLD,
        id: 'resp_next',
        messages: [...OLD.messages, ask('and now?'), { role: 'assistant', content: 'a cat' }],
        inputFrom: 2,
      };
      await store.save(next);
      expect(await rows('response_blobs')).toBe(1);
      expect(await rows('response_blob_refs')).toBe(1);
      expect(await store.get('resp_next', 'team-a')).toEqual(next);
      expect(await log.getConversation('resp_next')).not.toContain('iVBOiVBO');
      // Deleting the new one drops its payload; the old one keeps its own copy in its body.
      expect(await store.delete('resp_next', 'team-a')).toBe(true);
      expect(await rows('response_blobs')).toBe(0);
      expect(await store.get(OLD.id, 'team-a')).toEqual(OLD);
      await log.close();
    },
  );
});

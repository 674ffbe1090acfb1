// The stored chat completions' contract, the same on every backend (memory, SQLite, a real
// PostgreSQL): a completion belongs to its tenant (read, listed, updated and deleted by it only);
// the list pages by (created, id) both ways from a cursor and filters by the served model and by
// metadata pairs (any key, as sent); metadata updates replace; the SQL stores sweep completions
// with the request log's retention, the memory store keeps the most recent `capacity`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import type { ChatCompletionStore, StoredChatCompletion } from './chat-completion-store.js';
import { createMemoryChatCompletionStore } from './memory/memory-chat-completion-store.js';
import type { RequestLogStore } from './request-log.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL stored chat completion tests');
const schemas: string[] = [];
const logs: RequestLogStore[] = [];
afterAll(async () => {
  for (const log of logs) await log.close();
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const T0 = 1_700_000_000_000;

function completion(
  id: string,
  at: number,
  opts: { owner?: string; model?: string; metadata?: Record<string, string> } = {},
): StoredChatCompletion {
  const model = opts.model ?? 'small-sim';
  return {
    id,
    owner: opts.owner ?? 'team-a',
    createdAt: T0 + at,
    model,
    metadata: opts.metadata ?? {},
    completion: {
      id,
      object: 'chat.completion',
      created: Math.floor((T0 + at) / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: `answer ${id}` } }],
    },
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: `question ${id}` }] },
    ],
  };
}

const backends: {
  name: string;
  skip: boolean;
  open(): { store: ChatCompletionStore; log?: RequestLogStore };
}[] = [
  { name: 'memory', skip: false, open: () => ({ store: createMemoryChatCompletionStore(100) }) },
  {
    name: 'SQLite',
    skip: false,
    open() {
      const log = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-cc-')), 'r.db'));
      logs.push(log);
      return { store: log, log };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open() {
      const schema = `mr_ccstore_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(schema);
      const log = createPostgresRequestStore(PG_URL, { schema });
      logs.push(log);
      return { store: log, log };
    },
  },
];

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe.each(backends)('stored chat completions ($name)', (backend) => {
  it.skipIf(backend.skip)('keeps a completion for its tenant only', async () => {
    const { store } = backend.open();
    const c = completion('chatcmpl-1', 0, { metadata: { topic: 'math' } });
    await store.saveChatCompletion(c);
    expect(await store.getChatCompletion('chatcmpl-1', 'team-a')).toEqual(c);
    expect(await store.getChatCompletion('chatcmpl-1', 'team-b')).toBeUndefined();
    expect(await store.listChatCompletions({ owner: 'team-b', limit: 10, order: 'asc' })).toEqual(
      [],
    );
    expect(await store.setChatCompletionMetadata('chatcmpl-1', 'team-b', { x: 'y' })).toBe(false);
    expect(await store.deleteChatCompletion('chatcmpl-1', 'team-b')).toBe(false);
    // Replacing, not merging.
    expect(await store.setChatCompletionMetadata('chatcmpl-1', 'team-a', { stage: 'eval' })).toBe(
      true,
    );
    expect((await store.getChatCompletion('chatcmpl-1', 'team-a'))?.metadata).toEqual({
      stage: 'eval',
    });
    // The same id under another tenant is another completion.
    await store.saveChatCompletion(completion('chatcmpl-1', 5, { owner: 'team-b' }));
    expect((await store.getChatCompletion('chatcmpl-1', 'team-a'))?.metadata).toEqual({
      stage: 'eval',
    });
    expect(await store.deleteChatCompletion('chatcmpl-1', 'team-a')).toBe(true);
    expect(await store.deleteChatCompletion('chatcmpl-1', 'team-a')).toBe(false);
    expect(await store.getChatCompletion('chatcmpl-1', 'team-a')).toBeUndefined();
    expect(await store.getChatCompletion('chatcmpl-1', 'team-b')).toBeDefined();
  });

  it.skipIf(backend.skip)(
    'lists by time then id, both ways from a cursor, filtered by model and metadata',
    async () => {
      const { store } = backend.open();
      const odd = 'we"ird.key[1]';
      // Saved out of time order; c and d share a millisecond (the id decides).
      await store.saveChatCompletion(completion('chatcmpl-d', 20, { metadata: { env: 'prod' } }));
      await store.saveChatCompletion(
        completion('chatcmpl-a', 0, { model: 'big-sim', metadata: { env: 'prod', [odd]: 'v' } }),
      );
      await store.saveChatCompletion(completion('chatcmpl-c', 20, { metadata: { env: 'dev' } }));
      await store.saveChatCompletion(completion('chatcmpl-b', 10));
      await store.saveChatCompletion(completion('chatcmpl-z', 0, { owner: 'team-b' }));
      const list = (q: Partial<Parameters<ChatCompletionStore['listChatCompletions']>[0]>) =>
        store.listChatCompletions({ owner: 'team-a', limit: 10, order: 'asc', ...q }).then(ids);
      expect(await list({})).toEqual(['chatcmpl-a', 'chatcmpl-b', 'chatcmpl-c', 'chatcmpl-d']);
      expect(await list({ order: 'desc' })).toEqual([
        'chatcmpl-d',
        'chatcmpl-c',
        'chatcmpl-b',
        'chatcmpl-a',
      ]);
      expect(await list({ limit: 2 })).toEqual(['chatcmpl-a', 'chatcmpl-b']);
      expect(await list({ after: 'chatcmpl-b' })).toEqual(['chatcmpl-c', 'chatcmpl-d']);
      expect(await list({ after: 'chatcmpl-c', order: 'desc' })).toEqual([
        'chatcmpl-b',
        'chatcmpl-a',
      ]);
      expect(await list({ after: 'chatcmpl-c' })).toEqual(['chatcmpl-d']);
      // A cursor that is not the tenant's: nothing after it.
      expect(await list({ after: 'chatcmpl-z' })).toEqual([]);
      expect(await list({ model: 'big-sim' })).toEqual(['chatcmpl-a']);
      expect(await list({ model: 'nope' })).toEqual([]);
      expect(await list({ metadata: { env: 'prod' } })).toEqual(['chatcmpl-a', 'chatcmpl-d']);
      expect(await list({ metadata: { env: 'prod', [odd]: 'v' } })).toEqual(['chatcmpl-a']);
      expect(await list({ metadata: { [odd]: 'w' } })).toEqual([]);
      expect(await list({ metadata: { env: 'prod' }, model: 'small-sim' })).toEqual(['chatcmpl-d']);
      expect(await list({ metadata: { env: 'prod' }, after: 'chatcmpl-a', order: 'asc' })).toEqual([
        'chatcmpl-d',
      ]);
      // A listed completion carries no messages; its metadata is the current one.
      await store.setChatCompletionMetadata('chatcmpl-b', 'team-a', { env: 'prod' });
      const [first] = await store.listChatCompletions({
        owner: 'team-a',
        limit: 1,
        order: 'asc',
        metadata: { env: 'prod' },
        after: 'chatcmpl-a',
      });
      expect(first).toEqual({
        id: 'chatcmpl-b',
        owner: 'team-a',
        createdAt: T0 + 10,
        model: 'small-sim',
        metadata: { env: 'prod' },
        completion: completion('chatcmpl-b', 10).completion,
      });
    },
  );
});

describe.each(backends.filter((b) => b.name !== 'memory'))(
  'stored chat completions in the request log ($name)',
  (backend) => {
    it.skipIf(backend.skip)("goes with the request log's retention", async () => {
      const { store, log } = backend.open();
      await log!.migrate();
      await store.saveChatCompletion(completion('chatcmpl-old', 0));
      await store.saveChatCompletion(completion('chatcmpl-new', 1000));
      await log!.deleteOlderThan(T0 + 500);
      expect(await store.getChatCompletion('chatcmpl-old', 'team-a')).toBeUndefined();
      expect(await store.getChatCompletion('chatcmpl-new', 'team-a')).toBeDefined();
    });
  },
);

describe('memory chat completion store', () => {
  it('keeps the most recent `capacity`', async () => {
    const store = createMemoryChatCompletionStore(2);
    for (const [i, id] of ['x', 'y', 'z'].entries())
      await store.saveChatCompletion(completion(id, i));
    expect(await store.getChatCompletion('x', 'team-a')).toBeUndefined();
    expect(
      ids(await store.listChatCompletions({ owner: 'team-a', limit: 10, order: 'asc' })),
    ).toEqual(['y', 'z']);
  });
});

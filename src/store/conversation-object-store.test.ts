// The Conversations API store's contract, the same on every backend (memory, SQLite, a real
// PostgreSQL): a conversation belongs to its tenant; items keep the order they were added in,
// page both ways from a cursor, are added once per id and deleted one at a time; a live lock
// held by a response refuses another holder's lock, append and item delete, and goes with the
// append that releases it or when it runs out; the SQL stores sweep a conversation unused for
// the request log's retention, with its items.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import type { ConversationItem, ConversationObjectStore } from './conversation-object-store.js';
import { createMemoryConversationObjectStore } from './memory/memory-conversation-object-store.js';
import type { RequestLogStore } from './request-log.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL conversation store tests');
const schemas: string[] = [];
const logs: RequestLogStore[] = [];
afterAll(async () => {
  for (const log of logs) await log.close();
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const T0 = 1_700_000_000_000;

const message = (id: string, text: string): ConversationItem => ({
  id,
  type: 'message',
  status: 'completed',
  role: 'user',
  content: [{ type: 'input_text', text }],
});

const backends: {
  name: string;
  skip: boolean;
  open(): { store: ConversationObjectStore; log?: RequestLogStore };
}[] = [
  {
    name: 'memory',
    skip: false,
    open: () => ({ store: createMemoryConversationObjectStore(100) }),
  },
  {
    name: 'SQLite',
    skip: false,
    open() {
      const log = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-conv-')), 'r.db'));
      logs.push(log);
      return { store: log, log };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open() {
      const schema = `mr_convstore_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(schema);
      const log = createPostgresRequestStore(PG_URL, { schema });
      logs.push(log);
      return { store: log, log };
    },
  },
];

const ids = (items: { id: string }[] | undefined) => items?.map((i) => i.id);

describe.each(backends)('conversations ($name)', (backend) => {
  it.skipIf(backend.skip)('keeps a conversation and its items for its tenant only', async () => {
    const { store } = backend.open();
    const conv = { id: 'conv_1', owner: 'team-a', createdAt: T0, metadata: { topic: 'demo' } };
    await store.createConversationObject(conv, [message('msg_a', 'Hello'), message('msg_b', 'Hi')]);
    expect(await store.readConversationObject('conv_1', 'team-a')).toEqual(conv);
    expect(await store.readConversationObject('conv_1', 'team-b')).toBeUndefined();
    expect(ids(await store.allConversationItems('conv_1', 'team-a'))).toEqual(['msg_a', 'msg_b']);
    expect(await store.allConversationItems('conv_1', 'team-b')).toEqual([]);
    expect(await store.getConversationItem('conv_1', 'team-a', 'msg_b')).toEqual(
      message('msg_b', 'Hi'),
    );
    expect(await store.getConversationItem('conv_1', 'team-b', 'msg_b')).toBeUndefined();
    expect(
      await store.listConversationItems({
        conversationId: 'conv_1',
        owner: 'team-b',
        limit: 10,
        order: 'asc',
      }),
    ).toBeUndefined();
    expect(await store.setConversationMetadata('conv_1', 'team-b', { x: 'y' }, T0 + 1)).toBe(false);
    expect(
      await store.appendConversationItems('conv_1', 'team-b', [message('msg_x', 'x')], T0 + 1),
    ).toEqual({ kind: 'missing' });
    expect(await store.deleteConversationItem('conv_1', 'team-b', 'msg_a', T0 + 1)).toBe('missing');
    expect(await store.deleteConversationObject('conv_1', 'team-b')).toBe(false);
    // Metadata replaces.
    expect(await store.setConversationMetadata('conv_1', 'team-a', { stage: 'eval' }, T0 + 1)).toBe(
      true,
    );
    expect((await store.readConversationObject('conv_1', 'team-a'))?.metadata).toEqual({
      stage: 'eval',
    });
    expect(await store.deleteConversationObject('conv_1', 'team-a')).toBe(true);
    expect(await store.readConversationObject('conv_1', 'team-a')).toBeUndefined();
    expect(await store.getConversationItem('conv_1', 'team-a', 'msg_a')).toBeUndefined();
    expect(await store.deleteConversationObject('conv_1', 'team-a')).toBe(false);
  });

  it.skipIf(backend.skip)(
    'appends in order, once per id, pages both ways and deletes one item',
    async () => {
      const { store } = backend.open();
      await store.createConversationObject(
        { id: 'conv_2', owner: 'team-a', createdAt: T0, metadata: {} },
        [message('msg_1', 'one')],
      );
      const appended = await store.appendConversationItems(
        'conv_2',
        'team-a',
        [message('msg_2', 'two'), message('msg_1', 'again'), message('msg_3', 'three')],
        T0 + 1,
      );
      expect(appended.kind).toBe('appended');
      expect(ids(appended.kind === 'appended' ? appended.added : [])).toEqual(['msg_2', 'msg_3']);
      await store.appendConversationItems('conv_2', 'team-a', [message('msg_4', 'four')], T0 + 2);
      // The first msg_1 stays as it was.
      expect((await store.getConversationItem('conv_2', 'team-a', 'msg_1'))?.content).toEqual([
        { type: 'input_text', text: 'one' },
      ]);
      const page = (order: 'asc' | 'desc', limit: number, after?: string) =>
        store
          .listConversationItems({
            conversationId: 'conv_2',
            owner: 'team-a',
            order,
            limit,
            ...(after ? { after } : {}),
          })
          .then(ids);
      expect(await page('asc', 10)).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4']);
      expect(await page('desc', 2)).toEqual(['msg_4', 'msg_3']);
      expect(await page('desc', 10, 'msg_3')).toEqual(['msg_2', 'msg_1']);
      expect(await page('asc', 2, 'msg_1')).toEqual(['msg_2', 'msg_3']);
      expect(await page('asc', 2, 'msg_nope')).toEqual([]);
      expect(await store.deleteConversationItem('conv_2', 'team-a', 'msg_2', T0 + 3)).toBe(
        'deleted',
      );
      expect(await store.deleteConversationItem('conv_2', 'team-a', 'msg_2', T0 + 3)).toBe(
        'missing',
      );
      expect(await page('asc', 10)).toEqual(['msg_1', 'msg_3', 'msg_4']);
      // A deleted id can be added again, at the end.
      await store.appendConversationItems('conv_2', 'team-a', [message('msg_2', 'back')], T0 + 4);
      expect(await page('asc', 10)).toEqual(['msg_1', 'msg_3', 'msg_4', 'msg_2']);
    },
  );

  it.skipIf(backend.skip)(
    'a live lock refuses others; the holder appends and releases',
    async () => {
      const { store } = backend.open();
      await store.createConversationObject(
        { id: 'conv_3', owner: 'team-a', createdAt: T0, metadata: {} },
        [message('msg_1', 'one')],
      );
      expect(await store.lockConversation('conv_3', 'team-a', 'resp_1', T0 + 100, T0)).toBe(
        'locked',
      );
      expect(await store.lockConversation('conv_3', 'team-a', 'resp_2', T0 + 100, T0 + 1)).toBe(
        'busy',
      );
      expect(await store.lockConversation('conv_3', 'team-b', 'resp_2', T0 + 100, T0 + 1)).toBe(
        'missing',
      );
      expect(
        await store.appendConversationItems('conv_3', 'team-a', [message('msg_x', 'x')], T0 + 2),
      ).toEqual({ kind: 'locked' });
      expect(await store.deleteConversationItem('conv_3', 'team-a', 'msg_1', T0 + 2)).toBe(
        'locked',
      );
      // Another holder's unlock does nothing.
      await store.unlockConversation('conv_3', 'team-a', 'resp_2');
      expect(await store.lockConversation('conv_3', 'team-a', 'resp_2', T0 + 100, T0 + 3)).toBe(
        'busy',
      );
      const done = await store.appendConversationItems(
        'conv_3',
        'team-a',
        [message('msg_2', 'two')],
        T0 + 4,
        'resp_1',
      );
      expect(done.kind).toBe('appended');
      // Released with the append.
      expect(await store.lockConversation('conv_3', 'team-a', 'resp_2', T0 + 100, T0 + 5)).toBe(
        'locked',
      );
      await store.unlockConversation('conv_3', 'team-a', 'resp_2');
      expect(await store.deleteConversationItem('conv_3', 'team-a', 'msg_1', T0 + 6)).toBe(
        'deleted',
      );
      // A lock that ran out (its replica died) is taken over.
      expect(await store.lockConversation('conv_3', 'team-a', 'resp_3', T0 + 10, T0 + 7)).toBe(
        'locked',
      );
      expect(await store.lockConversation('conv_3', 'team-a', 'resp_4', T0 + 100, T0 + 11)).toBe(
        'locked',
      );
      expect(ids(await store.allConversationItems('conv_3', 'team-a'))).toEqual(['msg_2']);
    },
  );
});

// Retention is the request log's: only its stores sweep (the memory store is bounded instead).
describe.each(backends.filter((b) => b.name !== 'memory'))('conversations ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'sweeps a conversation unused for the retention, with its items',
    async () => {
      const { store, log } = backend.open();
      await store.createConversationObject(
        { id: 'conv_old', owner: 'team-a', createdAt: T0, metadata: {} },
        [message('msg_o', 'old')],
      );
      await store.createConversationObject(
        { id: 'conv_used', owner: 'team-a', createdAt: T0, metadata: {} },
        [message('msg_u', 'used')],
      );
      // Used since: it stays.
      await store.appendConversationItems('conv_used', 'team-a', [message('msg_v', 'v')], T0 + 50);
      await log!.deleteOlderThan(T0 + 10);
      expect(await store.readConversationObject('conv_old', 'team-a')).toBeUndefined();
      expect(await store.getConversationItem('conv_old', 'team-a', 'msg_o')).toBeUndefined();
      expect(await store.readConversationObject('conv_used', 'team-a')).toBeDefined();
      expect(ids(await store.allConversationItems('conv_used', 'team-a'))).toEqual([
        'msg_u',
        'msg_v',
      ]);
    },
  );
});

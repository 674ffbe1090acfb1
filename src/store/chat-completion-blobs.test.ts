// Inline data of stored chat completions kept once (inline-blobs.ts), on every backend (memory,
// SQLite, a real PostgreSQL): a chat client resends its whole history, so the image of a 20-turn
// conversation stored with `store: true` is one kept payload; each completion reads back byte for
// byte; a payload goes with the last completion (or, in the request log, stored response)
// referring to it: delete, a replaced completion, retention, the memory store's bound.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import type { ChatMessage } from '../core/wire-types.js';
import type { ChatCompletionStore, StoredChatCompletion } from './chat-completion-store.js';
import { createMemoryChatCompletionStore } from './memory/memory-chat-completion-store.js';
import type { RequestLogStore } from './request-log.js';
import { createResponseStore } from './response-store.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL chat completion inline-blob tests');
const schemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const T0 = 1_700_000_000_000;
const IMAGE = `data:image/png;base64,${'iVBO'.repeat(1500)}`;
const OTHER = `data:image/jpeg;base64,${'/9j/'.repeat(1500)}`;
const ODD = `data:text/plain,${'é\u0000"\\\n😀\uD800x'.repeat(200)}`;
const bytes = (data: string) => Buffer.byteLength(JSON.stringify(data));

const ask = (text: string, ...urls: string[]): ChatMessage => ({
  role: 'user',
  content: [
    { type: 'text', text },
    ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } })),
  ],
});

function completion(id: string, messages: ChatMessage[], at = 0): StoredChatCompletion {
  return {
    id,
    owner: 'team-a',
    createdAt: T0 + at,
    model: 'small-sim',
    metadata: {},
    completion: { id, object: 'chat.completion', model: 'small-sim', choices: [] },
    messages,
  };
}

const backends: {
  name: string;
  skip: boolean;
  open(capacity?: number): { store: ChatCompletionStore; log?: RequestLogStore };
}[] = [
  {
    name: 'memory',
    skip: false,
    open: (capacity = 100) => ({ store: createMemoryChatCompletionStore(capacity) }),
  },
  {
    name: 'SQLite',
    skip: false,
    open() {
      const log = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-ccb-')), 'r.db'));
      return { store: log, log };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open() {
      const schema = `mr_ccblobs_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(schema);
      const log = createPostgresRequestStore(PG_URL, { schema });
      return { store: log, log };
    },
  },
];

describe.each(backends)('stored chat completions keep inline data once ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'a 20-turn conversation resending its image is one payload; each reads back as sent',
    async () => {
      const { store, log } = backend.open();
      const saved: StoredChatCompletion[] = [];
      const history: ChatMessage[] = [];
      for (let n = 1; n <= 20; n++) {
        history.push(ask(`turn ${n}`, IMAGE));
        const c = completion(`chatcmpl-${n}`, [...history], n);
        await store.saveChatCompletion(c);
        saved.push(c);
        history.push({ role: 'assistant', content: `answer ${n}` });
      }
      expect(await store.inlineBlobUsage()).toEqual({ blobs: 1, bytes: bytes(IMAGE) });
      for (const c of saved) expect(await store.getChatCompletion(c.id, 'team-a')).toEqual(c);
      const odd = completion('chatcmpl-odd', [ask('odd', ODD, 'https://example.com/a.png')]);
      await store.saveChatCompletion(odd);
      const back = await store.getChatCompletion('chatcmpl-odd', 'team-a');
      expect(JSON.stringify(back)).toBe(JSON.stringify(odd));
      await log?.close();
    },
  );

  it.skipIf(backend.skip)(
    'a payload goes with the last completion referring to it; a shared one stays',
    async () => {
      const { store, log } = backend.open();
      await store.saveChatCompletion(completion('chatcmpl-a', [ask('two', IMAGE, OTHER)]));
      const b = completion('chatcmpl-b', [ask('one', IMAGE)]);
      await store.saveChatCompletion(b);
      expect((await store.inlineBlobUsage()).blobs).toBe(2);
      expect(await store.deleteChatCompletion('chatcmpl-a', 'team-a')).toBe(true);
      expect(await store.inlineBlobUsage()).toEqual({ blobs: 1, bytes: bytes(IMAGE) });
      expect(await store.getChatCompletion('chatcmpl-b', 'team-a')).toEqual(b);
      // Saved again without it (the same tenant and id replaced): the payload goes.
      await store.saveChatCompletion(completion('chatcmpl-b', [ask('none')]));
      expect((await store.inlineBlobUsage()).blobs).toBe(0);
      await store.saveChatCompletion(completion('chatcmpl-c', [ask('one', OTHER)]));
      expect(await store.deleteChatCompletion('chatcmpl-c', 'team-a')).toBe(true);
      expect((await store.inlineBlobUsage()).blobs).toBe(0);
      await log?.close();
    },
  );
});

describe.each(backends.filter((b) => b.name !== 'memory'))(
  'chat completions and stored responses share payloads in the request log ($name)',
  (backend) => {
    it.skipIf(backend.skip)(
      'one payload for both; it stays while either refers to it; retention drops the rest',
      async () => {
        const { store, log } = backend.open();
        const responses = createResponseStore(100, log);
        const owner = 'team-a';
        await responses.save({
          id: 'resp_1',
          messages: [ask('r', IMAGE)],
          model: 'm',
          createdAt: T0,
          owner,
        });
        await store.saveChatCompletion(completion('chatcmpl-1', [ask('c', IMAGE)]));
        expect((await store.inlineBlobUsage()).blobs).toBe(1);
        expect(await store.deleteChatCompletion('chatcmpl-1', owner)).toBe(true);
        expect((await responses.get('resp_1', owner))?.messages).toEqual([ask('r', IMAGE)]);
        await store.saveChatCompletion(completion('chatcmpl-2', [ask('c', IMAGE)], 10));
        expect(await responses.delete('resp_1', owner)).toBe(true);
        expect(await store.getChatCompletion('chatcmpl-2', owner)).toEqual(
          completion('chatcmpl-2', [ask('c', IMAGE)], 10),
        );
        // Retention: the old completion's own payload goes, the newer one's stays.
        await store.saveChatCompletion(completion('chatcmpl-old', [ask('o', OTHER, IMAGE)], 0));
        expect((await store.inlineBlobUsage()).blobs).toBe(2);
        await log!.deleteOlderThan(T0 + 5);
        expect(await store.getChatCompletion('chatcmpl-old', owner)).toBeUndefined();
        expect(await store.inlineBlobUsage()).toEqual({ blobs: 1, bytes: bytes(IMAGE) });
        await log!.close();
      },
    );
  },
);

it('the memory store drops the payloads of the completions it no longer keeps', async () => {
  const store = createMemoryChatCompletionStore(2);
  await store.saveChatCompletion(completion('chatcmpl-1', [ask('first', OTHER, IMAGE)]));
  await store.saveChatCompletion(completion('chatcmpl-2', [ask('second', IMAGE)]));
  await store.saveChatCompletion(completion('chatcmpl-3', [ask('third', IMAGE)]));
  expect(await store.getChatCompletion('chatcmpl-1', 'team-a')).toBeUndefined();
  expect(await store.inlineBlobUsage()).toEqual({ blobs: 1, bytes: bytes(IMAGE) });
});

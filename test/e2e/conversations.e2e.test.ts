// The Conversations API through the BUILT router (simulated fleet, SQLite request log, two tenants'
// keys), driven by the official `openai` SDK as the OpenAI Agents SDK's OpenAIConversationsSession
// and `run(…, {conversationId})` drive it: create a conversation with items, two Responses turns
// with `conversation` (one streamed), the items listed in order through the SDK's cursor pages,
// one retrieved and deleted (the session's popItem), metadata updated, the conversation deleted;
// another tenant's key gets 404s; the AzureOpenAI client reads it on the `/openai` path.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI, NotFoundError, BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const KEY_A = 'mr-conv-key-a-0123456789';
const KEY_B = 'mr-conv-key-b-0123456789';

let server: SpawnedServer;
let a: OpenAI;
let b: OpenAI;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-conversations-'));
  server = await spawnServer(
    testConfigInput({
      auth: {
        mode: 'keys',
        keys: [
          { id: 'a', hash: hashApiKey(KEY_A), tenant: 'acme' },
          { id: 'b', hash: hashApiKey(KEY_B), tenant: 'beta' },
        ],
      },
      requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
    }),
  );
  a = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: KEY_A, maxRetries: 0 });
  b = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: KEY_B, maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

/** An item's text (messages only). */
function textOf(item: OpenAI.Conversations.ConversationItem): string {
  if (item.type !== 'message') return `<${item.type}>`;
  return item.content.map((p) => ('text' in p ? p.text : '')).join('');
}

/** Every item, oldest first, through the SDK's cursor pages (two per page). */
async function allItems(client: OpenAI, id: string) {
  const items: OpenAI.Conversations.ConversationItem[] = [];
  for await (const item of client.conversations.items.list(id, { order: 'asc', limit: 2 }))
    items.push(item);
  return items;
}

describe('the Conversations API through the router', () => {
  it('two Responses turns on a conversation, listed in order; items deleted; per tenant', async () => {
    const conv = await a.conversations.create({
      metadata: { topic: 'e2e' },
      items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }],
    });
    expect(conv.id).toMatch(/^conv_/);
    expect(conv.metadata).toEqual({ topic: 'e2e' });

    const first = await a.responses.create({
      model: 'model-router',
      input: 'What is 2+2?',
      conversation: conv.id,
    });
    expect(first.status).toBe('completed');
    expect(first.conversation?.id).toBe(conv.id);
    expect(first.output_text.length).toBeGreaterThan(0);

    // The second turn streamed, naming the conversation as an object.
    const stream = await a.responses.create({
      model: 'model-router',
      input: [{ role: 'user', content: 'And what is my name?' }],
      conversation: { id: conv.id },
      stream: true,
    });
    let streamed = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') streamed += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(completed?.conversation?.id).toBe(conv.id);
    expect(streamed.length).toBeGreaterThan(0);

    const items = await allItems(a, conv.id);
    expect(items.map(textOf)).toEqual([
      'My name is Ada.',
      'What is 2+2?',
      first.output_text,
      'And what is my name?',
      streamed,
    ]);
    expect(items.map((i) => (i.type === 'message' ? i.role : i.type))).toEqual([
      'user',
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    // The assistant items are the responses' own output items, ids included.
    expect(items[2]!.id).toBe(first.output.find((o) => o.type === 'message')!.id);

    // The Agents SDK session's popItem: the newest item, then delete it.
    const newest = await a.conversations.items.list(conv.id, { limit: 1, order: 'desc' });
    expect(newest.data.map(textOf)).toEqual([streamed]);
    const newestId = String(newest.data[0]!.id);
    const one = await a.conversations.items.retrieve(newestId, {
      conversation_id: conv.id,
    });
    expect(textOf(one)).toBe(streamed);
    const after = await a.conversations.items.delete(newestId, {
      conversation_id: conv.id,
    });
    expect(after.id).toBe(conv.id);
    await expect(
      a.conversations.items.retrieve(newestId, { conversation_id: conv.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await allItems(a, conv.id)).map(textOf)).toEqual([
      'My name is Ada.',
      'What is 2+2?',
      first.output_text,
      'And what is my name?',
    ]);

    // The session's addItems.
    const added = await a.conversations.items.create(conv.id, {
      items: [{ type: 'message', role: 'user', content: 'Noted.' }],
    });
    expect(added.data.map(textOf)).toEqual(['Noted.']);

    // Another tenant: not found, whatever it tries.
    await expect(b.conversations.retrieve(conv.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.items.list(conv.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      b.responses.create({ model: 'model-router', input: 'hi', conversation: conv.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(b.conversations.delete(conv.id)).rejects.toBeInstanceOf(NotFoundError);

    // OpenAI refuses `conversation` beside `previous_response_id`; so does the router.
    const both = await a.responses
      .create({
        model: 'model-router',
        input: 'hi',
        conversation: conv.id,
        previous_response_id: first.id,
      })
      .catch((e: unknown) => e);
    expect(both).toBeInstanceOf(BadRequestError);
    expect(both).toMatchObject({ param: 'conversation' });

    // The AzureOpenAI client, on `/openai/conversations?api-version=…`.
    const azure = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: KEY_A,
      apiVersion: '2025-04-01-preview',
      maxRetries: 0,
    });
    expect((await azure.conversations.retrieve(conv.id)).metadata).toEqual({ topic: 'e2e' });

    const updated = await a.conversations.update(conv.id, { metadata: { topic: 'done' } });
    expect(updated.metadata).toEqual({ topic: 'done' });
    const deleted = await a.conversations.delete(conv.id);
    expect(deleted).toMatchObject({ id: conv.id, deleted: true });
    await expect(a.conversations.retrieve(conv.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

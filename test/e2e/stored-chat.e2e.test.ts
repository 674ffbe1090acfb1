// The official `openai` SDK's stored Chat Completions against the BUILT router (simulated fleet,
// SQLite request log): create with `store: true` and metadata (JSON and streamed), retrieve,
// list with the model and metadata filters and its cursor pages, update, messages.list, delete;
// and the AzureOpenAI client's retrieve on the `/openai` paths.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI, NotFoundError, BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let client: OpenAI;
// Each run tags what it stores, so its lists see only its own completions.
const run = `run-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-stored-chat-'));
  server = await spawnServer(
    testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') } }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe('stored Chat Completions through the router', () => {
  it('create (JSON and stream) with store, retrieve, list, update, messages, delete', async () => {
    const first = await client.chat.completions.create({
      model: 'model-router',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'What is 2+2?' },
      ],
      store: true,
      metadata: { run, kind: 'json' },
    });
    expect(first.id).toMatch(/^chatcmpl-/);
    const again = await client.chat.completions.retrieve(first.id);
    expect(again.id).toBe(first.id);
    expect(again.model).toBe(first.model);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect((again as unknown as { metadata: unknown }).metadata).toEqual({ run, kind: 'json' });

    const stream = await client.chat.completions.create({
      model: 'big',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream: true,
      store: true,
      metadata: { run, kind: 'stream' },
    });
    let text = '';
    let streamedId = '';
    for await (const chunk of stream) {
      streamedId ||= chunk.id;
      expect(chunk.id).toBe(streamedId);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text.length).toBeGreaterThan(0);
    const streamed = await client.chat.completions.retrieve(streamedId);
    expect(streamed.object).toBe('chat.completion');
    expect(streamed.model).toBe('big-sim');
    expect(streamed.choices[0]!.message.content).toBe(text);
    expect(streamed.choices[0]!.finish_reason).toBe('stop');

    // Not stored: not found.
    const unstored = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'What is 2+2?' }],
      metadata: { run, kind: 'unstored' },
    });
    await expect(client.chat.completions.retrieve(unstored.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );

    // List: this run's, oldest first; by model; by metadata; paged with the SDK's cursor.
    const mine = await client.chat.completions.list({ metadata: { run } });
    expect(mine.data.map((c) => c.id)).toEqual([first.id, streamedId]);
    const bigOnes = await client.chat.completions.list({ metadata: { run }, model: 'big-sim' });
    expect(bigOnes.data.map((c) => c.id)).toEqual([streamedId]);
    const jsonOnes = await client.chat.completions.list({ metadata: { run, kind: 'json' } });
    expect(jsonOnes.data.map((c) => c.id)).toEqual([first.id]);
    const newestFirst = await client.chat.completions.list({ metadata: { run }, order: 'desc' });
    expect(newestFirst.data.map((c) => c.id)).toEqual([streamedId, first.id]);
    const page = await client.chat.completions.list({ metadata: { run }, limit: 1 });
    expect(page.data.map((c) => c.id)).toEqual([first.id]);
    expect(page.hasNextPage()).toBe(true);
    const seen: string[] = [];
    for await (const c of client.chat.completions.list({ metadata: { run }, limit: 1 }))
      seen.push(c.id);
    expect(seen).toEqual([first.id, streamedId]);
    const after = await client.chat.completions.list({ metadata: { run }, after: first.id });
    expect(after.data.map((c) => c.id)).toEqual([streamedId]);

    const updated = await client.chat.completions.update(first.id, {
      metadata: { run, kind: 'reviewed' },
    });
    expect((updated as unknown as { metadata: unknown }).metadata).toEqual({
      run,
      kind: 'reviewed',
    });
    const reviewed = await client.chat.completions.list({ metadata: { kind: 'reviewed', run } });
    expect(reviewed.data.map((c) => c.id)).toEqual([first.id]);

    const messages = await client.chat.completions.messages.list(first.id);
    expect(messages.data.map((m) => [m.id, m.role, m.content])).toEqual([
      [`${first.id}-0`, 'developer', 'Be brief.'],
      [`${first.id}-1`, 'user', 'What is 2+2?'],
    ]);
    const lastMessage = await client.chat.completions.messages.list(first.id, {
      order: 'desc',
      limit: 1,
    });
    expect(lastMessage.data.map((m) => m.id)).toEqual([`${first.id}-1`]);
    expect(lastMessage.hasNextPage()).toBe(true);

    const deleted = await client.chat.completions.delete(first.id);
    expect(deleted).toEqual({ object: 'chat.completion.deleted', id: first.id, deleted: true });
    await expect(client.chat.completions.retrieve(first.id)).rejects.toBeInstanceOf(NotFoundError);
    const left = await client.chat.completions.list({ metadata: { run } });
    expect(left.data.map((c) => c.id)).toEqual([streamedId]);
  });

  it('refuses metadata OpenAI would refuse, naming the field', async () => {
    const err = await client.chat.completions
      .create({
        model: 'model-router',
        messages: [{ role: 'user', content: 'hi' }],
        store: true,
        metadata: { k: 'v'.repeat(513) },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe('metadata.k');
  });

  it('the AzureOpenAI client retrieves and lists on the /openai paths', async () => {
    const azure = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: 'unused',
      apiVersion: '2025-04-01-preview',
      deployment: 'small',
      maxRetries: 0,
    });
    const created = await azure.chat.completions.create({
      model: 'small',
      messages: [{ role: 'user', content: 'Hello from Azure' }],
      store: true,
      metadata: { run, kind: 'azure' },
    });
    const got = await azure.chat.completions.retrieve(created.id);
    expect(got.choices[0]!.message.content).toBe(created.choices[0]!.message.content);
    const listed = await azure.chat.completions.list({ metadata: { run, kind: 'azure' } });
    expect(listed.data.map((c) => c.id)).toEqual([created.id]);
    expect((await azure.chat.completions.delete(created.id)).deleted).toBe(true);
  });
});

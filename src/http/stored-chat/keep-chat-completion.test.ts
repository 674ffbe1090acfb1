// What a `store: true` request keeps: a stream's chunks assembled under the router's id (log
// probabilities included, as the client got them), nothing of a stream cut short, and creation
// times that never repeat in one process.
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatRequest } from '../../core/wire-types.js';
import { createMemoryChatCompletionStore } from '../../store/memory/memory-chat-completion-store.js';
import { completionKeeper, creationClock, withoutStoreFields } from './keep-chat-completion.js';

const request = {
  id: 'req_1',
  auth: { tenant: 'team-a' },
  log: { warn: () => {} },
} as unknown as FastifyRequest;

const chat = {
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  store: true,
  metadata: { k: 'v' },
} as unknown as ChatRequest;

function chunk(content: string | null, finish: string | null, token?: string): ChatChunk {
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion.chunk',
    created: 7,
    model: 'gpt-4o',
    choices: [
      {
        index: 0,
        delta: content === null ? {} : { content },
        finish_reason: finish,
        logprobs: token
          ? { content: [{ token, logprob: -0.5, bytes: null, top_logprobs: [] }], refusal: null }
          : null,
      },
    ],
  } as ChatChunk;
}

async function drain(chunks: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('completionKeeper', () => {
  it('keeps a stream assembled with its log probabilities, under the id each chunk carried', async () => {
    const store = createMemoryChatCompletionStore(10);
    const keeper = completionKeeper({ store, stamp: () => 42 }, request, chat);
    const sent = await drain(
      keeper.stream(
        (async function* () {
          yield chunk('Hel', null, 'Hel');
          yield chunk('lo', null, 'lo');
          yield chunk(null, 'stop');
        })(),
      ),
    );
    const id = sent[0]!.id;
    expect(id).toMatch(/^chatcmpl-/);
    expect(sent.every((c) => c.id === id)).toBe(true);
    const [kept] = await store.listChatCompletions({ owner: 'team-a', limit: 5, order: 'asc' });
    expect(kept).toMatchObject({ id, createdAt: 42, model: 'gpt-4o', metadata: { k: 'v' } });
    expect(kept!.completion).toMatchObject({
      id,
      object: 'chat.completion',
      request_id: 'req_1',
      choices: [
        {
          message: { role: 'assistant', content: 'Hello' },
          finish_reason: 'stop',
          logprobs: {
            content: [
              { token: 'Hel', logprob: -0.5 },
              { token: 'lo', logprob: -0.5 },
            ],
            refusal: null,
          },
        },
      ],
    });
    expect((await store.getChatCompletion(id, 'team-a'))?.messages).toEqual(chat.messages);
  });

  it('keeps nothing of a stream that ends without a finish reason or fails', async () => {
    const store = createMemoryChatCompletionStore(10);
    await drain(
      completionKeeper({ store, stamp: () => 1 }, request, chat).stream(
        (async function* () {
          yield chunk('Hel', null);
        })(),
      ),
    );
    await expect(
      drain(
        completionKeeper({ store, stamp: () => 1 }, request, chat).stream(
          (async function* () {
            yield chunk('Hel', null);
            throw new Error('upstream dropped');
          })(),
        ),
      ),
    ).rejects.toThrow('upstream dropped');
    expect(await store.listChatCompletions({ owner: 'team-a', limit: 5, order: 'asc' })).toEqual(
      [],
    );
  });

  it('sends neither store nor metadata on, and leaves a request without them as it is', () => {
    expect(withoutStoreFields(chat)).toEqual({ model: 'm', messages: chat.messages });
    const plain = { model: 'm', messages: chat.messages } as ChatRequest;
    expect(withoutStoreFields(plain)).toBe(plain);
  });
});

describe('creationClock', () => {
  it('never repeats nor goes back', () => {
    const times = [5, 5, 5, 3, 100];
    const stamp = creationClock(() => times.shift()!);
    expect([stamp(), stamp(), stamp(), stamp(), stamp()]).toEqual([5, 6, 7, 8, 100]);
  });
});

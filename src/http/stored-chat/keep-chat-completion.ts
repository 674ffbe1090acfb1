// `store: true` on a chat request: the router keeps the completion (chat-completion-store.ts),
// whichever upstream served it. It gets an id of the router's own (an upstream's may repeat: the
// simulated fleet's are a hash of the prompt, an answer-cache hit replays the kept one's), and the
// client gets that id in its JSON or in every chunk of its stream. Neither `store` nor `metadata`
// goes upstream: the router is the store (an OpenAI-side copy would be one the router's API never
// reads, kept outside its retention and data-zone rules), and OpenAI refuses `metadata` without
// `store` (other upstreams ignore both).
import type { FastifyRequest } from 'fastify';
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../core/wire-types.js';
import { ChunkCollector } from '../../gateway/answer-chunks.js';
import type {
  ChatCompletionStore,
  StoredChatCompletion,
} from '../../store/chat-completion-store.js';

/** The request without the fields the router keeps for itself (the same object when it has none). */
export function withoutStoreFields(chat: ChatRequest): ChatRequest {
  if (!('store' in chat) && !('metadata' in chat)) return chat;
  const { store: _store, metadata: _metadata, ...rest } = chat;
  return rest as ChatRequest;
}

/** Where `store: true` completions go, and the creation times they get. */
export interface ChatCompletionKeeping {
  store: ChatCompletionStore;
  /** Epoch milliseconds, strictly increasing in this process (see creationClock). */
  stamp(): number;
}

/**
 * Creation times that never repeat or go back in one process: the list orders by them, so a
 * client's completions list in the order they were stored even within one millisecond.
 */
export function creationClock(now: () => number = Date.now): () => number {
  let last = 0;
  return () => (last = Math.max(now(), last + 1));
}

/** Keeps what the client is sent: a JSON completion, or a stream's chunks assembled. */
export interface CompletionKeeper {
  /** The completion with its stored id, stored before it is returned. */
  json(response: ChatResponse): Promise<ChatResponse>;
  /** The chunks with the stored id; a stream that ends whole is stored before it ends. */
  stream(chunks: AsyncIterable<ChatChunk>): AsyncIterable<ChatChunk>;
}

/**
 * A keeper for a `store: true` request (`metadata` already checked by the attribution). A store
 * that fails (a database down) does not cost the client its answer: it is logged, and the id it
 * got finds nothing later. A stream cut short (an upstream error, the client gone) is not stored.
 */
export function completionKeeper(
  { store, stamp }: ChatCompletionKeeping,
  request: FastifyRequest,
  chat: ChatRequest,
): CompletionKeeper {
  const id = newId('chatcmpl-');
  // Copied now: nothing the gateway does to the request reaches what is stored.
  const messages = structuredClone(chat.messages);
  const metadata = isObject(chat.metadata) ? { ...(chat.metadata as Record<string, string>) } : {};
  const save = async (completion: ChatResponse) => {
    const stored: StoredChatCompletion = {
      id,
      owner: request.auth.tenant,
      createdAt: stamp(),
      model: completion.model,
      metadata,
      completion: { ...completion, request_id: request.id },
      messages,
    };
    try {
      await store.saveChatCompletion(stored);
    } catch (err) {
      request.log.warn({ err, completion: id }, 'could not store the chat completion');
    }
  };
  return {
    async json(response) {
      const sent = { ...response, id };
      await save(sent);
      return sent;
    },
    async *stream(chunks) {
      const collector = new ChunkCollector(true);
      for await (const chunk of chunks) {
        const sent = { ...chunk, id };
        collector.add(sent);
        yield sent;
      }
      const whole = collector.response();
      if (whole) await save(whole);
    },
  };
}

// Stored Chat Completions (`store: true` on `POST /v1/chat/completions`): the completion as the
// client got it (a stream's chunks assembled), the request's messages (`…/{id}/messages`), its
// `metadata`, the model that served and the tenant that owns it (another tenant never sees it).
// Kept beside the stored responses: in the request-log store (SQLite or PostgreSQL, so replicas
// sharing a PostgreSQL log share them; swept with the request log's `retentionDays`), and with
// no request log in memory only (the most recent `capacity`). The messages' inline data (images,
// files, audio) is kept once however many completions hold it (inline-blobs.ts).
import type { ChatMessage } from '../core/wire-types.js';

export interface StoredChatCompletion {
  id: string;
  owner: string;
  /** Epoch milliseconds: the list's order (ties broken by id). */
  createdAt: number;
  /** The model that served it (the completion's `model`): what the list's `model` filter reads. */
  model: string;
  metadata: Record<string, string>;
  /** The completion object as it was sent to the client (without `metadata`, kept apart). */
  completion: Record<string, unknown>;
  /** The request's messages, as the client sent them. */
  messages: ChatMessage[];
}

/** A stored completion as a list reads it: without its messages. */
export type ListedChatCompletion = Omit<StoredChatCompletion, 'messages'>;

export interface ChatCompletionQuery {
  owner: string;
  /** Only completions this model served. */
  model?: string;
  /** Only completions whose metadata has every one of these pairs. */
  metadata?: Record<string, string>;
  /** A completion id: the page after it in `order` (empty when `owner` has no such completion). */
  after?: string;
  limit: number;
  /** By `createdAt`, then id. */
  order: 'asc' | 'desc';
}

/** Where stored chat completions live: the request-log stores, and memory without one. */
export interface ChatCompletionStore {
  /** Saves a completion (one with the same owner and id is replaced). */
  saveChatCompletion(stored: StoredChatCompletion): Promise<void>;
  getChatCompletion(id: string, owner: string): Promise<StoredChatCompletion | undefined>;
  listChatCompletions(q: ChatCompletionQuery): Promise<ListedChatCompletion[]>;
  /** Replaces its metadata; false when `owner` has no such completion. */
  setChatCompletionMetadata(
    id: string,
    owner: string,
    metadata: Record<string, string>,
  ): Promise<boolean>;
  deleteChatCompletion(id: string, owner: string): Promise<boolean>;
  /** How many inline payloads of messages are kept (each once, inline-blobs.ts; in the request-log
   * stores, with the stored responses'), and their JSON texts' size (UTF-8 bytes). */
  inlineBlobUsage(): Promise<{ blobs: number; bytes: number }>;
}

/** Whether `metadata` has every pair of `filter`. */
export function metadataMatches(
  metadata: Record<string, string>,
  filter: Record<string, string> | undefined,
): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => Object.hasOwn(metadata, k) && metadata[k] === v);
}

// OpenAI's Conversations API (`/v1/conversations`): a conversation object (id, metadata, tenant)
// and its items, in order (Responses items as the client sent them or a response returned them,
// each with an id). A Responses request naming the conversation reads its items as context and,
// once answered, appends its input and output items; while it runs it holds the conversation's
// lock, so a second response on it is refused (OpenAI's `conversation_locked`), not interleaved.
// (The request-log table named `conversations` is older and keeps stored responses: see
// response-store.ts.) Kept beside the stored responses: in the request-log store (SQLite or
// PostgreSQL, shared by replicas; a conversation idle for `retentionDays` is swept with its items),
// and with no request log in memory only (the most recently used `capacity`).

export type ConversationItem = Record<string, unknown> & { id: string };

export interface StoredConversation {
  id: string;
  owner: string;
  /** Epoch milliseconds. */
  createdAt: number;
  metadata: Record<string, string>;
}

export interface ConversationItemQuery {
  conversationId: string;
  owner: string;
  /** An item id: the items after it in `order` (none when the conversation has no such item). */
  after?: string;
  limit: number;
  /** By the order the items were added. */
  order: 'asc' | 'desc';
}

/** What an append did: the items added (those whose id the conversation had are left out). */
export type AppendOutcome =
  { kind: 'appended'; added: ConversationItem[] } | { kind: 'missing' } | { kind: 'locked' };

/** Where conversations and their items live: the request-log stores, and memory without one. */
export interface ConversationObjectStore {
  /** Creates a conversation with its first items (in order). */
  createConversationObject(
    conversation: StoredConversation,
    items: readonly ConversationItem[],
  ): Promise<void>;
  readConversationObject(id: string, owner: string): Promise<StoredConversation | undefined>;
  /** Replaces its metadata; false when `owner` has no such conversation. */
  setConversationMetadata(
    id: string,
    owner: string,
    metadata: Record<string, string>,
    now: number,
  ): Promise<boolean>;
  /** Deletes it with its items. */
  deleteConversationObject(id: string, owner: string): Promise<boolean>;
  /** Adds items at the end, unless another holder's lock is live at `now`; with `holder`, its
   * own lock is released in the same write. */
  appendConversationItems(
    id: string,
    owner: string,
    items: readonly ConversationItem[],
    now: number,
    holder?: string,
  ): Promise<AppendOutcome>;
  /** A page of items; undefined when `owner` has no such conversation. */
  listConversationItems(q: ConversationItemQuery): Promise<ConversationItem[] | undefined>;
  /** Every item, oldest first (a response's context). */
  allConversationItems(id: string, owner: string): Promise<ConversationItem[]>;
  getConversationItem(
    id: string,
    owner: string,
    itemId: string,
  ): Promise<ConversationItem | undefined>;
  /** Deletes one item unless another holder's lock is live; 'missing' when there is no such
   * conversation or item. */
  deleteConversationItem(
    id: string,
    owner: string,
    itemId: string,
    now: number,
  ): Promise<'deleted' | 'missing' | 'locked'>;
  /** Takes the conversation's lock for `holder` until `until` unless another holder's is live at
   * `now`. */
  lockConversation(
    id: string,
    owner: string,
    holder: string,
    until: number,
    now: number,
  ): Promise<'locked' | 'busy' | 'missing'>;
  /** Releases `holder`'s lock (nothing when it is not its). */
  unlockConversation(id: string, owner: string, holder: string): Promise<void>;
}

// The `compaction` item of `POST /v1/responses/compact` (openapi.yaml `CompactionBody`), as this
// router writes it: its `encrypted_content` carries the summary the routed model wrote, as
// base64url JSON after a prefix naming it as ours. Like the reasoning items of
// responses-reasoning.ts it is opaque to the client, not secret: the summary is of the client's
// own conversation, and a client that forged one could as well send the text as a message. No
// key signs it, so it reads the same on every replica and after a restart. Sent back as `input`,
// it becomes a user message carrying the summary, before the request is bridged or sent on.
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

/** Marks `encrypted_content` this router wrote. */
const SEALED = 'mr_compaction.v1.';

/** The first line of the message a compaction item becomes (how the model is told what it is). */
export const SUMMARY_HEADING =
  'Summary of the earlier part of this conversation (it was compacted to save context):';

/** A `compaction` output item carrying `summary`. */
export function compactionItem(summary: string, model: string, createdAt: number): Json {
  const content = { summary, model, created_at: createdAt };
  return {
    id: newId('cmp_'),
    type: 'compaction',
    encrypted_content: SEALED + Buffer.from(JSON.stringify(content)).toString('base64url'),
  };
}

/** The summary a compaction item of this router carries; a 400 naming `path` for any other. */
function openCompactionItem(item: Json, path: string): string {
  const sealed = item.encrypted_content;
  if (typeof sealed !== 'string' || !sealed.startsWith(SEALED))
    throw invalidRequest(
      `${path} is a compaction item this router did not make (its encrypted_content is another server's, which only that server can read): compact the conversation with this router's POST /v1/responses/compact and send its output, or send the conversation's items instead.`,
      `${path}.encrypted_content`,
      'invalid_value',
    );
  let content: unknown;
  try {
    content = JSON.parse(Buffer.from(sealed.slice(SEALED.length), 'base64url').toString('utf8'));
  } catch {
    content = undefined;
  }
  if (!isObject(content) || typeof content.summary !== 'string')
    throw invalidRequest(
      `${path}.encrypted_content is not readable: send the compaction item as POST /v1/responses/compact returned it, unchanged.`,
      `${path}.encrypted_content`,
      'invalid_value',
    );
  return content.summary;
}

/** Whether an item is a compaction item this router made (its `encrypted_content` is ours). */
export function isOurCompactionItem(item: unknown): boolean {
  return (
    isObject(item) &&
    item.type === 'compaction' &&
    typeof item.encrypted_content === 'string' &&
    item.encrypted_content.startsWith(SEALED)
  );
}

/** A user message item (as Responses input writes one: typed or a bare `{role, content}`). */
function isUserMessage(item: unknown): boolean {
  return (
    isObject(item) && item.role === 'user' && (item.type === undefined || item.type === 'message')
  );
}

/**
 * `input` with its last compaction item replaced by the user message carrying its summary (the
 * same array when it has none). The summary stands for everything before it but the user's own
 * messages (what `/responses/compact` keeps, and what a compacted turn ran on), so the other
 * items before it (earlier compaction items included) are left out: a client that appends a
 * compacted response's output to its input, as OpenAI's compaction guide says, sends the
 * compacted context, not the whole one again. `origin[j]` is the index in `input` of item `j`
 * (for errors that name an item). A compaction item not made by this router is a 400 naming it.
 */
export function expandCompactionItems(input: unknown[]): { items: unknown[]; origin?: number[] } {
  let last = -1;
  input.forEach((item, i) => {
    if (isObject(item) && item.type === 'compaction') {
      openCompactionItem(item, `input[${i}]`); // a foreign or garbled one is a 400, wherever it is
      last = i;
    }
  });
  if (last < 0) return { items: input };
  const summary = {
    type: 'message',
    role: 'user',
    content: [
      {
        type: 'input_text',
        text: `${SUMMARY_HEADING}\n\n${openCompactionItem(input[last] as Json, `input[${last}]`)}`,
      },
    ],
  };
  const origin: number[] = [];
  const items: unknown[] = [];
  input.forEach((item, i) => {
    if (i < last && !isUserMessage(item)) return;
    origin.push(i);
    items.push(i === last ? summary : item);
  });
  return { items, origin };
}

/** `err` as thrown, or, when it is a GatewayError naming `input[j]` of expanded input, naming
 * the item the client sent (`origin[j]`) instead. */
export function renameInputPaths(err: unknown, origin: readonly number[] | undefined): unknown {
  if (!origin || !(err instanceof GatewayError)) return err;
  const rename = (s: string) =>
    s.replace(/input\[(\d+)\]/g, (whole, j: string) =>
      origin[Number(j)] === undefined ? whole : `input[${origin[Number(j)]}]`,
    );
  return new GatewayError({
    status: err.status,
    type: err.type,
    code: err.code,
    param: err.param === null ? null : rename(err.param),
    message: rename(err.message),
  });
}

/** Whether a chat message is one a compaction item became (not the user's own words). */
export function isCompactionSummary(message: ChatMessage): boolean {
  if (message.role !== 'user') return false;
  const content = message.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content) && content[0]?.type === 'text'
        ? content[0].text
        : '';
  return text.startsWith(SUMMARY_HEADING);
}

/**
 * `input` without its `compaction_trigger` item (OpenAI's `CompactionTrigger`: "Compacts the
 * current context. Must be the final input item."), and whether it had one; one anywhere else is a
 * 400 naming it.
 */
export function takeCompactionTrigger(input: unknown[]): { input: unknown[]; trigger: boolean } {
  const at = input.findIndex((item) => isObject(item) && item.type === 'compaction_trigger');
  if (at < 0) return { input, trigger: false };
  if (at !== input.length - 1)
    throw invalidRequest(
      `input[${at}] is a compaction_trigger, which must be the final input item: move it to the end of input (or leave it out).`,
      `input[${at}]`,
      'invalid_value',
    );
  return { input: input.slice(0, -1), trigger: true };
}

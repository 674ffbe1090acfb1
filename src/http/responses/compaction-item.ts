// The `compaction` item of `POST /v1/responses/compact` (openapi.yaml `CompactionBody`), as this
// router writes it: its `encrypted_content` carries the summary the routed model wrote, as
// base64url JSON after a prefix naming it as ours. Like the reasoning items of
// responses-reasoning.ts it is opaque to the client, not secret: the summary is of the client's
// own conversation, and a client that forged one could as well send the text as a message. No
// key signs it, so it reads the same on every replica and after a restart. Sent back as `input`,
// it becomes a user message carrying the summary, before the request is bridged or sent on.
import { invalidRequest } from '../../core/errors.js';
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

/**
 * `input` with each compaction item replaced by the user message carrying its summary (the same
 * array when it has none). A compaction item not made by this router is a 400 naming it.
 */
export function expandCompactionItems(input: unknown[]): unknown[] {
  if (!input.some((item) => isObject(item) && item.type === 'compaction')) return input;
  return input.map((item, i) =>
    isObject(item) && item.type === 'compaction'
      ? {
          type: 'message',
          role: 'user',
          content: [
            {
              type: 'input_text',
              text: `${SUMMARY_HEADING}\n\n${openCompactionItem(item, `input[${i}]`)}`,
            },
          ],
        }
      : item,
  );
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

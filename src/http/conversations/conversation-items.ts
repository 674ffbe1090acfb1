// Items as a conversation keeps them (openapi.yaml `ConversationItem`: the shapes of a Response's
// output), from what clients send (`InputItem`: `POST /v1/conversations` and `…/items`, a
// Responses request's `input`) and back to chat messages for a response's context. Each kept item
// has an id (the client's, or one of ours); a message's string content becomes a text part. Items
// the bridge reads (messages, function, custom, shell and apply_patch calls and their outputs,
// reasoning) are checked as a Responses `input` would be; the other types of `InputItem` (an
// upstream's hosted-tool calls, such as `web_search_call`) are kept and listed, and left out of a
// response's context; a type that is none of these is a 400.
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage } from '../../core/wire-types.js';
import type { ConversationItem } from '../../store/conversation-object-store.js';
import { checkResponsesRequest } from '../responses/check-responses-request.js';
import { convertInput } from '../responses/convert-input.js';
import type { Json } from '../responses/responses-convert.js';
import { expandCompactionItems, isOurCompactionItem } from '../responses/compaction-item.js';
import { HELD_BY_CONVERSATION } from '../responses/item-references.js';

/** Item types a response's context carries (responses-convert.ts reads them). */
const BRIDGED = new Set([
  'message',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'reasoning',
]);

/**
 * The other item types of openapi.yaml's `InputItem` (hosted-tool calls and their outputs, MCP,
 * programs, compaction): kept and listed, left out of a response's context. Any other type is a
 * typo (`mesage`) that would be kept and never reach a model: a 400, as in Responses input.
 */
const KEPT_ONLY = new Set([
  'additional_tools',
  'code_interpreter_call',
  'compaction',
  'computer_call',
  'computer_call_output',
  'file_search_call',
  'image_generation_call',
  'local_shell_call',
  'local_shell_call_output',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'mcp_list_tools',
  'program',
  'program_output',
  'tool_search_call',
  'tool_search_output',
  'web_search_call',
]);

/** The id prefix of a new item of `type`, in OpenAI's style. */
const ID_PREFIX: Record<string, string> = {
  message: 'msg_',
  function_call: 'fc_',
  function_call_output: 'fco_',
  custom_tool_call: 'ctc_',
  custom_tool_call_output: 'ctco_',
  reasoning: 'rs_',
};

/** An item's type; a bare `{role, content}` is a message (as in Responses input). */
function typeOf(item: Json): string | undefined {
  if (typeof item.type === 'string') return item.type;
  return item.type === undefined && item.role !== undefined ? 'message' : undefined;
}

/** One item as kept: with an id, a message with its content as parts and a status. */
function kept(item: Json, type: string): ConversationItem {
  const id = typeof item.id === 'string' && item.id ? item.id : newId(ID_PREFIX[type] ?? 'item_');
  if (type !== 'message') return { ...item, id, type };
  const content =
    typeof item.content === 'string'
      ? [
          item.role === 'assistant'
            ? { type: 'output_text', text: item.content, annotations: [] }
            : { type: 'input_text', text: item.content },
        ]
      : item.content;
  return { ...item, id, type, status: item.status ?? 'completed', content };
}

/**
 * The items a client sends to be kept (`field`: `items`, at most 20), checked as Responses input
 * (a 400 names `items[i]…`) and given ids.
 */
export function itemsToKeep(sent: unknown, field = 'items'): ConversationItem[] {
  if (sent === undefined || sent === null) return [];
  if (!Array.isArray(sent))
    throw invalidRequest(`'${field}' must be an array of items.`, field, 'invalid_type');
  if (sent.length > 20)
    throw invalidRequest(
      `'${field}' has ${sent.length} items; add at most 20 at a time.`,
      field,
      'array_above_max_length',
    );
  return sent.map((item, i) => {
    const path = `${field}[${i}]`;
    if (!isObject(item)) throw invalidRequest(`'${path}' must be an object.`, path, 'invalid_type');
    const type = typeOf(item);
    if (type === undefined)
      throw invalidRequest(
        `'${path}.type' is required (a message needs at least role and content).`,
        `${path}.type`,
        'missing_required_parameter',
      );
    if (type === 'item_reference')
      throw invalidRequest(
        `'${path}' is an item_reference: a conversation keeps items themselves; send the item.`,
        `${path}.type`,
        'unsupported_value',
      );
    if (type === 'compaction_trigger')
      throw invalidRequest(
        `'${path}' is a compaction_trigger: it asks a response to compact, so send it as the last input item of POST /v1/responses with this conversation, not as a stored item.`,
        `${path}.type`,
        'unsupported_value',
      );
    if (BRIDGED.has(type)) checkAsInput(item, path);
    else if (!KEPT_ONLY.has(type))
      throw invalidRequest(
        `'${path}.type' is "${type.slice(0, 64)}", which is no item type: send one of ${[...BRIDGED].join(', ')} (or a hosted tool's call item, kept as it is).`,
        `${path}.type`,
        'invalid_value',
      );
    return kept(item, type);
  });
}

/** Checks one item as Responses input would, with the error naming it at `path`. */
function checkAsInput(item: Json, path: string): void {
  try {
    checkResponsesRequest({ input: [item] });
    convertInput([item]);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    const rename = (s: string) => s.replaceAll('input[0]', path);
    throw new GatewayError({
      status: err.status,
      type: err.type,
      code: err.code,
      param: err.param === null ? path : rename(err.param),
      message: rename(err.message),
    });
  }
}

/** A Responses request's own `input` (item references already resolved) as items to append to
 * its conversation once answered. */
export function requestItems(input: unknown): ConversationItem[] {
  if (typeof input === 'string')
    return [kept({ type: 'message', role: 'user', content: input }, 'message')];
  if (!Array.isArray(input)) return [];
  return input.flatMap((item) => {
    if (!isObject(item) || HELD_BY_CONVERSATION.has(item)) return [];
    const type = typeOf(item);
    return type ? [kept(item, type)] : [];
  });
}

/** A message's content as the bridge reads it: a refusal as the text it is, parts the bridge has
 * no counterpart for left out. */
function contextContent(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content.flatMap((part) => {
    if (!isObject(part)) return [];
    if (part.type === 'refusal') return [{ type: 'output_text', text: String(part.refusal ?? '') }];
    const known = ['input_text', 'output_text', 'text', 'input_image', 'input_file'];
    return typeof part.type === 'string' && known.includes(part.type) ? [part] : [];
  });
}

/** A conversation's items as the chat messages before a response's input. The router's last
 * compaction item stands for the items before it but the user's messages (compaction-item.ts);
 * another server's is left out, as other items the bridge cannot read are. */
export function conversationContext(items: readonly ConversationItem[]): ChatMessage[] {
  const ours = items.filter((item) => item.type !== 'compaction' || isOurCompactionItem(item));
  const bridged = (expandCompactionItems(ours).items as Json[]).flatMap((item): Json[] => {
    const type = typeOf(item);
    if (!type || !BRIDGED.has(type)) return [];
    if (type !== 'message') return [item];
    const content = contextContent(item.content);
    return Array.isArray(content) && content.length === 0 ? [] : [{ ...item, content }];
  });
  return convertInput(bridged);
}

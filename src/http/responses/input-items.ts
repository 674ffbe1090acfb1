// `GET /v1/responses/{id}/input_items`: a stored response's own input (not the earlier turns'),
// as items with stable ids, `order` desc (newest first, the default) or asc, at most `limit`
// (1–100, 20) after the item `after`. Reasoning items this router returned (Claude's thinking)
// that the client sent back are listed where they came, before their assistant turn's items,
// as OpenAI lists them (openapi.yaml `ResponseItemList`); an upstream's own reasoning items are
// not kept (they are not replayed across models) and so not listed.
import { invalidRequest, queryLimit, queryOrder } from '../../core/errors.js';
import type { StoredResponse } from '../../store/response-store.js';
import type { Json } from './responses-convert.js';
import { chatToInputItems } from './chat-to-input-items.js';
import { RUNNING_STATUSES } from './responses-run.js';
import { callName } from './responses-tools.js';

/** A stored response's own input items with their ids, in the order they came. */
export function inputItemsOf(stored: StoredResponse): Json[] {
  // The last message is the answer, once there is one (a background response may not have it).
  const answered =
    !RUNNING_STATUSES.includes(stored.response?.status) &&
    stored.response?.status !== 'failed' &&
    stored.response?.status !== 'cancelled';
  const own = stored.messages.slice(stored.inputFrom ?? 0, answered ? -1 : undefined);
  const base = stored.id.replace(/^resp_/, '');
  // Calls of namespace members as the client sent them (its Response carries its tools).
  const named = (chatName: string) => callName(stored.response ?? {}, chatName);
  return chatToInputItems(own, { reasoning: true, named }).map((item, i): Json => {
    if (item.type === 'reasoning') return { ...item, id: `rs_${base}_${i}` };
    if (item.type === 'function_call')
      return { id: `fc_${base}_${i}`, ...item, status: 'completed' };
    if (item.type === 'function_call_output')
      return { id: `fco_${base}_${i}`, ...item, status: 'completed' };
    // Custom (free-form) tools' calls and outputs, which were listed as messages before.
    if (item.type === 'custom_tool_call')
      return { id: `ctc_${base}_${i}`, ...item, status: 'completed' };
    if (item.type === 'custom_tool_call_output')
      return { id: `ctco_${base}_${i}`, ...item, status: 'completed' };
    const content =
      typeof item.content === 'string'
        ? [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }]
        : item.content;
    return {
      id: `msg_${base}_${i}`,
      type: 'message',
      role: item.role,
      content,
      status: 'completed',
    };
  });
}

/** Where an input item's id (as listed) names its response: `<kind>_<response id's tail>_<index>`. */
const INPUT_ITEM_ID = /^(?:msg|fc|fco|ctc|ctco|rs)_(.+)_\d+$/;

/** The id of the response an input item id would belong to (undefined: not such an id). */
export function responseOfInputItem(id: string): string | undefined {
  const tail = INPUT_ITEM_ID.exec(id)?.[1];
  return tail ? `resp_${tail}` : undefined;
}

export function inputItemList(stored: StoredResponse, query: Json): Json {
  const items = inputItemsOf(stored);
  const order = queryOrder(query.order, 'desc');
  const limit = queryLimit(query.limit, 100, 20);
  if (order === 'desc') items.reverse();
  let start = 0;
  if (typeof query.after === 'string' && query.after) {
    start = items.findIndex((item) => item.id === query.after) + 1;
    if (start === 0)
      throw invalidRequest(`No input item "${query.after}" in response ${stored.id}.`, 'after');
  }
  const data = items.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < items.length,
  };
}

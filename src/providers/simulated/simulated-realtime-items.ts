// What the simulated gpt-realtime (simulated-realtime.ts) refuses to add to its conversation, as
// OpenAI's Realtime API refuses it with an `error` event naming the field.

type Json = Record<string, unknown>;

/**
 * Why `item` cannot be added (openapi.yaml RealtimeConversationItem: a message of a user, the
 * assistant or the system with its content parts, a function call, a function call's output),
 * with the field at fault; undefined for an item the simulated conversation takes.
 */
export function itemRefusal(item: Json): { message: string; param: string } | undefined {
  if (item.id !== undefined && (typeof item.id !== 'string' || item.id === ''))
    return { message: "'item.id' must be a non-empty string.", param: 'item.id' };
  if (item.type === 'function_call' || item.type === 'function_call_output') return undefined;
  if (item.type !== 'message')
    return {
      message: `Invalid 'item.type' ${JSON.stringify(item.type)}: expected 'message', 'function_call' or 'function_call_output'.`,
      param: 'item.type',
    };
  if (!['user', 'assistant', 'system'].includes(item.role as string))
    return {
      message: `Invalid 'item.role' ${JSON.stringify(item.role)}: expected 'user', 'assistant' or 'system'.`,
      param: 'item.role',
    };
  if (!Array.isArray(item.content))
    return { message: "'item.content' must be an array of content parts.", param: 'item.content' };
  return undefined;
}

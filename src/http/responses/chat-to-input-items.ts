// Chat messages (a stored conversation) → Responses input items: the reverse of convert-input.ts,
// for an upstream that speaks Responses natively and for listing a conversation's items.
import type { ChatMessage } from '../../core/wire-types.js';
import { reasoningDetailsOf } from '../../core/reasoning-details.js';
import { splitCallName } from '../../core/tool-namespace.js';
import { reasoningItem } from './responses-reasoning.js';
import { CONTEXT_CALL } from './convert-input.js';
import type { Json } from './responses-convert.js';

/** Chat messages (a stored conversation) → Responses input items, for an upstream that speaks
 * Responses natively: the router keeps conversations, so the upstream gets them whole. With
 * `reasoning`, Claude's thinking on an assistant turn comes first as reasoning items (for
 * listing; an upstream other than Claude could not read them). `named` gives a call item its
 * name fields from the chat name (a namespace member's `namespace` and `name`, as the client
 * sent them: responses-tools.ts `callName`); by default the chat name. */
export function chatToInputItems(
  messages: readonly ChatMessage[],
  opts: { reasoning?: boolean; named?: (chatName: string) => Json } = {},
): Json[] {
  const named = opts.named ?? ((name: string) => ({ name }));
  const items: Json[] = [];
  // Calls of custom tools, whose outputs are custom_tool_call_output items.
  const customCalls = new Set<string>();
  // The calls given to call-less outputs, by id: their outputs go back without them.
  const contextCalls = new Map<string, string>();
  for (const m of messages) {
    if (opts.reasoning && m.role === 'assistant')
      for (const detail of reasoningDetailsOf(m) ?? []) items.push(reasoningItem(detail, ''));
    if (m.role === 'tool' && contextCalls.has(m.tool_call_id)) {
      items.push({
        type: 'function_call_output',
        ...splitCallName(contextCalls.get(m.tool_call_id)!),
        output: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
      });
      continue;
    }
    if (m.role === 'tool') {
      items.push({
        type: customCalls.has(m.tool_call_id) ? 'custom_tool_call_output' : 'function_call_output',
        call_id: m.tool_call_id,
        output: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
      });
      continue;
    }
    const calls = m.role === 'assistant' ? (m.tool_calls ?? []) : [];
    const content = m.content;
    const assistant = m.role === 'assistant';
    if (typeof content === 'string' && content) items.push({ role: m.role, content });
    else if (Array.isArray(content) && content.length)
      items.push({
        role: m.role,
        content: content.map((p) =>
          p.type === 'image_url'
            ? {
                type: 'input_image',
                image_url: p.image_url.url,
                detail: p.image_url.detail ?? 'auto',
              }
            : p.type === 'file'
              ? { type: 'input_file', ...p.file }
              : { type: assistant ? 'output_text' : 'input_text', text: 'text' in p ? p.text : '' },
        ),
      });
    for (const call of calls)
      if (call.type === 'function' && call.id.startsWith(CONTEXT_CALL))
        contextCalls.set(call.id, call.function.name);
      else if (call.type === 'function')
        items.push({
          type: 'function_call',
          call_id: call.id,
          ...named(call.function.name),
          arguments: call.function.arguments,
        });
      else if (call.type === 'custom') {
        customCalls.add(call.id);
        items.push({
          type: 'custom_tool_call',
          call_id: call.id,
          ...named(call.custom.name),
          input: call.custom.input,
        });
      }
  }
  return items;
}

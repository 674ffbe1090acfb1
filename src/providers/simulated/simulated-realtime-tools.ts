// The simulated realtime session's conversation as the simulated chat answer reads it
// (simulated-realtime.ts; chatRequestOf): its instructions, its items as chat messages (a
// message's text, a function call as an assistant's tool call, its output as the tool's message)
// and the session's function tools (openapi.yaml RealtimeFunctionTool, `tool_choice`) as chat's,
// so a response calls a function as the simulated chat model would (the last user text naming the
// tool) and its usage counts the tools as input, as OpenAI bills them.
import { isObject } from '../../core/is-object.js';
import type { ChatRequest } from '../../core/wire-types.js';

type Json = Record<string, unknown>;
type ChatMessage = ChatRequest['messages'][number];

/**
 * A realtime session's (or response's) `tools` and `tool_choice` as chat's: its function tools
 * (others, such as MCP servers, left out) and the choice (`auto`, `none`, `required`, or a
 * function by name).
 */
export function chatToolsOf(
  tools: unknown,
  choice: unknown,
): Pick<ChatRequest, 'tools' | 'tool_choice'> {
  const functions = (Array.isArray(tools) ? tools : [])
    .filter((t): t is Json => isObject(t) && t.type === 'function' && typeof t.name === 'string')
    .map((t) => ({
      type: 'function' as const,
      function: {
        name: t.name as string,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        parameters: isObject(t.parameters) ? t.parameters : { type: 'object', properties: {} },
      },
    }));
  if (functions.length === 0) return {};
  const named = isObject(choice) && choice.type === 'function' ? choice.name : undefined;
  const toolChoice =
    typeof named === 'string'
      ? { type: 'function' as const, function: { name: named } }
      : choice === 'none' || choice === 'required'
        ? choice
        : 'auto';
  return { tools: functions, tool_choice: toolChoice } as Pick<
    ChatRequest,
    'tools' | 'tool_choice'
  >;
}

/**
 * Conversation items as chat messages: a message's text (an audio part's transcript), function
 * calls in a row as one assistant message's tool calls, a call's output as the tool's message.
 */
export function asChatMessages(items: readonly Json[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const item of items) {
    if (item.type === 'function_call') {
      const call = {
        id: String(item.call_id ?? ''),
        type: 'function' as const,
        function: { name: String(item.name ?? ''), arguments: String(item.arguments ?? '') },
      };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && last.tool_calls) last.tool_calls.push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (item.type === 'function_call_output')
      messages.push({
        role: 'tool',
        tool_call_id: String(item.call_id ?? ''),
        content: String(item.output ?? ''),
      });
    else if (item.type === 'message' && Array.isArray(item.content)) {
      const text = item.content
        .map((p: unknown) =>
          isObject(p) && typeof p.text === 'string'
            ? p.text
            : isObject(p) && typeof p.transcript === 'string'
              ? p.transcript
              : '',
        )
        .join('');
      const role =
        item.role === 'assistant' ? 'assistant' : item.role === 'system' ? 'system' : 'user';
      messages.push({ role, content: text } as ChatMessage);
    }
  }
  return messages;
}

/**
 * The chat request a realtime response is answered as: its instructions (`options`', else the
 * session's) as a system message, what it reads (`context`) as messages (a user's, empty, when it
 * holds none), and its function tools.
 */
export function chatRequestOf(
  model: string,
  context: readonly Json[],
  options: Json,
  session: Json,
): ChatRequest {
  const instructions = options.instructions ?? session.instructions;
  const messages: ChatMessage[] = [
    ...(typeof instructions === 'string' && instructions
      ? [{ role: 'system' as const, content: instructions }]
      : []),
    ...asChatMessages(context),
  ];
  if (!messages.some((m) => m.role === 'user')) messages.push({ role: 'user', content: '' });
  const tools = chatToolsOf(
    options.tools ?? session.tools,
    options.tool_choice ?? session.tool_choice,
  );
  return { model, messages, ...tools } as ChatRequest;
}

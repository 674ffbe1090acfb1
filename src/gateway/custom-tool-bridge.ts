// OpenAI's custom (free-form) tools for upstreams that have none (Anthropic, vLLM-style servers:
// `capabilities.customTools`). Each custom tool goes up as a function tool with one string
// parameter, `input`, its format (text, or a Lark/regex grammar) said in the description; the
// model's call to it comes back as a custom tool call with that `input`, whole or streamed, so
// the client sees the calls it asked for whatever served it. Custom calls already in the
// conversation go up as calls of those functions. openapi.yaml: ChatCompletionCustomTool,
// ChatCompletionMessageCustomToolCall; streamed custom calls have no schema there and come as
// OpenAI sends them: `{index, id, type: 'custom', custom: {name, input}}`, `input` in pieces.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { isObject } from '../core/is-object.js';
import { StreamedInputField, inputOfArguments } from '../core/streamed-input-field.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import { takesCustomTools } from '../routing/eligibility.js';
import type { ProviderAdapter } from '../providers/types.js';

type Json = Record<string, unknown>;
type ChatTools = NonNullable<ChatRequest['tools']>;

/** The names of the request's custom tools, and of those its conversation called. */
export function customToolNames(request: ChatRequest): Set<string> {
  const names = new Set<string>();
  for (const t of request.tools ?? [])
    if (t?.type === 'custom' && isObject(t.custom)) names.add(String(t.custom.name));
  for (const m of request.messages)
    if (m.role === 'assistant')
      for (const c of m.tool_calls ?? [])
        if (c?.type === 'custom' && isObject(c.custom)) names.add(String(c.custom.name));
  return names;
}

/**
 * The body to send `deployment`, and the custom tools bridged in it (undefined when the upstream
 * takes custom tools, or the request has none).
 */
export function bridgeCustomToolsFor(
  body: ChatRequest,
  deployment: DeploymentConfig,
): { body: ChatRequest; bridged?: Set<string> } {
  if (takesCustomTools(deployment)) return { body };
  const names = customToolNames(body);
  if (names.size === 0) return { body };
  return { body: customToolsAsFunctions(body), bridged: names };
}

/** `body` with its custom tools, tool_choice and custom calls as function ones (a new object). */
export function customToolsAsFunctions(body: ChatRequest): ChatRequest {
  const out: ChatRequest = { ...body };
  if (body.tools) out.tools = body.tools.map(toFunctionTool) as ChatTools;
  const choice = body.tool_choice as unknown;
  if (isObject(choice) && choice.type === 'custom' && isObject(choice.custom))
    out.tool_choice = { type: 'function', function: { name: String(choice.custom.name) } };
  if (isObject(choice) && choice.type === 'allowed_tools' && isObject(choice.allowed_tools)) {
    const allowed = choice.allowed_tools;
    out.tool_choice = {
      ...choice,
      allowed_tools: {
        ...allowed,
        tools: (Array.isArray(allowed.tools) ? allowed.tools : []).map((t: unknown) =>
          isObject(t) && t.type === 'custom' && isObject(t.custom)
            ? { type: 'function', function: { name: t.custom.name } }
            : t,
        ),
      },
    } as ChatRequest['tool_choice'];
  }
  out.messages = body.messages.map((m) => {
    if (m.role !== 'assistant' || !m.tool_calls?.some((c) => c?.type === 'custom')) return m;
    return {
      ...m,
      tool_calls: m.tool_calls.map((c) =>
        c.type === 'custom'
          ? {
              id: c.id,
              type: 'function' as const,
              function: {
                name: c.custom.name,
                arguments: JSON.stringify({ input: c.custom.input }),
              },
            }
          : c,
      ),
    };
  });
  return out;
}

function toFunctionTool(t: ChatTools[number]): ChatTools[number] {
  if (t?.type !== 'custom') return t;
  const { name, description, format } = t.custom;
  return {
    type: 'function',
    function: {
      name,
      description: [description, formatNote(format)].filter(Boolean).join('\n\n'),
      parameters: {
        type: 'object',
        properties: { input: { type: 'string', description: `The input of ${name}.` } },
        required: ['input'],
        additionalProperties: false,
      },
    },
  };
}

/** What the model must write in `input`, so that it knows the syntax it would have been held to. */
function formatNote(format: unknown): string {
  const grammar = isObject(format) && isObject(format.grammar) ? format.grammar : undefined;
  if (format && isObject(format) && format.type === 'grammar' && grammar)
    return `Put the tool's whole input in \`input\` as one string. It must match this ${String(grammar.syntax)} grammar:\n${String(grammar.definition)}`;
  return "Put the tool's whole input in `input` as one string of free-form text.";
}

/** Function calls to bridged tools in a reply → the custom calls they stand for (in place). */
export function customCallsInReply(response: ChatResponse, bridged: Set<string>): ChatResponse {
  for (const choice of response.choices) {
    const calls = choice.message?.tool_calls;
    if (!calls) continue;
    choice.message.tool_calls = calls.map((c) =>
      c.type === 'function' && bridged.has(c.function.name)
        ? {
            id: c.id,
            type: 'custom',
            custom: { name: c.function.name, input: inputOfArguments(c.function.arguments) },
          }
        : c,
    );
  }
  return response;
}

interface BridgedCall {
  field: StreamedInputField;
  /** Its chunk index, and whether its first delta (id, type, name) has gone out. */
  index: number;
  done: boolean;
}

/** Streamed function calls to bridged tools → streamed custom calls, their input decoded as it comes. */
export async function* customCallsInStream(
  chunks: AsyncIterable<ChatChunk>,
  bridged: Set<string>,
): AsyncGenerator<ChatChunk> {
  // By choice index, then tool call index.
  const calls = new Map<string, BridgedCall>();
  let last: ChatChunk | undefined;
  for await (const chunk of chunks) {
    last = chunk;
    for (const choice of chunk.choices ?? []) {
      const toolCalls = choice.delta?.tool_calls;
      const ends: Json[] = [];
      if (toolCalls?.length) {
        const out: Json[] = [];
        for (const tc of toolCalls) {
          const key = `${choice.index}:${tc.index}`;
          let call = calls.get(key);
          const name = tc.function?.name;
          if (!call && name && bridged.has(name)) {
            call = { field: new StreamedInputField(), index: tc.index, done: false };
            calls.set(key, call);
            const input = call.field.push(tc.function?.arguments ?? '');
            out.push({ index: tc.index, id: tc.id, type: 'custom', custom: { name, input } });
            continue;
          }
          if (!call) {
            out.push(tc as unknown as Json);
            continue;
          }
          const input = call.field.push(tc.function?.arguments ?? '');
          if (input) out.push({ index: tc.index, custom: { input } });
        }
        (choice.delta as Json).tool_calls = out;
        if (out.length === 0) delete (choice.delta as Json).tool_calls;
      }
      if (choice.finish_reason) ends.push(...endCalls(calls, choice.index));
      if (ends.length)
        (choice.delta as Json).tool_calls = [
          ...(((choice.delta as Json).tool_calls as Json[] | undefined) ?? []),
          ...ends,
        ];
    }
    yield chunk;
  }
  // Cut short before a finish reason: what input is left, in one more chunk.
  const rest = [...calls.keys()].map((k) => Number(k.split(':')[0]));
  for (const index of new Set(rest)) {
    const ends = endCalls(calls, index);
    if (ends.length && last)
      yield {
        ...last,
        usage: undefined,
        choices: [{ index, delta: { tool_calls: ends }, finish_reason: null, logprobs: null }],
      } as unknown as ChatChunk;
  }
}

/** The input left in the calls of one choice, as deltas; they are done after. */
function endCalls(calls: Map<string, BridgedCall>, choiceIndex: number): Json[] {
  const out: Json[] = [];
  for (const [key, call] of calls) {
    if (!key.startsWith(`${choiceIndex}:`) || call.done) continue;
    call.done = true;
    const input = call.field.end();
    if (input) out.push({ index: call.index, custom: { input } });
  }
  return out;
}

/** `adapter` with replies and streams turned back to custom calls for the bridged tools. */
export function withCustomCalls(adapter: ProviderAdapter, bridged: Set<string>): ProviderAdapter {
  return {
    chat: async (req) => {
      const reply = await adapter.chat(req);
      return { ...reply, response: customCallsInReply(reply.response, bridged) };
    },
    chatStream: async (req) => {
      const stream = await adapter.chatStream(req);
      return { ...stream, chunks: customCallsInStream(stream.chunks, bridged) };
    },
  };
}

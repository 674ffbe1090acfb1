// Responses API ⇄ Chat Completions (CONTRACTS.md §3): the router is chat-native, so a Responses
// request is bridged to a ChatRequest and the chat reply (or chunk stream) back to a Response
// object (or Responses stream events). Function tools are flat in Responses, wrapped in chat.
import { invalidRequest } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { ChatChunk, ChatMessage, ChatRequest, ChatResponse } from '../../core/wire-types.js';
import type { StoredResponse } from '../../store/response-store.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Content parts of a Responses message → chat content (string when it is text only). */
function convertContent(content: unknown, path: string): ChatMessage['content'] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalidRequest(
      `${path}.content must be a string or an array of content parts.`,
      `${path}.content`,
    );
  const parts = content.map((p, i) => {
    if (!isObject(p))
      throw invalidRequest(`${path}.content[${i}] must be an object.`, `${path}.content[${i}]`);
    if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text')
      return { type: 'text' as const, text: String(p.text ?? '') };
    if (p.type === 'input_image') {
      const url = typeof p.image_url === 'string' ? p.image_url : undefined;
      if (!url)
        throw invalidRequest(
          `${path}.content[${i}].image_url must be a URL or data URL.`,
          `${path}.content[${i}].image_url`,
        );
      return {
        type: 'image_url' as const,
        image_url: { url, detail: (p.detail as 'auto' | 'low' | 'high' | undefined) ?? 'auto' },
      };
    }
    throw invalidRequest(
      `${path}.content[${i}].type "${String(p.type)}" is not supported; use input_text or input_image.`,
      `${path}.content[${i}].type`,
    );
  });
  return parts.every((p) => p.type === 'text')
    ? parts.map((p) => (p as { text: string }).text).join('\n')
    : (parts as ChatMessage['content']);
}

/** `input` (a string or items) → chat messages. */
export function convertInput(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input))
    throw invalidRequest("'input' must be a string or an array of input items.", 'input');
  const out: ChatMessage[] = [];
  input.forEach((item, i) => {
    const path = `input[${i}]`;
    if (!isObject(item)) throw invalidRequest(`${path} must be an object.`, path);
    if (item.type === 'function_call') {
      const call = {
        id: String(item.call_id ?? item.id ?? ''),
        type: 'function' as const,
        function: { name: String(item.name ?? ''), arguments: String(item.arguments ?? '{}') },
      };
      const last = out[out.length - 1];
      // Parallel calls arrive as consecutive items: one assistant turn in chat.
      if (
        last &&
        last.role === 'assistant' &&
        Array.isArray((last as { tool_calls?: unknown[] }).tool_calls)
      )
        (last as { tool_calls: unknown[] }).tool_calls.push(call);
      else out.push({ role: 'assistant', content: null, tool_calls: [call] } as ChatMessage);
      return;
    }
    if (item.type === 'function_call_output') {
      out.push({
        role: 'tool',
        tool_call_id: String(item.call_id ?? ''),
        content: typeof item.output === 'string' ? item.output : JSON.stringify(item.output),
      });
      return;
    }
    if (item.type === 'reasoning') return; // provider-private; not replayed across models
    if (item.type !== undefined && item.type !== 'message')
      throw invalidRequest(`${path}.type "${String(item.type)}" is not supported.`, `${path}.type`);
    const role = item.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
      throw invalidRequest(
        `${path}.role must be user, assistant, system or developer.`,
        `${path}.role`,
      );
    out.push({ role, content: convertContent(item.content, path) } as ChatMessage);
  });
  return out;
}

function convertTools(tools: unknown): ChatRequest['tools'] {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalidRequest("'tools' must be an array.", 'tools');
  return tools.map((t, i) => {
    if (!isObject(t) || t.type !== 'function' || typeof t.name !== 'string')
      throw invalidRequest(
        `tools[${i}] must be a function tool {type:'function', name, parameters} (built-in tools are not supported by this router).`,
        `tools[${i}]`,
      );
    return {
      type: 'function' as const,
      function: {
        name: t.name,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        parameters: (t.parameters as Json | undefined) ?? { type: 'object', properties: {} },
        ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
      },
    };
  });
}

function convertToolChoice(choice: unknown): ChatRequest['tool_choice'] {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string')
    return { type: 'function', function: { name: choice.name } };
  throw invalidRequest(
    "'tool_choice' must be auto, none, required or {type:'function', name}.",
    'tool_choice',
  );
}

export interface BridgedRequest {
  chat: ChatRequest;
  /** The conversation so far (stored history + this turn's input), without the answer. */
  history: ChatMessage[];
  instructions?: string;
}

/** A Responses request → the ChatRequest the gateway runs. */
export function responsesToChat(
  body: unknown,
  previous: StoredResponse | undefined,
): BridgedRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  if (typeof body.model !== 'string' || !body.model)
    throw invalidRequest("'model' is required.", 'model', 'missing_required_parameter');
  if (body.input === undefined)
    throw invalidRequest("'input' is required.", 'input', 'missing_required_parameter');
  const instructions = typeof body.instructions === 'string' ? body.instructions : undefined;
  const history = [...(previous?.messages ?? []), ...convertInput(body.input)];
  if (history.length === 0) throw invalidRequest("'input' must not be empty.", 'input');
  const messages: ChatMessage[] = instructions
    ? [{ role: 'system', content: instructions }, ...history]
    : history;
  const chat: ChatRequest = { model: body.model, messages } as ChatRequest;
  const tools = convertTools(body.tools);
  if (tools) chat.tools = tools;
  const toolChoice = convertToolChoice(body.tool_choice);
  if (toolChoice) chat.tool_choice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean')
    chat.parallel_tool_calls = body.parallel_tool_calls;
  if (typeof body.max_output_tokens === 'number')
    chat.max_completion_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  const effort = isObject(body.reasoning) ? body.reasoning.effort : undefined;
  if (typeof effort === 'string') chat.reasoning_effort = effort as ChatRequest['reasoning_effort'];
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : undefined;
  if (format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  if (format?.type === 'json_schema')
    chat.response_format = {
      type: 'json_schema',
      json_schema: {
        name: String(format.name ?? 'output'),
        schema: format.schema as Json,
        strict: format.strict === true,
      },
    };
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (typeof body.previous_response_id === 'string')
    chat.previous_response_id = body.previous_response_id;
  return { chat, history, instructions };
}

export interface ResponseContext {
  id: string;
  createdAt: number;
  request: Json;
}

function baseResponse(ctx: ResponseContext, model: string, status: string): Json {
  const r = ctx.request;
  return {
    id: ctx.id,
    object: 'response',
    created_at: Math.floor(ctx.createdAt / 1000),
    status,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: {
      effort: (isObject(r.reasoning) ? r.reasoning.effort : null) ?? null,
      summary: null,
    },
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: r.text ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    metadata: r.metadata ?? {},
  };
}

function mapUsage(u: ChatResponse['usage']): Json | null {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
  };
}

/** The Response object for a chat reply; also the assistant message to store for the next turn. */
export function chatToResponse(
  reply: ChatResponse,
  ctx: ResponseContext,
): { response: Json; answer: ChatMessage } {
  const choice = reply.choices[0];
  const message = choice?.message;
  const output: Json[] = [];
  if (message?.content) {
    output.push({
      type: 'message',
      id: newId('msg_'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: message.content, annotations: [], logprobs: [] }],
    });
  }
  for (const call of message?.tool_calls ?? []) {
    if (call.type !== 'function') continue;
    output.push({
      type: 'function_call',
      id: newId('fc_'),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status: 'completed',
    });
  }
  const incomplete =
    choice?.finish_reason === 'length' || choice?.finish_reason === 'content_filter';
  const response = {
    ...baseResponse(ctx, reply.model, incomplete ? 'incomplete' : 'completed'),
    incomplete_details: incomplete
      ? { reason: choice?.finish_reason === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    output,
    usage: mapUsage(reply.usage),
  };
  const answer = {
    role: 'assistant',
    content: message?.content ?? null,
    ...(message?.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
  } as ChatMessage;
  return { response, answer };
}

export interface ResponsesEvent {
  event: string;
  data: string;
}

/**
 * Chat chunks → Responses stream events (CONTRACTS.md §3.3), each with `type` and a running
 * `sequence_number`. `onDone` receives the final response and the answer for the store, and is
 * awaited before the terminal event.
 */
export async function* chatChunksToResponseEvents(
  chunks: AsyncIterable<ChatChunk>,
  ctx: ResponseContext,
  fallbackModel: string,
  onDone: (response: Json, answer: ChatMessage) => Promise<void>,
): AsyncGenerator<ResponsesEvent> {
  let seq = 0;
  const ev = (type: string, payload: Json): ResponsesEvent => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: seq++, ...payload }),
  });
  let model = fallbackModel;
  let started = false;
  const output: Json[] = [];
  let text: { item: Json; index: number; value: string } | undefined;
  const calls = new Map<number, { item: Json; index: number; args: string }>();
  let usage: Json | null = null;
  let finish: string | null = null;
  for await (const chunk of chunks) {
    if (chunk.model) model = chunk.model;
    if (!started) {
      started = true;
      const r = baseResponse(ctx, model, 'in_progress');
      yield ev('response.created', { response: r });
      yield ev('response.in_progress', { response: r });
    }
    if (chunk.usage) usage = mapUsage(chunk.usage as ChatResponse['usage']);
    for (const c of chunk.choices) {
      if (c.finish_reason) finish = c.finish_reason;
      const delta = c.delta ?? {};
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        if (!text) {
          text = {
            item: {
              type: 'message',
              id: newId('msg_'),
              status: 'in_progress',
              role: 'assistant',
              content: [],
            },
            index: output.length,
            value: '',
          };
          output.push(text.item);
          yield ev('response.output_item.added', { output_index: text.index, item: text.item });
          yield ev('response.content_part.added', {
            item_id: text.item.id,
            output_index: text.index,
            content_index: 0,
            part: { type: 'output_text', text: '', annotations: [] },
          });
        }
        text.value += delta.content;
        yield ev('response.output_text.delta', {
          item_id: text.item.id,
          output_index: text.index,
          content_index: 0,
          delta: delta.content,
          logprobs: [],
        });
      }
      for (const tc of delta.tool_calls ?? []) {
        let call = calls.get(tc.index);
        if (!call) {
          call = {
            item: {
              type: 'function_call',
              id: newId('fc_'),
              call_id: tc.id ?? '',
              name: tc.function?.name ?? '',
              arguments: '',
              status: 'in_progress',
            },
            index: output.length,
            args: '',
          };
          calls.set(tc.index, call);
          output.push(call.item);
          yield ev('response.output_item.added', {
            output_index: call.index,
            item: { ...call.item },
          });
        }
        const piece = tc.function?.arguments ?? '';
        if (piece) {
          call.args += piece;
          yield ev('response.function_call_arguments.delta', {
            item_id: call.item.id,
            output_index: call.index,
            delta: piece,
          });
        }
      }
    }
  }
  if (!started) yield ev('response.created', { response: baseResponse(ctx, model, 'in_progress') });
  if (text) {
    const part = { type: 'output_text', text: text.value, annotations: [], logprobs: [] };
    yield ev('response.output_text.done', {
      item_id: text.item.id,
      output_index: text.index,
      content_index: 0,
      text: text.value,
      logprobs: [],
    });
    yield ev('response.content_part.done', {
      item_id: text.item.id,
      output_index: text.index,
      content_index: 0,
      part,
    });
    Object.assign(text.item, { status: 'completed', content: [part] });
    yield ev('response.output_item.done', { output_index: text.index, item: text.item });
  }
  for (const call of calls.values()) {
    yield ev('response.function_call_arguments.done', {
      item_id: call.item.id,
      output_index: call.index,
      name: call.item.name,
      arguments: call.args,
    });
    Object.assign(call.item, { arguments: call.args, status: 'completed' });
    yield ev('response.output_item.done', { output_index: call.index, item: call.item });
  }
  const incomplete = finish === 'length' || finish === 'content_filter';
  const response = {
    ...baseResponse(ctx, model, incomplete ? 'incomplete' : 'completed'),
    incomplete_details: incomplete
      ? { reason: finish === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    output,
    usage,
  };
  const answer = {
    role: 'assistant',
    content: text?.value ?? null,
    ...(calls.size
      ? {
          tool_calls: [...calls.values()].map((c) => ({
            id: String(c.item.call_id),
            type: 'function',
            function: { name: String(c.item.name), arguments: c.args },
          })),
        }
      : {}),
  } as ChatMessage;
  await onDone(response, answer); // stored before the client hears it is complete
  yield ev(incomplete ? 'response.incomplete' : 'response.completed', { response });
}

/** Chat messages (a stored conversation) → Responses input items, for an upstream that speaks
 * Responses natively: the router keeps conversations, so the upstream gets them whole. */
export function chatToInputItems(messages: readonly ChatMessage[]): Json[] {
  const items: Json[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      items.push({
        type: 'function_call_output',
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
            : { type: assistant ? 'output_text' : 'input_text', text: 'text' in p ? p.text : '' },
        ),
      });
    for (const call of calls)
      if (call.type === 'function')
        items.push({
          type: 'function_call',
          call_id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        });
  }
  return items;
}

// Responses API ⇄ Chat Completions (CONTRACTS.md §3): the router is chat-native, so a Responses
// request is bridged to a ChatRequest (here; and a stored conversation back to input items) and
// the chat reply (or chunk stream) back to a Response object (or Responses stream events:
// responses-reply.ts). Tools: responses-tools.ts.
import { invalidRequest } from '../../core/errors.js';
import { checkResponsesRequest, refuseUnsupportedFields } from './check-responses-request.js';
import { requestedModels } from '../../gateway/model-fallbacks.js';
import { takeModelFromModels } from '../../gateway/model-from-models.js';
import { CLIENT_PATH, OPENROUTER_FIELDS } from '../../core/wire-types.js';
import { checkOpenRouterUsage } from '../parse-chat-request.js';
import { checkModelField, ROUTED_MODEL } from '../check-fields.js';
import type {
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ReasoningDetail,
} from '../../core/wire-types.js';
import type { StoredResponse } from '../../store/response-store.js';
import { isObject } from '../../core/is-object.js';
import { isImageUrl, quoteUrl } from '../../core/image-url.js';
import { openReasoningItem, reasoningItem } from './responses-reasoning.js';
import { reasoningDetailsOf } from '../../core/reasoning-details.js';
import { chatCallName, splitCallName } from '../../core/tool-namespace.js';
import { applyTools } from './responses-tools.js';
import { localCallToChat, localOutputText } from './local-tools.js';

export type Json = Record<string, unknown>;

/**
 * Content parts of a Responses message (`at` its `content`, or a function output's `output`) → chat
 * content (a string when it is text only).
 */
function convertContent(content: unknown, at: string): ChatMessage['content'] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalidRequest(`${at} must be a string or an array of content parts.`, at);
  const parts = content.map((p, i) => {
    if (!isObject(p)) throw invalidRequest(`${at}[${i}] must be an object.`, `${at}[${i}]`);
    if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text')
      return { type: 'text' as const, text: String(p.text ?? '') };
    if (p.type === 'input_image') {
      const url = typeof p.image_url === 'string' ? p.image_url : undefined;
      if (!url)
        throw invalidRequest(
          `${at}[${i}].image_url must be a URL or data URL.`,
          `${at}[${i}].image_url`,
        );
      if (!isImageUrl(url, true))
        throw invalidRequest(
          `${at}[${i}].image_url must be an http(s) URL or a data URL (data:image/png;base64,…); got ${quoteUrl(url)}.`,
          `${at}[${i}].image_url`,
          'invalid_value',
        );
      return {
        type: 'image_url' as const,
        image_url: { url, detail: (p.detail as 'auto' | 'low' | 'high' | undefined) ?? 'auto' },
        [CLIENT_PATH]: `${at}[${i}].image_url`,
      };
    }
    if (p.type === 'input_file') {
      // Responses' file input → a chat `file` part (routed only where files are read).
      const file = {
        ...(typeof p.file_data === 'string' ? { file_data: p.file_data } : {}),
        ...(typeof p.file_id === 'string' ? { file_id: p.file_id } : {}),
        ...(typeof p.filename === 'string' ? { filename: p.filename } : {}),
      };
      if (!file.file_data && !file.file_id)
        throw invalidRequest(
          `${at}[${i}] needs file_data (a data URL) or file_id; file_url is not supported by this router.`,
          `${at}[${i}]`,
        );
      return { type: 'file' as const, file, [CLIENT_PATH]: `${at}[${i}].file_data` };
    }
    throw invalidRequest(
      `${at}[${i}].type "${String(p.type)}" is not supported; use input_text, input_image or input_file.`,
      `${at}[${i}].type`,
    );
  });
  return parts.every((p) => p.type === 'text')
    ? parts.map((p) => (p as { text: string }).text).join('\n')
    : (parts as ChatMessage['content']);
}

/** The id prefix of the call given to a function output that answers none (Codex's goal context),
 * by which it goes back to an upstream that speaks Responses as it came: without the call. */
const CONTEXT_CALL = 'call_context_';

/**
 * `input` (a string or items) → chat messages. An assistant turn's items (a message, function
 * calls) make one assistant message; reasoning items this router returned (Claude's thinking,
 * ./responses-reasoning.ts) go on the assistant message that follows them as `reasoning_details`,
 * which only an Anthropic deployment gets back.
 */
export function convertInput(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input))
    throw invalidRequest("'input' must be a string or an array of input items.", 'input');
  const out: ChatMessage[] = [];
  // Images and files from function outputs, for the user message after the tool messages.
  let toolMedia: ChatContentPart[] = [];
  const flushToolMedia = () => {
    if (toolMedia.length) out.push({ role: 'user', content: toolMedia });
    toolMedia = [];
  };
  let thinking: ReasoningDetail[] = [];
  /** The assistant message this turn's items go on: the last one, or a new one. */
  const assistantTurn = (): ChatMessage & { role: 'assistant' } => {
    const last = out[out.length - 1];
    const turn =
      last?.role === 'assistant'
        ? last
        : (out[out.push({ role: 'assistant', content: null } as ChatMessage) - 1] as ChatMessage);
    if (thinking.length) {
      const carried = turn as { reasoning_details?: ReasoningDetail[] };
      carried.reasoning_details = [...(carried.reasoning_details ?? []), ...thinking];
      thinking = [];
    }
    return turn as ChatMessage & { role: 'assistant' };
  };
  input.forEach((item, i) => {
    const path = `input[${i}]`;
    if (!isObject(item)) throw invalidRequest(`${path} must be an object.`, path);
    const output =
      item.type === 'function_call_output' ||
      item.type === 'custom_tool_call_output' ||
      item.type === 'shell_call_output' ||
      item.type === 'apply_patch_call_output';
    if (!output) flushToolMedia();
    if (item.type === 'reasoning') {
      // Ours: Claude's thinking, for the turn it came with. Another upstream's: provider-private,
      // not replayed across models.
      const detail = openReasoningItem(item, path);
      if (detail) thinking.push(detail);
      return;
    }
    if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      // A namespace member's call, as the bridge names it in chat (responses-tools.ts).
      const name = chatCallName(item);
      const id = String(item.call_id ?? item.id ?? '');
      const call =
        item.type === 'custom_tool_call'
          ? { id, type: 'custom' as const, custom: { name, input: String(item.input ?? '') } }
          : {
              id,
              type: 'function' as const,
              function: { name, arguments: String(item.arguments ?? '{}') },
            };
      // Parallel calls, and calls after the turn's text, arrive as consecutive items: one
      // assistant turn in chat.
      const turn = assistantTurn() as { tool_calls?: unknown[] };
      (turn.tool_calls ??= []).push(call);
      return;
    }
    if (item.type === 'shell_call' || item.type === 'apply_patch_call') {
      // A call of a tool the client runs, as the bridge offered it: a function (local-tools.ts).
      const turn = assistantTurn() as { tool_calls?: unknown[] };
      (turn.tool_calls ??= []).push(localCallToChat(item));
      return;
    }
    if (output) {
      let callId = String(item.call_id ?? '');
      if (!callId) {
        // Context sent as a tool's output with no call (check-responses-request.ts): chat has no
        // such message, so it goes as the call of that tool it would answer, then its output.
        callId = `${CONTEXT_CALL}${typeof item.id === 'string' ? item.id : i}`;
        const turn = assistantTurn() as { tool_calls?: unknown[] };
        (turn.tool_calls ??= []).push({
          id: callId,
          type: 'function',
          function: { name: chatCallName(item), arguments: '{}' },
        });
      }
      thinking = []; // thinking with no assistant turn after it has nothing to go with
      const { text, media } =
        item.type === 'shell_call_output' || item.type === 'apply_patch_call_output'
          ? { text: localOutputText(item), media: [] }
          : functionOutput(item, path);
      out.push({ role: 'tool', tool_call_id: callId, content: text });
      toolMedia.push(...media);
      return;
    }
    // A hosted tool's call, as OpenAI ran it for an earlier turn (a native deployment's answer,
    // or a web search Claude ran for this bridge): its findings are in the answer that follows,
    // and chat has no place for the call itself, so it is left out.
    if (HOSTED_CALL_ITEMS.has(String(item.type))) return;
    if (item.type === 'item_reference')
      // Resolved before conversion (item-references.ts); one here was not looked up.
      throw invalidRequest(
        `${path} is an item_reference (${JSON.stringify(item.id)}), which is looked up only on POST /v1/responses: send the item itself.`,
        `${path}.type`,
        'unsupported_value',
      );
    if (item.type !== undefined && item.type !== 'message')
      throw invalidRequest(`${path}.type "${String(item.type)}" is not supported.`, `${path}.type`);
    const role = item.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
      throw invalidRequest(
        `${path}.role must be user, assistant, system or developer.`,
        `${path}.role`,
      );
    const message = {
      role,
      content: convertContent(item.content, `${path}.content`),
    } as ChatMessage;
    if (role === 'assistant' && thinking.length)
      (message as { reasoning_details?: ReasoningDetail[] }).reasoning_details = thinking;
    thinking = [];
    out.push(message);
  });
  flushToolMedia();
  return out;
}

/** Items recording a hosted tool's run (openapi.yaml `Item`), which need no answer of the client's. */
const HOSTED_CALL_ITEMS = new Set([
  'web_search_call',
  'file_search_call',
  'code_interpreter_call',
  'image_generation_call',
  'mcp_list_tools',
  'mcp_call',
]);

/**
 * A function_call_output's `output`: a string, or content parts (the Agents SDK sends its tools'
 * text and image outputs so). Text becomes the chat tool message; images and files, which a chat
 * tool message cannot hold, go in a user message after the tool messages under a line naming the
 * call (before, the parts reached the model as their JSON).
 */
function functionOutput(item: Json, path: string): { text: string; media: ChatContentPart[] } {
  const output = item.output;
  if (typeof output === 'string') return { text: output, media: [] };
  if (!Array.isArray(output)) return { text: JSON.stringify(output ?? ''), media: [] };
  const content = convertContent(output, `${path}.output`);
  if (typeof content === 'string') return { text: content, media: [] };
  const parts = (content ?? []) as ChatContentPart[];
  const texts = parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text);
  const media: ChatContentPart[] = parts.filter((p) => p.type !== 'text');
  if (media.length)
    media.unshift({
      type: 'text',
      text: `Attached to the result of tool call ${String(item.call_id)}:`,
    });
  return { text: texts.join('\n'), media };
}

/** The request asks for the output text's log-probabilities. */
export function wantsLogprobs(body: Json): boolean {
  return Array.isArray(body.include) && body.include.includes('message.output_text.logprobs');
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
  previous: Pick<StoredResponse, 'messages'> | undefined,
): BridgedRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  // OpenRouter's model fallbacks: without `model`, the first of `models` is the one asked for.
  const models = requestedModels(body);
  const fromModels = models && (body.model === undefined || body.model === null);
  if (fromModels) body.model = models[0];
  checkOpenRouterUsage(body);
  checkModelField(body, ROUTED_MODEL);
  refuseUnsupportedFields(body);
  if (body.input === undefined)
    throw invalidRequest("'input' is required.", 'input', 'missing_required_parameter');
  checkResponsesRequest(body);
  const instructions = typeof body.instructions === 'string' ? body.instructions : undefined;
  const history = [...(previous?.messages ?? []), ...convertInput(body.input)];
  if (history.length === 0) throw invalidRequest("'input' must not be empty.", 'input');
  const messages: ChatMessage[] = instructions
    ? [{ role: 'system', content: instructions }, ...history]
    : history;
  const chat: ChatRequest = { model: body.model, messages } as ChatRequest;
  if (fromModels) takeModelFromModels(chat, models);
  // OpenRouter's routing fields are the gateway's to apply, as on Chat Completions.
  for (const key of OPENROUTER_FIELDS)
    if (body[key] !== undefined) (chat as Record<string, unknown>)[key] = body[key];
  applyTools(chat, body);
  if (typeof body.parallel_tool_calls === 'boolean')
    chat.parallel_tool_calls = body.parallel_tool_calls;
  if (typeof body.max_output_tokens === 'number')
    chat.max_completion_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  // Chat Completions takes these as Responses does (OpenAI's API reference): the cache key keeps
  // an agent's turns on the upstream's warm prompt cache (the Codex CLI sends its session's), the
  // end user's name reaches the upstream (Claude's as metadata.user_id). The cache's retention
  // (deprecated, still sent by clients) goes as written: the upstream checks its value.
  if (typeof body.prompt_cache_key === 'string') chat.prompt_cache_key = body.prompt_cache_key;
  if (typeof body.prompt_cache_retention === 'string')
    chat.prompt_cache_retention =
      body.prompt_cache_retention as ChatRequest['prompt_cache_retention'];
  if (typeof body.safety_identifier === 'string') chat.safety_identifier = body.safety_identifier;
  if (typeof body.user === 'string') chat.user = body.user;
  // Chat's names for them (openapi.yaml `Verbosity`, `ServiceTier`): sent on where the API takes
  // them, dropped with a warning where not (policy/tier-and-verbosity.ts).
  const verbosity = isObject(body.text) ? body.text.verbosity : undefined;
  if (typeof verbosity === 'string') chat.verbosity = verbosity as ChatRequest['verbosity'];
  if (typeof body.service_tier === 'string')
    chat.service_tier = body.service_tier as ChatRequest['service_tier'];
  // Log-probabilities are asked for with `include` (and `top_logprobs`) in Responses: as chat's
  // `logprobs`, they route to deployments that return them and come back on output_text.
  if (wantsLogprobs(body)) {
    chat.logprobs = true;
    if (typeof body.top_logprobs === 'number') chat.top_logprobs = body.top_logprobs;
  }
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

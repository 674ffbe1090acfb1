// Responses API ⇄ Chat Completions (CONTRACTS.md §3): the router is chat-native, so a Responses
// request is bridged to a ChatRequest (here, its input by convert-input.ts; a stored conversation
// goes back to input items in chat-to-input-items.ts) and the chat reply (or chunk stream) back to
// a Response object (or Responses stream events: responses-reply.ts). Tools: responses-tools.ts.
import { invalidRequest } from '../../core/errors.js';
import { checkResponsesRequest, refuseUnsupportedFields } from './check-responses-request.js';
import { requestedModels } from '../../gateway/model-fallbacks.js';
import { takeModelFromModels } from '../../gateway/model-from-models.js';
import { OPENROUTER_FIELDS } from '../../core/wire-types.js';
import { checkOpenRouterUsage } from '../parse-chat-request.js';
import { checkModelField, ROUTED_MODEL } from '../check-fields.js';
import type { ChatMessage, ChatRequest } from '../../core/wire-types.js';
import type { StoredResponse } from '../../store/response-store.js';
import { isObject } from '../../core/is-object.js';
import { applyTools } from './responses-tools.js';
import { convertInput } from './convert-input.js';

/** A JSON object as the Responses bridge reads and writes them. */
export type Json = Record<string, unknown>;

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
  applyTools(chat, withAdditionalTools(body));
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
  bridgeCacheOptions(chat, body.prompt_cache_options);
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
  const updated = configurationUpdates(body.input);
  const effort = updated.effort ?? (isObject(body.reasoning) ? body.reasoning.effort : undefined);
  if (typeof effort === 'string') chat.reasoning_effort = effort as ChatRequest['reasoning_effort'];
  const format =
    updated.format ??
    (isObject(body.text) && isObject(body.text.format) ? body.text.format : undefined);
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

/**
 * The settings the input's `configuration_update` items leave in effect (openai-node
 * `ResponseConfigurationUpdateItemParam`: each holds "until a later update replaces it"), which
 * the answer, coming after them all, is made with: they win over the request's `reasoning` and
 * `text.format`. An update without an effort (or `null`) leaves it as it was, as the AI SDK reads
 * it. Checked in check-responses-request.ts.
 */
function configurationUpdates(input: unknown): { effort?: string; format?: Json } {
  const updated: { effort?: string; format?: Json } = {};
  if (!Array.isArray(input)) return updated;
  for (const item of input) {
    if (!isObject(item) || item.type !== 'configuration_update') continue;
    if (isObject(item.reasoning) && typeof item.reasoning.effort === 'string')
      updated.effort = item.reasoning.effort;
    if (isObject(item.text) && isObject(item.text.format)) updated.format = item.text.format;
  }
  return updated;
}

/**
 * The request with the tools its `additional_tools` input items load (the AI SDK's
 * `additionalTools`, after a tool search, say) offered beside its own: chat has no tools that
 * appear part-way through a conversation, and the calls of such a tool come after its item anyway.
 * A loaded tool of a type and name the request has already replaces that definition.
 */
function withAdditionalTools(body: Json): Json {
  if (!Array.isArray(body.input)) return body;
  const loaded = body.input.flatMap((item) =>
    isObject(item) && item.type === 'additional_tools' && Array.isArray(item.tools)
      ? (item.tools as unknown[]).filter(isObject)
      : [],
  );
  if (loaded.length === 0) return body;
  const key = (t: Json) => `${String(t.type)}:${String(t.name)}`;
  const later = new Set(loaded.map(key));
  const own = (Array.isArray(body.tools) ? body.tools : []).filter(
    (t) => !isObject(t) || !later.has(key(t)),
  );
  const tools = [
    ...own,
    ...loaded.filter((t, i) => loaded.findLastIndex((u) => key(u) === key(t)) === i),
  ];
  return { ...body, tools };
}

/**
 * `prompt_cache_options` as Chat Completions takes it (openai-node 7.60: `mode`, and `ttl` only
 * `30m`): a `12h` lifetime goes on each explicit breakpoint that inherits it (a part's
 * `prompt_cache_breakpoint` takes `12h` on chat too) and the request's becomes `30m`, which
 * Claude's conversion reads as a lifetime asked for (anthropic/auto-cache.ts). `prewarm` is
 * answered by the router (prewarm-response.ts) and `comparison_response_id` is Responses' own.
 */
function bridgeCacheOptions(chat: ChatRequest, options: unknown): void {
  if (!isObject(options)) return;
  const { mode, ttl } = options;
  if (mode === undefined && ttl === undefined) return;
  (chat as { prompt_cache_options?: Json }).prompt_cache_options = {
    ...(mode !== undefined ? { mode } : {}),
    ...(ttl !== undefined ? { ttl: '30m' } : {}),
  };
  if (ttl !== '12h') return;
  for (const m of chat.messages) {
    if (!Array.isArray(m.content)) continue;
    (m as { content: unknown[] }).content = m.content.map((part) => {
      const mark = (part as { prompt_cache_breakpoint?: unknown }).prompt_cache_breakpoint;
      if (!isObject(mark) || mark.ttl !== undefined) return part;
      return { ...part, prompt_cache_breakpoint: { ...mark, ttl } };
    });
  }
}

// Checks the fields of a chat request that the router reads; everything else passes through
// untouched (STYLE.md principle 4). Each problem gets a 400 naming the offending `param`.
import { GatewayError, invalidRequest } from '../core/errors.js';
import {
  ANTHROPIC_TOOL_FIELD,
  PRIVATE_REQUEST_FIELDS,
  type ChatRequest,
} from '../core/wire-types.js';
import { describeValue } from '../core/describe-value.js';
import {
  checkFieldType,
  checkModelField,
  checkNumberField,
  checkReasoningEffort,
  checkStop,
  checkFormatSchema,
  checkSchemaName,
  MODEL_IN_PATH,
  ROUTED_MODEL,
} from './check-fields.js';
import { isObject } from '../core/is-object.js';
import { checkTools } from './check-chat-tools.js';
import { checkChatMessage } from './check-chat-message.js';
import { checkToolMessages } from './check-tool-messages.js';
import { checkChatFieldLimits } from './field-limits.js';
import { requestedModels } from '../gateway/model-fallbacks.js';
import { takeModelFromModels } from '../gateway/model-from-models.js';
import { applyOpenRouterReasoning } from './openrouter-reasoning.js';
import { checkWebSearchOptions } from './web-search-options.js';
import { checkDataSources } from './azure-data-sources.js';
import { CHAT_CACHE_OPTIONS, checkPromptCacheOptions } from './prompt-cache-options.js';

const RESPONSE_FORMATS = new Set(['text', 'json_object', 'json_schema']);

/** Validates and returns the body as a ChatRequest. `modelOptional` for Azure dated paths. */
export function parseChatRequest(body: unknown, modelOptional = false): ChatRequest {
  if (!isObject(body))
    throw invalidRequest('The request body must be a JSON object.', null, 'invalid_body');
  // OpenRouter's model fallbacks: without `model`, the first of `models` is the one asked for.
  const models = requestedModels(body);
  if (models && !modelOptional && (body.model === undefined || body.model === null))
    takeModelFromModels(body, models);
  checkOpenRouterUsage(body);
  // Azure's dated paths name the deployment in the URL; the AzureOpenAI client, built with a
  // `deployment`, still sends the `model` it was given, often '' (or null): the URL decides.
  checkModelField(body, modelOptional ? MODEL_IN_PATH : ROUTED_MODEL, modelOptional);
  if (typeof body.model !== 'string') body.model = '';
  const messages = body.messages;
  if (messages === undefined)
    throw invalidRequest("'messages' is required.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages))
    throw invalidRequest(
      "'messages' must be an array of message objects.",
      'messages',
      'invalid_type',
    );
  if (messages.length === 0)
    throw invalidRequest(
      "'messages' must contain at least one message.",
      'messages',
      'empty_array',
    );
  messages.forEach((m, i) => checkChatMessage(m, i));
  checkToolMessages(messages as Record<string, unknown>[]);
  checkFieldType(body, 'stream', 'boolean');
  // `store: true` keeps the completion in the router (keep-chat-completion.ts).
  checkFieldType(body, 'store', 'boolean');
  // OpenAI's bounds (openapi.yaml), as the Responses API checks them: read by the Anthropic
  // conversion (which would clamp a temperature of 5 to 1), refused upstream by OpenAI.
  checkNumberField(body.temperature, 'temperature', { min: 0, max: 2 });
  checkNumberField(body.top_p, 'top_p', { min: 0, max: 1 });
  // Dropped, with a warning, for Anthropic; refused by OpenAI outside -2..2.
  checkNumberField(body.presence_penalty, 'presence_penalty', { min: -2, max: 2 });
  checkNumberField(body.frequency_penalty, 'frequency_penalty', { min: -2, max: 2 });
  checkFieldType(body, 'n', 'integer');
  checkFieldType(body, 'max_tokens', 'integer');
  checkFieldType(body, 'max_completion_tokens', 'integer');
  checkFieldType(body, 'seed', 'integer');
  checkReasoningEffort(body.reasoning_effort, 'reasoning_effort');
  // Read by routing (only deployments that search) and the Anthropic conversion.
  checkWebSearchOptions(body);
  // Read by routing (Azure's On Your Data: only deployments that take it).
  checkDataSources(body);
  // Read by the Anthropic conversion (`disable_parallel_tool_use`).
  checkFieldType(body, 'parallel_tool_calls', 'boolean');
  // Eligibility reads logprobs (not every provider returns them); OpenAI's bound on top_logprobs.
  checkFieldType(body, 'logprobs', 'boolean');
  // Read by the Anthropic conversion (cache marks' mode and lifetime); OpenAI's values.
  checkPromptCacheOptions(body, CHAT_CACHE_OPTIONS);
  checkNumberField(body.top_logprobs, 'top_logprobs', { integer: true, min: 0, max: 20 });
  // OpenAI answers 400 to top_logprobs without logprobs: true (openapi.yaml: "`logprobs` must be
  // set to `true` if this parameter is used"); refused here so no upstream sees it.
  if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true)
    throw invalidRequest(
      "'top_logprobs' is only allowed when 'logprobs' is true: send logprobs: true with it, or leave top_logprobs out.",
      'top_logprobs',
      'invalid_value',
    );
  for (const key of ['max_tokens', 'max_completion_tokens', 'n'] as const) {
    const v = body[key];
    if (typeof v === 'number' && v < 1)
      throw invalidRequest(`'${key}' must be at least 1.`, key, 'invalid_value');
  }
  // OpenAI's bound (openapi.yaml: n ≤ 128); every answer is billed, and expected cost counts n.
  if (typeof body.n === 'number' && body.n > 128)
    throw invalidRequest("'n' must be at most 128.", 'n', 'invalid_value');
  if (
    body.stream_options !== undefined &&
    body.stream_options !== null &&
    !isObject(body.stream_options)
  )
    throw invalidRequest("'stream_options' must be an object.", 'stream_options', 'invalid_type');
  // OpenAI's words and param (openapi.yaml: "Only set this when you set `stream: true`").
  if (isObject(body.stream_options) && body.stream !== true)
    throw invalidRequest(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled: send stream: true, or leave stream_options out.",
      'stream_options',
      'invalid_value',
    );
  // Read by the stream writer (the usage chunk); a string would be read as true.
  const includeUsage = isObject(body.stream_options) ? body.stream_options.include_usage : null;
  if (includeUsage !== undefined && includeUsage !== null && typeof includeUsage !== 'boolean')
    throw invalidRequest(
      "'stream_options.include_usage' must be a boolean.",
      'stream_options.include_usage',
      'invalid_type',
    );
  // Read by the simulated fleet and the Messages bridge (which sequence an answer stopped at).
  checkStop(body.stop);
  // Limits of fields only passed on or echoed (safety_identifier, metadata, logit_bias, …).
  checkChatFieldLimits(body);
  checkTools(body);
  refuseAudioOutput(body);
  const rf = body.response_format;
  if (rf !== undefined && rf !== null) {
    if (!isObject(rf) || typeof rf.type !== 'string' || !RESPONSE_FORMATS.has(rf.type))
      throw invalidRequest(
        "'response_format.type' must be one of text, json_object, json_schema.",
        'response_format',
        'invalid_value',
      );
    if (rf.type === 'json_schema' && !isObject(rf.json_schema))
      throw invalidRequest(
        "'response_format.json_schema' is required when type is json_schema.",
        'response_format.json_schema',
        'missing_required_parameter',
      );
    // OpenAI's words and param (openapi.yaml `ResponseFormatJsonSchema`: `name` is required);
    // refused here, not only by the OpenAI-format upstreams that routing may or may not pick.
    if (rf.type === 'json_schema')
      checkSchemaName(rf.json_schema, 'response_format.json_schema.name');
    if (rf.type === 'json_schema') checkSchemaFields(rf.json_schema as Record<string, unknown>);
  }
  for (const field of PRIVATE_REQUEST_FIELDS) delete body[field];
  // A tool's private field is the Messages bridge's (an Anthropic-defined tool for Claude): a chat
  // client's would reach Claude as any tool it named (code execution, say), so it goes.
  if (Array.isArray(body.tools))
    for (const t of body.tools as unknown[])
      if (isObject(t) && ANTHROPIC_TOOL_FIELD in t) delete t[ANTHROPIC_TOOL_FIELD];
  // OpenRouter's `reasoning` object, as the router's own reasoning fields (set after the line above).
  applyOpenRouterReasoning(body);
  return body as ChatRequest;
}

/**
 * `response_format.json_schema`'s `schema` (optional: OpenAI then takes any JSON object) is a JSON
 * Schema object and `strict` a boolean (openapi.yaml `ResponseFormatJsonSchema`), as OpenAI and,
 * for the tool input schema the schema becomes, Anthropic require; a 400 naming the field, not a
 * reply shaped by whichever upstream is picked (the simulated fleet answered a string schema
 * with `null`).
 */
function checkSchemaFields(jsonSchema: Record<string, unknown>): void {
  const { schema, strict } = jsonSchema;
  if (schema !== undefined && schema !== null && !isObject(schema))
    throw invalidRequest(
      `'response_format.json_schema.schema' must be a JSON Schema object; got ${describeValue(schema)}.`,
      'response_format.json_schema.schema',
      'invalid_type',
    );
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean')
    throw invalidRequest(
      `'response_format.json_schema.strict' must be a boolean; got ${describeValue(strict)}.`,
      'response_format.json_schema.strict',
      'invalid_type',
    );
  checkFormatSchema(schema, 'response_format.json_schema.schema');
}

/**
 * OpenRouter's usage accounting (`usage: {include: true}`): usage comes back anyway; with it a
 * JSON reply's `usage.cost` says what the answer cost in USD. Never sent upstream.
 */
export function checkOpenRouterUsage(body: Record<string, unknown>): void {
  checkFieldType(body, 'usage', 'object');
  const include = isObject(body.usage) ? body.usage.include : undefined;
  if (include !== undefined && include !== null && typeof include !== 'boolean')
    throw invalidRequest("'usage.include' must be true or false.", 'usage.include', 'invalid_type');
}

/**
 * Spoken answers (`modalities: ['audio']`, `audio`) are refused as audio input is: the router
 * filters, caches, counts and converts text, and routing may pick a model that cannot speak, so
 * the request would be answered in text without a word about the audio it asked for.
 */
function refuseAudioOutput(body: Record<string, unknown>): void {
  const modalities = body.modalities;
  if (modalities !== undefined && modalities !== null) {
    if (!Array.isArray(modalities) || modalities.some((m) => typeof m !== 'string'))
      throw invalidRequest(
        '\'modalities\' must be an array of strings such as ["text"].',
        'modalities',
        'invalid_type',
      );
    if (modalities.includes('audio'))
      throw unsupportedAudio('modalities', 'send modalities ["text"] or leave it out');
  }
  if (body.audio !== undefined && body.audio !== null)
    throw unsupportedAudio('audio', "leave out 'audio'");
}

function unsupportedAudio(param: string, fix: string): GatewayError {
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'unsupported_parameter',
    param,
    message: `Audio output is not supported by this router: ${fix} for a text answer.`,
  });
}

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
  hasName,
  MODEL_IN_PATH,
  requiredWithoutTools,
  ROUTED_MODEL,
  unofferedToolChoice,
} from './check-fields.js';
import { isObject } from '../core/is-object.js';
import { isImageUrl, quoteUrl } from '../core/image-url.js';
import { refuseToolNameClash } from './tool-name-clash.js';
import { checkCustomTool, checkFunctionTool, checkToolCalls } from './check-chat-tools.js';
import { checkToolMessages } from './check-tool-messages.js';
import { checkChatFieldLimits } from './field-limits.js';
import { requestedModels } from '../gateway/model-fallbacks.js';
import { takeModelFromModels } from '../gateway/model-from-models.js';
import { applyOpenRouterReasoning } from './openrouter-reasoning.js';
import { checkWebSearchOptions } from './web-search-options.js';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const PART_TYPES = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);
const TOOL_CHOICES = new Set(['none', 'auto', 'required']);
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
  messages.forEach((m, i) => checkMessage(m, i));
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
  // Read by the Anthropic conversion (`disable_parallel_tool_use`).
  checkFieldType(body, 'parallel_tool_calls', 'boolean');
  // Eligibility reads logprobs (not every provider returns them); OpenAI's bound on top_logprobs.
  checkFieldType(body, 'logprobs', 'boolean');
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
    if (rf.type === 'json_schema' && !hasName(rf.json_schema))
      throw invalidRequest(
        "Missing required parameter: 'response_format.json_schema.name' (the schema's name: a-z, A-Z, 0-9, _ and -, at most 64 characters).",
        'response_format.json_schema.name',
        'missing_required_parameter',
      );
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

/** Roles whose content parts are text only (OpenAI: text, and an assistant's refusal). */
const TEXT_ONLY_ROLES = new Set(['system', 'developer', 'assistant']);

function checkMessage(m: unknown, i: number): void {
  const p = `messages[${i}]`;
  if (!isObject(m))
    throw invalidRequest(`${p} must be an object with 'role' and 'content'.`, p, 'invalid_type');
  if (typeof m.role !== 'string' || !ROLES.has(m.role))
    throw invalidRequest(
      `${p}.role must be one of system, developer, user, assistant, tool; got ${describeValue(m.role)}.`,
      `${p}.role`,
      'invalid_value',
    );
  if (m.role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null)
    checkToolCalls(m.tool_calls, `${p}.tool_calls`);
  const c = m.content;
  if (c === undefined || c === null) {
    if (m.role === 'assistant' && (Array.isArray(m.tool_calls) || m.function_call)) return;
    if (m.role === 'assistant' && c === null) return;
    throw invalidRequest(
      `${p}.content is required for role '${m.role}'.`,
      `${p}.content`,
      'missing_required_parameter',
    );
  }
  if (typeof c === 'string') return;
  if (!Array.isArray(c))
    throw invalidRequest(
      `${p}.content must be a string or an array of content parts.`,
      `${p}.content`,
      'invalid_type',
    );
  // OpenAI's rules (openapi.yaml: `minItems: 1`; images and files in user messages only): refused
  // here, so that the pick does not decide between a 400 and a part silently left out.
  if (c.length === 0 && m.role !== 'assistant' && m.role !== 'tool')
    throw invalidRequest(
      `${p}.content must not be an empty array: send a string or at least one content part.`,
      `${p}.content`,
      'empty_array',
    );
  c.forEach((part, j) => {
    const pp = `${p}.content[${j}]`;
    if (!isObject(part) || typeof part.type !== 'string' || !PART_TYPES.has(part.type))
      throw invalidRequest(
        `${pp}.type must be one of text, image_url, file.`,
        `${pp}.type`,
        'invalid_value',
      );
    if (
      (part.type === 'image_url' || part.type === 'file') &&
      TEXT_ONLY_ROLES.has(m.role as string)
    )
      throw invalidRequest(
        `${pp}: a ${part.type} part is allowed in user messages only, not in ${m.role === 'assistant' ? 'an' : 'a'} ${m.role as string} message; move it to a user message.`,
        `${pp}.type`,
        'invalid_value',
      );
    if (part.type === 'input_audio')
      throw new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'unsupported_content',
        param: pp,
        message: `${pp}: audio input is not supported by this router; send text or images.`,
      });
    if (part.type === 'text' && typeof part.text !== 'string')
      throw invalidRequest(`${pp}.text must be a string.`, `${pp}.text`, 'invalid_type');
    if (
      part.type === 'image_url' &&
      (!isObject(part.image_url) || typeof part.image_url.url !== 'string')
    )
      throw invalidRequest(
        `${pp}.image_url.url must be a string (https URL or data URL).`,
        `${pp}.image_url`,
        'invalid_type',
      );
    const url = part.type === 'image_url' ? (part.image_url as { url: string }).url : undefined;
    if (url !== undefined && !isImageUrl(url, true))
      throw invalidRequest(
        `${pp}.image_url.url must be an http(s) URL or a data URL (data:image/png;base64,…); got ${quoteUrl(url)}.`,
        `${pp}.image_url.url`,
        'invalid_value',
      );
  });
}

function checkTools(body: Record<string, unknown>): void {
  const tools = body.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools))
      throw invalidRequest("'tools' must be an array.", 'tools', 'invalid_type');
    tools.forEach((t, i) => {
      const fn = isObject(t) ? t.function : undefined;
      if (
        !isObject(t) ||
        (t.type !== 'function' && t.type !== 'custom') ||
        (t.type === 'function' && (!isObject(fn) || typeof fn.name !== 'string'))
      )
        throw invalidRequest(
          `tools[${i}] must be {type:'function', function:{name, parameters}} or {type:'custom', custom:{name, format}}.`,
          `tools[${i}]`,
          'invalid_value',
        );
      if (t.type === 'custom') checkCustomTool(t.custom, `tools[${i}].custom`);
      else checkFunctionTool(fn as Record<string, unknown>, `tools[${i}].function`);
    });
    // Each checked above: a function tool or a custom tool, with its name.
    const checked = tools as { type: 'function' | 'custom'; [k: string]: unknown }[];
    refuseToolNameClash(
      checked.map((t, i) => ({
        type: t.type,
        name: String((t[t.type] as { name: string }).name),
        path: `tools[${i}]`,
      })),
    );
  }
  const tc = body.tool_choice;
  if (tc === undefined || tc === null) return;
  if (typeof tc === 'string') {
    if (!TOOL_CHOICES.has(tc))
      throw invalidRequest(
        "'tool_choice' must be none, auto, required or a named function.",
        'tool_choice',
        'invalid_value',
      );
    if (tc === 'required' && !(Array.isArray(tools) && tools.length > 0))
      throw requiredWithoutTools('tool_choice', "'required'");
    return;
  }
  if (!isObject(tc))
    throw invalidRequest(
      "'tool_choice' must be a string or an object.",
      'tool_choice',
      'invalid_type',
    );
  // An object says what it is by its `type` (OpenAI refuses one without: "Missing required
  // parameter: 'tool_choice.type'"), refused here on every route, not only where an OpenAI
  // deployment is picked (input audit F8, 2026-12-06).
  if (typeof tc.type !== 'string' || !tc.type)
    throw invalidRequest(
      "'tool_choice.type' is required: send {type: 'function', function: {name}}, {type: 'custom', custom: {name}} or {type: 'allowed_tools', allowed_tools: {…}}, or a string (none, auto, required).",
      'tool_choice.type',
      'missing_required_parameter',
    );
  // A named tool_choice ({type: 'function', function: {name}} or {type: 'custom', custom: {name}})
  // must name one of the request's tools of its type.
  if (tc.type !== 'function' && tc.type !== 'custom') return;
  const type = tc.type;
  const named = tc[type];
  const shape = `{type: '${type}', ${type}: {name}} names one of the request's ${type === 'custom' ? 'custom tools' : 'tools'}.`;
  if (!isObject(named) || typeof named.name !== 'string')
    throw invalidRequest(
      `'tool_choice.${type}.name' is required: ${shape}`,
      `tool_choice.${type}.name`,
      'missing_required_parameter',
    );
  const why = unofferedToolChoice(named.name, offeredNames(tools, type));
  if (why)
    throw invalidRequest(
      `'tool_choice' ${why}: name a ${type === 'custom' ? 'custom tool' : 'function'} in 'tools', or send it there.`,
      'tool_choice',
      'invalid_value',
    );
}

/** The names of the request's tools of one type (checked above: each has its name). */
function offeredNames(tools: unknown, type: 'function' | 'custom'): string[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .filter((t): t is Record<string, Record<string, unknown>> => isObject(t) && t.type === type)
    .map((t) => String(t[type]?.name));
}

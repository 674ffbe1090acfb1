// The fields of a Responses request the bridge reads, checked by type as OpenAI's API checks them
// (openapi.yaml), so a malformed one gets a 400 naming it instead of being ignored: `stream:
// "yes"` answered as JSON, `store: "no"` stored, a bogus `text.format` dropped.
import { checkIncludable } from './includable.js';
import { invalidRequest } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import {
  checkFieldType,
  checkNumberField,
  checkOneOf,
  checkReasoningEffort,
  checkFormatSchema,
  checkSchemaName,
  requiredWithoutTools,
  unofferedToolChoice,
} from '../check-fields.js';
import { isObject } from '../../core/is-object.js';
import { checkIdentityAndMetadata, VERBOSITIES } from '../field-limits.js';
import { checkPromptCacheOptions, RESPONSES_CACHE_OPTIONS } from '../prompt-cache-options.js';

type Json = Record<string, unknown>;

const FORMATS = new Set(['text', 'json_object', 'json_schema']);
/** String fields the Response object echoes (openapi.yaml `ResponseProperties`). */
const ECHOED_STRINGS = [
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'service_tier',
];
/** openapi.yaml `Response.truncation`. */
const TRUNCATIONS = ['auto', 'disabled'];

/**
 * Fields for state the router does not keep, refused with what to send instead rather than
 * ignored: a stored `prompt` (reusable prompts live in the OpenAI dashboard) would be answered
 * without its instructions.
 */
export function refuseUnsupportedFields(body: Json): void {
  if (body.prompt !== undefined && body.prompt !== null)
    throw invalidRequest(
      "'prompt' (a stored prompt template) is not supported by this router: send the prompt's text as instructions and input.",
      'prompt',
      'unsupported_parameter',
    );
}

/** Throws a 400 for the first field of a Responses request that has the wrong type or shape. */
export function checkResponsesRequest(body: Json): void {
  for (const key of ['stream', 'store', 'parallel_tool_calls', 'background'])
    checkFieldType(body, key, 'boolean');
  for (const key of ['instructions', 'previous_response_id']) checkFieldType(body, key, 'string');
  // Echoed on the Response object (responses-reply.ts `baseResponse`), so read as their types.
  for (const key of ECHOED_STRINGS) checkFieldType(body, key, 'string');
  checkFieldType(body, 'max_tool_calls', 'integer');
  checkOneOf(body.truncation, 'truncation', TRUNCATIONS);
  if (isObject(body.text)) checkOneOf(body.text.verbosity, 'text.verbosity', VERBOSITIES);
  for (const key of ['reasoning', 'text', 'metadata']) checkFieldType(body, key, 'object');
  checkIdentityAndMetadata(body);
  // OpenAI's bounds: max_output_tokens an integer ≥ 16, temperature 0–2, top_p 0–1.
  checkNumberField(body.max_output_tokens, 'max_output_tokens', { integer: true, min: 16 });
  checkNumberField(body.temperature, 'temperature', { min: 0, max: 2 });
  checkNumberField(body.top_p, 'top_p', { min: 0, max: 1 });
  checkNumberField(body.top_logprobs, 'top_logprobs', { integer: true, min: 0, max: 20 });
  if (
    body.include !== undefined &&
    body.include !== null &&
    (!Array.isArray(body.include) || body.include.some((v) => typeof v !== 'string'))
  )
    throw invalidRequest("'include' must be an array of strings.", 'include', 'invalid_type');
  if (Array.isArray(body.include)) checkIncludable(body.include, 'include');
  const reasoning = body.reasoning as Json | null | undefined;
  if (isObject(reasoning)) checkReasoningEffort(reasoning.effort, 'reasoning.effort');
  checkTextFormat(isObject(body.text) ? body.text.format : undefined, 'text.format');
  checkNamedFunction(body);
  checkContextManagement(body.context_management);
  checkBackgroundOptions(body);
  checkPromptCacheOptions(body, RESPONSES_CACHE_OPTIONS);
  if (Array.isArray(body.input))
    body.input.forEach((item, i) => {
      if (!isObject(item)) return;
      const path = `input[${i}]`;
      if (item.type === 'configuration_update') return checkConfigurationUpdate(item, path);
      if (item.type === 'additional_tools') return checkAdditionalTools(item, path);
      const call = item.type === 'function_call' || item.type === 'custom_tool_call';
      const output =
        item.type === 'function_call_output' || item.type === 'custom_tool_call_output';
      if (!call && !output) return;
      const what =
        item.type === 'function_call' || item.type === 'function_call_output'
          ? 'function'
          : 'custom tool';
      // A function output with no call but a `name` (and `namespace`) is context a client puts in
      // the conversation as a tool's output: the Codex CLI's `agent.goal_objective` once a goal is
      // set. It answers no call; the bridge gives it one (convert-input.ts).
      const context = item.type === 'function_call_output' && typeof item.name === 'string';
      if ((typeof item.call_id !== 'string' || !item.call_id) && !context)
        throw invalidRequest(
          `'${path}.call_id' is required: the id of the ${what} call this item ${call ? 'makes' : 'answers'}.`,
          `${path}.call_id`,
          'missing_required_parameter',
        );
      if (call && typeof item.name !== 'string')
        throw invalidRequest(
          `'${path}.name' is required: the ${what} called.`,
          `${path}.name`,
          'missing_required_parameter',
        );
      const args = item.arguments;
      if (item.type === 'function_call' && args != null && typeof args !== 'string')
        throw invalidRequest(
          `'${path}.arguments' must be a string of JSON (such as ${JSON.stringify(JSON.stringify({ city: 'Paris' }))}); got ${describeValue(args)}.`,
          `${path}.arguments`,
          'invalid_type',
        );
      if (item.type === 'custom_tool_call' && typeof item.input !== 'string')
        throw invalidRequest(
          `'${path}.input' is required: the custom tool's input, a string.`,
          `${path}.input`,
          'missing_required_parameter',
        );
    });
}

/** A `text.format` (at `param`): text, json_object or json_schema, the schema's as OpenAI checks it. */
function checkTextFormat(
  format: unknown,
  param: string,
  formats: ReadonlySet<string> = FORMATS,
): void {
  if (format === undefined || format === null) return;
  if (!isObject(format) || typeof format.type !== 'string' || !formats.has(format.type))
    throw invalidRequest(
      `'${param}.type' must be one of ${[...formats].join(', ')}.`,
      `${param}.type`,
      'invalid_value',
    );
  if (format.type === 'json_schema' && !isObject(format.schema))
    throw invalidRequest(
      `'${param}.schema' is required when ${param}.type is json_schema (a JSON Schema object).`,
      `${param}.schema`,
      'missing_required_parameter',
    );
  // OpenAI's words and param (openapi.yaml `TextResponseFormatJsonSchema`: `name` is required).
  if (format.type === 'json_schema') {
    checkSchemaName(format, `${param}.name`);
    checkFormatSchema(format.schema, `${param}.schema`);
  }
  // The bridge reads `strict === true`: anything else but a boolean was taken as false.
  const strict = format.strict;
  if (format.type === 'json_schema' && strict != null && typeof strict !== 'boolean')
    throw invalidRequest(
      `'${param}.strict' must be a boolean; got ${describeValue(strict)}.`,
      `${param}.strict`,
      'invalid_type',
    );
}

/** openai-node `ResponseConfigurationUpdateItemParam.Text.format`: no json_object. */
const UPDATE_FORMATS = new Set(['text', 'json_schema']);

/**
 * A `configuration_update` input item (openai-node `ResponseConfigurationUpdateItemParam`, which
 * `@langchain/openai` 1.5.12+ sends for its content block of that name): `reasoning.effort` and
 * `text.format` checked as the request's own are, since the bridge applies them the same way.
 */
function checkConfigurationUpdate(item: Json, path: string): void {
  for (const key of ['reasoning', 'text'] as const)
    if (item[key] !== undefined && item[key] !== null && !isObject(item[key]))
      throw invalidRequest(
        `'${path}.${key}' must be an object; got ${describeValue(item[key])}.`,
        `${path}.${key}`,
        'invalid_type',
      );
  if (isObject(item.reasoning))
    checkReasoningEffort(item.reasoning.effort, `${path}.reasoning.effort`);
  if (isObject(item.text)) checkTextFormat(item.text.format, `${path}.text.format`, UPDATE_FORMATS);
}

/**
 * An `additional_tools` input item (openai-node `ResponseInputItem.AdditionalTools`; the AI SDK's
 * `additionalTools` option sends it): `role` `developer`, the only one OpenAI takes, and `tools`
 * a list of tool definitions, which the bridge offers beside the request's (responses-convert.ts).
 */
function checkAdditionalTools(item: Json, path: string): void {
  if (item.role !== undefined && item.role !== 'developer')
    throw invalidRequest(
      `'${path}.role' must be "developer" (the only role that provides additional tools); got ${describeValue(item.role)}.`,
      `${path}.role`,
      'invalid_value',
    );
  if (!Array.isArray(item.tools))
    throw invalidRequest(
      `'${path}.tools' is required: a list of tool definitions, as in the request's 'tools'.`,
      `${path}.tools`,
      'missing_required_parameter',
    );
  item.tools.forEach((tool, j) => {
    if (!isObject(tool) || typeof tool.type !== 'string')
      throw invalidRequest(
        `'${path}.tools[${j}]' must be a tool definition with a 'type'; got ${describeValue(tool)}.`,
        `${path}.tools[${j}]`,
        'invalid_type',
      );
  });
}

/**
 * A tool_choice `{type: 'function', name}` (with `namespace`, for a member of a namespace tool)
 * must name a function tool of the request; `{type: 'custom', name}` a custom tool.
 */
function checkNamedFunction(body: Json): void {
  const tc = body.tool_choice;
  if (tc === 'required' && !(Array.isArray(body.tools) && body.tools.length > 0))
    throw requiredWithoutTools('tool_choice', "'required'");
  if (!isObject(tc) || (tc.type !== 'function' && tc.type !== 'custom')) return;
  if (typeof tc.name !== 'string') return;
  const offered: string[] = [];
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    if (isObject(t) && t.type === tc.type) offered.push(String(t.name));
    if (isObject(t) && t.type === 'namespace' && Array.isArray(t.tools))
      for (const m of t.tools)
        if (isObject(m) && m.type === tc.type) offered.push(`${String(t.name)}.${String(m.name)}`);
  }
  const named = typeof tc.namespace === 'string' ? `${tc.namespace}.${tc.name}` : tc.name;
  const why = unofferedToolChoice(named, offered);
  if (why)
    throw invalidRequest(
      `'tool_choice' ${why}: name a ${tc.type === 'custom' ? 'custom tool' : 'function'} in 'tools', or send it there.`,
      'tool_choice',
      'invalid_value',
    );
}

/** openai-node 7.58 `ResponseCreateParams.BackgroundOptions.completion_window`. */
const COMPLETION_WINDOWS = ['soonest', '2h', '8h'];
/** The service tiers that are Standard processing, which the `2h` and `8h` windows require. */
const STANDARD_TIERS = ['auto', 'default'];

/**
 * `background_options` (openai-node 7.58): a `completion_window` of `2h` or `8h` needs
 * `background: true`, Standard processing and no `stream`, or OpenAI refuses it; refused here too,
 * so the answer does not depend on which deployment routing picks. The router runs a background
 * response at once, which meets either window.
 */
function checkBackgroundOptions(body: Json): void {
  const options = body.background_options;
  if (options === undefined || options === null) return;
  checkFieldType(body, 'background_options', 'object');
  const { completion_window: window, continuation_id: continuation } = options as Json;
  checkOneOf(window, 'background_options.completion_window', COMPLETION_WINDOWS);
  if (continuation !== undefined && continuation !== null && typeof continuation !== 'string')
    throw invalidRequest(
      `'background_options.continuation_id' must be a string; got ${describeValue(continuation)}.`,
      'background_options.continuation_id',
      'invalid_type',
    );
  if (window !== '2h' && window !== '8h') return;
  const why =
    body.background !== true
      ? 'needs background: true'
      : body.stream === true
        ? 'cannot be streamed: leave stream out or set it to false'
        : typeof body.service_tier === 'string' && !STANDARD_TIERS.includes(body.service_tier)
          ? `needs Standard processing: leave service_tier out or set it to "auto" or "default", not "${body.service_tier}"`
          : undefined;
  if (why)
    throw invalidRequest(
      `'background_options.completion_window' "${window}" ${why}; or leave background_options out to run it as soon as possible.`,
      'background_options.completion_window',
      'invalid_value',
    );
}

/**
 * `context_management` (openapi.yaml `ContextManagementParam`): at least one entry, each of type
 * `compaction` (the only one there is), with `compact_threshold` an integer ≥ 1000 or left out.
 */
function checkContextManagement(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value) || value.length === 0)
    throw invalidRequest(
      '\'context_management\' must be a non-empty array of entries such as {"type": "compaction", "compact_threshold": 200000}.',
      'context_management',
      'invalid_type',
    );
  value.forEach((entry, i) => {
    const path = `context_management[${i}]`;
    if (!isObject(entry))
      throw invalidRequest(`'${path}' must be an object.`, path, 'invalid_type');
    if (entry.type !== 'compaction')
      throw invalidRequest(
        `'${path}.type' must be "compaction" (the only context management there is), got ${JSON.stringify(entry.type ?? null)}.`,
        `${path}.type`,
        'invalid_value',
      );
    checkNumberField(entry.compact_threshold, `${path}.compact_threshold`, {
      integer: true,
      min: 1000,
    });
  });
}

// Request fields the gateway reads or maps onto chat fields, checked where they arrive (their
// type; a number's bounds, such as the Responses API's `max_output_tokens`, Anthropic's
// `max_tokens` or chat's `top_logprobs`), so a bad value gets a 400 naming it in the caller's own
// API instead of being ignored or failing upstream under another name.
import { describeValue } from '../core/describe-value.js';
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { jsonSchemaFault } from './json-schema-fault.js';
import { MAX_STOP_SEQUENCES } from '../core/matched-stop.js';
import { REASONING_EFFORTS } from '../core/reasoning-effort.js';

/**
 * `body[key]` is absent, null or of `type` (`integer`: a whole number; `object`: a JSON object),
 * else a 400 saying what it must be.
 */
export function checkFieldType(
  body: Record<string, unknown>,
  key: string,
  type: 'number' | 'integer' | 'boolean' | 'string' | 'object',
): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  const ok =
    type === 'object' ? isObject(v) : type === 'integer' ? Number.isInteger(v) : typeof v === type;
  if (!ok)
    throw invalidRequest(
      `'${key}' must be ${type === 'integer' || type === 'object' ? `an ${type}` : `a ${type}`}; got ${describeValue(v)}.`,
      key,
      'invalid_type',
    );
}

/** `v` is an object with a non-empty string `name` (a JSON schema output format's, say). */
export function hasName(v: unknown): boolean {
  return isObject(v) && typeof v.name === 'string' && v.name.length > 0;
}

/** openapi.yaml `ResponseFormatJsonSchema.name` (and `TextResponseFormatJsonSchema.name`). */
const SCHEMA_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A JSON schema output format's `name` (at `param`): present, and of the characters OpenAI takes
 * (it 400s any other; the routes that do not check it passed it on).
 */
export function checkSchemaName(format: unknown, param: string): void {
  const rule = "the schema's name: a-z, A-Z, 0-9, _ and -, at most 64 characters";
  if (!hasName(format))
    throw invalidRequest(
      `Missing required parameter: '${param}' (${rule}).`,
      param,
      'missing_required_parameter',
    );
  const name = (format as { name: string }).name;
  if (!SCHEMA_NAME.test(name))
    throw invalidRequest(
      `Invalid '${param}': ${JSON.stringify(name.slice(0, 80))} does not match the pattern '^[a-zA-Z0-9_-]{1,64}$' (${rule}).`,
      param,
      'invalid_value',
    );
}

/**
 * A JSON schema output format's `schema` (chat's `response_format.json_schema.schema`, Responses'
 * `text.format.schema`), when it is an object: one its meta-schema takes (json-schema-fault.ts).
 */
export function checkFormatSchema(schema: unknown, param: string): void {
  const fault = isObject(schema) ? jsonSchemaFault(schema) : undefined;
  if (fault)
    throw invalidRequest(
      `Invalid schema for the response format (${param}): ${fault}.`,
      param,
      'invalid_json_schema',
    );
}

/** What a chat-like request's `model` names, for the 400s below. */
export const ROUTED_MODEL =
  'the name of a router deployment, pool or deployment (GET /v1/models lists them)';
/** Azure's dated paths (`/openai/deployments/{name}/…`): the path names the deployment. */
export const MODEL_IN_PATH =
  'the deployment is named in the path, so leave model out or send that name';

/**
 * The body's `model`: a non-empty string naming `what`, else a 400 naming `model` that says what
 * to send (`missing_required_parameter` when absent, `invalid_type` when it is not a string, so a
 * number or an object sent as the model is never read as "missing" nor reaches the gateway).
 * `optional` (a path or a default names the model): absent, null or '' passes.
 */
export function checkModelField(
  body: Record<string, unknown>,
  what: string,
  optional = false,
): void {
  const v = body.model;
  if (typeof v === 'string' && v.length > 0) return;
  if (v === undefined || v === null || v === '') {
    if (optional) return;
    throw invalidRequest(`'model' is required: ${what}.`, 'model', 'missing_required_parameter');
  }
  throw invalidRequest(
    `'model' must be a string: ${what}; got ${describeValue(v)}.`,
    'model',
    'invalid_type',
  );
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
}

/**
 * `value` under `param` (a path such as `thinking.budget_tokens`), absent or null allowed unless
 * `required`; anything else that breaks the rule throws a 400 saying what to send.
 */
export function checkNumberField(
  value: unknown,
  param: string,
  rule: NumberRule,
  required = false,
): void {
  if (value === undefined || value === null) {
    if (required) throw invalidRequest(`'${param}' is required: ${describeRule(rule)}.`, param);
    return;
  }
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok)
    throw invalidRequest(
      `'${param}' must be ${describeRule(rule)}; got ${describeValue(value)}.`,
      param,
      typeof value === 'number' ? 'invalid_value' : 'invalid_type',
    );
}

function describeRule(rule: NumberRule): string {
  const what = rule.integer ? 'an integer' : 'a number';
  if (rule.min !== undefined && rule.max !== undefined)
    return `${what} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return `${what} of at least ${rule.min}`;
  if (rule.max !== undefined) return `${what} of at most ${rule.max}`;
  return what;
}

/**
 * A tool_choice that demands a tool call (chat's and Responses' `required`, Anthropic's `any`) in
 * a request with no tools: OpenAI and Anthropic answer 400, and a model routed to that accepts it
 * answers in text, so it is refused before routing. `choice`: how the client wrote it.
 */
export function requiredWithoutTools(param: string, choice: string) {
  return invalidRequest(
    `'${param}' ${choice} asks for a tool call, but the request has no tools: send the tools to choose from, or leave ${param} out.`,
    param,
    'invalid_value',
  );
}

/** How many of the request's tool names an error lists before "…". */
const NAMES_LISTED = 20;

/**
 * Why a tool_choice naming `name` cannot be served, or undefined when `offered` has it: a choice
 * of a tool the request does not define is refused by every upstream (OpenAI and Anthropic answer
 * 400), so each API refuses it before routing, in its own words, with this phrase.
 */
export function unofferedToolChoice(name: string, offered: readonly string[]): string | undefined {
  if (offered.includes(name)) return undefined;
  if (offered.length === 0) return `names '${name}', but the request has no tools`;
  const listed = offered.slice(0, NAMES_LISTED).map((n) => `'${n}'`);
  if (offered.length > NAMES_LISTED) listed.push('…');
  return `names '${name}', which is not one of the request's tools (${listed.join(', ')})`;
}

/** OpenAI's list of values as its 400s word it: 'a', 'b', and 'c'. */
function quotedList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length > 1
    ? `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`
    : quoted.join('');
}

/**
 * `value` under `param`: absent, null or one of `allowed`, else a 400 in OpenAI's words naming
 * the values it takes.
 */
export function checkOneOf(value: unknown, param: string, allowed: readonly string[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string')
    throw invalidRequest(
      `Invalid type for '${param}': expected one of ${quotedList(allowed)}, but got ${describeValue(value)} instead.`,
      param,
      'invalid_type',
    );
  if (!allowed.includes(value))
    throw invalidRequest(
      `Invalid value for '${param}': '${value.slice(0, 40)}'. Supported values are: ${quotedList(allowed)}.`,
      param,
      'invalid_value',
    );
}

/**
 * Chat's `reasoning_effort` or Responses' `reasoning.effort` (`param`): absent, null or one of
 * OpenAI's levels (openapi.yaml `ReasoningEffort`), else OpenAI's 400, in its words, before routing:
 * a model without reasoning dropped an unknown level, another refused it, so the answer depended
 * on the pick.
 */
export function checkReasoningEffort(value: unknown, param: string): void {
  checkOneOf(value, param, REASONING_EFFORTS);
}

/**
 * Chat's and completions' `stop`: absent, null, a string or an array of one to four strings, else
 * a 400 in OpenAI's words (`array_above_max_length`). Read by the simulated fleet and the Messages
 * bridge; OpenAI refuses a fifth sequence, and Claude took it, so the answer depended on the pick.
 */
export function checkStop(stop: unknown): void {
  if (stop === undefined || stop === null || typeof stop === 'string') return;
  if (!(Array.isArray(stop) && stop.every((s) => typeof s === 'string')))
    throw invalidRequest("'stop' must be a string or an array of strings.", 'stop', 'invalid_type');
  // openapi.yaml `StopConfiguration`: an array has `minItems: 1` (OpenAI refuses `[]`).
  if (stop.length === 0)
    throw invalidRequest(
      "Invalid 'stop': empty array. Expected an array with minimum length 1, but got an empty array instead: send the sequences to stop at, or leave stop out.",
      'stop',
      'empty_array',
    );
  if (stop.length > MAX_STOP_SEQUENCES)
    throw invalidRequest(
      `Invalid 'stop': array too long. Expected an array with maximum length ${MAX_STOP_SEQUENCES}, but got an array with length ${stop.length} instead.`,
      'stop',
      'array_above_max_length',
    );
}

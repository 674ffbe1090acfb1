// The tools of a chat request and the tool calls of its assistant turns, checked on the fields
// an upstream checks, so the answer does not depend on which deployment routing picks.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { describeValue } from '../core/describe-value.js';
import { jsonSchemaFault } from './json-schema-fault.js';
import { requiredWithoutTools, unofferedToolChoice } from './check-fields.js';
import { refuseToolNameClash } from './tool-name-clash.js';

/** An assistant turn's calls, as OpenAI checks them: each with an id and the tool it called. */
export function checkToolCalls(calls: unknown, path: string): void {
  if (!Array.isArray(calls))
    throw invalidRequest(
      `Invalid type for '${path}': expected an array of tool calls ({id, type: 'function', function: {name, arguments}}).`,
      path,
      'invalid_type',
    );
  calls.forEach((call, j) => {
    const at = `${path}[${j}]`;
    const fn = isObject(call) ? (call.type === 'custom' ? call.custom : call.function) : undefined;
    if (
      !isObject(call) ||
      typeof call.id !== 'string' ||
      !isObject(fn) ||
      typeof fn.name !== 'string'
    )
      throw invalidRequest(
        `'${at}' must be {id, type: 'function', function: {name, arguments}} (or a custom call {id, type: 'custom', custom: {name, input}}).`,
        at,
        'invalid_value',
      );
    // A JSON string, as OpenAI requires: an object was sent on as "[object Object]" (Claude's
    // bridge then found no JSON in it; OpenAI refuses it).
    const args = call.type === 'custom' ? undefined : fn.arguments;
    if (args !== undefined && args !== null && typeof args !== 'string')
      throw invalidRequest(
        `Invalid type for '${at}.function.arguments': expected a string of JSON (such as ${JSON.stringify(JSON.stringify({ city: 'Paris' }))}), got ${describeValue(args)}.`,
        `${at}.function.arguments`,
        'invalid_type',
      );
  });
}

/**
 * OpenAI's rule for a function's name (Anthropic's is the same with 128 characters): checked here,
 * as the request may be routed to either, so a bad name is not a 400 on some routes only.
 */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function checkFunctionTool(fn: Record<string, unknown>, path: string): void {
  const name = fn.name as string;
  if (!FUNCTION_NAME.test(name))
    throw invalidRequest(
      `Invalid '${path}.name': ${JSON.stringify(name.slice(0, 80))} does not match the pattern '^[a-zA-Z0-9_-]{1,64}$' (letters, digits, _ and -, at most 64 characters).`,
      `${path}.name`,
      'invalid_value',
    );
  checkParameters(fn.parameters, `${path}.parameters`, name);
}

/**
 * A function's `parameters` (chat's `tools[i].function.parameters`, Responses' `tools[i].parameters`):
 * absent, or a JSON Schema object that its meta-schema takes (json-schema-fault.ts), in OpenAI's
 * words ("Invalid schema for function …", code `invalid_function_parameters`).
 */
export function checkParameters(parameters: unknown, path: string, name: string): void {
  if (parameters === undefined || parameters === null) return;
  if (!isObject(parameters))
    throw invalidRequest(
      `'${path}' must be a JSON Schema object, such as {"type": "object", "properties": {}}.`,
      path,
      'invalid_type',
    );
  const fault = jsonSchemaFault(parameters);
  if (fault)
    throw invalidRequest(
      `Invalid schema for function '${name.slice(0, 64)}' (${path}): ${fault}.`,
      path,
      'invalid_function_parameters',
    );
}

/**
 * A custom tool's properties (openapi.yaml `CustomToolChatCompletions`): a name, and a format of
 * text or a grammar with its syntax (lark or regex) and definition. Read where custom tools are
 * bridged to function tools (src/gateway/custom-tool-bridge.ts).
 */
export function checkCustomTool(custom: unknown, path: string): void {
  if (!isObject(custom) || typeof custom.name !== 'string' || !custom.name)
    throw invalidRequest(
      `'${path}.name' is required: {type:'custom', custom:{name, description, format}}.`,
      `${path}.name`,
      'missing_required_parameter',
    );
  const format = custom.format;
  if (format === undefined || format === null) return;
  const grammar = isObject(format) ? format.grammar : undefined;
  const ok =
    isObject(format) &&
    (format.type === 'text' ||
      (format.type === 'grammar' &&
        isObject(grammar) &&
        (grammar.syntax === 'lark' || grammar.syntax === 'regex') &&
        typeof grammar.definition === 'string'));
  if (!ok)
    throw invalidRequest(
      `'${path}.format' must be {type:'text'} or {type:'grammar', grammar:{syntax:'lark'|'regex', definition}}.`,
      `${path}.format`,
      'invalid_value',
    );
}

const TOOL_CHOICES = new Set(['none', 'auto', 'required']);

/**
 * A request's `tools` (function and custom tools, no two of one name) and `tool_choice` (a string,
 * or an object whose named tool is one of the request's tools of its type).
 */
export function checkTools(body: Record<string, unknown>): void {
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

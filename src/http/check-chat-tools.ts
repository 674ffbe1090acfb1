// The tools of a chat request and the tool calls of its assistant turns, checked on the fields
// an upstream checks, so the answer does not depend on which deployment routing picks.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { describeValue } from '../core/describe-value.js';

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
  if (fn.parameters !== undefined && fn.parameters !== null && !isObject(fn.parameters))
    throw invalidRequest(
      `'${path}.parameters' must be a JSON Schema object, such as {"type": "object", "properties": {}}.`,
      `${path}.parameters`,
      'invalid_type',
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

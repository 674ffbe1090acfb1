// Responses tools → chat tools, for the bridge (CONTRACTS.md §3). Function tools are flat in
// Responses and wrapped in chat. A `namespace` tool (openapi.yaml `NamespaceToolParam`: function
// and custom tools grouped under a name, as the Codex CLI sends its sub-agent tools) becomes one
// chat tool per member, named `<namespace>__<name>`; a call the model makes to one comes back as a
// `function_call` (or `custom_tool_call`) item with its `namespace` and own `name`. Custom
// (free-form) tools become chat custom tools, which the gateway bridges to function tools where
// the upstream has none (src/gateway/custom-tool-bridge.ts). Hosted tools (web search, file search,
// code interpreter, …) run at OpenAI: a deployment that speaks the Responses API natively gets
// them as the client sent them; the bridge cannot run them, so they are left out there with a
// warning (src/policy/reasoning-params.ts) rather than refusing the request (the Codex CLI sends
// `web_search` with every turn); the web search reaches a Claude deployment that searches as
// Anthropic's web search tool (web-search-calls.ts has its searches back). Tools the client runs (`shell` with a local environment,
// `apply_patch`) are offered as functions (local-tools.ts).
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { flatName } from '../../core/tool-namespace.js';
import { approximateLocation, isHostedWebSearch } from '../../core/web-search.js';
import { claudeSearchTool } from '../../providers/anthropic/anthropic-web-search.js';
import { webSearchOptionsOf } from '../anthropic/messages-web-search.js';
import {
  HOSTED_TOOLS_FIELD,
  WEB_SEARCH_TOOL_FIELD,
  type ChatRequest,
} from '../../core/wire-types.js';
import { localToolAsFunction, localToolKind } from './local-tools.js';
import { refuseToolNameClash, type NamedTool } from '../tool-name-clash.js';
import { checkParameters } from '../check-chat-tools.js';

type Json = Record<string, unknown>;
type ChatTools = NonNullable<ChatRequest['tools']>;

export interface NamespacedName {
  namespace: string;
  name: string;
}

/** The request's tools for chat, and the hosted tools' types, which chat has no place for. */
export function convertTools(tools: unknown): { tools?: ChatTools; hosted: string[] } {
  if (tools === undefined || tools === null) return { hosted: [] };
  if (!Array.isArray(tools)) throw invalidRequest("'tools' must be an array.", 'tools');
  const out: ChatTools = [];
  const hosted: string[] = [];
  tools.forEach((t, i) => {
    const path = `tools[${i}]`;
    if (!isObject(t) || typeof t.type !== 'string')
      throw invalidRequest(`${path} must be a tool object with a type.`, path);
    if (t.type === 'function') out.push(functionTool(t, path));
    else if (t.type === 'namespace') out.push(...namespaceTools(t, path));
    else if (t.type === 'custom') out.push(customTool(t, path));
    else {
      const local = localToolKind(t);
      if (local) out.push(localToolAsFunction(local));
      else hosted.push(t.type);
    }
  });
  refuseToolNameClash(namedTools(tools));
  return { ...(out.length ? { tools: out } : {}), hosted };
}

/** The function and custom tools by their chat names (a namespace's members flattened), checked. */
function* namedTools(tools: Json[]): Generator<NamedTool> {
  for (const [i, t] of tools.entries()) {
    if (t.type === 'function' || t.type === 'custom')
      yield { type: t.type, name: String(t.name), path: `tools[${i}]` };
    if (t.type === 'namespace')
      for (const [j, m] of (t.tools as Json[]).entries())
        yield {
          type: m.type === 'custom' ? 'custom' : 'function',
          name: flatName(String(t.name), String(m.name)),
          path: `tools[${i}].tools[${j}]`,
        };
  }
}

type FunctionTool = Extract<ChatTools[number], { type: 'function' }>;
type CustomTool = Extract<ChatTools[number], { type: 'custom' }>;

/**
 * A Responses custom tool (openapi.yaml `CustomToolParam`) → chat's (`CustomToolChatCompletions`):
 * the same name, description and format, the grammar's `syntax` and `definition` nested under
 * `grammar` in chat.
 */
function customTool(t: Json, path: string, name = t.name): CustomTool {
  if (typeof t.name !== 'string' || !t.name)
    throw invalidRequest(
      `${path} must be a custom tool {type:'custom', name, format}.`,
      `${path}.name`,
    );
  const format = t.format;
  let chatFormat: CustomTool['custom']['format'];
  if (isObject(format) && format.type === 'text') chatFormat = { type: 'text' };
  else if (
    isObject(format) &&
    format.type === 'grammar' &&
    (format.syntax === 'lark' || format.syntax === 'regex') &&
    typeof format.definition === 'string'
  )
    chatFormat = {
      type: 'grammar',
      grammar: { syntax: format.syntax, definition: format.definition },
    };
  else if (format !== undefined && format !== null)
    throw invalidRequest(
      `${path}.format must be {type:'text'} or {type:'grammar', syntax:'lark'|'regex', definition}.`,
      `${path}.format`,
    );
  return {
    type: 'custom',
    custom: {
      name: String(name),
      ...(typeof t.description === 'string' ? { description: t.description } : {}),
      ...(chatFormat ? { format: chatFormat } : {}),
    },
  };
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function functionTool(t: Json, path: string, name = t.name): FunctionTool {
  if (typeof t.name !== 'string' || !t.name)
    throw invalidRequest(
      `${path} must be a function tool {type:'function', name, parameters}.`,
      `${path}.name`,
    );
  // OpenAI's rule for a function's name, checked here so that the pick cannot decide the answer.
  if (!FUNCTION_NAME.test(t.name))
    throw invalidRequest(
      `Invalid '${path}.name': ${JSON.stringify(t.name.slice(0, 80))} does not match the pattern '^[a-zA-Z0-9_-]{1,64}$' (letters, digits, _ and -, at most 64 characters).`,
      `${path}.name`,
    );
  checkParameters(t.parameters, `${path}.parameters`, t.name);
  return {
    type: 'function',
    function: {
      name: String(name),
      ...(typeof t.description === 'string' ? { description: t.description } : {}),
      parameters: (t.parameters as Json | undefined) ?? { type: 'object', properties: {} },
      ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
    },
  };
}

function namespaceTools(t: Json, path: string): ChatTools {
  if (typeof t.name !== 'string' || !t.name)
    throw invalidRequest(`${path}.name is required: the namespace's name.`, `${path}.name`);
  if (!Array.isArray(t.tools) || t.tools.length === 0)
    throw invalidRequest(
      `${path}.tools must be a non-empty array of function or custom tools.`,
      `${path}.tools`,
    );
  const namespace = t.name;
  const about = typeof t.description === 'string' && t.description ? `${t.description} ` : '';
  return t.tools.map((member, j) => {
    const mp = `${path}.tools[${j}]`;
    if (!isObject(member) || (member.type !== 'function' && member.type !== 'custom'))
      throw invalidRequest(
        `${mp} must be a function tool {type:'function', name, parameters} or a custom tool {type:'custom', name, format}.`,
        mp,
      );
    const flat = flatName(namespace, String(member.name));
    const tool =
      member.type === 'custom' ? customTool(member, mp, flat) : functionTool(member, mp, flat);
    // The model sees the namespace's description beside each member's.
    const fields = tool.type === 'custom' ? tool.custom : tool.function;
    if (about) {
      const own = fields.description;
      fields.description = `${about.trim()}${own ? `\n\n${own}` : ''}`;
    }
    return tool;
  });
}

const namespacedByRequest = new WeakMap<Json, Map<string, NamespacedName>>();

/**
 * The namespace and own name of a chat function called in reply to `request` (a Responses request
 * body), when the function is a member of one of its namespace tools. Read from the request's
 * tools, never from the name alone: a plain function may have `__` in its name.
 */
export function namespacedName(request: Json, chatName: string): NamespacedName | undefined {
  let names = namespacedByRequest.get(request);
  if (!names) {
    names = new Map();
    for (const t of Array.isArray(request.tools) ? request.tools : [])
      if (isObject(t) && t.type === 'namespace' && Array.isArray(t.tools))
        for (const m of t.tools)
          if (isObject(m) && typeof m.name === 'string')
            names.set(flatName(String(t.name), m.name), {
              namespace: String(t.name),
              name: m.name,
            });
    namespacedByRequest.set(request, names);
  }
  return names.get(chatName);
}

/**
 * A function_call (or custom_tool_call) item's fields for a chat tool call's name: `namespace`
 * and `name`, or `name`. The namespace tools are those of `requests` (a Responses request, or a
 * stored Response, which carries its request's tools), the first that has the name.
 */
export function callName(requests: Json | readonly Json[], chatName: string): Json {
  for (const request of Array.isArray(requests) ? requests : [requests]) {
    const named = namespacedName(request as Json, chatName);
    if (named) return { namespace: named.namespace, name: named.name };
  }
  return { name: chatName };
}

export function convertToolChoice(choice: unknown): ChatRequest['tool_choice'] {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (
    isObject(choice) &&
    (choice.type === 'function' || choice.type === 'custom') &&
    typeof choice.name === 'string'
  ) {
    const name =
      typeof choice.namespace === 'string' && choice.namespace
        ? flatName(choice.namespace, choice.name)
        : choice.name;
    return choice.type === 'custom'
      ? { type: 'custom', custom: { name } }
      : { type: 'function', function: { name } };
  }
  throw invalidRequest(
    "'tool_choice' must be auto, none, required, {type:'function', name}, {type:'custom', name} or {type:'web_search'} (no other hosted tool can be forced through this router).",
    'tool_choice',
  );
}

/** The hosted web search tool as chat's `web_search_options` (its location and context size). */
function chatWebSearchOptions(t: Json): Json {
  const size = t.search_context_size;
  return {
    ...webSearchOptionsOf(t),
    ...(size === 'low' || size === 'medium' || size === 'high'
      ? { search_context_size: size }
      : {}),
  };
}

/**
 * The hosted web search tool as Anthropic's (`web_search_20250305`): its approximate location and
 * allowed domains. A deployment that searches with it (Claude, `capabilities.webSearch`) gets it
 * as a tool the model may call; `search_context_size` has no Anthropic counterpart.
 */
function claudeWebSearchTool(t: Json): Json {
  const domains = isObject(t.filters) ? t.filters.allowed_domains : undefined;
  return {
    ...claudeSearchTool(approximateLocation(t.user_location)),
    ...(Array.isArray(domains) && domains.length && domains.every((d) => typeof d === 'string')
      ? { allowed_domains: domains }
      : {}),
  };
}

/** Sets the tools on the bridged chat request, and the hosted tools it leaves out (for warnings). */
export function applyTools(chat: ChatRequest, body: Json): void {
  const { tools, hosted } = convertTools(body.tools);
  if (tools) chat.tools = tools;
  if (hosted.length) chat[HOSTED_TOOLS_FIELD] = hosted;
  // The hosted web search, for a deployment that searches as a tool the model may call (Claude):
  // not a need to search (web_search_options), so routing is as without it.
  const search = Array.isArray(body.tools)
    ? (body.tools as unknown[]).find((t): t is Json => isObject(t) && isHostedWebSearch(t.type))
    : undefined;
  // Forced (`tool_choice: {type: "web_search"}`): a need to search, as chat's web search is, so
  // only deployments that search serve it (Claude forced to its tool, unless it thinks; an OpenAI
  // search model, which searches on every request, with `web_search_options`).
  const forced = isObject(body.tool_choice) && isHostedWebSearch(body.tool_choice.type);
  if (forced && !search)
    throw invalidRequest(
      `'tool_choice' names the hosted tool ${JSON.stringify((body.tool_choice as Json).type)}, which is not in 'tools': add it there.`,
      'tool_choice',
    );
  if (search) chat[WEB_SEARCH_TOOL_FIELD] = { tool: claudeWebSearchTool(search), forced };
  if (forced && search) chat.web_search_options = chatWebSearchOptions(search);
  const toolChoice = forced ? undefined : convertToolChoice(body.tool_choice);
  // Chat takes tool_choice only beside tools (hosted tools alone leave none).
  if (toolChoice && tools) chat.tool_choice = toolChoice;
}

// Anthropic Messages in, whichever provider serves (CONTRACTS.md §4–5, reverse direction): an
// incoming Messages request → ChatRequest, its content blocks through messages-content-blocks.ts.
// The way back is messages-reply.ts (the chat reply → an Anthropic Message) and messages-stream.ts
// (chat chunks → stream events); errors take Anthropic's envelope (anthropic-error-body.ts).
import { effortOfBudget } from '../openrouter-reasoning.js';
import { invalidRequest } from '../../core/errors.js';
import { checkMessagesRequest } from './check-messages-request.js';
import type {
  ChatMessage,
  ChatRequest,
  FunctionToolCall,
  ReasoningDetail,
  ServerBlock,
} from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import { ROUTED_MODEL } from '../check-fields.js';
import { describeValue } from '../../core/describe-value.js';
import {
  ANTHROPIC_DOCUMENT,
  CLAUDE_PARAMS_FIELD,
  CONTEXT_MANAGEMENT_FIELD,
  TOOL_RESULT_ERROR,
  TOP_CACHE_CONTROL,
  ADAPTIVE_THINKING_FIELD,
  EFFORT_FIELD,
  SERVER_BLOCKS_FIELD,
  THINKING_BUDGET_FIELD,
  WEB_SEARCH_TOOL_FIELD,
} from '../../core/wire-types.js';
import { isServerBlock } from '../../providers/anthropic/anthropic-web-search.js';
import { definedToolAsFunction, isAnthropicDefinedTool } from './anthropic-defined-tools.js';
import { isWebSearchTool, webSearchOptionsOf, withoutEmptyDomains } from './messages-web-search.js';
import {
  cacheMark,
  documentPart,
  imagePart,
  searchResultPart,
  textOrParts,
  toolResultContent,
} from './messages-content-blocks.js';

type Json = Record<string, unknown>;

/**
 * Claude API fields no other API has (Anthropic docs, @anthropic-ai/sdk `MessageCreateParams`
 * and the beta's `fallbacks`, `compaction`): carried for the gateway to send on to Claude, drop
 * with a warning, or enforce by eligibility (`inference_geo`) (policy/claude-only-params.ts).
 */
const CLAUDE_ONLY_FIELDS = [
  'speed',
  'diagnostics',
  'container',
  'inference_geo',
  'fallbacks',
  'compaction',
] as const;

/** The client's blocks Claude cites when their `citations` are enabled. */
const CITABLE_BLOCKS = new Set<unknown>(['document', 'search_result']);

/**
 * An assistant turn's text blocks: one text as before, but kept as text parts where one is a
 * caching breakpoint, or where there are several (as for user turns: a turn once sent marked as
 * blocks must come back as the same blocks when the breakpoint has moved on, or the cache misses).
 */
function assistantContent(texts: Json[]): string | Json[] | null {
  if (texts.length > 1 || texts.some((t) => t.cache_control)) return texts;
  return (texts[0]?.text as string | undefined) || null;
}

/**
 * An Anthropic Messages request → the ChatRequest the gateway runs. A token-count request
 * (`/v1/messages/count_tokens`, `forCount`) has no `max_tokens`.
 */
export function messagesToChat(body: unknown, forCount = false): ChatRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  // Anthropic's wording (pydantic's), then what to send.
  if (body.model === undefined || body.model === null || body.model === '')
    throw invalidRequest(`model: Field required: ${ROUTED_MODEL}`, 'model');
  if (typeof body.model !== 'string')
    throw invalidRequest(
      `model: Input should be a valid string: ${ROUTED_MODEL}; got ${describeValue(body.model)}`,
      'model',
    );
  checkMessagesRequest(body, forCount);
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw invalidRequest('messages: at least one message is required', 'messages');
  const out: ChatMessage[] = [];
  if (body.system !== undefined)
    out.push({ role: 'system', content: textOrParts(body.system, 'system') } as ChatMessage);
  // Anthropic's web search tool: chat's web search, the tool kept whole for Claude.
  const search = Array.isArray(body.tools)
    ? (body.tools as unknown[]).find((t): t is Json => isObject(t) && isWebSearchTool(t))
    : undefined;
  body.messages.forEach((m, i) => {
    const path = `messages.${i}`;
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'system'))
      throw invalidRequest(`${path}.role must be "user", "assistant" or "system".`, `${path}.role`);
    // A system message mid-conversation (Claude Code sends them, beta
    // `mid-conversation-system-2026-04-07`): a chat system message where it stands.
    if (m.role === 'system') {
      out.push({
        role: 'system',
        content: textOrParts(m.content, `${path}.content`),
      } as ChatMessage);
      return;
    }
    if (typeof m.content === 'string') {
      out.push({ role: m.role, content: m.content });
      return;
    }
    if (!Array.isArray(m.content))
      throw invalidRequest(
        `${path}.content must be a string or an array of content blocks.`,
        `${path}.content`,
      );
    if (m.role === 'assistant') {
      const texts: Json[] = [];
      const toolCalls: FunctionToolCall[] = [];
      const reasoning: ReasoningDetail[] = [];
      // Claude's search blocks of an earlier turn, where they stood in its text: sent back to
      // Claude with the web search tool (its results are the context of the text that cites
      // them); without the tool, and to any other upstream, left out.
      const server: ServerBlock[] = [];
      let chars = 0;
      for (const b of m.content as Json[]) {
        if (b?.type === 'text') {
          texts.push({ type: 'text', text: String(b.text ?? ''), ...cacheMark(b) });
          chars += String(b.text ?? '').length;
        } else if (search && isObject(b) && isServerBlock(b)) server.push({ at: chars, block: b });
        // A breakpoint on a tool_use block (opencode marks its last two messages, often such a
        // turn) rides on the tool call, as on tools, for an Anthropic deployment to put back.
        else if (b?.type === 'tool_use')
          toolCalls.push({
            id: String(b.id),
            type: 'function',
            function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
            ...cacheMark(b),
          });
        // Claude's thinking, signed: carried back to an Anthropic deployment as it came (its tool
        // loops need it); other providers never see it. An unsigned block is not Claude's: left out.
        else if (b?.type === 'thinking' && typeof b.signature === 'string' && b.signature)
          reasoning.push({
            provider: 'anthropic',
            type: 'thinking',
            thinking: String(b.thinking ?? ''),
            signature: b.signature,
          });
        else if (b?.type === 'redacted_thinking' && typeof b.data === 'string')
          reasoning.push({ provider: 'anthropic', type: 'redacted_thinking', data: b.data });
      }
      out.push({
        role: 'assistant',
        content: assistantContent(texts),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        ...(reasoning.length ? { reasoning_details: reasoning } : {}),
        ...(server.length ? { [SERVER_BLOCKS_FIELD]: server } : {}),
      } as ChatMessage);
      return;
    }
    // User turn: tool results first (as tool messages), then the rest as one user message.
    const parts: unknown[] = [];
    const toolMedia: unknown[] = [];
    (m.content as Json[]).forEach((b, j) => {
      const bp = `${path}.content.${j}`;
      if (b?.type === 'tool_result') {
        const { text, media } = toolResultContent(b, `${bp}.content`);
        toolMedia.push(...media);
        // A failed tool's result: "Error: " for upstreams without Anthropic's flag, the flag
        // itself for Claude (TOOL_RESULT_ERROR; before, Claude got the prefix only: audit F2).
        const content = b.is_error === true ? `Error: ${text}` : text;
        out.push({
          role: 'tool',
          tool_call_id: String(b.tool_use_id),
          content: isObject(b.cache_control)
            ? [{ type: 'text', text: content, ...cacheMark(b) }]
            : content,
          ...(b.is_error === true ? { [TOOL_RESULT_ERROR]: true } : {}),
        } as ChatMessage);
      } else if (b?.type === 'text')
        parts.push({ type: 'text', text: String(b.text ?? ''), ...cacheMark(b) });
      else if (b?.type === 'image') parts.push({ ...imagePart(b, bp), ...cacheMark(b) });
      else if (b?.type === 'document') parts.push(documentPart(b, bp));
      else if (b?.type === 'search_result') parts.push(searchResultPart(b, bp));
      else throw invalidRequest(`${bp}.type "${String(b?.type)}" is not supported.`, `${bp}.type`);
    });
    parts.unshift(...toolMedia);
    // Several blocks stay parts even unmarked: Claude's prompt cache is a prefix of the request
    // as sent, and Claude Code's breakpoint moves on to the next turn, so a turn cached as blocks
    // must come back as those blocks (joined into one text, every later turn missed the cache).
    if (parts.length) {
      // A document stays a part: the part carries the block for Claude (ANTHROPIC_DOCUMENT).
      const onePlainText =
        parts.length === 1 &&
        (parts[0] as Json).type === 'text' &&
        !(parts[0] as { [ANTHROPIC_DOCUMENT]?: unknown })[ANTHROPIC_DOCUMENT];
      out.push({
        role: 'user',
        content:
          onePlainText && !(parts[0] as Json).cache_control
            ? (parts[0] as { text: string }).text
            : (parts as ChatMessage['content']),
      } as ChatMessage);
    }
  });
  const chat: ChatRequest = {
    model: body.model,
    messages: out,
    max_tokens: body.max_tokens,
  } as ChatRequest;
  // Anthropic's automatic caching (a top-level `cache_control`): for Claude, as sent (audit F3).
  if (isObject(body.cache_control))
    (chat as { [TOP_CACHE_CONTROL]?: unknown })[TOP_CACHE_CONTROL] = body.cache_control;
  if (search) {
    chat.web_search_options = webSearchOptionsOf(search);
    const tc = body.tool_choice;
    const forced = isObject(tc) && tc.type === 'tool' && tc.name === search.name;
    chat[WEB_SEARCH_TOOL_FIELD] = { tool: withoutEmptyDomains(search), forced };
  }
  const clientTools = Array.isArray(body.tools)
    ? body.tools.filter((t) => !(isObject(t) && isWebSearchTool(t)))
    : undefined;
  if (clientTools?.length) {
    chat.tools = clientTools.map((t, i) => {
      // Bash, the text editor, memory: a function any model can call; Claude gets the tool as sent.
      if (isObject(t) && isAnthropicDefinedTool(t))
        return definedToolAsFunction(t) as unknown as NonNullable<ChatRequest['tools']>[number];
      if (!isObject(t) || typeof t.name !== 'string')
        throw invalidRequest(`tools.${i}: a tool needs a name and input_schema.`, `tools.${i}`);
      return {
        type: 'function' as const,
        function: {
          name: t.name,
          ...(typeof t.description === 'string' ? { description: t.description } : {}),
          parameters: (t.input_schema as Json) ?? { type: 'object' },
        },
        ...cacheMark(t),
      };
    });
  }
  const tc = body.tool_choice;
  // Without tools to call (none sent, or an empty list), `auto` and `none` say nothing, and chat's
  // tool_choice and parallel_tool_calls are refused without tools by OpenAI ("only allowed when
  // 'tools' are specified"): left out. `any` and a named tool were refused above if unservable.
  // `any` when the web search is the only tool asks for a search, which web_search_options
  // already does: chat's `required` with no tools is refused by OpenAI, so it is left out too.
  const searchOnly = !chat.tools?.length && search !== undefined;
  if (
    isObject(tc) &&
    (chat.tools?.length ||
      (tc.type !== 'auto' && tc.type !== 'none' && !(tc.type === 'any' && searchOnly)))
  ) {
    if (tc.type === 'auto') chat.tool_choice = 'auto';
    else if (tc.type === 'any') chat.tool_choice = 'required';
    else if (tc.type === 'none') chat.tool_choice = 'none';
    // Naming the web search tool asks for a search, which web_search_options already does.
    else if (tc.type === 'tool' && typeof tc.name === 'string' && tc.name !== search?.name)
      chat.tool_choice = { type: 'function', function: { name: tc.name } };
    if (tc.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  }
  // Structured outputs (`output_config.format`; `output_format` in the beta): chat's JSON-schema
  // output, which every provider serves (Claude through the router's forced tool) and whose JSON
  // comes back as the text block Anthropic returns. Not `strict`: OpenAI's strict mode refuses
  // schemas Anthropic takes (optional properties), so an OpenAI upstream would answer 400.
  const format =
    (isObject(body.output_config) ? body.output_config.format : undefined) ?? body.output_format;
  if (isObject(format) && isObject(format.schema))
    chat.response_format = {
      type: 'json_schema',
      json_schema: { name: 'output', schema: format.schema, strict: false },
    };
  // Anthropic takes an empty list (no stop sequences); OpenAI refuses `stop: []`: none is sent.
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0)
    chat.stop = body.stop_sequences.map(String);
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  // Not an OpenAI parameter: Anthropic and vLLM-style servers take it; the gateway drops it, with a
  // warning, for OpenAI and Azure (src/policy/reasoning-params.ts).
  if (typeof body.top_k === 'number') chat.top_k = body.top_k;
  if (isObject(body.metadata) && typeof body.metadata.user_id === 'string')
    chat.user = body.metadata.user_id;
  // Anthropic's tiers as chat's: `standard_only` is OpenAI's `default` (an OpenAI-format upstream
  // takes it; a Claude one gets `standard_only` back, anthropic-convert.ts claudeServiceTier).
  if (body.service_tier === 'auto') chat.service_tier = 'auto';
  else if (body.service_tier === 'standard_only') chat.service_tier = 'default';
  if (isObject(body.thinking) && body.thinking.type === 'enabled') {
    const budget = Number(body.thinking.budget_tokens ?? 0);
    chat.reasoning_effort = effortOfBudget(budget);
    // The exact budget, for an Anthropic deployment (others get the effort; the field is ours).
    chat[THINKING_BUDGET_FIELD] = budget;
  }
  const effort = isObject(body.output_config) ? body.output_config.effort : undefined;
  // Adaptive thinking (Claude decides how much): thinking at the client's effort, else at
  // Anthropic's default effort, high (docs: "Adaptive thinking"). Claude that takes it gets it as
  // is; the effort is the budget or reasoning_effort of every other (reasoning-params.ts).
  // `disabled` is thinking left off, as when `thinking` is absent.
  if (isObject(body.thinking) && body.thinking.type === 'adaptive') {
    chat.reasoning_effort = (
      typeof effort === 'string' ? effort : 'high'
    ) as ChatRequest['reasoning_effort'];
    chat[ADAPTIVE_THINKING_FIELD] = true;
  }
  // Anthropic's effort (checked: low … max): where it goes is each deployment's (reasoning-params.ts).
  if (typeof effort === 'string') chat[EFFORT_FIELD] = effort;
  // Anthropic's context editing: for an Anthropic deployment that takes it (reasoning-params.ts).
  if (isObject(body.context_management)) chat[CONTEXT_MANAGEMENT_FIELD] = body.context_management;
  const claudeOnly: Json = {};
  for (const field of CLAUDE_ONLY_FIELDS)
    if (body[field] !== undefined && body[field] !== null) claudeOnly[field] = body[field];
  if (Object.keys(claudeOnly).length) chat[CLAUDE_PARAMS_FIELD] = claudeOnly;
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

/**
 * Whether a Messages body's documents or search results ask for citations (`citations.enabled`,
 * in a user turn or a tool result): Claude's come back, another model's answer has none
 * (messages-routes.ts warns).
 */
export function asksDocumentCitations(body: unknown): boolean {
  const messages = isObject(body) && Array.isArray(body.messages) ? body.messages : [];
  const asks = (b: unknown): boolean =>
    isObject(b) &&
    ((CITABLE_BLOCKS.has(b.type) && isObject(b.citations) && b.citations.enabled === true) ||
      (b.type === 'tool_result' && Array.isArray(b.content) && b.content.some(asks)));
  return messages.some((m) => isObject(m) && Array.isArray(m.content) && m.content.some(asks));
}

// Anthropic Messages in, whichever provider serves (CONTRACTS.md §4–5, reverse direction): an
// incoming Messages request → ChatRequest; GatewayError → Anthropic's error envelope. The way back
// (the chat reply → an Anthropic Message, chat chunks → stream events) is messages-reply.ts.
import { effortOfBudget } from '../openrouter-reasoning.js';
import { invalidRequest, type GatewayError } from '../../core/errors.js';
import { checkMessagesRequest } from './check-messages-request.js';
import type {
  ChatMessage,
  ChatRequest,
  FunctionToolCall,
  ReasoningDetail,
  ServerBlock,
} from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import { isImageUrl, quoteUrl } from '../../core/image-url.js';
import { ROUTED_MODEL } from '../check-fields.js';
import { describeValue } from '../../core/describe-value.js';
import {
  ANTHROPIC_DOCUMENT,
  CLIENT_PATH,
  CONTEXT_MANAGEMENT_FIELD,
  TOOL_RESULT_ERROR,
  TOP_CACHE_CONTROL,
  type AnthropicDocument,
  ADAPTIVE_THINKING_FIELD,
  EFFORT_FIELD,
  SERVER_BLOCKS_FIELD,
  THINKING_BUDGET_FIELD,
  WEB_SEARCH_TOOL_FIELD,
} from '../../core/wire-types.js';
import { isServerBlock } from '../../providers/anthropic/anthropic-web-search.js';
import { definedToolAsFunction, isAnthropicDefinedTool } from './anthropic-defined-tools.js';
import { isWebSearchTool, webSearchOptionsOf, withoutEmptyDomains } from './messages-web-search.js';

type Json = Record<string, unknown>;

function textOf(blocks: unknown, path: string): string {
  if (typeof blocks === 'string') return blocks;
  if (!Array.isArray(blocks))
    throw invalidRequest(`${path} must be a string or an array of text blocks.`, path);
  return blocks
    .map((b) => (isObject(b) && b.type === 'text' ? String(b.text ?? '') : ''))
    .join('\n');
}

/**
 * A block's prompt-caching breakpoint (`cache_control`), carried on the chat part or tool it
 * becomes, as OpenAI-format gateways carry it, so an Anthropic deployment gets it back.
 */
function cacheMark(block: Json): { cache_control?: unknown } {
  return isObject(block.cache_control) ? { cache_control: block.cache_control } : {};
}

/** Text blocks with a caching breakpoint stay blocks (chat text parts); others join as text. */
function textOrParts(blocks: unknown, path: string): string | Json[] {
  if (Array.isArray(blocks) && blocks.some((b) => isObject(b) && isObject(b.cache_control)))
    return (blocks as Json[])
      .filter((b) => isObject(b) && b.type === 'text')
      .map((b) => ({ type: 'text', text: String(b.text ?? ''), ...cacheMark(b) }));
  return textOf(blocks, path);
}

/** An image block → a chat image part, which keeps the block's place for errors about it. */
function imagePart(block: Json, path: string) {
  const src = block.source;
  if (isObject(src) && src.type === 'base64') {
    if (typeof src.media_type !== 'string' || typeof src.data !== 'string')
      throw invalidRequest(
        `${path}.source needs media_type (image/jpeg, image/png, image/gif or image/webp) and data (base64) as strings.`,
        `${path}.source`,
      );
    return {
      type: 'image_url' as const,
      image_url: { url: `data:${src.media_type};base64,${src.data}` },
      [CLIENT_PATH]: `${path}.source`,
    };
  }
  if (isObject(src) && src.type === 'url') {
    if (typeof src.url !== 'string' || !isImageUrl(src.url, false))
      throw invalidRequest(
        `${path}.source.url: must be an http(s) URL of the image (inline images go as {type: 'base64', media_type, data}); got ${quoteUrl(String(src.url))}.`,
        `${path}.source.url`,
      );
    return { type: 'image_url' as const, image_url: { url: src.url } };
  }
  throw invalidRequest(
    `${path}.source must be {type:'base64', media_type, data} or {type:'url', url}.`,
    `${path}.source`,
  );
}

/**
 * A tool_result's content: its text for the chat tool message, and its images and documents
 * (Claude Code's Read tool returns screenshots and PDFs so), which a chat tool message cannot
 * hold, as parts for the user message after the tool messages, each tool's under a line naming
 * its call (before, they were dropped without a word). An Anthropic deployment gets them back in
 * the same user turn, after the tool_result blocks.
 */
function toolResultContent(b: Json, path: string): { text: string; media: unknown[] } {
  if (typeof b.content === 'string' || b.content === undefined)
    return { text: String(b.content ?? ''), media: [] };
  if (!Array.isArray(b.content))
    throw invalidRequest(`${path} must be a string or an array of content blocks.`, path);
  const texts: string[] = [];
  const media: unknown[] = [];
  (b.content as unknown[]).forEach((c, k) => {
    const cp = `${path}.${k}`;
    if (!isObject(c)) throw invalidRequest(`${cp}: a content block must be an object`, cp);
    if (c.type === 'text') texts.push(String(c.text ?? ''));
    else if (c.type === 'image') media.push(imagePart(c, cp));
    else if (c.type === 'document') {
      const part = documentPart(c, cp);
      if (part.type === 'text') texts.push(String(part.text));
      else media.push(part);
    } else
      throw invalidRequest(
        `${cp}.type "${String(c.type)}" is not supported in a tool_result; use text, image or document blocks.`,
        `${cp}.type`,
      );
  });
  if (media.length)
    media.unshift({
      type: 'text',
      text: `Attached to the result of tool call ${String(b.tool_use_id)}:`,
    });
  return { text: texts.join('\n'), media };
}

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
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * A document block: plain text (`source.type` "text") or text content blocks ("content") become
 * text with its title and context, which any provider reads; a base64 PDF becomes a chat `file`
 * part, which routing sends only where files are read (`capabilities.files`). Either part keeps
 * the block's breakpoint and carries the block itself (ANTHROPIC_DOCUMENT), so Claude gets the
 * document as the client sent it: a plain-text document with its title, context, citations and
 * `cache_control` (before, text documents reached Claude as text blocks without their breakpoint,
 * and `citations` were dropped everywhere: audit F3). URL sources are refused with what to send.
 */
function documentPart(b: Json, bp: string): Json {
  const source = (b.source ?? {}) as Json;
  // The block for Claude, its media type filled in where the router takes it as the default.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cache_control, ...block } = b;
  const defaultType = source.type === 'base64' ? 'application/pdf' : 'text/plain';
  if ((source.type === 'base64' || source.type === 'text') && source.media_type === undefined)
    block.source = { ...source, media_type: defaultType };
  const carried = (madeFrom: string): { [ANTHROPIC_DOCUMENT]: AnthropicDocument } => ({
    [ANTHROPIC_DOCUMENT]: { block, madeFrom },
  });
  if (source.type === 'base64' && typeof source.data === 'string') {
    const mediaType = typeof source.media_type === 'string' ? source.media_type : defaultType;
    const fileData = `data:${mediaType};base64,${source.data}`;
    return {
      type: 'file',
      file: {
        file_data: fileData,
        ...(typeof b.title === 'string' && b.title ? { filename: b.title } : {}),
      },
      ...cacheMark(b),
      ...carried(fileData),
    };
  }
  let text: string;
  if (source.type === 'text' && typeof source.data === 'string') text = source.data;
  else if (
    source.type === 'content' &&
    (Array.isArray(source.content) || typeof source.content === 'string')
  )
    text = textOf(source.content, `${bp}.source.content`);
  else
    throw invalidRequest(
      `${bp}: document blocks with a ${String(source.type ?? 'missing')} source are not supported by this router (it may route to a provider that cannot fetch them): send the document inline (source.type "base64" or "text").`,
      `${bp}.source.type`,
    );
  const head = [b.title, b.context].filter((x): x is string => typeof x === 'string' && x !== '');
  const joined = [...head, text].join('\n\n');
  return { type: 'text', text: joined, ...cacheMark(b), ...carried(joined) };
}

/**
 * Whether a Messages body's documents ask for citations (`citations.enabled`, in a user turn or a
 * tool result): Claude's come back, another model's answer has none (messages-routes.ts warns).
 */
export function asksDocumentCitations(body: unknown): boolean {
  const messages = isObject(body) && Array.isArray(body.messages) ? body.messages : [];
  const asks = (b: unknown): boolean =>
    isObject(b) &&
    ((b.type === 'document' && isObject(b.citations) && b.citations.enabled === true) ||
      (b.type === 'tool_result' && Array.isArray(b.content) && b.content.some(asks)));
  return messages.some((m) => isObject(m) && Array.isArray(m.content) && m.content.some(asks));
}

/**
 * Anthropic's error envelope (CONTRACTS.md §4.5) for a GatewayError, with the request's id as
 * Anthropic's carries it (`request_id`; the `request-id` header says the same).
 */
export function anthropicErrorBody(e: GatewayError, requestId?: string): Json {
  const type = ERROR_TYPES[e.status] ?? (e.status >= 500 ? 'api_error' : 'invalid_request_error');
  return {
    type: 'error',
    error: { type, message: e.message },
    ...(requestId ? { request_id: requestId } : {}),
  };
}

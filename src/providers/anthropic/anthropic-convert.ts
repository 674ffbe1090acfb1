// Chat Completions → Anthropic Messages for the Anthropic provider (CONTRACTS.md §5; Anthropic
// docs: https://docs.claude.com/en/api/messages): the request out. Replies, stream events and
// errors come back through anthropic-reply.ts.
import { isTextType } from '../../files/file-type.js';
import { describeImageFault, partImageType } from '../../files/inline-image.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { isSignedThinking } from '../../core/reasoning-details.js';
import {
  ANTHROPIC_DOCUMENT,
  CONTEXT_MANAGEMENT_FIELD,
  ADAPTIVE_THINKING_FIELD,
  EFFORT_FIELD,
  ANTHROPIC_TOOL_FIELD,
  THINKING_BUDGET_FIELD,
  TOOL_RESULT_ERROR,
  TOP_CACHE_CONTROL,
  WEB_SEARCH_TOOL_FIELD,
  type AnthropicDocument,
  type ChatMessage,
  type ChatRequest,
  type ReasoningDetail,
} from '../../core/wire-types.js';
import { serverBlocksOf } from '../../core/web-search.js';
import { JSON_TOOL } from './anthropic-reply.js';
import { addCacheBreakpoints, carriesCacheMark } from './auto-cache.js';
import { forcesWebSearch, webSearchTool } from './anthropic-web-search.js';

type Json = Record<string, unknown>;

/** Thinking budgets per reasoning_effort (1024 ≤ budget < max_tokens, per Anthropic's docs). */
export const THINKING_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 32000,
  max: 32000,
};

/**
 * A chat client's `reasoning_effort` as Anthropic's effort (`output_config.effort`; docs:
 * "Effort"), for a deployment with `capabilities.effort`. `minimal` is Anthropic's lowest, `low`;
 * `xhigh` and `max` are `high`, which every model with effort takes (Anthropic's own `xhigh` and
 * `max` are only on the newest, and older ones refuse them); `none` asks for no reasoning: no
 * effort is sent, and thinking stays off.
 */
export const ANTHROPIC_EFFORT: Record<string, string> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

function textContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '',
      )
      .join('\n');
  return '';
}

/**
 * An image part → Claude's image block. Inline, with the type its bytes are, not the one the data
 * URL declares: Claude refuses an image whose `media_type` is not its bytes' type, where OpenAI
 * reads the bytes (docs: "Vision"). Eligibility keeps an image Claude cannot read (rule
 * `image_type`) from Claude; this is the same check where a request reaches here another way.
 */
function imageBlock(part: unknown, url: string, at: string): Json {
  const image = partImageType(part, at);
  if (image && 'param' in image)
    throw invalidRequest(`${describeImageFault(image)}.`, image.param, 'invalid_image_format');
  if (image)
    return {
      type: 'image',
      source: { type: 'base64', media_type: image.type, data: url.slice(url.indexOf(',') + 1) },
    };
  return { type: 'image', source: { type: 'url', url } };
}

/**
 * An inline file (OpenAI's `file` part: `file_data` a data URL, or bare base64 of a PDF) → Claude's
 * `document` block: a PDF as base64, text (`text/*`, JSON) as a plain-text document, an image as
 * an image block (https://docs.claude.com/en/docs/build-with-claude/pdf-support). A `file_id`
 * names a file uploaded to OpenAI or Azure, which Claude cannot read (the router's own files are
 * inline by now): eligibility never sends one here, and this says so if it were.
 */
function documentBlock(
  part: unknown,
  file: { file_data?: string; file_id?: string; filename?: string },
  at: string,
): Json {
  if (typeof file.file_data !== 'string')
    throw invalidRequest(
      'A file part sent to Claude needs file_data (inline); a file_id names a file uploaded elsewhere.',
      'messages',
    );
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(file.file_data);
  const mediaType = m ? m[1]! : 'application/pdf';
  const data = m ? m[2]! : file.file_data;
  if (mediaType.startsWith('image/')) return imageBlock(part, file.file_data, at);
  const title = file.filename ? { title: file.filename } : {};
  if (isTextType(mediaType))
    return {
      type: 'document',
      source: {
        type: 'text',
        media_type: 'text/plain',
        data: Buffer.from(data, 'base64').toString('utf8'),
      },
      ...title,
    };
  return { type: 'document', source: { type: 'base64', media_type: mediaType, data }, ...title };
}

/** A part's or tool's prompt-caching breakpoint, as OpenAI-format clients mark it for Claude. */
function cacheMark(p: unknown): { cache_control?: unknown } {
  const mark = (p as { cache_control?: unknown } | null)?.cache_control;
  return mark && typeof mark === 'object' ? { cache_control: mark } : {};
}

function hasCacheMark(content: unknown): boolean {
  return Array.isArray(content) && content.some((p) => cacheMark(p).cache_control !== undefined);
}

/**
 * A part made from an Anthropic client's `document` block (ANTHROPIC_DOCUMENT) as that block, with
 * the part's breakpoint; undefined for any other part. Where the part's text is no longer what it
 * was made with (the content filter redacted it, a context cut shortened it), a plain-text
 * document of the part's text as it is now, so nothing taken out reaches Claude; a `file` part so
 * changed goes as any file part does.
 */
function clientDocument(p: unknown): Json | undefined {
  const doc = (p as { [ANTHROPIC_DOCUMENT]?: AnthropicDocument })[ANTHROPIC_DOCUMENT];
  if (!doc) return undefined;
  const part = p as { type?: string; text?: unknown; file?: { file_data?: unknown } };
  const now = part.type === 'text' ? part.text : part.file?.file_data;
  if (now === doc.madeFrom) return { ...doc.block, ...cacheMark(p) };
  if (part.type !== 'text' || typeof part.text !== 'string') return undefined;
  return {
    type: 'document',
    source: { type: 'text', media_type: 'text/plain', data: part.text },
    ...(doc.block.citations !== undefined ? { citations: doc.block.citations } : {}),
    ...cacheMark(p),
  };
}

/** A user (or system) turn's parts as Claude's blocks; `at` is its place, `messages[i]`. */
function userBlocks(content: ChatMessage['content'], at: string): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p, j): Json[] => {
    const part = `${at}.content[${j}]`;
    const document = clientDocument(p);
    if (document) return [document];
    if (p.type === 'text') return [{ type: 'text', text: p.text, ...cacheMark(p) }];
    if (p.type === 'image_url')
      return [{ ...imageBlock(p, p.image_url.url, part), ...cacheMark(p) }];
    if (p.type === 'file') return [{ ...documentBlock(p, p.file, part), ...cacheMark(p) }];
    return [];
  });
}

/**
 * An assistant turn's text as Claude's text blocks: a string is one block; text parts are one
 * block each, with the caching breakpoint the client set on it. Empty text, which Anthropic
 * refuses, is left out.
 */
function assistantTextBlocks(content: ChatMessage['content']): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p): Json[] =>
    p.type === 'text' && p.text ? [{ type: 'text', text: p.text, ...cacheMark(p) }] : [],
  );
}

/**
 * An assistant turn's text blocks with Claude's search blocks of that turn where they stood
 * (SERVER_BLOCKS_FIELD, each after `at` characters of the text), for a request that has the web
 * search tool (Anthropic's multi-turn search: the results are the cited text's context).
 */
function withServerBlocks(texts: Json[], m: ChatMessage, body: ChatRequest): Json[] {
  if (!isObject(body[WEB_SEARCH_TOOL_FIELD])) return texts;
  const pending = serverBlocksOf(m);
  if (pending.length === 0) return texts;
  const out: Json[] = [];
  let chars = 0;
  for (const t of texts) {
    while (pending.length && pending[0]!.at <= chars) out.push(pending.shift()!.block);
    out.push(t);
    chars += String(t.text ?? '').length;
  }
  for (const s of pending) out.push(s.block);
  return out;
}

/** Whether the conversion turns `reasoning_effort` into extended thinking (which takes no temperature). */
export function usesThinking(body: ChatRequest, deployment: DeploymentConfig): boolean {
  const effort = body.reasoning_effort;
  return typeof effort === 'string' && effort !== 'none' && deployment.capabilities.reasoning;
}

/**
 * Whether the thinking goes as Anthropic's adaptive thinking (`capabilities.adaptiveThinking`):
 * an Anthropic client's adaptive thinking; or a chat or Responses client's `reasoning_effort`
 * (no budget of an Anthropic client's) where the effort goes as Anthropic's own field, which then
 * says how much to think (docs: "Adaptive thinking" recommends it over a fixed budget).
 */
export function usesAdaptiveThinking(body: ChatRequest, deployment: DeploymentConfig): boolean {
  if (!deployment.capabilities.adaptiveThinking) return false;
  if (body[ADAPTIVE_THINKING_FIELD] === true) return true;
  return (
    body[THINKING_BUDGET_FIELD] === undefined &&
    deployment.capabilities.effort &&
    typeof body[EFFORT_FIELD] === 'string'
  );
}

/**
 * The enabled-thinking budget for the request and the max_tokens to send with it: an Anthropic
 * client's own budget where it fits, else its `reasoning_effort`'s (1024 ≤ budget < max_tokens).
 */
export function thinkingBudget(
  body: ChatRequest,
  deployment: DeploymentConfig,
): { budget: number; maxTokens: number } {
  const maxTokens =
    body.max_completion_tokens ?? body.max_tokens ?? deployment.maxOutputTokens ?? 4096;
  const asked = body[THINKING_BUDGET_FIELD];
  const budget =
    typeof asked === 'number' && asked >= 1024 && asked < maxTokens
      ? asked
      : Math.min(
          THINKING_BUDGET[body.reasoning_effort as string] ?? 4096,
          Math.max(1024, maxTokens - 1),
        );
  return { budget, maxTokens: maxTokens <= budget ? budget + 1024 : maxTokens };
}

type ResponseFormat = { type?: string; json_schema?: { name?: string; schema?: Json } } | undefined;

/**
 * The JSON schema of a JSON-schema `response_format` that the deployment takes as Anthropic's
 * native structured output (`output_config.format`, `capabilities.structuredOutputs`; docs:
 * "Structured outputs"), which leaves tools and thinking free.
 */
function nativeSchema(body: ChatRequest, deployment: DeploymentConfig): Json | undefined {
  const rf = body.response_format as ResponseFormat;
  return deployment.capabilities.structuredOutputs && rf?.type === 'json_schema'
    ? rf.json_schema?.schema
    : undefined;
}

/**
 * Whether JSON output is asked of Claude with one forced tool (JSON mode, or a JSON schema where
 * the deployment has no native structured outputs): no other tool can then be called, and
 * Anthropic refuses thinking beside it.
 */
export function jsonOutputTool(body: ChatRequest, deployment: DeploymentConfig): boolean {
  const rf = body.response_format as ResponseFormat;
  if (rf?.type === 'json_object') return true;
  return rf?.type === 'json_schema' && !!rf.json_schema?.schema && !nativeSchema(body, deployment);
}

/**
 * A final assistant turn is a prefill Claude continues, and Anthropic refuses one ending in white
 * space ("final assistant content cannot end with trailing whitespace"): its last text is sent
 * trimmed (Claude writes the space itself), and a prefill of white space only is left out.
 */
function trimPrefill(messages: { role: string; content: Json[] }[]): void {
  const last = messages[messages.length - 1];
  const block = last?.role === 'assistant' ? last.content[last.content.length - 1] : undefined;
  if (block?.type !== 'text' || typeof block.text !== 'string') return;
  const text = block.text.trimEnd();
  if (text) block.text = text;
  else if (last!.content.length > 1) last!.content.pop();
  else messages.pop();
}

/** Chat request → Anthropic Messages request body. */
export function chatToAnthropicRequest(body: ChatRequest, deployment: DeploymentConfig): Json {
  const system: Json[] = [];
  const messages: { role: 'user' | 'assistant' | 'system'; content: Json[] }[] = [];
  const push = (role: 'user' | 'assistant' | 'system', blocks: Json[]) => {
    const last = messages[messages.length - 1];
    // Anthropic expects user/assistant alternation: merge adjacent same-role turns.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const [i, m] of body.messages.entries()) {
    const at = `messages[${i}]`;
    const systemText = m.role === 'system' || m.role === 'developer';
    // After the first turn, where the platform takes it (capabilities.midConversationSystem): in
    // place, so the system prompt and the cached turns before it stay as they were.
    if (systemText && messages.length && deployment.capabilities.midConversationSystem)
      push('system', userBlocks(m.content as ChatMessage['content'], at));
    else if (systemText)
      system.push(
        ...(hasCacheMark(m.content)
          ? userBlocks(m.content as ChatMessage['content'], at)
          : [{ type: 'text', text: textContent(m.content) }]),
      );
    else if (m.role === 'user') push('user', userBlocks(m.content, at));
    else if (m.role === 'tool') {
      const marks = Array.isArray(m.content) ? m.content.map(cacheMark) : [];
      // An Anthropic client's failed tool (TOOL_RESULT_ERROR): Claude's own flag, and the text
      // without the "Error: " the bridge wrote for upstreams that have none (audit F2).
      const failed = (m as { [TOOL_RESULT_ERROR]?: unknown })[TOOL_RESULT_ERROR] === true;
      const text = textContent(m.content);
      push('user', [
        {
          type: 'tool_result',
          tool_use_id: m.tool_call_id,
          content: failed && text.startsWith('Error: ') ? text.slice('Error: '.length) : text,
          ...(failed ? { is_error: true } : {}),
          ...(marks.find((k) => k.cache_control) ?? {}),
        },
      ]);
    } else if (m.role === 'assistant') {
      const blocks: Json[] = [];
      const details = (m as { reasoning_details?: ReasoningDetail[] }).reasoning_details;
      for (const d of details ?? []) {
        // Unsigned thinking (the output filter redacted it) would be refused: left out.
        if (!isSignedThinking(d)) continue;
        blocks.push(
          d.type === 'redacted_thinking'
            ? { type: 'redacted_thinking', data: d.data }
            : { type: 'thinking', thinking: d.thinking, signature: d.signature },
        );
      }
      blocks.push(...withServerBlocks(assistantTextBlocks(m.content), m, body));
      for (const call of m.tool_calls ?? []) {
        if (call.type !== 'function') continue;
        let input: unknown;
        try {
          input = JSON.parse(call.function.arguments || '{}');
        } catch {
          throw invalidRequest(
            `The arguments of tool call ${call.id} are not valid JSON.`,
            'messages',
            'invalid_tool_arguments',
          );
        }
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input,
          ...cacheMark(call),
        });
      }
      push('assistant', blocks);
    }
  }
  trimPrefill(messages);
  const maxTokens =
    body.max_completion_tokens ?? body.max_tokens ?? deployment.maxOutputTokens ?? 4096;
  const out: Json = { model: deployment.model, max_tokens: maxTokens, messages };
  // Blocks only where one marks a caching breakpoint; otherwise one string, as before.
  if (system.some((b) => b.cache_control)) out.system = system;
  else if (system.length) out.system = system.map((b) => b.text).join('\n\n');
  if (usesThinking(body, deployment) && usesAdaptiveThinking(body, deployment))
    out.thinking = { type: 'adaptive' };
  else if (usesThinking(body, deployment)) {
    const { budget, maxTokens: withBudget } = thinkingBudget(body, deployment);
    out.max_tokens = withBudget;
    out.thinking = { type: 'enabled', budget_tokens: budget };
  } else {
    // Anthropic's temperature range is 0–1; thinking requires the default, so it is sent only without.
    if (typeof body.temperature === 'number') out.temperature = Math.min(1, body.temperature);
    if (typeof body.top_p === 'number') out.top_p = body.top_p;
    if (typeof body.top_k === 'number') out.top_k = body.top_k;
  }
  if (body.stop) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  const tier = claudeServiceTier(body.service_tier);
  if (tier) out.service_tier = tier;
  const user = (body as { safety_identifier?: unknown }).safety_identifier ?? body.user;
  if (typeof user === 'string') out.metadata = { user_id: user };
  const tools = (body.tools ?? []).filter((t) => t.type === 'function');
  const rf = body.response_format as ResponseFormat;
  const anthropicTools: Json[] = tools.map((t) =>
    // An Anthropic-defined tool (bash, the text editor, memory) as the client sent it.
    isObject((t as unknown as Json)[ANTHROPIC_TOOL_FIELD])
      ? { ...((t as unknown as Json)[ANTHROPIC_TOOL_FIELD] as Json), ...cacheMark(t) }
      : {
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          input_schema: t.function.parameters ?? { type: 'object' },
          ...cacheMark(t),
        },
  );
  // Chat's web search: Claude's own search tool (anthropic-web-search.ts).
  const search = webSearchTool(body, deployment);
  if (search) anthropicTools.push(search);
  let toolChoice: Json | undefined;
  const tc = body.tool_choice;
  if (tc === 'auto') toolChoice = { type: 'auto' };
  else if (tc === 'required') toolChoice = { type: 'any' };
  else if (tc === 'none') toolChoice = { type: 'none' };
  else if (tc && typeof tc === 'object' && 'function' in tc)
    toolChoice = { type: 'tool', name: tc.function.name };
  // An Anthropic client's forced web search (Claude Code's WebSearch asks so), unless thinking is
  // on, which Anthropic refuses beside a forced tool.
  if (!toolChoice && search && forcesWebSearch(body) && !out.thinking)
    toolChoice = { type: 'tool', name: String(search.name) };
  // Anthropic's own output settings: its effort (an Anthropic client's, where the deployment takes
  // it: reasoning-params.ts drops it elsewhere) and native structured outputs.
  const outputConfig: Json = {};
  if (typeof body[EFFORT_FIELD] === 'string' && deployment.capabilities.effort)
    outputConfig.effort = body[EFFORT_FIELD];
  const schema = nativeSchema(body, deployment);
  if (schema) outputConfig.format = { type: 'json_schema', schema };
  if (Object.keys(outputConfig).length) out.output_config = outputConfig;
  if (isObject(body[CONTEXT_MANAGEMENT_FIELD]) && deployment.capabilities.contextManagement)
    out.context_management = body[CONTEXT_MANAGEMENT_FIELD];
  if (jsonOutputTool(body, deployment) && rf) {
    // JSON output emulated with one forced tool; its input comes back as the message text. JSON
    // mode (`json_object`) is a tool whose input is any object.
    anthropicTools.push({
      name: JSON_TOOL,
      description:
        rf.type === 'json_object'
          ? 'Return the answer as a JSON object.'
          : 'Return the answer as JSON matching this schema.',
      input_schema: rf.type === 'json_object' ? { type: 'object' } : rf.json_schema!.schema!,
    });
    toolChoice = { type: 'tool', name: JSON_TOOL };
  }
  // No tool at all (`none`) takes no such flag: Anthropic's ToolChoiceNone is `{type: "none"}`.
  if (body.parallel_tool_calls === false && anthropicTools.length && toolChoice?.type !== 'none')
    toolChoice = { ...(toolChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (anthropicTools.length) out.tools = anthropicTools;
  if (toolChoice) out.tool_choice = toolChoice;
  if (body.stream === true) out.stream = true;
  // An Anthropic client's automatic caching, as it sent it: a mark of its own, so none is added.
  const topMark = (body as { [TOP_CACHE_CONTROL]?: unknown })[TOP_CACHE_CONTROL];
  if (isObject(topMark)) out.cache_control = topMark;
  else if (deployment.promptCaching === 'auto' && !carriesCacheMark(body)) addCacheBreakpoints(out);
  return out;
}

/**
 * Chat's `service_tier` as Claude's (`auto`: priority capacity when the organisation has it, else
 * standard; `standard_only`): `default` is standard only, `priority` and `auto` are `auto`, and
 * OpenAI's other tiers (`flex`, `scale`), which Claude has not, standard only (the gateway says so:
 * policy/tier-and-verbosity.ts). None sent: Claude's own default (`auto`).
 */
export function claudeServiceTier(tier: unknown): 'auto' | 'standard_only' | undefined {
  if (typeof tier !== 'string') return undefined;
  return tier === 'auto' || tier === 'priority' ? 'auto' : 'standard_only';
}

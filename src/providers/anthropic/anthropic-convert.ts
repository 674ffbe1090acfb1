// Chat Completions → Anthropic Messages for the Anthropic provider (CONTRACTS.md §5; Anthropic
// docs: https://docs.claude.com/en/api/messages): the request out, its messages' content through
// anthropic-content-blocks.ts and its thinking through anthropic-thinking.ts. Replies come back
// through anthropic-reply.ts, stream events through anthropic-stream.ts, errors anthropic-error.ts.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { isSignedThinking } from '../../core/reasoning-details.js';
import {
  claudeParamsOf,
  CONTEXT_MANAGEMENT_FIELD,
  EFFORT_FIELD,
  ANTHROPIC_TOOL_FIELD,
  TOOL_RESULT_ERROR,
  TOP_CACHE_CONTROL,
  type ChatMessage,
  type ChatRequest,
  type ReasoningDetail,
} from '../../core/wire-types.js';
import { JSON_TOOL } from './anthropic-reply.js';
import {
  addCacheBreakpoints,
  carriesCacheMark,
  explicitOnly,
  lengthenCacheMarks,
} from './auto-cache.js';
import { forcesWebSearch, webSearchTool } from './anthropic-web-search.js';
import {
  assistantTextBlocks,
  cacheMark,
  hasCacheMark,
  textContent,
  userBlocks,
  withServerBlocks,
} from './anthropic-content-blocks.js';
import { thinkingBudget, usesAdaptiveThinking, usesThinking } from './anthropic-thinking.js';

type Json = Record<string, unknown>;

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
  // An Anthropic client's Claude-only fields (speed, diagnostics, container, inference_geo,
  // fallbacks, compaction: CLAUDE_PARAMS_FIELD), as it sent them; Claude answers for them.
  Object.assign(out, claudeParamsOf(body));
  if (body.stream === true) out.stream = true;
  // An Anthropic client's automatic caching, as it sent it: a mark of its own, so none is added.
  const topMark = (body as { [TOP_CACHE_CONTROL]?: unknown })[TOP_CACHE_CONTROL];
  if (isObject(topMark)) out.cache_control = topMark;
  else if (deployment.promptCaching === 'auto' && !carriesCacheMark(body) && !explicitOnly(body))
    addCacheBreakpoints(out);
  lengthenCacheMarks(out, body);
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

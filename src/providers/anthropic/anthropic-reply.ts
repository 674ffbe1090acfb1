// Anthropic Messages → Chat Completions for the Anthropic provider (CONTRACTS.md §5; Anthropic
// docs: https://docs.claude.com/en/api/messages): a whole reply back, with the stop reason, usage
// and tier that a stream's conversion (anthropic-stream.ts) reads alike. Errors are
// anthropic-error.ts.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type {
  ChatResponse,
  ClaudeReplyFields,
  DocumentCitations,
  FunctionToolCall,
  ReasoningDetail,
  ServerBlock,
} from '../../core/wire-types.js';
import {
  CLAUDE_REPLY_FIELD,
  DOCUMENT_CITATIONS_FIELD,
  SERVER_BLOCKS_FIELD,
} from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import type { UrlCitation } from '../../core/web-search.js';
import {
  isServerBlock,
  thinkingTokens,
  urlCitations,
  webSearchRequests,
} from './anthropic-web-search.js';
import { documentCitationsOf } from './anthropic-document-citations.js';

type Json = Record<string, unknown>;

/** The tool a `response_format` JSON request is asked to call; its input is the answer. */
export const JSON_TOOL = 'json_output';

/** Anthropic stop_reason → chat finish_reason (CONTRACTS.md §5.2). */
export function mapStopReason(
  reason: unknown,
  jsonTool = false,
): ChatResponse['choices'][number]['finish_reason'] {
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'length';
  if (reason === 'tool_use') return jsonTool ? 'stop' : 'tool_calls';
  if (reason === 'refusal') return 'content_filter';
  return 'stop';
}

/**
 * The stop sequence Claude stopped at, as the choice's `stop_reason` (vLLM's field for the stop
 * string matched; OpenAI has none), so an Anthropic client gets stop_reason "stop_sequence" and
 * the sequence back instead of "end_turn".
 */
export function matchedStop(reason: unknown, sequence: unknown): { stop_reason?: string } {
  return reason === 'stop_sequence' && typeof sequence === 'string'
    ? { stop_reason: sequence }
    : {};
}

const isUsage = (u: unknown): u is Json => typeof u === 'object' && u !== null;

/**
 * The tier Anthropic served at (`usage.service_tier`: `standard` or `priority`, CONTRACTS.md §4.3)
 * as OpenAI's reply names it (openapi.yaml `ServiceTier`: `default` is standard processing); none
 * when the usage does not say.
 */
export function servedTier(u: unknown): { service_tier?: 'default' | 'priority' } {
  const tier = isUsage(u) ? u.service_tier : undefined;
  if (tier === 'standard') return { service_tier: 'default' };
  if (tier === 'priority') return { service_tier: 'priority' };
  return {};
}

/**
 * Claude's reply fields that chat has no place for (CLAUDE_REPLY_FIELD), each only where Claude
 * sent it: from a Message or a message_delta's `delta`, `stop_details` (a refusal's category and
 * explanation) and `container` (a code-execution container: id, expires_at, skills); from its
 * usage, the tier, the region it inferred in (`inference_geo`), the cache split by TTL, the speed
 * it ran at (`speed`), its thinking tokens (`output_tokens_details`) and its server tool calls
 * (`server_tool_use`) (@anthropic-ai/sdk 1.13 `Message`, `RawMessageDeltaEvent.Delta`, `Usage`).
 */
export function claudeReplyFields(fields: Json, usage: unknown): ClaudeReplyFields {
  const out: ClaudeReplyFields = {};
  if (fields.stop_details !== undefined)
    out.stop_details = isObject(fields.stop_details) ? fields.stop_details : null;
  if (fields.container !== undefined)
    out.container = isObject(fields.container) ? fields.container : null;
  const u = isUsage(usage) ? usage : {};
  const kept: NonNullable<ClaudeReplyFields['usage']> = {};
  if (isObject(u.cache_creation)) kept.cache_creation = u.cache_creation;
  if (typeof u.service_tier === 'string') kept.service_tier = u.service_tier;
  if (typeof u.inference_geo === 'string' || u.inference_geo === null)
    kept.inference_geo = u.inference_geo;
  if (typeof u.speed === 'string' || u.speed === null) kept.speed = u.speed;
  for (const key of ['output_tokens_details', 'server_tool_use'] as const)
    if (isObject(u[key]) || u[key] === null) kept[key] = u[key];
  if (Object.keys(kept).length) out.usage = kept;
  return out;
}

/**
 * Anthropic usage → OpenAI usage: input_tokens excludes cached tokens (CONTRACTS.md §4.3); the
 * reasoning tokens are Claude's thinking tokens (`output_tokens_details.thinking_tokens`, SDK 1.13
 * `OutputTokensDetails`), 0 where it gives none: part of `output_tokens`, as OpenAI's reasoning
 * tokens are part of `completion_tokens`, so they are priced once, within them (§5.2).
 */
export function mapUsage(u: Json | undefined): ChatResponse['usage'] {
  const input = Number(u?.input_tokens ?? 0);
  const cacheWrite = Number(u?.cache_creation_input_tokens ?? 0);
  const cacheRead = Number(u?.cache_read_input_tokens ?? 0);
  const creation = u?.cache_creation as Json | undefined;
  const cacheWrite1h = Number(creation?.ephemeral_1h_input_tokens ?? 0);
  const output = Number(u?.output_tokens ?? 0);
  const prompt = input + cacheWrite + cacheRead;
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: {
      cached_tokens: cacheRead,
      ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}),
      ...(cacheWrite1h ? { cache_write_1h_tokens: cacheWrite1h } : {}),
    },
    // Never more than the answer's tokens, as Anthropic's docs bound them.
    completion_tokens_details: { reasoning_tokens: u ? Math.min(thinkingTokens(u), output) : 0 },
    // Claude's web searches, as Anthropic counts them (priced by `prices.perWebSearch`).
    ...(webSearchRequests(u)
      ? { server_tool_use: { web_search_requests: webSearchRequests(u) } }
      : {}),
  } as ChatResponse['usage'];
}

/**
 * Anthropic Message → chat completion; with `keepServerBlocks`, Claude's server tool blocks ride
 * along for an Anthropic client (SERVER_BLOCKS_FIELD); with `keepDocumentCitations`, its text
 * blocks' citations of the client's documents (DOCUMENT_CITATIONS_FIELD, an empty list when none);
 * with `keepClaudeReply`, the Message's fields chat has no place for (CLAUDE_REPLY_FIELD).
 */
export function anthropicToChatResponse(
  msg: Json,
  deployment: DeploymentConfig,
  keepServerBlocks = false,
  keepDocumentCitations = false,
  keepClaudeReply = false,
): ChatResponse {
  const blocks = (Array.isArray(msg.content) ? msg.content : []) as Json[];
  let text = '';
  const toolCalls: FunctionToolCall[] = [];
  const reasoning: ReasoningDetail[] = [];
  let jsonTool = false;
  const annotations: UrlCitation[] = [];
  const serverBlocks: ServerBlock[] = [];
  const documentCitations: DocumentCitations[] = [];
  for (const b of blocks) {
    if (keepServerBlocks && isServerBlock(b)) serverBlocks.push({ at: text.length, block: b });
    else if (b.type === 'text') {
      const piece = String(b.text ?? '');
      annotations.push(...urlCitations(b.citations, text.length, piece.length));
      const cites = keepDocumentCitations ? documentCitationsOf(b.citations) : [];
      if (cites.length)
        documentCitations.push({
          start_index: text.length,
          end_index: text.length + piece.length,
          citations: cites,
        });
      text += piece;
    } else if (b.type === 'tool_use' && b.name === JSON_TOOL) {
      jsonTool = true;
      text += JSON.stringify(b.input ?? {});
    } else if (b.type === 'tool_use')
      toolCalls.push({
        id: String(b.id),
        type: 'function',
        function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) },
      });
    else if (b.type === 'thinking')
      reasoning.push({
        provider: 'anthropic',
        type: 'thinking',
        thinking: String(b.thinking ?? ''),
        signature: String(b.signature ?? ''),
      });
    else if (b.type === 'redacted_thinking')
      reasoning.push({
        provider: 'anthropic',
        type: 'redacted_thinking',
        data: String(b.data ?? ''),
      });
  }
  return {
    id: `chatcmpl-${String(msg.id ?? 'anthropic')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(msg.model ?? deployment.model),
    choices: [
      {
        index: 0,
        logprobs: null,
        finish_reason: mapStopReason(msg.stop_reason, jsonTool),
        ...matchedStop(msg.stop_reason, msg.stop_sequence),
        message: {
          role: 'assistant',
          content: text || (toolCalls.length ? null : ''),
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          ...(annotations.length ? { annotations } : {}),
          ...(reasoning.length ? { reasoning_details: reasoning } : {}),
          ...(serverBlocks.length ? { [SERVER_BLOCKS_FIELD]: serverBlocks } : {}),
          ...(keepDocumentCitations ? { [DOCUMENT_CITATIONS_FIELD]: documentCitations } : {}),
        },
      },
    ],
    // A Message without `usage` (an Anthropic-compatible server that leaves it out) has none here
    // either: the router estimates its tokens and says so (gateway/cost.ts answerUsageCounts)
    // rather than logging zeros as reported.
    ...(isUsage(msg.usage) ? { usage: mapUsage(msg.usage) } : {}),
    ...servedTier(msg.usage),
    ...(keepClaudeReply ? { [CLAUDE_REPLY_FIELD]: claudeReplyFields(msg, msg.usage) } : {}),
  } as ChatResponse;
}

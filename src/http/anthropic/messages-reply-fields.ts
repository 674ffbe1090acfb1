// A chat reply's fields as an Anthropic Message states them, read alike by the whole reply
// (messages-reply.ts) and the stream (messages-stream.ts): usage, the stop reason and sequence,
// an OpenAI-format refusal, Claude's citations of the client's documents, and Claude's own
// reply fields that chat has no place for (CLAUDE_REPLY_FIELD).
import type { ChatResponse, ClaudeReplyFields, DocumentCitations } from '../../core/wire-types.js';
import {
  cacheWrite1hTokens,
  cacheWriteTokens,
  DOCUMENT_CITATIONS_FIELD,
} from '../../core/wire-types.js';
import { matchedStopOf } from '../../core/matched-stop.js';
import { isObject } from '../../core/is-object.js';

type Json = Record<string, unknown>;

/** Chat finish_reason → Anthropic stop_reason (CONTRACTS.md §5.2, reversed). */
export function stopReason(finish: string | null | undefined): string {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls') return 'tool_use';
  if (finish === 'content_filter') return 'refusal';
  return 'end_turn';
}

/**
 * The tier the upstream served at (chat's `service_tier`) as Anthropic's `usage.service_tier`
 * names it (`standard` | `priority`); OpenAI's other tiers (flex, scale) have no such name.
 */
const ANTHROPIC_TIERS: Record<string, string> = { default: 'standard', priority: 'priority' };

/**
 * A `tool_use` block's `caller` (SDK `ToolUseBlock`, typed as always there): the model called the
 * tool itself (`DirectCaller`), as every call the router returns was made. Claude's calls from
 * code execution (programmatic tool calling) cannot happen here: its code execution tool is
 * refused (a 400 naming it).
 */
export function directCaller(): Json {
  return { type: 'direct' };
}

/**
 * A Message's fields that @anthropic-ai/sdk 1.13 types as always there but nullable (`Message`:
 * `stop_details`, `container`, `diagnostics`): Claude's refusal details and code-execution
 * container where Claude served and sent them (`claude`, CLAUDE_REPLY_FIELD), else null, as
 * Anthropic sends them when it has nothing to say. `diagnostics` is always null: the router does
 * not ask Claude for it (policy/claude-only-params.ts).
 */
export function messageFields(claude?: ClaudeReplyFields): Json {
  return { ...deltaFields(claude), diagnostics: null };
}

/** message_delta's `delta` beside the stop fields (SDK `RawMessageDeltaEvent.Delta`), likewise. */
export function deltaFields(claude?: ClaudeReplyFields): Json {
  return { stop_details: claude?.stop_details ?? null, container: claude?.container ?? null };
}

/**
 * Chat usage → Anthropic usage (the served tier as Anthropic names it). Every field the SDK types
 * as there but nullable is there (CONTRACTS.md §4.3's reply; SDK `Usage`): `cache_creation` split
 * by TTL (zeros when nothing was written), `output_tokens_details` the upstream's reasoning tokens
 * as Anthropic's thinking tokens (null when it reported none), `server_tool_use` its web searches
 * (null when none), `service_tier` null when the upstream did not say or named a tier Anthropic
 * has not, `inference_geo` and `speed` null. Where Claude served (`claude`, CLAUDE_REPLY_FIELD's
 * usage), those as Claude reported them: its thinking tokens, server tool calls, tier (`batch`
 * too), the region it inferred in, the speed it ran at, and its TTL split, when that split adds up
 * to the tokens written (the usage of a paused turn's calls is summed, their splits are not: then
 * the split of the summed counts).
 */
export function usageOf(
  u: ChatResponse['usage'] | null | undefined,
  tier?: unknown,
  claude?: ClaudeReplyFields['usage'],
): Json {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = cacheWriteTokens(u);
  const hour = cacheWrite1hTokens(u);
  const split = claude?.cache_creation;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    // Which writes are kept for an hour (Claude Code reads this split to price them).
    cache_creation:
      isObject(split) && splitTotal(split) === written
        ? split
        : { ephemeral_5m_input_tokens: written - hour, ephemeral_1h_input_tokens: hour },
    output_tokens: u?.completion_tokens ?? 0,
    output_tokens_details:
      claude && 'output_tokens_details' in claude
        ? claude.output_tokens_details
        : thinkingDetails(u),
    server_tool_use:
      claude && 'server_tool_use' in claude ? claude.server_tool_use : serverToolUse(u),
    service_tier:
      claude?.service_tier ?? ((typeof tier === 'string' && ANTHROPIC_TIERS[tier]) || null),
    inference_geo: claude?.inference_geo ?? null,
    speed: claude?.speed ?? null,
  };
}

/**
 * An upstream's reasoning tokens (chat's `completion_tokens_details.reasoning_tokens`, part of
 * its completion tokens) as Anthropic's `OutputTokensDetails`, whose `thinking_tokens` are the
 * same (part of `output_tokens`); null where it reported none.
 */
function thinkingDetails(u: ChatResponse['usage'] | null | undefined): Json | null {
  const n = u?.completion_tokens_details?.reasoning_tokens;
  return typeof n === 'number' && n > 0 ? { thinking_tokens: n } : null;
}

/**
 * The web searches a chat usage reports (`server_tool_use`, as Claude's usage counts them) as
 * Anthropic's `ServerToolUsage`, both of whose counts the SDK types as there; null when none.
 */
function serverToolUse(u: ChatResponse['usage'] | null | undefined): Json | null {
  const search = (u as { server_tool_use?: unknown } | null | undefined)?.server_tool_use;
  return isObject(search) ? { web_search_requests: 0, web_fetch_requests: 0, ...search } : null;
}

/**
 * A stream's usage before the upstream's is known (message_start's): the router's count of the
 * prompt, nothing cached yet; where Claude serves, the tier, region, speed and cache split its own
 * message_start reported (the SDK takes those from message_start alone, and the token counts,
 * thinking tokens and server tool calls from message_delta).
 */
export function startUsageOf(promptTokens: number, claude?: ClaudeReplyFields['usage']): Json {
  const usage: Json = { ...usageOf(undefined, undefined, claude), input_tokens: promptTokens };
  if (isObject(claude?.cache_creation)) usage.cache_creation = claude.cache_creation;
  return usage;
}

/** The tokens a cache split counts (Anthropic's `CacheCreation`: one count per TTL). */
function splitTotal(split: Record<string, unknown>): number {
  return Object.values(split).reduce<number>((n, v) => n + (typeof v === 'number' ? v : 0), 0);
}

/**
 * The stop sequence a choice stopped at, where the upstream named it (an Anthropic deployment,
 * vLLM's `stop_reason`, SGLang's `matched_stop`) and it is one of the client's `stop_sequences`,
 * the only ones Anthropic reports. OpenAI and Azure say only "stop", and leave the sequence out
 * of the text, so an end there cannot be told from a natural one: end_turn.
 */
export function stopSequence(choice: unknown, stops: readonly string[]): string | null {
  const s = matchedStopOf(choice);
  return s !== undefined && stops.includes(s) ? s : null;
}

/** The client's stop sequences, from the chat request's `stop`. */
export function stopsOf(stop: unknown): readonly string[] {
  if (typeof stop === 'string') return [stop];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
}

/** Claude's citations of the client's documents on a message or delta (DOCUMENT_CITATIONS_FIELD). */
export function documentCitationsOf(holder: unknown): DocumentCitations[] | undefined {
  const list = isObject(holder) ? holder[DOCUMENT_CITATIONS_FIELD] : undefined;
  return Array.isArray(list)
    ? list.filter((d): d is DocumentCitations => isObject(d) && Array.isArray(d.citations))
    : undefined;
}

/** An OpenAI-format refusal on a message or a delta (`refusal`), when it has words. */
export function refusalOf(message: unknown): string | undefined {
  const r = (message as { refusal?: unknown } | null | undefined)?.refusal;
  return typeof r === 'string' && r.length > 0 ? r : undefined;
}

/** A chat finish reason (and the stop sequence matched, if any) → Anthropic's stop fields. */
export function stopOf(finish: string | null | undefined, sequence: string | null): Json {
  return finish === 'stop' && sequence !== null
    ? { stop_reason: 'stop_sequence', stop_sequence: sequence }
    : { stop_reason: stopReason(finish), stop_sequence: null };
}

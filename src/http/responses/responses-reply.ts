// Chat Completions → Responses API, the reply direction (CONTRACTS.md §3): a chat reply becomes a
// Response object. A chat chunk stream becomes Responses stream events in responses-stream.ts;
// the request direction is responses-convert.ts.
import { newId } from '../../core/ids.js';
import { reasoningDetailsOf } from '../../core/reasoning-details.js';
import type { ChatMessage, ChatResponse } from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import type { Json } from './responses-convert.js';
import { reasoningItem, reasoningTextItem, summaryAsked } from './responses-reasoning.js';
import { cutShortIndex, isCutShort } from './cut-short.js';
import { reasoningTextOf } from '../../core/reasoning-text.js';
import { conversationField } from '../conversations/conversation-turn.js';
import { callName } from './responses-tools.js';
import { localCallItem, localToolOf } from './local-tools.js';
import { serverBlocksOf, urlCitationsOf } from '../../core/web-search.js';
import { wantsSources, webSearchCalls } from './web-search-calls.js';

export interface ResponseContext {
  id: string;
  createdAt: number;
  request: Json;
  /** The compaction item of a turn the router compacted first (server-compaction.ts): the
   * response's first output item, before the model's. */
  compaction?: Json;
}

/**
 * The request's reasoning configuration, as OpenAI's Response object echoes it (`Reasoning`:
 * `effort` and `summary`, which the deprecated `generate_summary` also names); null where unset.
 */
function echoedReasoning(reasoning: unknown): Json {
  const r = isObject(reasoning) ? reasoning : {};
  const summary = typeof r.summary === 'string' ? r.summary : r.generate_summary;
  return {
    effort: r.effort ?? null,
    summary: typeof summary === 'string' ? summary : null,
  };
}

/** The request's `text` as the Response echoes it: its format (plain text unless set) first. */
function echoedText(text: unknown): Json {
  const t = isObject(text) ? text : {};
  return { ...t, format: t.format ?? { type: 'text' } };
}

/**
 * `completed_at` of a Response in `status` (openapi.yaml `Response.completed_at`: unix seconds,
 * "only present when the status is `completed`"; null while queued or in progress, and when it
 * ended incomplete, failed or cancelled): now, for a response completing now.
 */
export function completedAt(status: unknown, now = Date.now()): number | null {
  return status === 'completed' ? Math.floor(now / 1000) : null;
}

/**
 * A Response object's fields as the request set them, with no output yet: every request field of
 * openapi.yaml's `Response` (`ResponseProperties`, `ModelResponseProperties`), in the order of its
 * examples, its default where unset (`service_tier` the one the upstream reported serving at, else
 * the one asked for; `auto` is what OpenAI does when none is asked).
 */
export function baseResponse(
  ctx: ResponseContext,
  model: string,
  status: string,
  servedTier?: unknown,
): Json {
  const r = ctx.request;
  return {
    id: ctx.id,
    object: 'response',
    created_at: Math.floor(ctx.createdAt / 1000),
    status,
    completed_at: completedAt(status),
    background: r.background ?? false,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    max_tool_calls: r.max_tool_calls ?? null,
    model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    ...conversationField(r),
    prompt_cache_key: r.prompt_cache_key ?? null,
    ...(r.prompt_cache_retention != null
      ? { prompt_cache_retention: r.prompt_cache_retention }
      : {}),
    ...echoedCacheOptions(r.prompt_cache_options),
    reasoning: echoedReasoning(r.reasoning),
    safety_identifier: r.safety_identifier ?? null,
    service_tier:
      (typeof servedTier === 'string' ? servedTier : undefined) ?? r.service_tier ?? 'auto',
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: echoedText(r.text),
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_logprobs: r.top_logprobs ?? 0,
    top_p: r.top_p ?? 1,
    truncation: r.truncation ?? 'disabled',
    usage: null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}

/** Chat usage as a Response's `usage` (null when the upstream sent none). */
export function mapUsage(u: ChatResponse['usage']): Json | null {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
  };
}

/**
 * Chat's web citations (`url_citation` annotations: a web search's, openapi.yaml
 * `ChatCompletionResponseMessage.annotations`) as the Responses API's on `output_text`
 * (`UrlCitationBody`: the same fields, flat).
 */
export function urlCitationAnnotations(annotations: unknown): Json[] {
  return urlCitationsOf(annotations).map(({ url_citation: c }) => ({
    type: 'url_citation',
    start_index: c.start_index,
    end_index: c.end_index,
    url: c.url,
    title: c.title ?? '',
  }));
}

/** The Response object for a chat reply; also the assistant message to store for the next turn. */
export function chatToResponse(
  reply: ChatResponse,
  ctx: ResponseContext,
): { response: Json; answer: ChatMessage } {
  const choice = reply.choices[0];
  const message = choice?.message;
  const thinking = reasoningDetailsOf(message);
  // An OpenAI-format model's reasoning text, where no thinking of Claude's came.
  const reasoningText = thinking ? undefined : reasoningTextOf(message);
  // Claude's thinking first, as it came: one reasoning item per block (after a compaction item).
  const output: Json[] = [
    ...(ctx.compaction ? [ctx.compaction] : []),
    ...(thinking ?? []).map((d) => ({ ...reasoningItem(d, newId('rs_')), status: 'completed' })),
    ...(reasoningText
      ? [
          {
            ...reasoningTextItem(reasoningText, newId('rs_'), summaryAsked(ctx.request)),
            status: 'completed',
          },
        ]
      : []),
  ];
  // Claude's searches for the hosted web search tool, before the answer that cites them.
  output.push(...webSearchCalls(serverBlocksOf(message), wantsSources(ctx.request)));
  // An answer cut short (the token limit, a content filter): the response is `incomplete`, and so
  // is the item it stopped in (cut-short.ts).
  const incomplete = isCutShort(choice?.finish_reason);
  if (message?.content) {
    output.push({
      type: 'message',
      id: newId('msg_'),
      status: 'completed',
      role: 'assistant',
      content: [
        {
          type: 'output_text',
          text: message.content,
          annotations: urlCitationAnnotations(message.annotations),
          // Chat's token log-probabilities have the Responses shape (token, logprob, bytes,
          // top_logprobs); present when the request included message.output_text.logprobs.
          logprobs: choice?.logprobs?.content ?? [],
        },
      ],
    });
  }
  for (const call of message?.tool_calls ?? []) {
    if (call.type === 'custom')
      output.push({
        type: 'custom_tool_call',
        id: newId('ctc_'),
        call_id: call.id,
        ...callName(ctx.request, call.custom.name),
        input: call.custom.input,
        status: 'completed',
      });
    if (call.type !== 'function') continue;
    // A tool the client runs (shell, apply_patch), bridged as a function: its own item.
    const local = localToolOf(ctx.request, call.function.name);
    const item = local && localCallItem(local, call.id, call.function.arguments);
    if (item) {
      output.push(item);
      continue;
    }
    output.push({
      type: 'function_call',
      id: newId('fc_'),
      call_id: call.id,
      ...callName(ctx.request, call.function.name),
      arguments: call.function.arguments,
      status: 'completed',
    });
  }
  const cutAt = cutShortIndex(output, incomplete);
  if (cutAt >= 0) output[cutAt] = { ...output[cutAt], status: 'incomplete' };
  const response = {
    ...baseResponse(ctx, reply.model, incomplete ? 'incomplete' : 'completed', reply.service_tier),
    incomplete_details: incomplete
      ? { reason: choice?.finish_reason === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    output,
    usage: mapUsage(reply.usage),
  };
  const answer = {
    role: 'assistant',
    content: message?.content ?? null,
    ...(message?.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
    ...(thinking ? { reasoning_details: thinking } : {}),
  } as ChatMessage;
  return { response, answer };
}

/**
 * The `prompt_cache_options` applied (openai-node 7.60 `Response.PromptCacheOptions`): the
 * request's, with OpenAI's defaults; left out when the request sent none.
 */
function echoedCacheOptions(sent: unknown): Json {
  if (!isObject(sent)) return {};
  return {
    prompt_cache_options: {
      mode: sent.mode ?? 'implicit',
      ttl: sent.ttl ?? '30m',
      ...(sent.comparison_response_id != null
        ? { comparison_response_id: sent.comparison_response_id }
        : {}),
    },
  };
}

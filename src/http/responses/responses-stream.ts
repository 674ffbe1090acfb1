// Chat Completions → Responses API, the stream (CONTRACTS.md §3.3): chat chunks become Responses
// stream events, each with its `type` and a running `sequence_number`, output items opened and
// closed as the chunks' text, reasoning and tool calls (stream-tool-calls.ts) arrive. The whole
// reply is responses-reply.ts.
import { newId } from '../../core/ids.js';
import { ReasoningAccumulator, reasoningDetailsOf } from '../../core/reasoning-details.js';
import type {
  ChatChunk,
  ChatMessage,
  ChatResponse,
  ReasoningDetail,
} from '../../core/wire-types.js';
import { SERVER_BLOCKS_FIELD } from '../../core/wire-types.js';
import type { Json } from './responses-convert.js';
import { reasoningItem, reasoningTextItem, summaryAsked } from './responses-reasoning.js';
import { cutShortIndex, doneStatus, isCutShort } from './cut-short.js';
import { reasoningTextOf } from '../../core/reasoning-text.js';
import { serverBlocksOf } from '../../core/web-search.js';
import { isWebSearchUse, wantsSources, webSearchCall } from './web-search-calls.js';
import {
  toolCallDeltaEvents,
  toolCallDoneEvents,
  type StreamEvent,
  type StreamedCall,
} from './stream-tool-calls.js';
import {
  baseResponse,
  mapUsage,
  urlCitationAnnotations,
  type ResponseContext,
} from './responses-reply.js';

export interface ResponsesEvent {
  event: string;
  data: string;
}

/**
 * Chat chunks → Responses stream events (CONTRACTS.md §3.3), each with `type` and a running
 * `sequence_number`. `onDone` receives the final response and the answer for the store, and is
 * awaited before the terminal event.
 */
export async function* chatChunksToResponseEvents(
  chunks: AsyncIterable<ChatChunk>,
  ctx: ResponseContext,
  fallbackModel: string,
  onDone: (response: Json, answer: ChatMessage) => Promise<void>,
): AsyncGenerator<ResponsesEvent> {
  let seq = 0;
  const ev: StreamEvent = (type, payload) => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: seq++, ...payload }),
  });
  let model = fallbackModel;
  let started = false;
  const output: Json[] = ctx.compaction ? [ctx.compaction] : [];
  /** A compaction item's events (it was made before the turn; OpenAI streams it first). */
  const compactionEvents = function* () {
    const item = ctx.compaction;
    if (!item) return;
    yield ev('response.output_item.added', { output_index: 0, item });
    yield ev('response.compaction.compacting', { item_id: item.id, output_index: 0 });
    yield ev('response.output_item.done', { output_index: 0, item });
  };
  let text:
    | { item: Json; index: number; value: string; logprobs: unknown[]; annotations: Json[] }
    | undefined;
  /** Tool calls by chunk index (stream-tool-calls.ts). */
  const calls = new Map<number, StreamedCall>();
  // Claude's thinking: the block being streamed (a reasoning item), and the blocks done.
  let block:
    | { key: number; item: Json; index: number; pieces: ReasoningAccumulator; summary: string }
    | undefined;
  const thinking: ReasoningDetail[] = [];
  // The item a cut-short answer stopped in (cut-short.ts): known once the chunks have ended, when
  // the items still open are closed; those closed before it were finished.
  let cutAt = -1;
  /** A summary part's end events (`status: incomplete` on the part of an item cut short). */
  const summaryDone = function* (at: Json, text: string, status: string) {
    const part = { type: 'summary_text', text };
    yield ev('response.reasoning_summary_text.done', { ...at, summary_index: 0, text });
    yield ev('response.reasoning_summary_part.done', {
      ...at,
      summary_index: 0,
      ...(status === 'incomplete' ? { status } : {}),
      part,
    });
  };
  const summaryEvent = (type: string, payload: Json) =>
    ev(type, { item_id: block!.item.id, output_index: block!.index, summary_index: 0, ...payload });
  /** Ends the reasoning item being streamed: its summary's end events and the item, whole. */
  const closeBlock = function* () {
    if (!block) return;
    const detail = block.pieces.details()[0]!;
    const status = doneStatus(block.index, cutAt);
    if (block.summary)
      yield* summaryDone(
        { item_id: block.item.id, output_index: block.index },
        block.summary,
        status,
      );
    Object.assign(block.item, reasoningItem(detail, String(block.item.id)), { status });
    yield ev('response.output_item.done', { output_index: block.index, item: block.item });
    thinking.push(detail);
    block = undefined;
  };
  // An OpenAI-format model's reasoning text: its reasoning item while it streams, with its text as
  // the item's summary too when the request asks for one (reasoningTextItem), streamed beside it.
  const summarized = summaryAsked(ctx.request);
  let reasoningText: { item: Json; index: number; value: string } | undefined;
  const reasoningTextAt = () => ({
    item_id: reasoningText!.item.id,
    output_index: reasoningText!.index,
    content_index: 0,
  });
  const summaryAt = () => ({
    item_id: reasoningText!.item.id,
    output_index: reasoningText!.index,
    summary_index: 0,
  });
  /** Ends the reasoning text's item: its text's, part's and summary's end events, the item whole. */
  const closeReasoningText = function* () {
    if (!reasoningText) return;
    const { item, index, value } = reasoningText;
    const status = doneStatus(index, cutAt);
    yield ev('response.reasoning_text.done', { ...reasoningTextAt(), text: value });
    const part = { type: 'reasoning_text', text: value };
    yield ev('response.content_part.done', { ...reasoningTextAt(), part });
    if (summarized) yield* summaryDone({ item_id: item.id, output_index: index }, value, status);
    Object.assign(item, reasoningTextItem(value, String(item.id), summarized), { status });
    yield ev('response.output_item.done', { output_index: index, item });
    reasoningText = undefined;
  };
  // Claude's searches (the hosted web search tool) by their block id, until their results come.
  const searches = new Map<unknown, { item: Json; index: number; use: Json }>();
  const sources = wantsSources(ctx.request);
  const searchEvents = function* (b: Json) {
    if (isWebSearchUse(b)) {
      yield* closeBlock();
      const item = webSearchCall(b, newId('ws_'));
      const index = output.length;
      output.push(item);
      searches.set(b.id, { item, index, use: b });
      const at = { item_id: item.id, output_index: index };
      yield ev('response.output_item.added', { output_index: index, item: { ...item } });
      yield ev('response.web_search_call.in_progress', at);
      yield ev('response.web_search_call.searching', at);
      return;
    }
    const search = b.type === 'web_search_tool_result' ? searches.get(b.tool_use_id) : undefined;
    if (search) yield* searchDone(search, b);
  };
  const searchDone = function* (search: { item: Json; index: number; use: Json }, result: Json) {
    searches.delete(search.use.id);
    Object.assign(search.item, webSearchCall(search.use, String(search.item.id), result, sources));
    yield ev('response.web_search_call.completed', {
      item_id: search.item.id,
      output_index: search.index,
    });
    yield ev('response.output_item.done', { output_index: search.index, item: search.item });
  };
  let usage: Json | null = null;
  let finish: string | null = null;
  let servedTier: string | undefined;
  for await (const chunk of chunks) {
    if (chunk.model) model = chunk.model;
    if (!started) {
      started = true;
      const r = baseResponse(ctx, model, 'in_progress');
      yield ev('response.created', { response: r });
      yield ev('response.in_progress', { response: r });
      yield* compactionEvents();
    }
    if (chunk.usage) usage = mapUsage(chunk.usage as ChatResponse['usage']);
    // The tier the upstream served at (OpenAI's chunks carry it), for the final Response.
    if (typeof chunk.service_tier === 'string') servedTier = chunk.service_tier;
    for (const c of chunk.choices) {
      if (c.finish_reason) finish = c.finish_reason;
      const delta = c.delta ?? {};
      for (const d of reasoningDetailsOf(delta) ?? []) {
        const key = d.index ?? 0;
        if (block && block.key !== key) yield* closeBlock();
        if (!block) {
          const item = { type: 'reasoning', id: newId('rs_'), summary: [], status: 'in_progress' };
          block = {
            key,
            item,
            index: output.length,
            pieces: new ReasoningAccumulator(),
            summary: '',
          };
          output.push(item);
          yield ev('response.output_item.added', { output_index: block.index, item: { ...item } });
        }
        block.pieces.add([d]);
        if (typeof d.thinking === 'string' && d.thinking) {
          if (!block.summary)
            yield summaryEvent('response.reasoning_summary_part.added', {
              part: { type: 'summary_text', text: '' },
            });
          block.summary += d.thinking;
          yield summaryEvent('response.reasoning_summary_text.delta', { delta: d.thinking });
        }
      }
      const reasoned = block ? undefined : reasoningTextOf(delta);
      if (reasoned) {
        if (!reasoningText) {
          const item = {
            type: 'reasoning',
            id: newId('rs_'),
            summary: [],
            content: [],
            status: 'in_progress',
          };
          reasoningText = { item, index: output.length, value: '' };
          output.push(item);
          yield ev('response.output_item.added', { output_index: reasoningText.index, item });
          yield ev('response.content_part.added', {
            ...reasoningTextAt(),
            part: { type: 'reasoning_text', text: '' },
          });
          if (summarized)
            yield ev('response.reasoning_summary_part.added', {
              ...summaryAt(),
              part: { type: 'summary_text', text: '' },
            });
        }
        reasoningText.value += reasoned;
        yield ev('response.reasoning_text.delta', { ...reasoningTextAt(), delta: reasoned });
        if (summarized)
          yield ev('response.reasoning_summary_text.delta', { ...summaryAt(), delta: reasoned });
      }
      if ((delta as Json)[SERVER_BLOCKS_FIELD] !== undefined)
        for (const sb of serverBlocksOf(delta)) yield* searchEvents(sb.block);
      if ((typeof delta.content === 'string' && delta.content) || delta.tool_calls?.length) {
        yield* closeBlock();
        yield* closeReasoningText();
      }
      if (typeof delta.content === 'string' && delta.content.length > 0) {
        if (!text) {
          text = {
            item: {
              type: 'message',
              id: newId('msg_'),
              status: 'in_progress',
              role: 'assistant',
              content: [],
            },
            index: output.length,
            value: '',
            logprobs: [],
            annotations: [],
          };
          output.push(text.item);
          yield ev('response.output_item.added', { output_index: text.index, item: text.item });
          yield ev('response.content_part.added', {
            item_id: text.item.id,
            output_index: text.index,
            content_index: 0,
            part: { type: 'output_text', text: '', annotations: [] },
          });
        }
        text.value += delta.content;
        const logprobs = c.logprobs?.content ?? [];
        text.logprobs.push(...logprobs);
        yield ev('response.output_text.delta', {
          item_id: text.item.id,
          output_index: text.index,
          content_index: 0,
          delta: delta.content,
          logprobs,
        });
      }
      // A web search's citations of the text so far (sent as each cited block ends).
      const cited = (delta as { annotations?: unknown }).annotations;
      if (text && cited !== undefined)
        for (const annotation of urlCitationAnnotations(cited)) {
          text.annotations.push(annotation);
          yield ev('response.output_text.annotation.added', {
            item_id: text.item.id,
            output_index: text.index,
            content_index: 0,
            annotation_index: text.annotations.length - 1,
            annotation,
          });
        }
      for (const tc of delta.tool_calls ?? [])
        yield* toolCallDeltaEvents(ev, ctx.request, calls, output, tc);
    }
  }
  if (!started) {
    yield ev('response.created', { response: baseResponse(ctx, model, 'in_progress') });
    yield* compactionEvents();
  }
  // Cut short (the token limit, a content filter): the response and the item it stopped in, the
  // last, are incomplete (cut-short.ts); the items still open close now.
  const incomplete = isCutShort(finish);
  cutAt = cutShortIndex(output, incomplete);
  yield* closeBlock();
  yield* closeReasoningText();
  // A search whose results never came (the stream ended first): done with none.
  for (const search of [...searches.values()]) yield* searchDone(search, { content: [] });
  if (text) {
    const part = {
      type: 'output_text',
      text: text.value,
      annotations: text.annotations,
      logprobs: text.logprobs,
    };
    yield ev('response.output_text.done', {
      item_id: text.item.id,
      output_index: text.index,
      content_index: 0,
      text: text.value,
      logprobs: text.logprobs,
    });
    yield ev('response.content_part.done', {
      item_id: text.item.id,
      output_index: text.index,
      content_index: 0,
      part,
    });
    Object.assign(text.item, { status: doneStatus(text.index, cutAt), content: [part] });
    yield ev('response.output_item.done', { output_index: text.index, item: text.item });
  }
  for (const call of calls.values())
    yield* toolCallDoneEvents(ev, call, doneStatus(call.index, cutAt));
  const response = {
    ...baseResponse(ctx, model, incomplete ? 'incomplete' : 'completed', servedTier),
    incomplete_details: incomplete
      ? { reason: finish === 'length' ? 'max_output_tokens' : 'content_filter' }
      : null,
    output,
    usage,
  };
  const answer = {
    role: 'assistant',
    content: text?.value ?? null,
    ...(calls.size
      ? {
          // Named as in chat (a namespace member's flat name), as the request's tools are.
          tool_calls: [...calls.values()].map((c) =>
            c.custom
              ? {
                  id: String(c.item.call_id),
                  type: 'custom',
                  custom: { name: c.chatName, input: c.args },
                }
              : {
                  id: String(c.item.call_id),
                  type: 'function',
                  function: { name: c.chatName, arguments: c.args },
                },
          ),
        }
      : {}),
    ...(thinking.length ? { reasoning_details: thinking } : {}),
  } as ChatMessage;
  await onDone(response, answer); // stored before the client hears it is complete
  yield ev(incomplete ? 'response.incomplete' : 'response.completed', { response });
}

// Chat Completions → Responses API, the reply direction (CONTRACTS.md §3): a chat reply becomes a
// Response object, a chat chunk stream becomes Responses stream events. The request direction is
// responses-convert.ts.
import { newId } from '../../core/ids.js';
import { ReasoningAccumulator, reasoningDetailsOf } from '../../core/reasoning-details.js';
import type {
  ChatChunk,
  ChatMessage,
  ChatResponse,
  ReasoningDetail,
} from '../../core/wire-types.js';
import { isObject } from '../../core/is-object.js';
import type { Json } from './responses-convert.js';
import { reasoningItem } from './responses-reasoning.js';
import { conversationField } from '../conversations/conversation-turn.js';
import { callName } from './responses-tools.js';
import { localCallItem, localToolOf, type LocalToolKind } from './local-tools.js';

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

/** A Response object's fields as the request set them, with no output yet. */
export function baseResponse(ctx: ResponseContext, model: string, status: string): Json {
  const r = ctx.request;
  return {
    id: ctx.id,
    object: 'response',
    created_at: Math.floor(ctx.createdAt / 1000),
    status,
    background: r.background ?? false,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    ...conversationField(r),
    reasoning: echoedReasoning(r.reasoning),
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: r.text ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
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

/** The Response object for a chat reply; also the assistant message to store for the next turn. */
export function chatToResponse(
  reply: ChatResponse,
  ctx: ResponseContext,
): { response: Json; answer: ChatMessage } {
  const choice = reply.choices[0];
  const message = choice?.message;
  const thinking = reasoningDetailsOf(message);
  // Claude's thinking first, as it came: one reasoning item per block (after a compaction item).
  const output: Json[] = [
    ...(ctx.compaction ? [ctx.compaction] : []),
    ...(thinking ?? []).map((d) => reasoningItem(d, newId('rs_'))),
  ];
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
          annotations: [],
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
  const incomplete =
    choice?.finish_reason === 'length' || choice?.finish_reason === 'content_filter';
  const response = {
    ...baseResponse(ctx, reply.model, incomplete ? 'incomplete' : 'completed'),
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
  const ev = (type: string, payload: Json): ResponsesEvent => ({
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
  let text: { item: Json; index: number; value: string; logprobs: unknown[] } | undefined;
  /** Tool calls by chunk index: `args` are a function's arguments, or a custom tool's input. */
  const calls = new Map<
    number,
    {
      item: Json;
      index: number;
      args: string;
      chatName: string;
      custom: boolean;
      /** A tool the client runs: its item is announced whole once its arguments are in. */
      local?: LocalToolKind;
    }
  >();
  // Claude's thinking: the block being streamed (a reasoning item), and the blocks done.
  let block:
    | { key: number; item: Json; index: number; pieces: ReasoningAccumulator; summary: string }
    | undefined;
  const thinking: ReasoningDetail[] = [];
  const summaryEvent = (type: string, payload: Json) =>
    ev(type, { item_id: block!.item.id, output_index: block!.index, summary_index: 0, ...payload });
  /** Ends the reasoning item being streamed: its summary's end events and the item, whole. */
  const closeBlock = function* () {
    if (!block) return;
    const detail = block.pieces.details()[0]!;
    if (block.summary) {
      const part = { type: 'summary_text', text: block.summary };
      yield summaryEvent('response.reasoning_summary_text.done', { text: block.summary });
      yield summaryEvent('response.reasoning_summary_part.done', { part });
    }
    Object.assign(block.item, reasoningItem(detail, String(block.item.id)));
    yield ev('response.output_item.done', { output_index: block.index, item: block.item });
    thinking.push(detail);
    block = undefined;
  };
  let usage: Json | null = null;
  let finish: string | null = null;
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
    for (const c of chunk.choices) {
      if (c.finish_reason) finish = c.finish_reason;
      const delta = c.delta ?? {};
      for (const d of reasoningDetailsOf(delta) ?? []) {
        const key = d.index ?? 0;
        if (block && block.key !== key) yield* closeBlock();
        if (!block) {
          const item = { type: 'reasoning', id: newId('rs_'), summary: [] };
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
      if ((typeof delta.content === 'string' && delta.content) || delta.tool_calls?.length)
        yield* closeBlock();
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
      for (const tc of delta.tool_calls ?? []) {
        let call = calls.get(tc.index);
        // A custom tool's call streams `custom: {name, input}` (src/gateway/custom-tool-bridge.ts).
        const custom = (tc as { custom?: { name?: string; input?: string } }).custom;
        if (!call) {
          const isCustom = custom !== undefined || (tc as { type?: string }).type === 'custom';
          const chatName = (isCustom ? custom?.name : tc.function?.name) ?? '';
          const local = isCustom ? undefined : localToolOf(ctx.request, chatName);
          call = {
            item: isCustom
              ? {
                  type: 'custom_tool_call',
                  id: newId('ctc_'),
                  call_id: tc.id ?? '',
                  ...callName(ctx.request, chatName),
                  input: '',
                  status: 'in_progress',
                }
              : {
                  type: 'function_call',
                  id: newId('fc_'),
                  call_id: tc.id ?? '',
                  ...callName(ctx.request, chatName),
                  arguments: '',
                  status: 'in_progress',
                },
            index: output.length,
            args: '',
            chatName,
            custom: isCustom,
            ...(local ? { local } : {}),
          };
          calls.set(tc.index, call);
          output.push(call.item);
          if (!call.local)
            yield ev('response.output_item.added', {
              output_index: call.index,
              item: { ...call.item },
            });
        }
        const piece = (call.custom ? custom?.input : tc.function?.arguments) ?? '';
        if (piece && call.local) call.args += piece;
        else if (piece) {
          call.args += piece;
          yield ev(
            call.custom
              ? 'response.custom_tool_call_input.delta'
              : 'response.function_call_arguments.delta',
            {
              item_id: call.item.id,
              output_index: call.index,
              delta: piece,
            },
          );
        }
      }
    }
  }
  if (!started) {
    yield ev('response.created', { response: baseResponse(ctx, model, 'in_progress') });
    yield* compactionEvents();
  }
  yield* closeBlock();
  if (text) {
    const part = {
      type: 'output_text',
      text: text.value,
      annotations: [],
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
    Object.assign(text.item, { status: 'completed', content: [part] });
    yield ev('response.output_item.done', { output_index: text.index, item: text.item });
  }
  for (const call of calls.values()) {
    const local = call.local && localCallItem(call.local, String(call.item.call_id), call.args);
    if (local) {
      // Its item replaces the function call's, in place: announced, then done.
      for (const key of Object.keys(call.item)) delete call.item[key];
      Object.assign(call.item, local);
      yield ev('response.output_item.added', {
        output_index: call.index,
        item: { ...local, status: 'in_progress' },
      });
      yield ev('response.output_item.done', { output_index: call.index, item: call.item });
      continue;
    }
    if (call.local)
      // Arguments that make no shell or apply_patch call: a function call, announced late.
      yield ev('response.output_item.added', {
        output_index: call.index,
        item: { ...call.item },
      });
    if (call.custom) {
      yield ev('response.custom_tool_call_input.done', {
        item_id: call.item.id,
        output_index: call.index,
        input: call.args,
      });
      Object.assign(call.item, { input: call.args, status: 'completed' });
    } else {
      yield ev('response.function_call_arguments.done', {
        item_id: call.item.id,
        output_index: call.index,
        name: call.item.name,
        arguments: call.args,
      });
      Object.assign(call.item, { arguments: call.args, status: 'completed' });
    }
    yield ev('response.output_item.done', { output_index: call.index, item: call.item });
  }
  const incomplete = finish === 'length' || finish === 'content_filter';
  const response = {
    ...baseResponse(ctx, model, incomplete ? 'incomplete' : 'completed'),
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

// The way back to an Anthropic client, whichever provider served (CONTRACTS.md §4–5, reverse
// direction): the chat reply → an Anthropic Message, chat chunks → Anthropic stream events, block
// by block. The way in is messages-convert.ts.
import { newId } from '../../core/ids.js';
import type {
  ChatChunk,
  ChatResponse,
  DocumentCitations,
  ReasoningDetail,
} from '../../core/wire-types.js';
import {
  cacheWrite1hTokens,
  cacheWriteTokens,
  DOCUMENT_CITATIONS_FIELD,
  SERVER_BLOCKS_FIELD,
} from '../../core/wire-types.js';
import { matchedStopOf } from '../../core/matched-stop.js';
import { isObject } from '../../core/is-object.js';
import { serverBlocksOf, type UrlCitation } from '../../core/web-search.js';
import { serverBlockEvents, textAndServerBlocks, webCitation } from './messages-web-search.js';
import { estimateStreamedTokens } from '../../gateway/track-stream.js';
import { reasoningTextOf } from '../../core/reasoning-text.js';
import { answerUsageCounts } from '../../gateway/cost.js';

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

function usageOf(u: ChatResponse['usage'] | null | undefined, tier?: unknown): Json {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = cacheWriteTokens(u);
  const hour = cacheWrite1hTokens(u);
  const search = (u as { server_tool_use?: unknown } | null | undefined)?.server_tool_use;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    // Which writes are kept for an hour (Claude Code reads this split to price them).
    ...(written
      ? {
          cache_creation: {
            ephemeral_5m_input_tokens: written - hour,
            ephemeral_1h_input_tokens: hour,
          },
        }
      : {}),
    output_tokens: u?.completion_tokens ?? 0,
    // Claude's web searches, as Anthropic counts them.
    ...(isObject(search) ? { server_tool_use: search } : {}),
    ...(typeof tier === 'string' && ANTHROPIC_TIERS[tier]
      ? { service_tier: ANTHROPIC_TIERS[tier] }
      : {}),
  };
}

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args || '{}');
  } catch {
    return { _raw: args };
  }
}

/**
 * Claude's thinking on a served message (`reasoning_details`) as the blocks Claude sent; else,
 * when the client asked for thinking (`showReasoning`), an OpenAI-format model's reasoning text
 * (`reasoning_content`, `reasoning`) as one thinking block. That block is unsigned: only Claude
 * signs, and an unsigned block the client sends back is left out on the way in
 * (messages-convert.ts), so it never reaches Claude, which would refuse it.
 */
function thinkingBlocks(message: unknown, showReasoning: boolean): Json[] {
  const details = (message as { reasoning_details?: ReasoningDetail[] } | undefined)
    ?.reasoning_details;
  const claude = (details ?? []).filter((d) => d.provider === 'anthropic');
  const text = showReasoning && claude.length === 0 ? reasoningTextOf(message) : undefined;
  if (text) return [{ type: 'thinking', thinking: text, signature: '' }];
  return claude.map((d) =>
    d.type === 'redacted_thinking'
      ? { type: 'redacted_thinking', data: d.data ?? '' }
      : { type: 'thinking', thinking: d.thinking ?? '', signature: d.signature ?? '' },
  );
}

/**
 * The stop sequence a choice stopped at, where the upstream named it (an Anthropic deployment,
 * vLLM's `stop_reason`, SGLang's `matched_stop`) and it is one of the client's `stop_sequences`,
 * the only ones Anthropic reports. OpenAI and Azure say only "stop", and leave the sequence out
 * of the text, so an end there cannot be told from a natural one: end_turn.
 */
function stopSequence(choice: unknown, stops: readonly string[]): string | null {
  const s = matchedStopOf(choice);
  return s !== undefined && stops.includes(s) ? s : null;
}

/** The client's stop sequences, from the chat request's `stop`. */
function stopsOf(stop: unknown): readonly string[] {
  if (typeof stop === 'string') return [stop];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
}

/** Claude's citations of the client's documents on a message or delta (DOCUMENT_CITATIONS_FIELD). */
function documentCitationsOf(holder: unknown): DocumentCitations[] | undefined {
  const list = isObject(holder) ? holder[DOCUMENT_CITATIONS_FIELD] : undefined;
  return Array.isArray(list)
    ? list.filter((d): d is DocumentCitations => isObject(d) && Array.isArray(d.citations))
    : undefined;
}

/**
 * A chat reply → an Anthropic Message (`model` = the model that served); `stop` the request's
 * stop sequences; `promptTokens` the router's count of the prompt, the input of a reply that came
 * without usage; `showReasoning`: the client asked for thinking (thinkingBlocks).
 */
export function chatToMessage(
  reply: ChatResponse,
  stop?: unknown,
  promptTokens = 0,
  showReasoning = false,
): Json {
  const choice = reply.choices[0];
  const content: Json[] = thinkingBlocks(choice?.message, showReasoning);
  // Web citations (`url_citation` annotations) and Claude's citations of the client's documents
  // as Anthropic's cited text blocks, Claude's own search blocks between them where it put them.
  const server = serverBlocksOf(choice?.message);
  if (choice?.message?.content || server.length)
    content.push(
      ...textAndServerBlocks(
        choice?.message?.content ?? '',
        choice?.message?.annotations,
        server,
        documentCitationsOf(choice?.message),
      ),
    );
  // An OpenAI-format model's refusal (`message.refusal`, no content): its words as the text,
  // and Anthropic's `refusal` stop reason (before, an empty message that ended its turn: audit F4).
  const refusal = refusalOf(choice?.message);
  if (refusal) content.push({ type: 'text', text: refusal });
  for (const call of choice?.message?.tool_calls ?? []) {
    if (call.type === 'function')
      content.push({
        type: 'tool_use',
        id: call.id,
        name: call.function.name,
        input: parseArgs(call.function.arguments),
      });
  }
  return {
    id: reply.id?.startsWith('msg_') ? reply.id : newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    ...(refusal
      ? { stop_reason: 'refusal', stop_sequence: null }
      : stopOf(choice?.finish_reason, stopSequence(choice, stopsOf(stop)))),
    // Without the upstream's usage, the router's figures, as it accounts the request: its count
    // of the prompt and the answer estimated, as a stream's message_delta gives them (before,
    // zeros: audit F5, 2026-12-06).
    usage: reply.usage
      ? usageOf(reply.usage, reply.service_tier)
      : {
          ...usageOf(undefined, reply.service_tier),
          input_tokens: promptTokens,
          output_tokens: answerUsageCounts(reply).completionTokens,
        },
  };
}

/** An OpenAI-format refusal on a message or a delta (`refusal`), when it has words. */
function refusalOf(message: unknown): string | undefined {
  const r = (message as { refusal?: unknown } | null | undefined)?.refusal;
  return typeof r === 'string' && r.length > 0 ? r : undefined;
}

function stopOf(finish: string | null | undefined, sequence: string | null): Json {
  return finish === 'stop' && sequence !== null
    ? { stop_reason: 'stop_sequence', stop_sequence: sequence }
    : { stop_reason: stopReason(finish), stop_sequence: null };
}

export interface NamedEvent {
  event: string;
  data: string;
}

/**
 * Chat chunks → Anthropic stream events, block by block (thinking, text and tool_use blocks);
 * `stop` the request's stop sequences; `showReasoning`: the client asked for thinking, so an
 * OpenAI-format model's reasoning text streams as an unsigned thinking block (thinkingBlocks).
 * `promptTokens`, the router's count of the prompt, is message_start's input_tokens, which
 * Anthropic states up front and clients read there (LangChain, the AI SDK); the upstream's own
 * usage, known at the end, comes in message_delta, as Anthropic's does.
 */
export async function* chatChunksToMessageEvents(
  chunks: AsyncIterable<ChatChunk>,
  fallbackModel: string,
  promptTokens = 0,
  stop?: unknown,
  showReasoning = false,
): AsyncGenerator<NamedEvent> {
  const stops = stopsOf(stop);
  const ev = (type: string, payload: Json): NamedEvent => ({
    event: type,
    data: JSON.stringify({ type, ...payload }),
  });
  const startUsage = {
    input_tokens: promptTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 0,
  };
  let started = false;
  let blockIndex = -1;
  let openBlock: 'text' | 'tool' | 'thinking' | undefined;
  let openThinking = -1;
  const tools = new StreamedToolCalls();
  let usage: Json | undefined;
  /** The answer's characters (text, thinking, refusal, tool arguments), for a stream without usage. */
  let chars = 0;
  /** The answer's text so far: what a citation's span quotes. */
  let text = '';
  let finish: string | null = null;
  let sequence: string | null = null;
  let refusal = false;
  const close = function* () {
    if (openBlock !== undefined) {
      yield ev('content_block_stop', { index: blockIndex });
      openBlock = undefined;
    }
  };
  /** `piece` as a text delta, on the open text block or a new one. */
  const writeText = function* (piece: string) {
    if (openBlock !== 'text') {
      yield* close();
      blockIndex++;
      openBlock = 'text';
      yield ev('content_block_start', {
        index: blockIndex,
        content_block: { type: 'text', text: '' },
      });
    }
    yield ev('content_block_delta', {
      index: blockIndex,
      delta: { type: 'text_delta', text: piece },
    });
  };
  /** A tool call's block, opened with the arguments it has so far. */
  const startTool = function* (call: ToolCallSoFar) {
    yield* close();
    blockIndex++;
    openBlock = 'tool';
    tools.open = call;
    yield ev('content_block_start', {
      index: blockIndex,
      content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
    });
    if (call.args)
      yield ev('content_block_delta', {
        index: blockIndex,
        delta: { type: 'input_json_delta', partial_json: call.args },
      });
  };
  /**
   * Once the open tool call's arguments are whole, or `all` at the end: the calls held back
   * while it was open, each a block of its own in the order they began (the last one left open
   * while its arguments are not whole yet), then text held back likewise.
   */
  const flushHeld = function* (all: boolean) {
    while (tools.held.length > 0 && (all || tools.openIsWhole())) {
      yield* startTool(tools.held.shift()!);
    }
    if (tools.heldText && (all || tools.openIsWhole())) {
      const held = tools.heldText;
      tools.heldText = '';
      yield* writeText(held);
    }
  };
  for await (const chunk of chunks) {
    if (!started) {
      started = true;
      yield ev('message_start', {
        message: {
          id: newId('msg_'),
          type: 'message',
          role: 'assistant',
          model: chunk.model || fallbackModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: startUsage,
        },
      });
    }
    if (chunk.usage) usage = usageOf(chunk.usage as ChatResponse['usage'], chunk.service_tier);
    for (const c of chunk.choices) {
      if (c.finish_reason) {
        finish = c.finish_reason;
        sequence = stopSequence(c, stops);
      }
      const delta = c.delta ?? {};
      chars += deltaChars(delta);
      const details = (delta as { reasoning_details?: ReasoningDetail[] }).reasoning_details;
      for (const d of details ?? []) {
        if (d.provider !== 'anthropic') continue;
        const key = d.index ?? 0;
        if (openBlock !== 'thinking' || openThinking !== key) {
          yield* close();
          blockIndex++;
          openBlock = 'thinking';
          openThinking = key;
          yield ev('content_block_start', {
            index: blockIndex,
            content_block:
              d.type === 'redacted_thinking'
                ? { type: 'redacted_thinking', data: d.data ?? '' }
                : { type: 'thinking', thinking: '', signature: '' },
          });
        }
        if (d.type === 'thinking' && d.thinking)
          yield ev('content_block_delta', {
            index: blockIndex,
            delta: { type: 'thinking_delta', thinking: d.thinking },
          });
        if (d.type === 'thinking' && d.signature)
          yield ev('content_block_delta', {
            index: blockIndex,
            delta: { type: 'signature_delta', signature: d.signature },
          });
      }
      // An OpenAI-format model's reasoning text: a thinking block of its own, with no signature.
      const reasoning = showReasoning ? reasoningTextOf(delta) : undefined;
      if (reasoning) {
        if (openBlock !== 'thinking' || openThinking !== REASONING_TEXT_BLOCK) {
          yield* close();
          blockIndex++;
          openBlock = 'thinking';
          openThinking = REASONING_TEXT_BLOCK;
          yield ev('content_block_start', {
            index: blockIndex,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          });
        }
        yield ev('content_block_delta', {
          index: blockIndex,
          delta: { type: 'thinking_delta', thinking: reasoning },
        });
      }
      // An OpenAI-format refusal streams as text (`delta.refusal`), and the turn ends as one.
      const refused = refusalOf(delta);
      if (refused) {
        refusal = true;
        yield* writeText(refused);
      }
      // Text while a tool call's arguments are still coming is held back until they are whole:
      // an Anthropic block, once stopped, takes no more deltas (audit F8).
      if (
        typeof delta.content === 'string' &&
        delta.content.length > 0 &&
        openBlock === 'tool' &&
        !tools.openIsWhole()
      ) {
        text += delta.content;
        tools.heldText += delta.content;
      } else if (typeof delta.content === 'string' && delta.content.length > 0) {
        text += delta.content;
        yield* writeText(delta.content);
      }
      // Web citations of the text so far, on the open text block (Anthropic's SDK gathers them
      // into the block's citations).
      const annotations = (delta as { annotations?: unknown }).annotations;
      if (openBlock === 'text' && Array.isArray(annotations))
        for (const a of annotations as UrlCitation[])
          if (a?.type === 'url_citation')
            yield ev('content_block_delta', {
              index: blockIndex,
              delta: { type: 'citations_delta', citation: webCitation(a, text) },
            });
      // Claude's citations of the client's documents, on the text block they came with, which
      // then ends where Claude's did (each entry is one of Claude's text blocks, ended).
      for (const d of documentCitationsOf(delta) ?? []) {
        if (openBlock !== 'text') continue;
        for (const citation of d.citations)
          yield ev('content_block_delta', {
            index: blockIndex,
            delta: { type: 'citations_delta', citation },
          });
        yield* close();
      }
      // Claude's search blocks (its server tool use and results), each a block of its own.
      if ((delta as Json)[SERVER_BLOCKS_FIELD] !== undefined)
        for (const s of serverBlocksOf(delta)) {
          yield* close();
          blockIndex++;
          for (const e of serverBlockEvents(s.block, blockIndex)) yield ev(e.type, e.payload);
        }
      // Tool calls, each a block that stays open until its arguments are whole: a call that
      // begins while another's are still coming (an upstream that interleaves parallel calls'
      // argument chunks) is held back, and comes as a block of its own once the open one is
      // whole. Before, the open block was stopped at once and the earlier call's later chunks
      // went to a stopped block, which the AI SDK's Anthropic provider cut off (audit F8).
      for (const tc of delta.tool_calls ?? []) {
        const args = tc.function?.arguments ?? '';
        const known = tools.byIndex.get(tc.index);
        if (known === undefined) {
          const call: ToolCallSoFar = {
            id: tc.id ?? newId('toolu_'),
            name: tc.function?.name ?? '',
            args,
          };
          tools.byIndex.set(tc.index, call);
          if (openBlock === 'tool' && !tools.openIsWhole()) tools.held.push(call);
          else yield* startTool(call);
        } else {
          known.args += args;
          if (known === tools.open && openBlock === 'tool' && args)
            yield ev('content_block_delta', {
              index: blockIndex,
              delta: { type: 'input_json_delta', partial_json: args },
            });
        }
        yield* flushHeld(false);
      }
    }
  }
  if (!started)
    yield ev('message_start', {
      message: {
        id: newId('msg_'),
        type: 'message',
        role: 'assistant',
        model: fallbackModel,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: startUsage,
      },
    });
  yield* flushHeld(true);
  yield* close();
  yield ev('message_delta', {
    delta: refusal ? { stop_reason: 'refusal', stop_sequence: null } : stopOf(finish, sequence),
    // Without the upstream's usage, the router's figures, as it accounts the request: the prompt
    // as message_start stated it, the answer estimated from what streamed (before, zeros, which
    // overwrote message_start's count in the client's accumulated usage: audit F5, 2026-12-06).
    usage: usage ?? {
      ...startUsage,
      output_tokens: estimateStreamedTokens(chars, 0),
    },
  });
  yield ev('message_stop', {});
}

/** The open thinking block's key while it holds an OpenAI-format model's reasoning text. */
const REASONING_TEXT_BLOCK = -2;

/** A delta's characters of answer: text, refusal, thinking, reasoning and tool-call arguments. */
function deltaChars(delta: object): number {
  const d = delta as {
    content?: unknown;
    refusal?: unknown;
    reasoning_details?: { thinking?: unknown }[];
    tool_calls?: { function?: { arguments?: unknown } }[];
  };
  let n = 0;
  if (typeof d.content === 'string') n += d.content.length;
  if (typeof d.refusal === 'string') n += d.refusal.length;
  for (const r of d.reasoning_details ?? [])
    if (typeof r?.thinking === 'string') n += r.thinking.length;
  // Reasoning tokens are output tokens, shown or not.
  n += reasoningTextOf(delta)?.length ?? 0;
  for (const t of d.tool_calls ?? [])
    if (typeof t?.function?.arguments === 'string') n += t.function.arguments.length;
  return n;
}

/** A streamed tool call as far as it has come. */
interface ToolCallSoFar {
  id: string;
  name: string;
  args: string;
}

/** The tool calls of a stream: by chat index, the one whose block is open, and those held back. */
class StreamedToolCalls {
  readonly byIndex = new Map<number, ToolCallSoFar>();
  open: ToolCallSoFar | undefined;
  readonly held: ToolCallSoFar[] = [];
  heldText = '';

  /** Whether the open call's arguments are a whole JSON value (no more of them to come). */
  openIsWhole(): boolean {
    if (!this.open) return true;
    try {
      JSON.parse(this.open.args);
      return true;
    } catch {
      return false;
    }
  }
}

// Chat chunks → Anthropic stream events, block by block, whichever provider served (CONTRACTS.md
// §4–5, reverse direction; Anthropic docs: .../build-with-claude/streaming). A whole reply's way
// back is messages-reply.ts.
import { newId } from '../../core/ids.js';
import type {
  ChatChunk,
  ChatResponse,
  ClaudeReplyFields,
  ReasoningDetail,
} from '../../core/wire-types.js';
import { claudeReplyOf, mergeClaudeReply, SERVER_BLOCKS_FIELD } from '../../core/wire-types.js';
import { serverBlocksOf, type UrlCitation } from '../../core/web-search.js';
import { plainText, serverBlockEvents, webCitation } from './messages-web-search.js';
import { estimateStreamedTokens } from '../../gateway/track-stream.js';
import { reasoningTextOf } from '../../core/reasoning-text.js';
import { outputChars } from '../../core/output-chars.js';
import {
  deltaFields,
  directCaller,
  documentCitationsOf,
  messageFields,
  refusalOf,
  startUsageOf,
  stopOf,
  stopSequence,
  stopsOf,
  usageOf,
} from './messages-reply-fields.js';

type Json = Record<string, unknown>;

/** A stream event as the route writes it: its name and its JSON. */
export interface NamedEvent {
  event: string;
  data: string;
}

/**
 * Chat chunks → Anthropic stream events, block by block (thinking, text and tool_use blocks);
 * `stop` the request's stop sequences; `showReasoning`: the client asked for thinking, so an
 * OpenAI-format model's reasoning text streams as an unsigned thinking block (as a whole reply's
 * does: messages-reply.ts thinkingBlocks).
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
  // Before the upstream's usage is known: the router's count of the prompt, nothing cached yet.
  let startUsage = startUsageOf(promptTokens);
  // Claude's own reply fields (CLAUDE_REPLY_FIELD), where Claude serves: what its message_start
  // said (on the first chunk), then what its message_delta said (on the chunk that finishes).
  let claude: ClaudeReplyFields | undefined;
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
      yield ev('content_block_start', { index: blockIndex, content_block: plainText('') });
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
      content_block: {
        type: 'tool_use',
        id: call.id,
        name: call.name,
        input: {},
        caller: directCaller(),
      },
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
    const said = claudeReplyOf(chunk);
    if (said) claude = mergeClaudeReply(claude, said);
    if (!started) {
      started = true;
      startUsage = startUsageOf(promptTokens, claude?.usage);
      yield ev('message_start', {
        message: {
          id: newId('msg_'),
          type: 'message',
          role: 'assistant',
          model: chunk.model || fallbackModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          ...messageFields({ container: claude?.container ?? null }),
          usage: startUsage,
        },
      });
    }
    if (chunk.usage)
      usage = usageOf(chunk.usage as ChatResponse['usage'], chunk.service_tier, claude?.usage);
    for (const c of chunk.choices) {
      if (c.finish_reason) {
        finish = c.finish_reason;
        sequence = stopSequence(c, stops);
      }
      const delta = c.delta ?? {};
      chars += outputChars(delta);
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
        ...messageFields(),
        usage: startUsage,
      },
    });
  yield* flushHeld(true);
  yield* close();
  yield ev('message_delta', {
    delta: {
      ...(refusal ? { stop_reason: 'refusal', stop_sequence: null } : stopOf(finish, sequence)),
      ...deltaFields(claude),
    },
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

// Anthropic's stream events → chat chunks for the Anthropic provider (CONTRACTS.md §5.3; Anthropic
// docs: https://docs.claude.com/en/docs/build-with-claude/streaming). A whole reply's conversion,
// and the stop reason, usage and tier both read, are anthropic-reply.ts.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatChunk, DocumentCitations, ReasoningDetail } from '../../core/wire-types.js';
import {
  CLAUDE_REPLY_FIELD,
  DOCUMENT_CITATIONS_FIELD,
  SERVER_BLOCKS_FIELD,
} from '../../core/wire-types.js';
import type { SseMessage } from '../sse-parser.js';
import { streamDropped } from '../stream-dropped.js';
import { addUsage, isServerBlock, PAUSED_TURNS, urlCitations } from './anthropic-web-search.js';
import { documentCitationsOf } from './anthropic-document-citations.js';
import { mapAnthropicError } from './anthropic-error.js';
import {
  claudeReplyFields,
  JSON_TOOL,
  mapStopReason,
  mapUsage,
  matchedStop,
  servedTier,
} from './anthropic-reply.js';

type Json = Record<string, unknown>;

/** The options of a stream's conversion (anthropicEventsToChunks). */
export interface AnthropicStreamOptions {
  /** Keep Claude's server tool blocks for an Anthropic client (SERVER_BLOCKS_FIELD). */
  keepServerBlocks?: boolean;
  /**
   * Sends a paused turn (`pause_turn`: Claude's web search stopped a long turn) back as the
   * assistant turn `content`, and gives the events of what comes next, which go on in the same
   * chat stream (at most PAUSED_TURNS times).
   */
  goOn?: (content: Json[]) => Promise<AsyncIterable<SseMessage>>;
  /**
   * Keep the citations of the client's documents (DOCUMENT_CITATIONS_FIELD): an empty list on the
   * first chunk, then each text block's as it ends, so its Anthropic client gets Claude's blocks.
   */
  documentCitations?: boolean;
  /**
   * Keep Claude's reply fields that chat has no place for (CLAUDE_REPLY_FIELD), for an Anthropic
   * client: message_start's on the first chunk, message_delta's on the chunk that finishes.
   */
  claudeReply?: boolean;
}

/**
 * Anthropic stream events → chat chunks (CONTRACTS.md §5.3): tool calls numbered by our own
 * counter (Anthropic block indices also count text blocks); thinking as `reasoning_details`
 * pieces (text, then the signature) numbered the same way; `error` after the 200 throws. With
 * `goOn`, a paused turn goes on in the same stream: one answer, the usage of every call summed.
 */
export async function* anthropicEventsToChunks(
  events: AsyncIterable<SseMessage>,
  deployment: DeploymentConfig,
  options: AnthropicStreamOptions = {},
): AsyncGenerator<ChatChunk> {
  let id = 'chatcmpl-anthropic';
  let model = deployment.model;
  const created = Math.floor(Date.now() / 1000);
  let inputUsage: Json = {};
  // The tier `message_start`'s usage names, on every chunk after it as OpenAI's chunks carry theirs.
  let tier: { service_tier?: 'default' | 'priority' } = {};
  const toolIndex = new Map<number, number>();
  let jsonToolBlock = -1;
  let nextTool = 0;
  // Thinking blocks, numbered like tool calls: Anthropic's block index → the n-th thinking block.
  const thinkingIndex = new Map<number, number>();
  let nextThinking = 0;
  /** `message_delta` (the stop reason) came: the answer is whole even if message_stop never does. */
  let stopped = false;
  // Web citations of the text block open now (`citations_delta`), sent as annotations over the
  // block's characters when it closes; `written`: the answer's characters so far.
  let written = 0;
  let blockStart = 0;
  let cited: unknown[] = [];
  // The text block open now (Anthropic's index), whose end is told when documents are cited.
  let textBlock = -1;
  // The blocks as Claude sends them, where a paused turn is sent back or server blocks are kept.
  const gather = options.keepServerBlocks === true || options.goOn !== undefined;
  const blocks = new Map<number, Json>();
  const inputJson = new Map<number, string>();
  // A paused turn: its usage so far (every call is billed), and how many times it went on.
  let paused = false;
  let pausedUsage: Json | undefined;
  let turns = 0;
  const reasoning = (detail: Omit<ReasoningDetail, 'provider'>) =>
    chunk({ reasoning_details: [{ provider: 'anthropic', ...detail }] });
  const chunk = (delta: Json, finish: string | null = null, extra: Json = {}): ChatChunk =>
    ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...tier,
      ...extra,
    }) as ChatChunk;
  for (let source: AsyncIterable<SseMessage> | undefined = events; source;) {
    for await (const m of source) {
      let data: Json;
      try {
        data = JSON.parse(m.data) as Json;
      } catch {
        throw new GatewayError({
          status: 502,
          type: 'server_error',
          code: 'upstream_malformed_chunk',
          message: `${deployment.name}: malformed stream event: ${m.data.slice(0, 200)}`,
          retryable: true,
        });
      }
      const type = data.type ?? m.event;
      switch (type) {
        case 'message_start': {
          const msg = (data.message ?? {}) as Json;
          inputUsage = (msg.usage as Json) ?? {};
          // A paused turn's next call: the same answer goes on.
          if (turns > 0) break;
          id = `chatcmpl-${String(msg.id ?? 'anthropic')}`;
          model = String(msg.model ?? model);
          tier = servedTier(inputUsage);
          yield chunk(
            {
              role: 'assistant',
              content: '',
              ...(options.documentCitations ? { [DOCUMENT_CITATIONS_FIELD]: [] } : {}),
            },
            null,
            options.claudeReply ? { [CLAUDE_REPLY_FIELD]: claudeReplyFields(msg, inputUsage) } : {},
          );
          break;
        }
        case 'content_block_start': {
          const block = (data.content_block ?? {}) as Json;
          if (gather) blocks.set(Number(data.index), { ...block });
          if (block.type === 'text') {
            textBlock = Number(data.index);
            blockStart = written;
            cited = Array.isArray(block.citations) ? [...(block.citations as unknown[])] : [];
          } else if (block.type === 'thinking' || block.type === 'redacted_thinking') {
            const index = nextThinking++;
            thinkingIndex.set(Number(data.index), index);
            if (block.type === 'redacted_thinking')
              yield reasoning({ type: 'redacted_thinking', index, data: String(block.data ?? '') });
            else if (block.thinking)
              yield reasoning({ type: 'thinking', index, thinking: String(block.thinking) });
          } else if (block.type === 'tool_use' && block.name === JSON_TOOL)
            jsonToolBlock = Number(data.index);
          else if (block.type === 'tool_use') {
            const k = nextTool++;
            toolIndex.set(Number(data.index), k);
            yield chunk({
              tool_calls: [
                {
                  index: k,
                  id: block.id,
                  type: 'function',
                  function: { name: block.name, arguments: '' },
                },
              ],
            });
          }
          break;
        }
        case 'content_block_delta': {
          const delta = (data.delta ?? {}) as Json;
          const index = thinkingIndex.get(Number(data.index)) ?? 0;
          if (gather) gatherDelta(blocks.get(Number(data.index)), delta, Number(data.index));
          if (delta.type === 'text_delta') {
            const text = String(delta.text ?? '');
            written += text.length;
            yield chunk({ content: text });
          } else if (delta.type === 'citations_delta') cited.push(delta.citation);
          else if (delta.type === 'thinking_delta')
            yield reasoning({ type: 'thinking', index, thinking: String(delta.thinking ?? '') });
          else if (delta.type === 'signature_delta')
            yield reasoning({ type: 'thinking', index, signature: String(delta.signature ?? '') });
          else if (delta.type === 'input_json_delta') {
            const piece = String(delta.partial_json ?? '');
            // The JSON tool's input is the answer; the client's tools' are their calls; a web
            // search's (`server_tool_use`) is Anthropic's own, and goes nowhere.
            if (Number(data.index) === jsonToolBlock) {
              written += piece.length;
              if (piece) yield chunk({ content: piece });
            } else if (piece && toolIndex.has(Number(data.index)))
              yield chunk({
                tool_calls: [
                  { index: toolIndex.get(Number(data.index)) ?? 0, function: { arguments: piece } },
                ],
              });
          }
          break;
        }
        case 'message_delta': {
          const delta = (data.delta ?? {}) as Json;
          const whole = { ...inputUsage, ...((data.usage as Json) ?? {}) };
          if (delta.stop_reason === 'pause_turn' && options.goOn && turns < PAUSED_TURNS) {
            paused = true;
            pausedUsage = pausedUsage ? addUsage(pausedUsage, whole) : whole;
            break;
          }
          stopped = true;
          const all = pausedUsage ? addUsage(pausedUsage, whole) : whole;
          const usage = mapUsage(all);
          const last = chunk(
            {},
            mapStopReason(delta.stop_reason, jsonToolBlock >= 0),
            options.claudeReply ? { [CLAUDE_REPLY_FIELD]: claudeReplyFields(delta, all) } : {},
          );
          Object.assign(last.choices[0]!, matchedStop(delta.stop_reason, delta.stop_sequence));
          yield last;
          yield {
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [],
            usage,
            ...tier,
            ...servedTier(all),
          } as ChatChunk;
          break;
        }
        case 'content_block_stop': {
          const annotations = urlCitations(cited, blockStart, written - blockStart);
          const blockCited = cited;
          cited = [];
          if (annotations.length) yield chunk({ annotations });
          // A text block's end, with the documents it cites (none: where the next one begins).
          if (options.documentCitations && Number(data.index) === textBlock) {
            const span: DocumentCitations = {
              start_index: blockStart,
              end_index: written,
              citations: documentCitationsOf(blockCited),
            };
            yield chunk({ [DOCUMENT_CITATIONS_FIELD]: [span] });
          }
          if (Number(data.index) === textBlock) textBlock = -1;
          const block = gather
            ? endBlock(blocks.get(Number(data.index)), Number(data.index))
            : undefined;
          if (options.keepServerBlocks && block && isServerBlock(block))
            yield chunk({ [SERVER_BLOCKS_FIELD]: [{ at: written, block }] });
          break;
        }
        case 'message_stop':
          break;
        case 'error':
          throw mapAnthropicError(0, data, deployment.name);
        default:
          break; // ping
      }
      if (type === 'message_stop') break;
    }
    source = undefined;
    if (paused && options.goOn) {
      // Sent back as it came: the paused turn's blocks, in order.
      const content = [...blocks].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
      paused = false;
      turns++;
      blocks.clear();
      inputJson.clear();
      toolIndex.clear();
      thinkingIndex.clear();
      jsonToolBlock = -1;
      source = await options.goOn(content);
    }
  }
  // The events ran out (message_stop ends them) before the stop reason: the answer was cut short.
  if (!stopped) throw streamDropped(deployment.name);

  function gatherDelta(block: Json | undefined, delta: Json, index: number): void {
    if (!block) return;
    if (delta.type === 'text_delta')
      block.text = String(block.text ?? '') + String(delta.text ?? '');
    else if (delta.type === 'citations_delta')
      block.citations = [...((block.citations as unknown[] | undefined) ?? []), delta.citation];
    else if (delta.type === 'thinking_delta')
      block.thinking = String(block.thinking ?? '') + String(delta.thinking ?? '');
    else if (delta.type === 'signature_delta') block.signature = String(delta.signature ?? '');
    else if (delta.type === 'input_json_delta')
      inputJson.set(index, (inputJson.get(index) ?? '') + String(delta.partial_json ?? ''));
  }

  /** A block whole at its end: a tool's input parsed from its pieces (Claude's own JSON). */
  function endBlock(block: Json | undefined, index: number): Json | undefined {
    const json = inputJson.get(index);
    if (block && json) {
      try {
        block.input = JSON.parse(json) as unknown;
      } catch {
        // Left as it started: Anthropic sends whole JSON in its pieces.
      }
    }
    return block;
  }
}

// Anthropic Messages → Chat Completions for the Anthropic provider (CONTRACTS.md §5; Anthropic
// docs: https://docs.claude.com/en/api/messages, .../build-with-claude/streaming): replies and
// stream events back, errors mapped to OpenAI's shapes with the status kept.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import type {
  ChatChunk,
  ChatResponse,
  DocumentCitations,
  FunctionToolCall,
  ReasoningDetail,
  ServerBlock,
} from '../../core/wire-types.js';
import { DOCUMENT_CITATIONS_FIELD, SERVER_BLOCKS_FIELD } from '../../core/wire-types.js';
import { streamDropped, type SseMessage } from '../sse-parser.js';
import { deploymentFaultError } from '../upstream-errors.js';
import type { UrlCitation } from '../../core/web-search.js';
import {
  addUsage,
  isServerBlock,
  PAUSED_TURNS,
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

/** Anthropic usage → OpenAI usage: input_tokens excludes cached tokens (CONTRACTS.md §4.3). */
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
    completion_tokens_details: { reasoning_tokens: 0 },
    // Claude's web searches, as Anthropic counts them (priced by `prices.perWebSearch`).
    ...(webSearchRequests(u)
      ? { server_tool_use: { web_search_requests: webSearchRequests(u) } }
      : {}),
  } as ChatResponse['usage'];
}

/**
 * Anthropic Message → chat completion; with `keepServerBlocks`, Claude's server tool blocks ride
 * along for an Anthropic client (SERVER_BLOCKS_FIELD); with `keepDocumentCitations`, its text
 * blocks' citations of the client's documents (DOCUMENT_CITATIONS_FIELD, an empty list when none).
 */
export function anthropicToChatResponse(
  msg: Json,
  deployment: DeploymentConfig,
  keepServerBlocks = false,
  keepDocumentCitations = false,
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
  } as ChatResponse;
}

/**
 * Anthropic's 400 for a prompt past the model's context window ("prompt is too long: 208310 tokens
 * > 200000 maximum", an `invalid_request_error`): OpenAI's `context_length_exceeded`, which a
 * deployment with a larger window may still serve (gateway/execute-with-failover.ts).
 */
const PROMPT_TOO_LONG = /^prompt is too long\b/i;

const STATUS_FOR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An Anthropic error (HTTP or in-band) → GatewayError in OpenAI's vocabulary, status kept. */
export function mapAnthropicError(
  status: number,
  body: unknown,
  deploymentName: string,
  headers: Record<string, string> = {},
): GatewayError {
  const err =
    (body && typeof body === 'object' ? ((body as Json).error as Json | undefined) : undefined) ??
    {};
  const type = typeof err.type === 'string' ? err.type : 'api_error';
  const httpStatus = status || STATUS_FOR_TYPE[type] || 500;
  const openAiType =
    httpStatus === 429 ? 'rate_limit_error' : httpStatus >= 500 ? 'server_error' : type;
  const message = typeof err.message === 'string' ? err.message : `HTTP ${httpStatus}`;
  const fault = deploymentFaultError(httpStatus, `${deploymentName}: ${message}`, headers);
  if (fault) return fault;
  return new GatewayError({
    status: httpStatus,
    type: openAiType,
    code:
      httpStatus === 429
        ? 'rate_limit_exceeded'
        : httpStatus === 400 && PROMPT_TOO_LONG.test(message)
          ? 'context_length_exceeded'
          : type,
    message: `${deploymentName}: ${message}`,
    headers,
    retryable: httpStatus === 408 || httpStatus === 409 || httpStatus === 429 || httpStatus >= 500,
  });
}

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
          yield chunk({
            role: 'assistant',
            content: '',
            ...(options.documentCitations ? { [DOCUMENT_CITATIONS_FIELD]: [] } : {}),
          });
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
          const last = chunk({}, mapStopReason(delta.stop_reason, jsonToolBlock >= 0));
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

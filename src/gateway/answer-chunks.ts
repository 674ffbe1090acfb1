// A whole answer and its stream, both ways, for the answer cache: a streamed answer is collected
// into the Chat Completions response it stands for (so a streamed miss can be kept), and a kept
// response is replayed as the chunks a stream of it would have sent (so a stream can be a hit).
// Claude's citations of an Anthropic client's documents (DOCUMENT_CITATIONS_FIELD) go both ways
// too, so a hit gives them back whichever way the answer was first asked.
import { ReasoningAccumulator, reasoningDetailsOf } from '../core/reasoning-details.js';
import type {
  ChatChunk,
  ChatResponse,
  ClaudeReplyFields,
  DocumentCitations,
} from '../core/wire-types.js';
import {
  chunkFields,
  CLAUDE_REPLY_FIELD,
  claudeReplyOf,
  DOCUMENT_CITATIONS_FIELD,
  mergeClaudeReply,
} from '../core/wire-types.js';
import { matchedStopOf } from '../core/matched-stop.js';
import { isObject } from '../core/is-object.js';

type Message = ChatResponse['choices'][number]['message'];
type ToolCall = NonNullable<Message['tool_calls']>[number];

interface ChoiceSoFar {
  message: Record<string, unknown> & { role: 'assistant' };
  /** Merged by index; `custom` for a custom tool's call (its `arguments` are its input). */
  toolCalls: Map<number, { id: string; name: string; arguments: string; custom?: boolean }>;
  reasoning: ReasoningAccumulator;
  finishReason: string | null;
  /** The stop sequence it stopped at, where the upstream named it (src/core/matched-stop.ts). */
  matchedStop?: string;
  /** Token log probabilities, concatenated (only when the collector keeps them). */
  logprobs?: { content: unknown[] | null; refusal: unknown[] | null };
}

/** A chunk's `logprobs` lists appended to those so far (a null list stays null until one comes). */
function appendLogprobs(
  so: ChoiceSoFar,
  logprobs: { content?: unknown[] | null; refusal?: unknown[] | null },
): void {
  const kept = (so.logprobs ??= { content: null, refusal: null });
  if (logprobs.content) (kept.content ??= []).push(...logprobs.content);
  if (logprobs.refusal) (kept.refusal ??= []).push(...logprobs.refusal);
}

/**
 * Azure's `context` so far with a chunk's (AIFoundryOpenAIV1.json `AzureChatMessageContext`, a
 * delta field of `AzureChatCompletionStreamResponseDelta`): where it comes in parts, their lists
 * (`citations`) are appended and other keys take the latest value.
 */
function mergeContext(sofar: unknown, next: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(sofar)) return next;
  const merged: Record<string, unknown> = { ...sofar };
  for (const [key, value] of Object.entries(next))
    merged[key] =
      Array.isArray(value) && Array.isArray(merged[key])
        ? [...(merged[key] as unknown[]), ...value]
        : value;
  return merged;
}

/**
 * Adds up a stream's chunks into the response it stands for: text (and any other string delta
 * field, such as an OpenAI-compatible server's `reasoning_content`) concatenated, tool calls
 * and Claude's thinking pieces (`reasoning_details`, signatures intact) merged by index, the last
 * finish reason (with the stop sequence matched, where the upstream named it), web citations
 * (`annotations`, appended), Azure's On Your Data `context`, usage and, for an Anthropic client,
 * Claude's reply fields (CLAUDE_REPLY_FIELD, merged) and its document citations
 * (DOCUMENT_CITATIONS_FIELD, appended). Answers with log probabilities are not
 * collected (`response()` is undefined: their per-token detail is not worth replaying) unless
 * `keepLogprobs` (a stored chat completion keeps what the client got).
 */
export class ChunkCollector {
  private readonly choices = new Map<number, ChoiceSoFar>();
  private head: ChatChunk | undefined;
  private usage: ChatResponse['usage'];
  /** Claude's reply fields, for an Anthropic client (CLAUDE_REPLY_FIELD), merged as they came. */
  private claude: ClaudeReplyFields | undefined;
  private unusable = false;

  constructor(private readonly keepLogprobs = false) {}

  /** Stops collecting and lets go of what it holds: `response()` is undefined from now on. */
  giveUp(): void {
    this.unusable = true;
    this.choices.clear();
  }

  add(chunk: ChatChunk): void {
    if (this.unusable && this.choices.size === 0 && this.head) return;
    const c = chunkFields(chunk);
    this.head ??= c;
    if (c.usage) this.usage = c.usage;
    const said = claudeReplyOf(c);
    if (said) this.claude = mergeClaudeReply(this.claude, said);
    for (const choice of c.choices) {
      let so = this.choices.get(choice.index);
      if (!so) {
        so = {
          message: { role: 'assistant' },
          toolCalls: new Map(),
          reasoning: new ReasoningAccumulator(),
          finishReason: null,
        };
        this.choices.set(choice.index, so);
      }
      if (choice.logprobs) {
        if (this.keepLogprobs) appendLogprobs(so, choice.logprobs);
        else this.unusable = true;
      }
      if (choice.finish_reason) so.finishReason = choice.finish_reason;
      so.matchedStop = matchedStopOf(choice) ?? so.matchedStop;
      for (const [field, value] of Object.entries(choice.delta ?? {})) {
        if (field === 'role' || field === 'tool_calls' || field === 'reasoning_details') continue;
        if (typeof value === 'string')
          so.message[field] = ((so.message[field] as string) ?? '') + value;
        // Web citations (`url_citation`), sent as each cited block of text ends.
        else if (field === 'annotations' && Array.isArray(value))
          so.message.annotations = [...((so.message.annotations as unknown[]) ?? []), ...value];
        // Azure's On Your Data citations and intent (`delta.context`).
        else if (field === 'context' && isObject(value))
          so.message.context = mergeContext(so.message.context, value);
        // Claude's citations of the client's documents: its text blocks as each ended, in order.
        else if (field === DOCUMENT_CITATIONS_FIELD && Array.isArray(value))
          so.message[field] = [...((so.message[field] as unknown[]) ?? []), ...value];
      }
      so.reasoning.add(reasoningDetailsOf(choice.delta));
      for (const tc of choice.delta?.tool_calls ?? []) {
        const call = so.toolCalls.get(tc.index) ?? { id: '', name: '', arguments: '' };
        call.id ||= tc.id ?? '';
        // A custom tool's call streams `custom: {name, input}` (src/gateway/custom-tool-bridge.ts).
        const custom = (tc as { custom?: { name?: string; input?: string } }).custom;
        if (custom || (tc as { type?: string }).type === 'custom') call.custom = true;
        call.name += tc.function?.name ?? custom?.name ?? '';
        call.arguments += tc.function?.arguments ?? custom?.input ?? '';
        so.toolCalls.set(tc.index, call);
      }
    }
  }

  /** The response the chunks stand for, or undefined when they do not make a whole answer. */
  response(): ChatResponse | undefined {
    const head = this.head;
    if (!head || this.unusable || this.choices.size === 0) return undefined;
    const choices: ChatResponse['choices'] = [];
    for (const [index, so] of [...this.choices].sort((a, b) => a[0] - b[0])) {
      if (!so.finishReason) return undefined; // cut short: not an answer to keep
      const message = { content: null, refusal: null, ...so.message } as Message;
      if (so.reasoning.size > 0)
        (message as unknown as Record<string, unknown>).reasoning_details = so.reasoning.details();
      if (so.toolCalls.size > 0)
        message.tool_calls = [...so.toolCalls]
          .sort((a, b) => a[0] - b[0])
          .map(([, t]): ToolCall =>
            t.custom
              ? { id: t.id, type: 'custom', custom: { name: t.name, input: t.arguments } }
              : { id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } },
          );
      choices.push({
        index,
        message,
        finish_reason: so.finishReason as ChatResponse['choices'][number]['finish_reason'],
        logprobs: (so.logprobs ?? null) as ChatResponse['choices'][number]['logprobs'],
        ...(so.matchedStop !== undefined ? { stop_reason: so.matchedStop } : {}),
      });
    }
    return {
      id: head.id,
      object: 'chat.completion',
      created: head.created,
      model: head.model,
      ...(head.system_fingerprint ? { system_fingerprint: head.system_fingerprint } : {}),
      choices,
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.claude ? { [CLAUDE_REPLY_FIELD]: this.claude } : {}),
    };
  }
}

/**
 * The chunks a stream of `response` sends: per choice, its message as one delta (each thinking
 * block of `reasoning_details` one piece with its `index`), then its finish reason; then the usage
 * chunk when the client asked for it (`stream_options.include_usage`). A message with Claude's
 * document citations (DOCUMENT_CITATIONS_FIELD) streams as Claude's did: an empty list first (the
 * upstream returns them), then its text a block at a time, each with the citations it ends with.
 */
export function replayChunks(response: ChatResponse, includeUsage: boolean): ChatChunk[] {
  const base = {
    id: response.id,
    object: 'chat.completion.chunk' as const,
    created: response.created,
    model: response.model,
    ...(response.system_fingerprint ? { system_fingerprint: response.system_fingerprint } : {}),
  };
  const chunks: ChatChunk[] = [];
  // Claude's reply fields (CLAUDE_REPLY_FIELD), whole, on the first chunk: its Anthropic client's
  // message_start says them, and its message_delta keeps them (src/http/anthropic/messages-stream.ts).
  const claude = claudeReplyOf(response);
  for (const choice of response.choices) {
    const delta: Record<string, unknown> = { role: 'assistant' };
    const reasoning = reasoningDetailsOf(choice.message);
    if (reasoning) delta.reasoning_details = reasoning.map((d, index) => ({ ...d, index }));
    for (const [field, value] of Object.entries(choice.message))
      if (field !== 'role' && field !== 'tool_calls' && typeof value === 'string')
        delta[field] = value;
    if (choice.message.tool_calls?.length)
      delta.tool_calls = choice.message.tool_calls.map((t, index) => ({ index, ...t }));
    if (choice.message.annotations?.length) delta.annotations = choice.message.annotations;
    const context = (choice.message as { context?: unknown }).context;
    if (isObject(context)) delta.context = context;
    const documents = (choice.message as { [DOCUMENT_CITATIONS_FIELD]?: unknown })[
      DOCUMENT_CITATIONS_FIELD
    ];
    const deltas = Array.isArray(documents)
      ? citedDeltas(delta, documents as DocumentCitations[])
      : [delta];
    for (const d of deltas)
      chunks.push({
        ...base,
        choices: [{ index: choice.index, delta: d, finish_reason: null, logprobs: null }],
        ...(claude && chunks.length === 0 ? { [CLAUDE_REPLY_FIELD]: claude } : {}),
      } as ChatChunk);
    const stop = matchedStopOf(choice);
    chunks.push({
      ...base,
      choices: [
        {
          index: choice.index,
          delta: {},
          finish_reason: choice.finish_reason,
          ...(stop !== undefined ? { stop_reason: stop } : {}),
        },
      ],
    });
  }
  if (includeUsage && response.usage) chunks.push({ ...base, choices: [], usage: response.usage });
  return chunks;
}

/**
 * A message's delta with Claude's document citations as a stream of it sends them: the delta
 * without its text, tool calls and web citations, with an empty list (the upstream returns them);
 * then each of Claude's text blocks (`documents`' spans; the text between two, a block that cites
 * nothing) with its span, which ends it (src/http/anthropic/messages-stream.ts); then the text
 * after the last span; then the tool calls and web citations.
 */
function citedDeltas(
  delta: Record<string, unknown>,
  documents: readonly DocumentCitations[],
): Record<string, unknown>[] {
  const { content, tool_calls: toolCalls, annotations, ...head } = delta;
  const text = typeof content === 'string' ? content : '';
  const out: Record<string, unknown>[] = [{ ...head, [DOCUMENT_CITATIONS_FIELD]: [] }];
  const block = (start: number, end: number, citations: DocumentCitations['citations']) =>
    out.push({
      content: text.slice(start, end),
      [DOCUMENT_CITATIONS_FIELD]: [{ start_index: start, end_index: end, citations }],
    });
  let at = 0;
  for (const d of [...documents].sort((a, b) => a.start_index - b.start_index)) {
    const start = Math.min(Math.max(d.start_index, at), text.length);
    const end = Math.min(Math.max(d.end_index, start), text.length);
    if (start > at) block(at, start, []);
    block(start, end, d.citations);
    at = end;
  }
  if (at < text.length) out.push({ content: text.slice(at) });
  if (toolCalls !== undefined || annotations !== undefined)
    out.push({
      ...(toolCalls !== undefined ? { tool_calls: toolCalls } : {}),
      ...(annotations !== undefined ? { annotations } : {}),
    });
  return out;
}

// What a realtime response cost, from its `response.done` usage (openapi.yaml RealtimeResponse
// `usage`: input and output tokens, each split into text and audio, cached input split too) and
// the deployment's prices: text at the token prices, audio at `audioInputPer1M` /
// `audioOutputPer1M` (else the token prices), cached input at the cached prices. A response stopped
// before its `response.done` is charged its input, the conversation as far as the router knows it
// (or the response's own `input` items: realtime-items.ts) and the instructions and tools it was
// given, and the output it relayed (stoppedResponseCost).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { isObject } from '../core/is-object.js';
import { estimatePromptTokens } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { tokenCount } from './cost.js';
import {
  audioTokens as audioTokensOf,
  DEFAULT_AUDIO_RATES,
  OUTPUT_AUDIO_TOKENS_PER_SECOND,
  type RealtimeOutput,
} from './realtime-audio.js';

export interface RealtimeUsage {
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  costUsd: number;
}

/**
 * A session's conversation as its next response reads it, in tokens: what the last response read
 * (but its instructions and tools) and wrote (its `response.done` usage), and the items the
 * client added since (estimated as realtime-items.ts counts them: text ≈4 characters a token,
 * audio by its length), and what the client appended to the input buffer once the upstream
 * committed it (10 tokens a second). Also what a response's own `input` items read.
 */
export interface RealtimeConversation {
  textTokens: number;
  audioTokens: number;
}

/**
 * What a response stopped before its `response.done` (the session ended, the upstream broke) is
 * charged: its input (`input`: the conversation, or its own `input` items, and the instructions
 * and tools it was given) at the deployment's input prices (audio at `audioInputPer1M`), as a
 * chat try stopped after it was sent is charged its prompt, and the output the client was sent of
 * it (`output`: text ≈4 characters a token, audio at 20 tokens a second of
 * `outputBytesPerSecond`) at the output prices (audio at `audioOutputPer1M`); estimated, not a
 * bound: the output the upstream generated and the router never relayed is not known, nor are
 * images, while tools counted as their JSON can count the input long (items referred to by id
 * count as the items they point to: realtime-items.ts).
 */
export function stoppedResponseCost(
  d: Pick<DeploymentConfig, 'prices'>,
  input: RealtimeConversation,
  output: RealtimeOutput = { textChars: 0, audioBytes: 0 },
  outputBytesPerSecond = DEFAULT_AUDIO_RATES.output,
): RealtimeUsage {
  const p = d.prices;
  const { textTokens, audioTokens } = input;
  const textOut = Math.ceil(output.textChars / 4);
  const audioOut = audioTokensOf(
    output.audioBytes,
    outputBytesPerSecond,
    OUTPUT_AUDIO_TOKENS_PER_SECOND,
  );
  return {
    promptTokens: textTokens + audioTokens,
    cachedTokens: 0,
    completionTokens: textOut + audioOut,
    costUsd:
      (textTokens * p.inputPer1M +
        audioTokens * (p.audioInputPer1M ?? p.inputPer1M) +
        textOut * p.outputPer1M +
        audioOut * (p.audioOutputPer1M ?? p.outputPer1M)) /
      1e6,
  };
}

const num = (x: unknown) => tokenCount(x) ?? 0;
const obj = (x: unknown): Record<string, unknown> => (isObject(x) ? x : {});

/**
 * The instructions and tools a response is given, which the upstream bills as input on every
 * response besides the conversation: the session's, as its `session.created` / `session.updated`
 * states them (the server's default instructions until a `session.update` sets others), or a
 * `response.create`'s own for that response (openapi.yaml RealtimeResponseCreateParams
 * `instructions`, "prepended to model calls", and `tools`). undefined: not stated.
 */
export interface RealtimePrompt {
  instructions?: string;
  tools?: unknown[];
}

/**
 * The instructions and tools `params` states (a session, a response.create's `response`), each
 * over `over`'s when it states none.
 */
export function promptOf(params: unknown, over: RealtimePrompt = {}): RealtimePrompt {
  const p = obj(params);
  return {
    instructions: typeof p.instructions === 'string' ? p.instructions : over.instructions,
    tools: Array.isArray(p.tools) ? p.tools : over.tools,
  };
}

/**
 * The tokens of a response's instructions and tools, as the router estimates a chat prompt
 * without an exact count (estimatePromptTokens: the instructions as a system message, the tools
 * as their JSON, ≈4 characters a token, the chat format's per-message overhead); 0 for neither.
 */
export function promptTokens(prompt: RealtimePrompt): number {
  const instructions = prompt.instructions ?? '';
  const tools = prompt.tools?.length ? prompt.tools : undefined;
  if (!instructions && !tools) return 0;
  const asChat = { model: '', messages: [{ role: 'system', content: instructions }], tools };
  return estimatePromptTokens(asChat as ChatRequest, instructions);
}

/** The tokens and cost of one response's `usage` on `d` (zeros for a usage it did not report). */
export function realtimeCost(d: Pick<DeploymentConfig, 'prices'>, usage: unknown): RealtimeUsage {
  const u = obj(usage);
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);
  const inDetails = obj(u.input_token_details);
  const cached = Math.min(num(inDetails.cached_tokens), input);
  const cachedAudio = Math.min(num(obj(inDetails.cached_tokens_details).audio_tokens), cached);
  const audioIn = Math.max(0, Math.min(num(inDetails.audio_tokens), input) - cachedAudio);
  const textIn = Math.max(0, input - cached - audioIn);
  const audioOut = Math.min(num(obj(u.output_token_details).audio_tokens), output);
  const p = d.prices;
  const cachedPrice = p.cachedInputPer1M ?? p.inputPer1M;
  const cost =
    textIn * p.inputPer1M +
    (cached - cachedAudio) * cachedPrice +
    audioIn * (p.audioInputPer1M ?? p.inputPer1M) +
    cachedAudio *
      (p.cachedAudioInputPer1M ?? p.cachedInputPer1M ?? p.audioInputPer1M ?? p.inputPer1M) +
    audioOut * (p.audioOutputPer1M ?? p.outputPer1M) +
    (output - audioOut) * p.outputPer1M;
  return {
    promptTokens: input,
    cachedTokens: cached,
    completionTokens: output,
    costUsd: cost / 1e6,
  };
}

/**
 * What of a response the session's default conversation keeps (openapi.yaml
 * RealtimeResponseCreateParams): `all` it read and wrote (`conversation: "auto"`, the default, and
 * every response server VAD starts); `output` only, for one with its own `input` ("a new context
 * for this Response instead of using the default conversation", its output still added to it);
 * `none` for an out-of-band one (`conversation: "none"`: "will not add items to default
 * conversation").
 */
export type ConversationShare = 'all' | 'output' | 'none';

/** What of the response a `response.create`'s `response` parameters ask for keeps (above). */
export function conversationShareOf(params: unknown): ConversationShare {
  const p = obj(params);
  if (p.conversation === 'none') return 'none';
  return Array.isArray(p.input) ? 'output' : 'all';
}

/**
 * The conversation after a response whose `response.done` reported `usage`: for one that read the
 * default conversation (`share` `all`), what it read and wrote stays in it for the next one (text
 * and audio apart), but the instructions and tools it read (`promptTokens`, as estimated), which
 * the next response is given anew; for one with its own input (`output`), `before` and what it
 * wrote; for an out-of-band one (`none`), `before`. undefined when it reported no usage.
 */
export function conversationAfter(
  usage: unknown,
  promptTokens = 0,
  before: RealtimeConversation = { textTokens: 0, audioTokens: 0 },
  share: ConversationShare = 'all',
): RealtimeConversation | undefined {
  const u = obj(usage);
  const input = tokenCount(u.input_tokens);
  const output = tokenCount(u.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  if (share === 'none') return before;
  const audioOut = Math.min(num(obj(u.output_token_details).audio_tokens), output ?? 0);
  const textOut = (output ?? 0) - audioOut;
  if (share === 'output')
    return {
      textTokens: before.textTokens + textOut,
      audioTokens: before.audioTokens + audioOut,
    };
  const audioIn = Math.min(num(obj(u.input_token_details).audio_tokens), input ?? 0);
  const textIn = (input ?? 0) - audioIn;
  return {
    textTokens: textIn - Math.min(promptTokens, textIn) + textOut,
    audioTokens: audioIn + audioOut,
  };
}

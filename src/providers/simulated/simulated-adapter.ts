// The built-in simulated fleet: a provider whose config picks its behaviour (TensorZero's dummy
// provider idea). Deterministic for a given request: the answer, its length, tool calls and
// injected failures all derive from a hash of the request, so tests and demos repeat exactly.
import type { SimulationConfig } from '../../config/deployment-parts.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import {
  collectPromptText,
  countPromptTokens,
  embeddingInputs,
  loadTokenizer,
} from '../../core/prompt-text.js';
import { simulatedEmbeddings } from './simulated-embeddings.js';
import { compileFlagWords, simulatedModeration } from './simulated-moderation.js';
import { simulatedRerank } from './simulated-rerank.js';
import {
  formatTranscript,
  formFilesDigest,
  simulatedImagesReply,
  simulatedSpeech,
  simulatedTranscript,
} from './simulated-media.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../core/wire-types.js';
import type { ProviderAdapter, UpstreamRequest } from '../types.js';
import { buildAnswer, type SimAnswer } from './simulated-answer.js';
import { simulatedLogprobs } from './simulated-logprobs.js';
import { choiceCount, simulatedUsage } from './simulated-usage.js';
import { simulatedCitations } from './simulated-web-search.js';
import { createSimulatedBatchApi } from './simulated-batch.js';
import { openSimulatedRealtime } from './simulated-realtime.js';

/** Waits `ms`, rejecting when the signal aborts. Injected so tests need not really wait. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

const DEFAULT_SIMULATION: SimulationConfig = {
  ttftMs: 0,
  tokensPerSecond: 1000,
  style: 'concise',
  answerTokens: 40,
  cachedFraction: 0,
  reasoningTokens: 0,
  dimensions: 1536,
  toolCalls: true,
  failure: { kind: 'none', rate: 1, delayMs: 30_000, retryAfterSeconds: 1 },
};

/** FNV-1a over the request text and the model: the seed of everything simulated. */
export function requestSeed(text: string, model: string): number {
  let h = 0x811c9dc5;
  const s = model + '\u0000' + text;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The stop sequence an answer ended before, on its choice as vLLM puts it (`stop_reason`), which
 * the Messages bridge reads (src/core/matched-stop.ts); nothing when it ended otherwise.
 */
function stopReasonOf(answer: SimAnswer): { stop_reason?: string } {
  return answer.matchedStop !== undefined ? { stop_reason: answer.matchedStop } : {};
}

function failureApplies(sim: SimulationConfig, seed: number): boolean {
  if (sim.failure.kind === 'none') return false;
  // A second hash so failures do not correlate with answer length.
  return ((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0) % 10_000) / 10_000 < sim.failure.rate;
}

function simError(
  deployment: DeploymentConfig,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
) {
  return new GatewayError({
    status,
    type:
      status === 429
        ? 'rate_limit_error'
        : status >= 500
          ? 'server_error'
          : 'invalid_request_error',
    code,
    message: `${deployment.name} (simulated): ${message}`,
    retryable: true,
    headers,
  });
}

export function createSimulatedAdapter(
  deployment: DeploymentConfig,
  opts: { sleep?: Sleep; now?: () => number } = {},
): ProviderAdapter {
  const sim = deployment.simulation ?? DEFAULT_SIMULATION;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  /** The same deployment without simulated latency: what answers its Batch API's lines. */
  let instant: ProviderAdapter | undefined;
  /** A moderation model's matchers, compiled on its first call. */
  let flagWords: ReturnType<typeof compileFlagWords> | undefined;

  /** A simulated images reply: `n` PNGs drawn from `seed`, as `b64_json` or data URLs. */
  const imagesReply = (seed: string, n: number, format: unknown) =>
    simulatedImagesReply(seed, n, format === 'url' ? 'url' : 'b64_json', Math.floor(now() / 1000));
  const prepare = async (body: ChatRequest) => {
    const text = collectPromptText(body);
    const seed = requestSeed(text + JSON.stringify(body.tools ?? null), deployment.model);
    const promptTokens = await countPromptTokens(body);
    const answer = buildAnswer(body, sim, seed, deployment);
    return { seed, promptTokens, answer };
  };

  /** Injected failures that happen before any byte; returns normally when none applies. */
  const failBeforeReply = async (seed: number, signal: AbortSignal) => {
    if (!failureApplies(sim, seed)) return;
    const f = sim.failure;
    if (f.kind === '429')
      throw simError(
        deployment,
        429,
        'rate_limit_exceeded',
        'Rate limit is exceeded. Try again later.',
        {
          'retry-after': String(f.retryAfterSeconds),
        },
      );
    if (f.kind === '500')
      throw simError(
        deployment,
        500,
        'server_error',
        'The server had an error while processing your request.',
      );
    if (f.kind === 'timeout') {
      await sleep(f.delayMs, signal);
      throw simError(deployment, 504, 'upstream_timeout', `no reply within ${f.delayMs} ms`);
    }
    if (f.kind === 'slow-first-token') await sleep(f.delayMs, signal);
  };

  return {
    ...(deployment.batchApi?.enabled
      ? {
          // Answered as live calls are, without their simulated latency.
          batchApi: createSimulatedBatchApi(deployment, now, async (body, signal) => {
            instant ??= createSimulatedAdapter(deployment, { now, sleep: async () => {} });
            return (await instant.chat({ deployment, body, signal, requestId: 'batch' })).response;
          }),
        }
      : {}),
    async embed(req) {
      const texts = embeddingInputs(req.body.input);
      await failBeforeReply(requestSeed(texts.join('\u0000'), deployment.model), req.signal);
      const count = await loadTokenizer();
      return { response: simulatedEmbeddings(req.body, deployment, sim, count), headers: {} };
    },
    async moderate(req) {
      await failBeforeReply(
        requestSeed(JSON.stringify(req.body.input), deployment.model),
        req.signal,
      );
      flagWords ??= compileFlagWords(sim.flagWords);
      return { response: simulatedModeration(req.body, deployment, flagWords), headers: {} };
    },
    async rerank(req) {
      const seed = requestSeed(
        JSON.stringify([req.body.query, req.body.documents]),
        deployment.model,
      );
      await failBeforeReply(seed, req.signal);
      const count = await loadTokenizer();
      return { response: simulatedRerank(req.body, deployment, count, seed), headers: {} };
    },
    // One PNG per image asked (`n`), as `b64_json`, or with `response_format: url` as a data URL
    // (there is no server to fetch a simulated image from).
    async generateImages(req) {
      const prompt = String(req.body.prompt);
      await failBeforeReply(requestSeed(prompt, deployment.model), req.signal);
      const n = typeof req.body.n === 'number' ? req.body.n : 1;
      return { response: imagesReply(prompt, n, req.body.response_format), headers: {} };
    },
    // An edit: PNGs drawn from the prompt and a hash of every file's bytes (images and mask), or
    // of a JSON edit's image references, so another image or mask gives another result.
    async editImages(req) {
      const seed = `edit\u0000${req.body.prompt ?? ''}\u0000${formFilesDigest(req.body)}`;
      await failBeforeReply(requestSeed(seed, deployment.model), req.signal);
      return { response: imagesReply(seed, req.body.n, req.body.response_format), headers: {} };
    },
    // Variations: PNGs drawn from a hash of the image's bytes.
    async createImageVariations(req) {
      const seed = `variation\u0000${formFilesDigest(req.body)}`;
      await failBeforeReply(requestSeed(seed, deployment.model), req.signal);
      return { response: imagesReply(seed, req.body.n, req.body.response_format), headers: {} };
    },
    // A WAV whatever `response_format` asked (mp3, opus, aac and flac need encoders), or raw PCM
    // for `pcm`.
    async speak(req) {
      const text = String(req.body.input);
      await failBeforeReply(requestSeed(text, deployment.model), req.signal);
      const pcm = req.body.response_format === 'pcm';
      return {
        audio: simulatedSpeech(text, String(req.body.voice), pcm ? 'pcm' : 'wav'),
        contentType: pcm ? 'audio/pcm' : 'audio/wav',
        headers: {},
      };
    },
    // A text-only Realtime API session (simulated-realtime.ts): its answers are this
    // deployment's chat answers, streamed in their chat stream's pieces, paced as those are.
    async openRealtime(req) {
      await failBeforeReply(requestSeed(req.requestId, deployment.model), req.signal);
      const answerer = (instant ??= createSimulatedAdapter(deployment, {
        now,
        sleep: async () => {},
      }));
      return openSimulatedRealtime(deployment, req.requestId, req.listener, async (body) => {
        const signal = new AbortController().signal;
        const { response } = await answerer.chat({
          deployment,
          body,
          signal,
          requestId: req.requestId,
        });
        const { answer } = await prepare(body);
        return { reply: response, pieces: answer.toolCalls.length ? [] : answer.pieces };
      });
    },
    async transcribe(req) {
      const { file, responseFormat } = req.body;
      await failBeforeReply(
        requestSeed(`${file.filename}\u0000${file.data.length}`, deployment.model),
        req.signal,
      );
      const translate = req.operation === 'translations';
      const t = simulatedTranscript(file, translate);
      const out = formatTranscript(t, responseFormat, translate);
      return { body: Buffer.from(out.body), contentType: out.contentType, headers: {} };
    },
    async chat(req: UpstreamRequest) {
      const { seed, promptTokens, answer } = await prepare(req.body);
      const logprobs = simulatedLogprobs(
        answer.toolCalls.length ? [] : answer.pieces,
        seed,
        req.body,
      );
      await failBeforeReply(seed, req.signal);
      if (failureApplies(sim, seed) && sim.failure.kind === 'drop-mid-stream')
        throw simError(
          deployment,
          502,
          'upstream_dropped',
          'the connection was reset before the reply completed',
        );
      const duration = sim.ttftMs + (answer.completionTokens / sim.tokensPerSecond) * 1000;
      if (duration >= 1) await sleep(duration, req.signal);
      const stopNamed = stopReasonOf(answer);
      const annotations = simulatedCitations(req.body, deployment, answer, seed);
      const response: ChatResponse = {
        id: newId('chatcmpl-sim'),
        object: 'chat.completion',
        created: Math.floor(now() / 1000),
        model: deployment.model,
        system_fingerprint: 'fp_simulated',
        choices: Array.from({ length: choiceCount(req.body.n) }, (_, index) => ({
          index,
          finish_reason: answer.finishReason,
          ...stopNamed,
          logprobs: logprobs && { content: logprobs, refusal: null },
          message: {
            role: 'assistant' as const,
            content: answer.toolCalls.length ? null : answer.text,
            refusal: null,
            // A model that reasons: its reasoning as OpenAI-format reasoning servers return it.
            ...(answer.reasoningPieces.length
              ? { reasoning_content: answer.reasoningPieces.join('') }
              : {}),
            ...(annotations ? { annotations } : {}),
            ...(answer.toolCalls.length
              ? {
                  tool_calls: answer.toolCalls.map((c) =>
                    c.custom
                      ? { id: c.id, type: 'custom', custom: { name: c.name, input: c.arguments } }
                      : {
                          id: c.id,
                          type: 'function',
                          function: { name: c.name, arguments: c.arguments },
                        },
                  ),
                }
              : {}),
          },
        })),
        usage: simulatedUsage(promptTokens, answer, sim, choiceCount(req.body.n)),
      } as ChatResponse;
      return { response, headers: {} };
    },

    async chatStream(req: UpstreamRequest) {
      const { seed, promptTokens, answer } = await prepare(req.body);
      await failBeforeReply(seed, req.signal);
      const drop = failureApplies(sim, seed) && sim.failure.kind === 'drop-mid-stream';
      const signal = req.signal;
      const includeUsage = req.body.stream_options?.include_usage === true;
      const base = {
        id: newId('chatcmpl-sim'),
        object: 'chat.completion.chunk' as const,
        created: Math.floor(now() / 1000),
        model: deployment.model,
        system_fingerprint: 'fp_simulated',
      };
      // `n` choices stream as OpenAI's do: a chunk per choice, each with its own index.
      const choices = choiceCount(req.body.n);
      const logprobs = simulatedLogprobs(
        answer.toolCalls.length ? [] : answer.pieces,
        seed,
        req.body,
      );
      const chunks = function* (
        delta: Record<string, unknown>,
        finish: string | null = null,
        piece?: number,
      ): Generator<ChatChunk> {
        const lp =
          logprobs && piece !== undefined ? { content: [logprobs[piece]], refusal: null } : null;
        const named = finish ? stopReasonOf(answer) : {};
        for (let index = 0; index < choices; index++)
          yield {
            ...base,
            choices: [{ index, delta, finish_reason: finish, ...named, logprobs: lp }],
          } as ChatChunk;
      };

      async function* generate(): AsyncGenerator<ChatChunk> {
        const start = now();
        if (sim.ttftMs >= 1) await sleep(sim.ttftMs, signal);
        yield* chunks({ role: 'assistant', content: answer.toolCalls.length ? null : '' });
        // The reasoning first, as reasoning servers stream it; its time is in `ttftMs`.
        for (const piece of answer.reasoningPieces) yield* chunks({ reasoning_content: piece });
        const msPerPiece = 1000 / sim.tokensPerSecond;
        const pieces = answer.toolCalls.length ? [] : answer.pieces;
        const dropAt = drop ? Math.max(1, Math.floor(pieces.length / 2)) : -1;
        for (let i = 0; i < pieces.length; i++) {
          if (i === dropAt)
            throw simError(
              deployment,
              502,
              'upstream_dropped',
              'the stream was cut off mid-answer',
            );
          const due = start + sim.ttftMs + (i + 1) * msPerPiece;
          const wait = due - now();
          if (wait >= 1) await sleep(wait, signal);
          else if (signal.aborted) throw signal.reason;
          yield* chunks({ content: pieces[i] }, null, i);
        }
        if (drop && pieces.length <= 1)
          throw simError(deployment, 502, 'upstream_dropped', 'the stream was cut off mid-answer');
        for (let index = 0; index < answer.toolCalls.length; index++) {
          const c = answer.toolCalls[index]!;
          // A custom tool's input streams as OpenAI streams it: `custom: {input}` pieces.
          const piece = (text: string) =>
            c.custom ? { custom: { input: text } } : { function: { arguments: text } };
          yield* chunks({
            tool_calls: [
              c.custom
                ? { index, id: c.id, type: 'custom', custom: { name: c.name, input: '' } }
                : { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } },
            ],
          });
          const mid = Math.ceil(c.arguments.length / 2);
          yield* chunks({ tool_calls: [{ index, ...piece(c.arguments.slice(0, mid)) }] });
          yield* chunks({ tool_calls: [{ index, ...piece(c.arguments.slice(mid)) }] });
        }
        const annotations = simulatedCitations(req.body, deployment, answer, seed);
        if (annotations) yield* chunks({ annotations });
        yield* chunks({}, answer.finishReason);
        if (includeUsage)
          yield {
            ...base,
            choices: [],
            usage: simulatedUsage(promptTokens, answer, sim, choices),
          } as ChatChunk;
      }
      return { chunks: generate(), headers: {} };
    },
  };
}

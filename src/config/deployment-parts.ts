// The parts of a deployment's config schema (deployment-schema.ts): its prices, capabilities,
// upstream Batch API and, for the simulated fleet, behaviour; strict, as the whole schema is.
import { z } from 'zod';
import { REASONING_EFFORTS } from '../core/reasoning-effort.js';

export const pricesSchema = z.strictObject({
  inputPer1M: z.number().nonnegative().describe('USD per 1M input tokens.'),
  cachedInputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe('USD per 1M cached input tokens; defaults to the input price.'),
  cacheWriteInputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "USD per 1M input tokens written to the provider's prompt cache (Anthropic: 1.25× the input price for 5-minute entries); defaults to the input price.",
    ),
  cacheWrite1hInputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'USD per 1M input tokens written to the provider\'s prompt cache for an hour (Anthropic\'s `cache_control.ttl: "1h"`: 2× the input price); defaults to `cacheWriteInputPer1M`.',
    ),
  outputPer1M: z
    .number()
    .nonnegative()
    .describe('USD per 1M output tokens (reasoning tokens are billed as output).'),
  perImage: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      '`kind: images`: USD per image generated (DALL·E 3 standard 1024×1024: 0.04), added to the token cost of a reply that reports token usage (gpt-image-1). Unset: 0.',
    ),
  perImageBy: z
    .record(z.string(), z.number().nonnegative())
    .optional()
    .describe(
      '`kind: images`: USD per image by the request\'s quality and size, most specific first: `"<quality>/<size>"` (`hd/1024x1792`), then `"<size>"`, then `"<quality>"`; a request none matches costs `perImage`.',
    ),
  imageInputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "`kind: images`: USD per 1M input image tokens (gpt-image-1: 10; its text input tokens cost `inputPer1M`, 5), an edit's input images, from a reply whose usage splits its input (`input_tokens_details.image_tokens`). Unset, or a reply that does not split it: all input tokens cost `inputPer1M`.",
    ),
  inputCharsPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      '`kind: speech`: USD per 1M input characters (tts-1: 15, tts-1-hd: 30). Unset: 0; token prices apply to a reply that reports token usage.',
    ),
  perAudioMinute: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "`kind: transcription`: USD per minute of audio (whisper-1: 0.006), charged when the audio's length is known: the reply's `duration` (`verbose_json`) or `usage.seconds`, the last cue of an `srt`/`vtt` reply, or a WAV file's header. Unset: 0; a reply reporting token usage (gpt-4o-transcribe) is costed at the token prices, its audio input tokens at `audioInputPer1M`.",
    ),
  perWebSearch: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "USD per web search (`capabilities.webSearch`; Claude: 0.01; OpenAI prices its search models' calls by model and context size). Claude's searches are counted from its usage (`server_tool_use.web_search_requests`); an OpenAI-format search model searches on every request that asks, so each such request counts one. Routing counts one search in each candidate's predicted cost, so the modes weigh the search's price too. Unset: searches cost nothing beyond their tokens.",
    ),
  perSearchUnit: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "`kind: rerank`: USD per search unit, Cohere's billing unit (rerank-v3.5: 0.002): one query with up to 100 documents, a document whose tokens and the query's pass 500 counting as one more for each 500 (the upstream's own `meta.billed_units.search_units` when it reports them). Added to `inputPer1M` × the tokens (the reply's `usage.total_tokens`, else the router's estimate): price a token-billed reranker with `inputPer1M` alone.",
    ),
  audioInputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "`kind: realtime` and `kind: transcription`: USD per 1M audio input tokens (gpt-realtime: 32; gpt-4o-transcribe: 6, gpt-4o-mini-transcribe: 3), from `response.done` usage or a transcript's `usage` (`input_token_details.audio_tokens`); text input tokens cost `inputPer1M`. Unset, or a transcript whose usage does not split its input: the input price.",
    ),
  cachedAudioInputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      '`kind: realtime`: USD per 1M cached audio input tokens (gpt-realtime: 0.4). Unset: `cachedInputPer1M`, else the audio input price.',
    ),
  audioOutputPer1M: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      '`kind: realtime`: USD per 1M audio output tokens (gpt-realtime: 64); text output tokens cost `outputPer1M`. Unset: the output price.',
    ),
});

export const capabilitiesSchema = z.strictObject({
  tools: z.boolean().default(true).describe('Accepts `tools` / `tool_choice` (function calling).'),
  vision: z.boolean().default(false).describe('Accepts image inputs.'),
  jsonSchema: z
    .boolean()
    .default(true)
    .describe('Accepts `response_format` JSON object / JSON schema.'),
  reasoning: z
    .boolean()
    .default(false)
    .describe('A reasoning model: accepts `reasoning_effort` and reports reasoning tokens.'),
  reasoningEfforts: z
    .array(z.enum(REASONING_EFFORTS))
    .min(1)
    .optional()
    .describe(
      "OpenAI-format reasoning models: the `reasoning_effort` levels the model takes, of OpenAI's `none`, `minimal`, `low`, `medium`, `high`, `xhigh` and `max` (o3 and o4-mini: `[low, medium, high]`; gpt-5: `[minimal, low, medium, high]`; gpt-5.1: `[none, low, medium, high]`). A request's level the model lacks is sent as the nearest it has (the higher of two as near) and `x-router-warnings` says so, instead of the upstream's 400. Unset: every level is sent as asked, but an Anthropic client's `output_config.effort: max` as `high` (set, as `max` where the list has it). Any other value is refused with a 400 before routing. `reasoning_effort: none` never needs a reasoning model: routing does not narrow to them for it, and it is dropped, silently, for a deployment that is not one.",
    ),
  streaming: z
    .boolean()
    .default(true)
    .describe(
      'Can stream (`stream: true`); streamed requests are never routed to a deployment without it.',
    ),
  responsesApi: z
    .boolean()
    .default(false)
    .describe(
      'Native `/responses` support upstream; otherwise the Responses API is bridged to chat.',
    ),
  files: z
    .boolean()
    .optional()
    .describe(
      "Reads `file` content parts (PDFs: inline `file_data`, or an uploaded file's `file_id`). Unset: yes for vision deployments, except `openai-compatible` ones (vLLM-style servers do not read them); Claude gets inline files as `document` blocks, and a `file_id` (a file uploaded to OpenAI or Azure) is never sent to an `anthropic` deployment. A request with files is only sent where they are read.",
    ),
  logprobs: z
    .boolean()
    .optional()
    .describe(
      'Returns `logprobs` / `top_logprobs`. Unset: yes, except `anthropic` deployments and reasoning models, whose upstreams have none; a request asking for them is never sent to a deployment without them.',
    ),
  choices: z
    .boolean()
    .optional()
    .describe(
      'Answers `n` > 1 choices in one request. Unset: yes, except `anthropic` deployments (one answer a request); a request with `n` > 1 is never sent to a deployment without it.',
    ),
  customTools: z
    .boolean()
    .optional()
    .describe(
      "Takes OpenAI's custom (free-form) tools as they are (`tools: [{type: \"custom\"}]`, custom tool calls; the Codex CLI's `apply_patch`). Unset: yes for `openai`, `azure` and `simulated`, no for `openai-compatible`; never for `anthropic`. Without it, each custom tool is sent as a function tool with one string parameter `input` (its text or grammar format said in the description) and the model's call comes back to the client as a custom tool call.",
    ),
  effort: z
    .boolean()
    .default(false)
    .describe(
      "`anthropic` deployments: the model takes Anthropic's effort parameter (`output_config.effort`: Claude Opus 4.5, Opus and Sonnet 4.6 and later; older models refuse it). An Anthropic client's `output_config.effort` is then sent on; otherwise it is dropped with a warning. Other providers ignore this: reasoning deployments get the effort as `reasoning_effort`.",
    ),
  contextManagement: z
    .boolean()
    .default(false)
    .describe(
      "`anthropic` deployments: the platform takes Anthropic's context editing (`context_management`: clearing old tool results and thinking server-side, which Claude Code asks for). An Anthropic client's `context_management` is then sent on; otherwise it is dropped with a warning, and the model sees the whole conversation. It needs the beta `context-management-2025-06-27`: Claude Code names it in its own `anthropic-beta` header, which is sent on (`forwardClientBetas`); for other clients add it in `headers` (`anthropic-beta`). Other providers ignore this.",
    ),
  midConversationSystem: z
    .boolean()
    .default(false)
    .describe(
      '`anthropic` deployments: the platform takes system messages inside `messages` (`role: "system"` after the first turn, which Claude Code sends; beta `mid-conversation-system-2026-04-07`). They are then sent where they stand, so the system prompt, and Claude\'s prompt cache of the turns before them, stay as they were; otherwise they join the system prompt, in order, and one that comes later in a session makes Claude read the whole conversation again at the cache-write price. Claude Code names the beta in its own `anthropic-beta` header, which is sent on (`forwardClientBetas`); otherwise add it in `headers` (`anthropic-beta`, comma-separated with any other). Other providers ignore this: OpenAI-format upstreams get them where they stand.',
    ),
  adaptiveThinking: z
    .boolean()
    .default(false)
    .describe(
      "`anthropic` deployments: the model takes Anthropic's adaptive thinking (`thinking: {type: \"adaptive\"}`: Claude Opus and Sonnet 4.6 and later; older models refuse it). An Anthropic client's adaptive thinking is then sent on as is, and, with `effort` on too, a chat or Responses client's `reasoning_effort` is sent as adaptive thinking with that effort (Anthropic's recommended form, and the only one Claude Opus 4.7 takes) instead of a fixed thinking budget; otherwise adaptive thinking is sent as enabled thinking with the budget of its effort (`high` unless `output_config.effort` says), and `x-router-warnings` says so. Other providers ignore this: reasoning deployments get adaptive thinking as `reasoning_effort`.",
    ),
  webSearch: z
    .boolean()
    .default(false)
    .describe(
      "Searches the web when a chat request asks with `web_search_options`: an OpenAI or Azure search model (gpt-4o-search-preview, gpt-4o-mini-search-preview, gpt-5-search-api) or an OpenAI-compatible search API (Perplexity's Sonar), which gets the field as sent, or a Claude deployment whose organisation has web search enabled, which gets Anthropic's web search tool (`web_search_20250305`, with the request's `user_location`) and answers with OpenAI's `url_citation` annotations. A request with `web_search_options` is only routed to deployments with it (eligibility rule `web_search`); price the searches with `prices.perWebSearch`.",
    ),
  dataSources: z
    .boolean()
    .optional()
    .describe(
      "Takes Azure OpenAI's On Your Data (`data_sources` in a chat request: Azure AI Search, Cosmos DB and the other sources Azure grounds answers in), which it gets as sent, and answers with the citations in `message.context`. Unset: yes for `azure` deployments, no elsewhere (no other API has the field: OpenAI refuses it, the others would answer without the data). A request with `data_sources` is only routed to deployments with it (eligibility rule `data_sources`); with none, a 400 `no_eligible_deployment` names the rule.",
    ),
  structuredOutputs: z
    .boolean()
    .default(false)
    .describe(
      "`anthropic` deployments: the model takes Anthropic's native structured outputs (`output_config.format`: Claude Sonnet 4.5, Opus 4.5, Haiku 4.5 and later). JSON-schema output is then asked for so, and the request's tools and extended thinking keep working beside it; otherwise it is asked for with one forced tool, which leaves the other tools uncallable and turns thinking off. Where the platform still wants the beta header, add `anthropic-beta: structured-outputs-2025-11-13` in `headers`. Other providers ignore this.",
    ),
});

/** The upstream's own Batch API (OpenAI's, Azure's Global Batch, Anthropic's Message Batches, the simulated fleet's). */
export const batchApiSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      "Send the batch lines routed here to the upstream's Batch API (in batches with `batches.forward: when-available`) instead of calling it line by line.",
    ),
  discount: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      'The share of the list prices the Batch API takes off (OpenAI, Azure and Anthropic: 0.5); forwarded lines are costed at `prices` × (1 − discount).',
    ),
  maxLines: z
    .number()
    .int()
    .positive()
    .max(100_000)
    .optional()
    .describe(
      'The most lines one upstream batch takes. Default: 100,000 for `anthropic`, else 50,000 (OpenAI: 50,000; Azure: 100,000).',
    ),
  maxMegabytes: z
    .number()
    .positive()
    .max(256)
    .optional()
    .describe(
      'The largest upstream batch, in MB (its input file; Anthropic: its request). Default: 256 for `anthropic`, else 200 (OpenAI and Azure: at most 200).',
    ),
  completesAfterMs: z
    .number()
    .int()
    .nonnegative()
    .default(5_000)
    .describe(
      'For `provider: simulated`: how long after its creation a simulated upstream batch completes.',
    ),
});

/** How a simulated model behaves: deterministic for a given request and seed. */
export const simulationSchema = z.strictObject({
  ttftMs: z.number().nonnegative().default(0).describe('Time to first token, ms.'),
  tokensPerSecond: z.number().positive().default(1000).describe('Output speed once streaming.'),
  style: z
    .enum(['concise', 'detailed', 'echo', 'code'])
    .default('concise')
    .describe('Style of generated answers.'),
  answerTokens: z
    .number()
    .int()
    .positive()
    .default(40)
    .describe('Typical answer length in tokens (varies deterministically per prompt).'),
  cachedFraction: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      'Fraction of prompt tokens reported as cached (usage.prompt_tokens_details.cached_tokens).',
    ),
  reasoningTokens: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Reasoning tokens reported per answer (reasoning models).'),
  dimensions: z
    .number()
    .int()
    .positive()
    .max(8192)
    .default(1536)
    .describe(
      'For `kind: embeddings`: vector length when the request names no `dimensions`; vectors derive from the input text, so equal inputs get equal vectors.',
    ),
  flagWords: z
    .record(z.string(), z.array(z.string().min(1)).min(1))
    .optional()
    .describe(
      'For `kind: moderation`: words or phrases (any case) that flag a moderation category, by OpenAI\'s category name (`violence`, `harassment/threatening`, …), replacing the built-in test phrases (docs/concepts.md "Moderations"). An image is judged by the words of its URL.',
    ),
  toolCalls: z
    .boolean()
    .default(true)
    .describe('Answer with a tool call when the request offers tools (and tool_choice allows it).'),
  failure: z
    .strictObject({
      kind: z
        .enum(['none', '429', '500', 'timeout', 'drop-mid-stream', 'slow-first-token'])
        .default('none')
        .describe(
          'Failure to inject: an HTTP 429 or 500, a timeout, a stream dropped half way, or a first token that arrives late.',
        ),
      rate: z
        .number()
        .min(0)
        .max(1)
        .default(1)
        .describe(
          'Fraction of requests (0..1) that fail this way; which ones is deterministic per request.',
        ),
      delayMs: z
        .number()
        .nonnegative()
        .default(30_000)
        .describe("For 'slow-first-token' and 'timeout': how long to stall, ms."),
      retryAfterSeconds: z
        .number()
        .nonnegative()
        .default(1)
        .describe('`retry-after` sent with injected 429s.'),
    })
    .default({ kind: 'none', rate: 1, delayMs: 30_000, retryAfterSeconds: 1 })
    .describe('Injected failures, to demo and test failover.'),
});
export type SimulationConfig = z.infer<typeof simulationSchema>;
export type BatchApiConfig = z.infer<typeof batchApiSchema>;

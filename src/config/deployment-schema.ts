// The config schema of one deployment (a model the router can call: provider, prices,
// capabilities, limits, data zone, the simulated fleet's behaviour) and of a rate limit, which keys
// and routers use too. Part of the config schema (schema.ts), strict as it is.
import { z } from 'zod';
import { REASONING_EFFORTS } from '../core/reasoning-effort.js';

export const PROVIDER_KINDS = [
  'openai',
  'azure',
  'openai-compatible',
  'anthropic',
  'simulated',
] as const;
/** Providers whose upstream has a Batch API the router can forward batch lines to (`batchApi`). */
export const BATCH_API_PROVIDERS: readonly ProviderKind[] = [
  'openai',
  'azure',
  'anthropic',
  'simulated',
];
/** The most one upstream batch takes, per provider (OpenAI's Batch API; Anthropic's Message Batches). */
const BATCH_API_LIMITS: Partial<Record<ProviderKind, { maxLines: number; maxMegabytes: number }>> =
  { anthropic: { maxLines: 100_000, maxMegabytes: 256 } };
const DEFAULT_BATCH_API_LIMITS = { maxLines: 50_000, maxMegabytes: 200 };

/** A provider's default limits of one upstream batch (its `maxMegabytes` is also its most). */
export function providerBatchApiLimits(provider: ProviderKind): {
  maxLines: number;
  maxMegabytes: number;
} {
  return BATCH_API_LIMITS[provider] ?? DEFAULT_BATCH_API_LIMITS;
}

/** The limits of `d`'s upstream batches: its own `batchApi` settings, else its provider's. */
export function batchApiLimits(d: DeploymentConfig): { maxLines: number; maxMegabytes: number } {
  const limits = providerBatchApiLimits(d.provider);
  return {
    maxLines: d.batchApi?.maxLines ?? limits.maxLines,
    maxMegabytes: d.batchApi?.maxMegabytes ?? limits.maxMegabytes,
  };
}
/**
 * Providers with a moderation API (`kind: moderation`): OpenAI's `/v1/moderations` and servers
 * that copy it. Azure OpenAI has none (its v1 and dated specs list no `/moderations` path;
 * it moderates through its content filters), Anthropic neither.
 */
export const MODERATION_PROVIDERS: readonly ProviderKind[] = [
  'openai',
  'openai-compatible',
  'simulated',
];
/**
 * Providers with OpenAI's image and audio APIs (`kind: images | speech | transcription`): OpenAI,
 * Azure OpenAI (the same paths under its deployment), servers that copy them, and the simulated
 * fleet. Anthropic has none.
 */
export const MEDIA_PROVIDERS: readonly ProviderKind[] = [
  'openai',
  'azure',
  'openai-compatible',
  'simulated',
];
/**
 * Providers with a rerank API (`kind: rerank`): servers that speak Cohere's rerank body (vLLM,
 * Infinity, Jina, Cohere itself, Cohere models on Azure AI Foundry's serverless endpoints) and the
 * simulated fleet. OpenAI and Azure OpenAI have none, Anthropic neither.
 */
export const RERANK_PROVIDERS: readonly ProviderKind[] = ['openai-compatible', 'simulated'];
export const DEPLOYMENT_KINDS = [
  'chat',
  'embeddings',
  'moderation',
  'images',
  'speech',
  'transcription',
  'rerank',
  'realtime',
] as const;
/** The path a kind of model is served on (its requests go there, by name). */
export const KIND_PATHS: Record<(typeof DEPLOYMENT_KINDS)[number], string> = {
  chat: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
  moderation: '/v1/moderations',
  images: '/v1/images/generations',
  speech: '/v1/audio/speech',
  transcription: '/v1/audio/transcriptions',
  rerank: '/v1/rerank',
  realtime: '/v1/realtime',
};
export const DEPLOYMENT_TYPES = ['GlobalStandard', 'DataZoneStandard', 'Standard'] as const;

export const rateLimitSchema = z.strictObject({
  rpm: z.number().int().positive().optional().describe('Requests per minute.'),
  tpm: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Tokens per minute (prompt tokens plus requested or expected output tokens; corrected with real usage when the answer ends).',
    ),
});

const pricesSchema = z.strictObject({
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
      "`kind: transcription`: USD per minute of audio (whisper-1: 0.006), charged when the audio's length is known: the reply's `duration` (`verbose_json`) or `usage.seconds`, the last cue of an `srt`/`vtt` reply, or a WAV file's header. Unset: 0; a reply reporting token usage (gpt-4o-transcribe) is costed at the token prices.",
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
      '`kind: realtime`: USD per 1M audio input tokens (gpt-realtime: 32), from `response.done` usage (`input_token_details.audio_tokens`); text input tokens cost `inputPer1M`. Unset: the input price.',
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

const capabilitiesSchema = z.strictObject({
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
      "OpenAI-format reasoning models: the `reasoning_effort` levels the model takes (o3 and o4-mini: `[low, medium, high]`; gpt-5: `[minimal, low, medium, high]`; gpt-5.1: `[none, low, medium, high]`). A request's level the model lacks is sent as the nearest it has (the higher of two as near) and `x-router-warnings` says so, instead of the upstream's 400. Unset: every level is sent as asked. `reasoning_effort: none` never needs a reasoning model: routing does not narrow to them for it, and it is dropped, silently, for a deployment that is not one.",
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
  structuredOutputs: z
    .boolean()
    .default(false)
    .describe(
      "`anthropic` deployments: the model takes Anthropic's native structured outputs (`output_config.format`: Claude Sonnet 4.5, Opus 4.5, Haiku 4.5 and later). JSON-schema output is then asked for so, and the request's tools and extended thinking keep working beside it; otherwise it is asked for with one forced tool, which leaves the other tools uncallable and turns thinking off. Where the platform still wants the beta header, add `anthropic-beta: structured-outputs-2025-11-13` in `headers`. Other providers ignore this.",
    ),
});

/** The upstream's own Batch API (OpenAI's, Azure's Global Batch, Anthropic's Message Batches, the simulated fleet's). */
const batchApiSchema = z.strictObject({
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
const simulationSchema = z.strictObject({
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

export const deploymentSchema = z.strictObject({
  name: z.string().min(1).describe('The name clients send as `model` (or in the Azure path).'),
  provider: z
    .enum(PROVIDER_KINDS)
    .describe(
      'Who serves it: `openai`, `azure` (Azure OpenAI), `openai-compatible` (vLLM, Ollama, LM Studio, …), `anthropic`, or `simulated` (built-in fleet, no network).',
    ),
  model: z
    .string()
    .min(1)
    .describe('The model name sent upstream (Azure: the upstream deployment name).'),
  baseUrl: z
    .string()
    .url()
    .optional()
    .describe(
      'Upstream base URL (OpenAI: `https://api.openai.com/v1`; Azure: `https://<resource>.openai.azure.com`; Anthropic: `https://api.anthropic.com`). Not used by `simulated`.',
    ),
  apiKeyEnv: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Name of the environment variable holding the upstream API key; secrets never live in config.',
    ),
  apiVersion: z.string().optional().describe('Azure dated api-version used upstream.'),
  prices: pricesSchema.describe(
    'List prices, used for routing (expected cost), cost attribution and savings.',
  ),
  contextWindow: z
    .number()
    .int()
    .positive()
    .describe(
      'Context window in tokens: requests whose prompt plus output would not fit are never sent here.',
    ),
  maxOutputTokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Largest `max_tokens` / `max_completion_tokens` it accepts (required for `kind: chat`).',
    ),
  kind: z
    .enum(DEPLOYMENT_KINDS)
    .default('chat')
    .describe(
      "`chat`: answers chat requests (Chat Completions, Responses, Messages) and may be in a router subset; `embeddings`: an embedding model, served on `/v1/embeddings` by name (not routed); `moderation`: a moderation model (OpenAI's `omni-moderation-latest`, `text-moderation-latest`; providers `openai`, `openai-compatible`, `simulated`), served on `/v1/moderations` by name (not routed). Set `capabilities.vision` on one that classifies images (omni-moderation). OpenAI's moderation is free: give it `prices` of 0, or what it costs you. `images`: an image model (gpt-image-1, dall-e-3), served on `/v1/images/generations`, `/v1/images/edits` and `/v1/images/variations` (Azure OpenAI has no variations); `speech`: a text-to-speech model (tts-1, gpt-4o-mini-tts), served on `/v1/audio/speech`; `transcription`: a speech-to-text model (whisper-1, gpt-4o-transcribe), served on `/v1/audio/transcriptions` and `/v1/audio/translations`: all by name, not routed, on providers `openai`, `azure`, `openai-compatible` and `simulated` (prices: `perImage`, `inputCharsPer1M`, `perAudioMinute`). `rerank`: a reranker (Cohere rerank-v3.5, bge-reranker on vLLM), served on `/v1/rerank` (and Cohere's `/v2/rerank`) by name, not routed, on providers `openai-compatible` (`rerankPath`) and `simulated` (prices: `perSearchUnit` and/or `inputPer1M`). `realtime`: a Realtime API model (gpt-realtime), served by name as a WebSocket on `/v1/realtime?model=` (and Azure's realtime paths), on providers `openai`, `azure`, `openai-compatible` and `simulated`; token prices plus `audioInputPer1M` / `audioOutputPer1M`.",
    ),
  capabilities: capabilitiesSchema
    .default({
      tools: true,
      vision: false,
      jsonSchema: true,
      reasoning: false,
      streaming: true,
      responsesApi: false,
      effort: false,
      contextManagement: false,
      midConversationSystem: false,
      adaptiveThinking: false,
      structuredOutputs: false,
    })
    .describe(
      'What the deployment accepts: routing never sends a request to a deployment that lacks what the request uses.',
    ),
  region: z
    .string()
    .default('local')
    .describe('Cloud region (reported in `x-router-region`, metrics and the log).'),
  dataZone: z
    .string()
    .default('global')
    .describe(
      'Data zone (e.g. `us`, `eu`): routers with a zone only use deployments in it, for the pick and every fallback.',
    ),
  dataPolicy: z
    .strictObject({
      noTraining: z
        .boolean()
        .default(false)
        .describe(
          'The provider\'s terms for this deployment say prompts and answers are not used for training (OpenRouter\'s `data_collection: "deny"` routes only to such deployments).',
        ),
      zeroRetention: z
        .boolean()
        .default(false)
        .describe(
          'A zero-data-retention agreement covers this deployment: the provider stores no prompts or answers, not even for abuse monitoring (`provider.zdr: true` routes only to such deployments).',
        ),
    })
    .default({ noTraining: false, zeroRetention: false })
    .describe(
      "What the operator can vouch for about the upstream's handling of request data; unset, nothing is claimed, and requests that demand it are not routed here.",
    ),
  deploymentType: z
    .enum(DEPLOYMENT_TYPES)
    .default('GlobalStandard')
    .describe('Azure deployment type: GlobalStandard, DataZoneStandard or Standard.'),
  like: z
    .string()
    .optional()
    .describe(
      "Routing model: treat this deployment like a model the routing artefact knows (`<model>`, or `<data file>:<model>`). Without it, the deployment maps by its `model`, then its `name`; a name that differs from the artefact's only by a provider prefix or case still maps, and `check-config` says so.",
    ),
  qualityOffset: z
    .number()
    .min(-1)
    .max(1)
    .default(0)
    .describe('Routing model: added to the predicted quality of `like` (e.g. -0.02).'),
  expectedOutputTokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "Routing model: this deployment's typical answer length in tokens, reasoning tokens included, the prior of its predicted cost until its observed answers take over. Default: a simulated deployment's `simulation.answerTokens + reasoningTokens`, else the routing artefact's figure for the `like` model. Set it for reasoning models: the data's answer lengths do not count hidden reasoning tokens, which are billed as output. A request's `max_completion_tokens` (else `max_tokens`) caps it, and its `n` multiplies it.",
    ),
  firstTokenTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('Give up on this deployment when no first token arrived in time (failover).'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(600_000)
    .describe('Whole-request timeout for non-streaming calls.'),
  rateLimit: rateLimitSchema
    .optional()
    .describe(
      'Limits for this deployment across all callers; a deployment at its limit is skipped by routing.',
    ),
  budget: z
    .strictObject({
      dailyUsd: z.number().positive().optional().describe('Spend limit per UTC day.'),
      monthlyUsd: z.number().positive().optional().describe('Spend limit per UTC month.'),
    })
    .optional()
    .describe(
      "What this deployment may cost across all callers: once the day's or month's spend reaches it, routers and pools route around it (eligibility rule `budget_exhausted`) and a direct call gets 429 `budget_exceeded` until the period resets (UTC). Judged from spend read at most every 2 s, so several replicas may overrun it by what they spend in that time.",
    ),
  promptCaching: z
    .enum(['off', 'auto'])
    .default('off')
    .describe(
      "`anthropic` deployments: `auto` marks Claude's prompt-caching breakpoints (`cache_control`) on a request that carries none, as OpenAI-format clients (the Codex CLI, most SDK apps) never do: on the last tool, the last system block and the last block of the last user or tool-result turn, so an agent's next turn reads its tools, system prompt and conversation from the cache (0.1× the input price) instead of paying for them again. A request with a breakpoint of its own is sent as the client marked it. The trade-off: what is written to the cache costs 1.25× the input price (`prices.cacheWriteInputPer1M`), so a large prompt sent once, never followed by a turn that reads it, costs a quarter more; prompts shorter than Claude's minimum (1,024 tokens, 2,048 for Haiku) are not cached and cost nothing extra. `off`: requests are sent as they come. Other providers ignore this: OpenAI caches prompts by itself.",
    ),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe('Extra headers sent upstream with every request.'),
  rerankPath: z
    .string()
    .regex(/^[A-Za-z0-9._~/-]+$/, 'a URL path such as rerank or v2/rerank')
    .optional()
    .describe(
      "`kind: rerank`: the path under `baseUrl` that rerank requests go to. Default `rerank`: with `baseUrl` `http://vllm:8000/v1` that is vLLM's `/v1/rerank` (Jina and Infinity likewise; Hugging Face TEI's own `/rerank`, which takes `texts` rather than `documents`, is not spoken); for Cohere's API or a Cohere model on an Azure AI Foundry serverless endpoint, set `baseUrl` to the host and `rerankPath: v2/rerank`.",
    ),
  forwardClientBetas: z
    .union([z.boolean(), z.array(z.string().min(1)).min(1)])
    .default(true)
    .describe(
      "`anthropic` deployments: the betas an Anthropic client names in its `anthropic-beta` header on `/v1/messages` (Claude Code sends several: `interleaved-thinking-2025-05-14`, `context-management-2025-06-27`, …) are sent on in Anthropic's `anthropic-beta` header, after any that `headers` sets, each once. `true`: all of them; `false`: none (only `headers`' betas are sent); a list: only the betas named in it. Other providers never get them, nor do requests from Chat Completions or Responses clients.",
    ),
  batchApi: batchApiSchema
    .optional()
    .describe(
      'The upstream has a Batch API (`openai`, `azure` Global Batch, `anthropic` Message Batches, `simulated`): batches created with `batches.forward: when-available` send the chat lines routed here to it, at its discount, instead of calling it line by line. Absent: every line is a live call.',
    ),
  simulation: simulationSchema
    .optional()
    .describe('For `provider: simulated`: how the simulated model behaves.'),
});

export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
/** What a deployment serves: chat, embeddings, moderation, images, speech, transcription, rerank or realtime. */
export type DeploymentKind = DeploymentConfig['kind'];
export type SimulationConfig = z.infer<typeof simulationSchema>;
export type BatchApiConfig = z.infer<typeof batchApiSchema>;

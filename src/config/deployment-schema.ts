// The config schema of one deployment (a model the router can call: provider, prices,
// capabilities, limits, data zone, the simulated fleet's behaviour) and of a rate limit, which keys
// and routers use too. Part of the config schema (schema.ts), strict as it is. What a deployment
// can be (providers, kinds) is deployment-kinds.ts; its prices, capabilities, Batch API and
// simulation schemas deployment-parts.ts.
import { z } from 'zod';
import { deploymentCircuitBreakerSchema } from './circuit-breaker-schema.js';
import { DEPLOYMENT_KINDS, DEPLOYMENT_TYPES, PROVIDER_KINDS } from './deployment-kinds.js';
import {
  batchApiSchema,
  capabilitiesSchema,
  pricesSchema,
  simulationSchema,
} from './deployment-parts.js';

/** A deployment's largest non-streamed chat reply read by default (`maxReplyBytes`): 32 MiB. */
export const MAX_REPLY_BYTES = 32 * 1024 * 1024;

export const rateLimitSchema = z.strictObject({
  rpm: z.number().int().positive().optional().describe('Requests per minute.'),
  tpm: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "Tokens per minute: a request is charged its prompt's estimated tokens up front (its `max_tokens` is not reserved) and settled with the upstream's usage, output included, when the answer ends.",
    ),
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
      'Context window in tokens. `kind: chat`: a request whose prompt plus asked-for output (`max_completion_tokens` or `max_tokens`) would not fit is never sent here. `embeddings`: an input longer than it is a 400 before the upstream is called. `moderation`, `rerank`, `realtime`: listed on `/v1/models` (`context_window`), not checked. `images`, `speech`, `transcription`: not used (the key is required all the same; any positive number will do).',
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
      webSearch: false,
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
    .describe(
      "Give up on this deployment when no first token arrived in time (failover). The first token is the first stream chunk with part of the answer (text, a tool call, reasoning, a finish reason): an opening chunk that carries nothing yet (a role chunk, Claude's `message_start`, Azure's prompt filter results) is held back with the client still waiting, so an upstream that opens and then fails or stalls is failed over. Set it above a model's silent thinking time where a reasoning model streams nothing until it has thought.",
    ),
  streamIdleTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(120_000)
    .describe(
      "How long a stream may go without a chunk from the upstream after its first one (time the router waits on a slow client does not count). Past it the stream ends with an in-band error event `stream_idle_timeout`, the request is logged as 504 with the tokens the client got, and the failure counts against the deployment's circuit. Keep it above the longest pause your models make mid-answer (a reasoning model thinking between visible chunks).",
    ),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(600_000)
    .describe('Whole-request timeout for non-streaming calls.'),
  maxReplyBytes: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024 * 1024)
    .default(MAX_REPLY_BYTES)
    .describe(
      "Largest non-streamed chat reply body read from this deployment (Chat Completions, a native Responses call, Anthropic's Messages; 32 MiB by default, far above any model's longest answer). A reply past it (its `Content-Length`, or what was read so far) is dropped unread and counts as an upstream failure: the request fails over to the next candidate, or gets 502 `upstream_reply_too_large` in its API's shape. Bounds what one call holds in memory. A streamed answer is not cut, but what the router keeps of it (the request log's answer text with `requestLog.storeText`, the answer cache's copy) stops at this many characters: the text says where it was cut, and the answer is not cached.",
    ),
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
      "What this deployment may cost across all callers: once the day's or month's spend reaches it, routers and pools route around it (eligibility rule `budget_exhausted`) and a direct call gets 429 `budget_exceeded` until the period resets (UTC). Judged from spend read at most every 2 s, so several replicas may overrun it by what they spend in that time. Its count starts from the spend the request log has for the deployment in the period (after a restart, or for a budget added by a reload).",
    ),
  circuitBreaker: deploymentCircuitBreakerSchema.optional(),
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
/** What a deployment serves: chat, embeddings, moderation, images, speech, transcription, rerank or realtime. */
export type DeploymentKind = DeploymentConfig['kind'];

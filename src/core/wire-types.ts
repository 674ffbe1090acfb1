// OpenAI Chat Completions is the internal format (STYLE.md principle 1). Type-only imports from the
// official `openai` package; nothing from it is loaded at run time.
import { isObject } from './is-object.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionCreateParams,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type {
  Moderation,
  ModerationCreateParams,
  ModerationCreateResponse,
  ModerationMultiModalInput,
} from 'openai/resources/moderations';
import type { ImageGenerateParamsBase, ImagesResponse } from 'openai/resources/images';
import type { SpeechCreateParams } from 'openai/resources/audio/speech';

/** A chat request as the client sent it; fields we do not read pass through untouched. */
export type ChatRequest = ChatCompletionCreateParams & Record<string, unknown>;
export type ChatMessage = ChatCompletionMessageParam;
export type ChatTool = ChatCompletionTool;
/** A part of a user message's content: text, image, file (or audio, which the router refuses). */
export type ChatContentPart = ChatCompletionContentPart;
/** A function tool call in an assistant message (`{id, type: 'function', function: {name, arguments}}`). */
export type FunctionToolCall = ChatCompletionMessageFunctionToolCall;

/**
 * Claude's extended thinking on an assistant message (`reasoning_details`, as OpenRouter carries
 * it): a `thinking` block with its signature, or a `redacted_thinking` block. Only an Anthropic
 * deployment gets it back (Anthropic needs the last tool call's thinking to think on in a tool
 * loop); the OpenAI adapter strips it. In a stream, each piece names its block by `index` (the
 * n-th thinking block of the answer) and carries part of `thinking`, or the `signature`.
 */
export interface ReasoningDetail {
  provider: 'anthropic';
  type: 'thinking' | 'redacted_thinking';
  thinking?: string;
  signature?: string;
  data?: string;
  index?: number;
}

/**
 * A chat request's private field: the thinking budget an Anthropic client asked for, sent as is to
 * an Anthropic deployment (others read `reasoning_effort`) and removed before any other upstream.
 */
export const THINKING_BUDGET_FIELD = 'x_thinking_budget_tokens';

/**
 * A chat request's private field: the effort an Anthropic client asked for (`output_config.effort`:
 * low, medium, high, xhigh, max). Sent as Anthropic's own field to an Anthropic deployment that
 * takes it (`capabilities.effort`), as `reasoning_effort` to another reasoning deployment; removed
 * before every other upstream (src/policy/reasoning-params.ts). Not `reasoning_effort` itself:
 * that would turn Claude's thinking on, and keep the request from models that do not reason.
 */
export const EFFORT_FIELD = 'x_output_effort';

/**
 * A chat request's private field: an Anthropic client's `context_management` (Anthropic's context
 * editing: clearing old tool results or thinking server-side; Claude Code sends it). Sent as is to
 * an Anthropic deployment that takes it (`capabilities.contextManagement`); dropped with a warning
 * before every other upstream (src/policy/reasoning-params.ts).
 */
export const CONTEXT_MANAGEMENT_FIELD = 'x_context_management';

/**
 * A chat request's private field: the betas an Anthropic client named in its `anthropic-beta`
 * header on `/v1/messages` (Claude Code sends several). Sent as that header to an Anthropic
 * deployment, as its `forwardClientBetas` allows, beside the betas its `headers` set; removed
 * before every other upstream (src/policy/reasoning-params.ts).
 */
export const ANTHROPIC_BETA_FIELD = 'x_anthropic_beta';

/**
 * A chat request's private field: an Anthropic client's Claude-only request fields (`speed`,
 * `diagnostics`, `container`, `inference_geo`, `fallbacks`, `compaction`), as it sent them. Sent
 * as they are to an Anthropic deployment (but `diagnostics` and `compaction`, whose answers the
 * router does not carry back); elsewhere dropped with a warning, `inference_geo` held by
 * eligibility to deployments in that data zone (src/policy/claude-only-params.ts).
 */
export const CLAUDE_PARAMS_FIELD = 'x_claude_params';

/** The client's Claude-only fields on a chat request (CLAUDE_PARAMS_FIELD), if any. */
export function claudeParamsOf(request: ChatRequest): Record<string, unknown> | undefined {
  const params = request[CLAUDE_PARAMS_FIELD];
  return isObject(params) ? params : undefined;
}

/**
 * A chat request's private field: the types of the hosted tools a Responses request carried (web
 * search, file search, …), which the bridge to chat cannot run. A deployment that speaks the
 * Responses API natively gets them in the client's own request; elsewhere they are left out with
 * a warning (src/policy/reasoning-params.ts). Removed before every upstream.
 */
export const HOSTED_TOOLS_FIELD = 'x_hosted_tools';

/**
 * A chat request's private field: an Anthropic client asked for adaptive thinking (`thinking:
 * {type: "adaptive"}`: Claude decides how much to think). Sent so to an Anthropic deployment that
 * takes it (`capabilities.adaptiveThinking`), as enabled thinking with the budget of its
 * `reasoning_effort` to another Claude; removed before every other upstream, which get the
 * `reasoning_effort` the bridge set beside it (src/policy/reasoning-params.ts).
 */
export const ADAPTIVE_THINKING_FIELD = 'x_thinking_adaptive';

/**
 * A chat request's private field: an OpenRouter client asked for its reasoning to be used and not
 * returned (`reasoning.exclude`, src/http/openrouter-reasoning.ts): applied to the answer
 * (src/gateway/exclude-reasoning.ts), removed before every upstream (reasoning-params.ts).
 */
export const REASONING_EXCLUDE_FIELD = 'x_reasoning_exclude';

/**
 * A chat request's private field: an Anthropic client's web search tool (`web_search_20250305`,
 * with its `max_uses`, `allowed_domains`, `blocked_domains`), which the Messages bridge also sets
 * as `web_search_options`, and whether its `tool_choice` forced it: `{tool, forced}`. Sent as the
 * tool it is (and the forced choice) to an Anthropic deployment; removed before every other
 * upstream, where what `web_search_options` cannot say is named in a warning
 * (src/policy/reasoning-params.ts).
 */
export const WEB_SEARCH_TOOL_FIELD = 'x_anthropic_web_search';

/**
 * A chat message's (and a stream delta's) private field: Claude's server tool blocks (web search:
 * `server_tool_use`, `web_search_tool_result`), each with how many of the message's text
 * characters stand before it. Only for a request of the Messages bridge that carries
 * WEB_SEARCH_TOOL_FIELD (no chat client can set that): Claude's answer keeps them for the
 * Anthropic client (src/http/anthropic/messages-reply.ts, messages-stream.ts), and the client's
 * turns that send them back reach Claude with them (src/providers/anthropic/
 * anthropic-content-blocks.ts). Every other upstream and every chat client never sees them.
 */
export const SERVER_BLOCKS_FIELD = 'x_anthropic_server_blocks';

/**
 * A chat message's (and a stream delta's) private field: Claude's citations of the client's
 * documents (`char_location`, `page_location`, `content_block_location`), which chat's
 * `annotations` cannot hold. Each entry is a text block Claude sent (its span of the message's
 * text, `[start_index, end_index)`) and the citations it carried: in a message, the blocks that
 * cite; in a stream, every text block as it ends (an empty list where it cites nothing), and an
 * empty list on the first chunk, which says the upstream returns them. Set by the Anthropic
 * adapter only for a request whose documents ask for citations, which only the Messages bridge
 * makes (ANTHROPIC_DOCUMENT): its Anthropic client gets them back as Claude sent them
 * (src/http/anthropic/messages-reply.ts, messages-stream.ts); no chat client ever sees them.
 */
export const DOCUMENT_CITATIONS_FIELD = 'x_anthropic_document_citations';

/**
 * A chat request's private field: the request came through the Messages bridge, for an Anthropic
 * client (set by src/http/anthropic/messages-routes.ts). An Anthropic deployment then keeps
 * Claude's reply fields that chat has no place for (CLAUDE_REPLY_FIELD); removed before every
 * other upstream (src/policy/reasoning-params.ts). In the body, so an Anthropic client's answers
 * and a chat client's are kept apart in the answer cache.
 */
export const ANTHROPIC_CLIENT_FIELD = 'x_anthropic_client';

/**
 * A chat reply's (and a stream chunk's) private field: Claude's Message fields that chat cannot
 * hold, as Claude sent them (ClaudeReplyFields). Set by the Anthropic adapter only for a request
 * that carries ANTHROPIC_CLIENT_FIELD (no chat client can set it): its Anthropic client gets them
 * back (src/http/anthropic/messages-reply.ts, messages-stream.ts); no chat client ever sees them.
 */
export const CLAUDE_REPLY_FIELD = 'x_claude_reply';

/**
 * What CLAUDE_REPLY_FIELD holds (@anthropic-ai/sdk 1.13 `Message`, `RawMessageDeltaEvent.Delta`,
 * `Usage`): each field only where Claude sent it. In a stream, the first chunk holds what
 * `message_start` said; the chunk that finishes, what `message_delta` said (usage: the whole).
 * An answer-cache copy of a streamed answer holds them merged (src/gateway/answer-chunks.ts).
 */
export interface ClaudeReplyFields {
  stop_details?: Record<string, unknown> | null;
  container?: Record<string, unknown> | null;
  usage?: {
    cache_creation?: Record<string, unknown>;
    service_tier?: string;
    inference_geo?: string | null;
    speed?: string | null;
    output_tokens_details?: Record<string, unknown> | null;
    server_tool_use?: Record<string, unknown> | null;
  };
}

/**
 * Claude's own reply fields on a chat reply or chunk (CLAUDE_REPLY_FIELD), if it has them: read
 * by the Anthropic client's way back (src/http/anthropic/) and the answer cache's copy of a stream.
 */
export function claudeReplyOf(holder: unknown): ClaudeReplyFields | undefined {
  const fields = isObject(holder) ? holder[CLAUDE_REPLY_FIELD] : undefined;
  return isObject(fields) ? (fields as ClaudeReplyFields) : undefined;
}

/**
 * Claude's reply fields so far with those a later chunk said (`said`): its fields win, but a
 * container stays the one message_start named unless message_delta names another.
 */
export function mergeClaudeReply(
  sofar: ClaudeReplyFields | undefined,
  said: ClaudeReplyFields,
): ClaudeReplyFields {
  return { ...sofar, ...said, container: said.container ?? sofar?.container ?? null };
}

/** One entry of DOCUMENT_CITATIONS_FIELD. */
export interface DocumentCitations {
  start_index: number;
  end_index: number;
  citations: Record<string, unknown>[];
}

/**
 * A chat function tool's private field: the Anthropic-defined tool (bash, the text editor, memory:
 * a versioned `type`, no schema) an Anthropic client sent, which the function stands for
 * (src/http/anthropic/anthropic-defined-tools.ts). Claude gets the tool as sent; every other
 * upstream the function, without this field.
 */
export const ANTHROPIC_TOOL_FIELD = 'x_anthropic_tool';

/** A server tool block and its place in the message's text (SERVER_BLOCKS_FIELD). */
export interface ServerBlock {
  at: number;
  block: Record<string, unknown>;
}

/**
 * The router's own request fields above: set by its conversions, never by a client (a chat body
 * that carries one has it removed, so no client can send a beta or a thinking budget an operator
 * did not allow).
 */
export const PRIVATE_REQUEST_FIELDS = [
  THINKING_BUDGET_FIELD,
  EFFORT_FIELD,
  CONTEXT_MANAGEMENT_FIELD,
  ANTHROPIC_BETA_FIELD,
  CLAUDE_PARAMS_FIELD,
  HOSTED_TOOLS_FIELD,
  ADAPTIVE_THINKING_FIELD,
  REASONING_EXCLUDE_FIELD,
  WEB_SEARCH_TOOL_FIELD,
  ANTHROPIC_CLIENT_FIELD,
] as const;

/**
 * OpenRouter's request-level fields (`models`, `route`, `provider`, `usage`, `transforms`,
 * `plugins`): applied by the router (src/gateway/model-fallbacks.ts, provider-preferences.ts,
 * max-price.ts, middle-out.ts) on Chat Completions, Completions and Responses, and never sent
 * upstream.
 */
export const OPENROUTER_FIELDS = [
  'models',
  'route',
  'provider',
  'usage',
  'transforms',
  'plugins',
] as const;

/** Azure's content filter annotations ride along on responses and chunks. */
export type ChatResponse = ChatCompletion & {
  prompt_filter_results?: unknown[];
  [key: string]: unknown;
};
export type ChatChunk = ChatCompletionChunk & {
  prompt_filter_results?: unknown[];
  [key: string]: unknown;
};
/**
 * A chunk handed over unparsed: its upstream JSON text, to be written out as it came. Only
 * produced when the consumer asked for pass-through (it writes chunks out unchanged and reads no
 * field of them); such a chunk's `choices` is an empty frozen array and every other field absent.
 */
export const RAW_JSON: unique symbol = Symbol('upstream chunk JSON');
export type PassThroughChunk = ChatChunk & { [RAW_JSON]: string };
/** The `choices` of every pass-through chunk. */
export const NO_CHOICES = Object.freeze([]) as unknown as ChatChunk['choices'];

/** The chunk with its fields: a pass-through chunk is parsed now, any other returned as it is. */
export function chunkFields(chunk: ChatChunk): ChatChunk {
  const raw = (chunk as Partial<PassThroughChunk>)[RAW_JSON];
  return raw === undefined ? chunk : (JSON.parse(raw) as ChatChunk);
}

export type ChatUsage = NonNullable<ChatCompletion['usage']>;

/** An embeddings request as the client sent it (`/v1/embeddings`); other fields pass through. */
export type EmbeddingsRequest = EmbeddingCreateParams & Record<string, unknown>;

/**
 * An embeddings reply. Each vector is an array of floats, or with `encoding_format: 'base64'` the
 * base64 of its little-endian float32 bytes (what the `openai` SDK asks for and decodes).
 */
export interface EmbeddingsResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  [key: string]: unknown;
}

/** A moderation request as the client sent it (`/v1/moderations`); `model` the router's choice. */
export type ModerationRequest = ModerationCreateParams & { model: string } & Record<
    string,
    unknown
  >;
/** A text or image part of a multi-modal moderation input. */
export type ModerationPart = ModerationMultiModalInput;
/** A moderation reply: one result per input (a multi-modal array is one input). */
export type ModerationResponse = ModerationCreateResponse & Record<string, unknown>;
export type ModerationResult = Moderation;

/** An image generation request (`/v1/images/generations`); fields we do not read pass through. */
export type ImagesRequest = ImageGenerateParamsBase & { model: string } & Record<string, unknown>;
/** An image generation reply: `data[]` of `b64_json` or `url`, and `usage` for gpt-image models. */
export type ImagesReply = ImagesResponse & Record<string, unknown>;
/** A file of a multipart form as the client sent it: its name, declared type and bytes. */
export interface FormFile {
  filename: string;
  contentType: string;
  data: Buffer;
}
/** A part of a multipart form, in the client's order: a text field or a file. */
export type FormPart = { name: string; value: string } | { name: string; file: FormFile };

/**
 * An image edit or variation request (`/v1/images/edits`, `/variations`; openapi.yaml
 * CreateImageEditRequest, CreateImageVariationRequest) as the multipart form it came in: every
 * part in order, sent upstream as it is but for `model` (and `prompt`, when the content filter
 * redacts it). The fields the router reads are copied out, checked.
 */
export interface ImageForm {
  parts: FormPart[];
  /**
   * An edit sent as JSON instead (EditImageBodyJsonParam: `images` and `mask` by `image_url` or
   * `file_id`): the client's body, sent upstream as JSON with the same changes; `parts` is empty.
   */
  json?: Record<string, unknown>;
  model: string;
  /** Edits only: the text description of the image(s) wanted. */
  prompt?: string;
  n: number;
  size?: string;
  quality?: string;
  response_format?: string;
  /** The end user (`user`, `safety_identifier`), for the request log's attribution. */
  user?: string;
  safety_identifier?: string;
}
/** A text-to-speech request (`/v1/audio/speech`); the reply is the audio's bytes. */
export type SpeechRequest = SpeechCreateParams & Record<string, unknown>;

/**
 * A transcription or translation request (`/v1/audio/transcriptions`, `/translations`) as the
 * multipart form it came in: its text fields in order (a name may repeat:
 * `timestamp_granularities[]`) and its one file, passed upstream as they are but for `model`.
 */
export interface TranscriptionForm {
  fields: [name: string, value: string][];
  file: FormFile;
  model: string;
  /** The `response_format` asked for (`json` when none). */
  responseFormat: string;
}

/**
 * A rerank request (`/v1/rerank`, Cohere's `/v2/rerank`): Cohere v2's body
 * (docs.cohere.com/reference/rerank: model, query, documents, top_n, max_tokens_per_doc), with
 * documents also as `{text}` objects as Jina and vLLM take them. Other fields pass through.
 */
export interface RerankRequest {
  model: string;
  query: string;
  documents: (string | { text: string; [key: string]: unknown })[];
  top_n?: number;
  return_documents?: boolean;
  max_tokens_per_doc?: number;
  [key: string]: unknown;
}

/** One scored document: its position in the request's `documents`, and its text when asked. */
export interface RerankResult {
  index: number;
  relevance_score: number;
  document?: { text: string };
}

/**
 * A rerank reply in Cohere v2's shape (`id`, `results` by score descending, `meta.billed_units.
 * search_units`) with vLLM's and Jina's `model` and `usage.total_tokens` (vLLM `RerankResponse`).
 */
export interface RerankReply {
  id: string;
  results: RerankResult[];
  model: string;
  meta: { billed_units: { search_units: number }; [key: string]: unknown };
  usage: { total_tokens: number };
  [key: string]: unknown;
}

/**
 * Prompt tokens written to the provider's prompt cache (Anthropic's `cache_creation_input_tokens`;
 * billed above the input price), carried in `prompt_tokens_details.cache_write_tokens` as
 * OpenAI-format gateways carry them. Part of `prompt_tokens`, like `cached_tokens`.
 */
export function cacheWriteTokens(usage: ChatUsage | null | undefined): number {
  const details = usage?.prompt_tokens_details as { cache_write_tokens?: unknown } | undefined;
  return typeof details?.cache_write_tokens === 'number' ? details.cache_write_tokens : 0;
}

/**
 * Of the cache writes, those kept for an hour (Anthropic's `cache_control.ttl: "1h"`, billed at
 * twice the input price against 1.25× for the default 5 minutes; its usage's
 * `cache_creation.ephemeral_1h_input_tokens`), in `prompt_tokens_details.cache_write_1h_tokens`.
 */
export function cacheWrite1hTokens(usage: ChatUsage | null | undefined): number {
  const details = usage?.prompt_tokens_details as { cache_write_1h_tokens?: unknown } | undefined;
  const n = details?.cache_write_1h_tokens;
  return typeof n === 'number' ? Math.min(n, cacheWriteTokens(usage)) : 0;
}

/**
 * Where a chat content part came from in the client's own request, set where another API's
 * request is converted to chat (Responses `input[3].content[1].image_url`, Messages
 * `messages.2.content.1.source`), so an error about the part names it as the client sent it. A
 * symbol: JSON leaves it out, and no upstream sees it.
 */
export const CLIENT_PATH: unique symbol = Symbol('client path');

/**
 * A chat tool message's mark: the Anthropic client's `tool_result` said `is_error: true`. The
 * message's text says "Error: " for upstreams that have no such flag; an Anthropic deployment gets
 * the flag and the text as the client sent it (Anthropic audit F2, 2026-12-06). A symbol, as
 * CLIENT_PATH: JSON leaves it out, so no other upstream sees it. A Message Batch's stored line
 * is converted again when it runs, live (Message Batches are not forwarded to an upstream's
 * Batch API: test/e2e/batch-forward-anthropic.e2e.test.ts), so it keeps the flag too.
 */
export const TOOL_RESULT_ERROR: unique symbol = Symbol('tool result is an error');

/**
 * A chat content part's origin: the Anthropic `document` block it was made from (`text`, `content`
 * or `base64` source, with its `title`, `context`, `citations`), and the text or data the part was
 * made with. Other upstreams read the part (text, or a `file` part); an Anthropic deployment gets
 * the block back as a document while the part still says what it was made with (the content
 * filter or a context cut may have changed it since: then a plain-text document of the part's
 * text). A symbol, as CLIENT_PATH: JSON leaves it out (Anthropic audit F3, 2026-12-06).
 */
export const ANTHROPIC_DOCUMENT: unique symbol = Symbol('anthropic document');

/** What ANTHROPIC_DOCUMENT holds. */
export interface AnthropicDocument {
  /** The client's block, without its `cache_control` (that rides on the part). */
  block: Record<string, unknown>;
  /** The part's `text` (or its `file.file_data`) when it was made. */
  madeFrom: string;
}

/**
 * A chat request's mark: an Anthropic client's top-level `cache_control` (Anthropic's automatic
 * caching: it marks the last cacheable block itself), sent as is to an Anthropic deployment;
 * no other upstream has it. A symbol, as CLIENT_PATH (Anthropic audit F3, 2026-12-06).
 */
export const TOP_CACHE_CONTROL: unique symbol = Symbol('top-level cache_control');

// The adapter contract every provider implements (STYLE.md: a small typed contract apart from the
// shared mechanics). Adapters receive and return OpenAI Chat Completions shapes; anything
// vendor-specific stays inside `providers/<name>/`.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ImagesReply,
  ImageForm,
  ImagesRequest,
  ModerationRequest,
  ModerationResponse,
  RerankRequest,
  SpeechRequest,
  TranscriptionForm,
} from '../core/wire-types.js';
import type { NativeRequest } from './native-api.js';

export interface UpstreamRequest {
  deployment: DeploymentConfig;
  /** The chat body to send; `model` is already the upstream model name and parameters are adapted. */
  body: ChatRequest;
  /** Aborted when the client goes away or a deadline passes; adapters must abort the upstream call. */
  signal: AbortSignal;
  requestId: string;
  /** The client's own API request (e.g. Responses), for adapters whose upstream speaks it natively
   * (`capabilities.responsesApi`); others ignore it and serve `body`. */
  native?: NativeRequest;
  /**
   * The consumer writes stream chunks out unchanged and reads none of their fields: an adapter may
   * hand over unmodified upstream chunks unparsed (`RAW_JSON` in chat-chunk-reader), except the
   * first.
   */
  passThrough?: boolean;
}

export interface UpstreamEmbeddingsRequest {
  deployment: DeploymentConfig;
  body: EmbeddingsRequest;
  signal: AbortSignal;
  requestId: string;
}

export interface UpstreamModerationRequest {
  deployment: DeploymentConfig;
  body: ModerationRequest;
  signal: AbortSignal;
  requestId: string;
}

/** An image, speech or transcription call: the body as sent (`model` the upstream's name). */
export interface UpstreamMediaRequest<B> {
  deployment: DeploymentConfig;
  body: B;
  signal: AbortSignal;
  requestId: string;
}

/**
 * Audio coming back: its bytes as the upstream sends them (read on as the client takes them, not
 * buffered whole), their content type, and the upstream's headers worth passing on.
 */
export interface UpstreamAudio {
  audio: AsyncIterable<Buffer>;
  contentType: string;
  headers: Record<string, string>;
}

/** A transcription's reply as the upstream wrote it: JSON, or text (`text`, `srt`, `vtt`). */
export interface UpstreamTranscript {
  body: Buffer;
  contentType: string;
  headers: Record<string, string>;
}

/**
 * What a realtime session's upstream side reports (realtime-connection.ts relays it): each text
 * frame as it came, and the close (1006 with the socket error as `reason` when it broke).
 */
export interface RealtimeListener {
  message(text: string): void;
  closed(code: number, reason: string): void;
  /**
   * The upstream sent a message past `maxMessageBytes`: it was not read (nor relayed) and the
   * upstream socket is closing (1009); no `closed` need follow.
   */
  oversized(maxMessageBytes: number): void;
}

/**
 * An open realtime session upstream: text frames out as they are (`written` called once the frame
 * has left for the network), and its close. A session over a socket also tells what it has queued
 * and can stop reading (the relay's backpressure); an in-process one leaves those out.
 */
export interface RealtimeSession {
  send(text: string, written?: () => void): void;
  close(code: number, reason: string): void;
  /** Bytes sent but not yet written to the upstream's socket. */
  bufferedAmount?(): number;
  /** Stops reading the upstream's events (the client is not keeping up), and starts again. */
  pause?(): void;
  resume?(): void;
}

/** A realtime session to open (`kind: realtime`): `signal` stops the connecting only. */
export interface UpstreamRealtimeRequest {
  deployment: DeploymentConfig;
  signal: AbortSignal;
  requestId: string;
  listener: RealtimeListener;
  /** The largest upstream message the router reads (`server.bodyLimitBytes`), as a client's. */
  maxMessageBytes: number;
}

export interface UpstreamReply {
  /** Parsed upstream reply, normalised to Chat Completions. `model` is the upstream's model name. */
  response: ChatResponse;
  /** Selected upstream headers worth passing on (retry-after, x-ms-region, x-ratelimit-*). */
  headers: Record<string, string>;
}

export interface UpstreamStream {
  /**
   * Chunks in Chat Completions shape. The iterator throws a GatewayError on an upstream failure
   * (an in-band error event, a malformed chunk, a dropped connection). Returning ends the stream.
   */
  chunks: AsyncIterable<ChatChunk>;
  headers: Record<string, string>;
}

/**
 * One provider. `chat`/`chatStream` throw GatewayError for every failure before a reply; its
 * `retryable` flag says whether another deployment may be tried (connect errors, 408/409/429/5xx).
 * `chatStream` resolves once the upstream accepted the request (2xx), before any chunk is read.
 */
export interface ProviderAdapter {
  chat(req: UpstreamRequest): Promise<UpstreamReply>;
  chatStream(req: UpstreamRequest): Promise<UpstreamStream>;
  /**
   * Embeddings from an embedding model (`kind: embeddings`; `body.model` is already the upstream
   * name). Providers without an embeddings API leave it out.
   */
  embed?(req: UpstreamEmbeddingsRequest): Promise<{
    response: EmbeddingsResponse;
    headers: Record<string, string>;
  }>;
  /**
   * Moderation results from a moderation model (`kind: moderation`; `body.model` is already the
   * upstream name). Providers without a moderation API leave it out.
   */
  moderate?(req: UpstreamModerationRequest): Promise<{
    response: ModerationResponse;
    headers: Record<string, string>;
  }>;
  /** Images from an image model (`kind: images`); providers without one leave it out. */
  generateImages?(req: UpstreamMediaRequest<ImagesRequest>): Promise<{
    response: ImagesReply;
    headers: Record<string, string>;
  }>;
  /**
   * Edited images from an image model (`kind: images`): the form's parts sent as they came, with
   * `body.model` the upstream name. Providers without the API leave it out.
   */
  editImages?(req: UpstreamMediaRequest<ImageForm>): Promise<{
    response: ImagesReply;
    headers: Record<string, string>;
  }>;
  /** Variations of the form's one image (`kind: images`); Azure OpenAI has none. */
  createImageVariations?(req: UpstreamMediaRequest<ImageForm>): Promise<{
    response: ImagesReply;
    headers: Record<string, string>;
  }>;
  /**
   * Speech from a text-to-speech model (`kind: speech`). Resolves once the upstream accepted the
   * request (2xx), before the audio is read; throws GatewayError before that.
   */
  speak?(req: UpstreamMediaRequest<SpeechRequest>): Promise<UpstreamAudio>;
  /** A transcript (or an English translation) of the form's audio file (`kind: transcription`). */
  transcribe?(
    req: UpstreamMediaRequest<TranscriptionForm> & { operation: 'transcriptions' | 'translations' },
  ): Promise<UpstreamTranscript>;
  /**
   * Documents scored against a query by a reranker (`kind: rerank`; `body.documents` are strings,
   * `body.model` the upstream name). The reply as the upstream wrote it, checked only for a
   * `results` list: the gateway reads it. Providers without a rerank API leave it out.
   */
  rerank?(req: UpstreamMediaRequest<RerankRequest>): Promise<{
    response: Record<string, unknown> & { results: unknown[] };
    headers: Record<string, string>;
  }>;
  /**
   * A Realtime API session (`kind: realtime`): resolves once the upstream accepted the WebSocket
   * (its 101), with the deployment's own credentials; throws GatewayError before that (`retryable`
   * for connect errors, 429 and 5xx). Providers without one leave it out.
   */
  openRealtime?(req: UpstreamRealtimeRequest): Promise<RealtimeSession>;
  /** The provider's own count of a request's prompt tokens, where it has one (Anthropic). */
  countTokens?(req: Pick<UpstreamRequest, 'deployment' | 'body' | 'signal'>): Promise<number>;
  /**
   * The upstream's own count of a request in the non-chat API it speaks natively (OpenAI's
   * `POST /responses/input_tokens` for `capabilities.responsesApi`), where it has one.
   */
  countNativeTokens?(
    req: Pick<UpstreamRequest, 'deployment' | 'signal' | 'requestId'> & { native: NativeRequest },
  ): Promise<number>;
  /**
   * The upstream's own Batch API, for deployments with `batchApi` (batch/forward): providers
   * without one leave it out.
   */
  batchApi?: ProviderBatchApi;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** One line sent to an upstream batch: our id for it and its chat body (already adapted). */
export interface ProviderBatchLine {
  customId: string;
  body: ChatRequest;
}

/** One line's end in an upstream batch: the upstream's answer (its status and JSON), or an error. */
export type ProviderBatchResult =
  | { customId: string; status: number; body: unknown }
  | { customId: string; error: { code: string; message: string } };

/** An upstream batch as last seen; once `done`, the results it has (lines without one never ran). */
export type ProviderBatchState =
  { done: false; status: string } | { done: true; status: string; results: ProviderBatchResult[] };

/**
 * What an upstream batch is made for, so that it can be found again when a submit's outcome is
 * unknown (a timeout, a dropped connection, a 5xx on create: the upstream may have made it).
 */
export interface UpstreamBatchTag {
  /** Our batch's id. */
  batchId: string;
  /** The group's id: its lines' custom_ids begin with it (`<groupId>-line-<n>`). */
  groupId: string;
  /** Epoch ms the submit began: an upstream batch made for it was created after (give or take clocks). */
  since: number;
  /** How many lines the group has. */
  lines: number;
  /** Upstream batches already known to be others (the batch's other groups): never this one. */
  known: readonly string[];
}

/**
 * A vendor's Batch API (OpenAI's: a JSONL file, a batch over it, its output and error files).
 * Every method throws GatewayError on failure (`retryable` as for chat calls), except `submit`,
 * which throws UpstreamBatchNotCreated when the upstream surely made no batch (batch-not-created.ts).
 */
export interface ProviderBatchApi {
  /**
   * Uploads the lines and creates the upstream batch, tagged with `tag` where the vendor allows;
   * its id. UpstreamBatchNotCreated: no batch was made (its lines may run live at once); any other
   * error: one may have been (`find` looks for it).
   */
  submit(
    lines: readonly ProviderBatchLine[],
    tag: UpstreamBatchTag,
    signal: AbortSignal,
  ): Promise<string>;
  /**
   * The id of the upstream batch a submit with an unknown outcome made for `tag` (the vendor's list
   * of batches), or undefined when the upstream lists none. Throws when the list cannot be read:
   * the forwarder asks again later.
   */
  find(tag: UpstreamBatchTag, signal: AbortSignal): Promise<string | undefined>;
  /**
   * The batch's state; one the upstream does not know (404) is `done` with no results. Any other
   * failure throws: the batch may still be running, so the forwarder polls again later.
   */
  poll(id: string, signal: AbortSignal): Promise<ProviderBatchState>;
  /** Asks the upstream to stop; it ends (`done`) later, with the results it has. */
  cancel(id: string, signal: AbortSignal): Promise<void>;
}

/** Builds the adapter for a deployment; one per provider kind, registered in the registry. */
export type AdapterFactory = (deployment: DeploymentConfig) => ProviderAdapter;

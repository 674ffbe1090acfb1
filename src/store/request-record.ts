// One record per request, produced by the gateway once the request is over and handed to the
// recorder (metrics + batched request log). Field names are the request log's columns.
import type { StoredReceipt } from '../routing/receipt.js';

export interface AttemptRecord {
  deployment: string;
  /** Upstream model name as configured, or as the upstream reported it when it answered. */
  model: string;
  /**
   * `stream_dropped`: a stream that failed after its first chunk reached the client (too late to
   * fail over); its error is the one that ended the stream. `aborted`: the call was in flight
   * when its caller stopped it (the client left, a background run was cancelled or stopped by a
   * shutdown); not the deployment's failure, so neither an error nor a failover.
   */
  outcome: 'ok' | 'error' | 'skipped' | 'stream_dropped' | 'aborted';
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  latencyMs: number;
  /**
   * What an attempt that gave no answer is taken to have cost, estimated (the request's
   * `usageEstimated`): the prompt at that deployment's input price. Set where the upstream had the
   * prompt when the router stopped waiting: its own deadline (`upstream_timeout`,
   * `first_token_timeout`), or the caller stopping it (`aborted`). On a `lookup` call, what it
   * cost. The request's `costUsd` includes it; it counts at this attempt's deployment.
   */
  costUsd?: number;
  /**
   * Not a try at answering: the semantic answer cache's embedding call (`semantic_cache`), made
   * before routing, listed first, or a moderation call the content filter made on the request's
   * prompt or answer (`content_filter`, ModerationsGateway.classify), listed after the tries; its
   * cost in `costUsd` so that it counts at the deployment that made it (attempt-attribution.ts,
   * the deployment budgets). Not in `x-router-attempts`.
   */
  lookup?: 'semantic_cache' | 'content_filter';
  /**
   * Set on every attempt of a request that was routed again after waiting for a deployment with
   * headroom (`rateLimits.queue`, gateway/wait-for-headroom.ts): the round it was made in, 1 first.
   */
  round?: number;
  /** On the first attempt of a round after a wait: ms the request waited for headroom before it. */
  waitedMs?: number;
  /**
   * With OpenRouter's `models` fallbacks: the router deployment, pool or deployment the attempt
   * was made for (gateway/model-fallbacks.ts). One that planned none is a skipped attempt named
   * after it (`deployment` is the target's name then).
   */
  target?: string;
}

/**
 * The APIs a request log record names (`GET /admin/v1/usage?by=endpoint`). A realtime session's
 * responses (and a refused upgrade) are `realtime`; a session that opened is one `realtime.session`.
 */
export type Endpoint =
  | 'chat'
  | 'completions'
  | 'decisions'
  | 'responses'
  | 'responses.compact'
  | 'messages'
  | 'embeddings'
  | 'moderations'
  | 'images.generations'
  | 'images.edits'
  | 'images.variations'
  | 'audio.speech'
  | 'audio.transcriptions'
  | 'audio.translations'
  | 'rerank'
  | 'realtime'
  | 'realtime.session';

export interface RequestRecord {
  /** Epoch ms when the request arrived. */
  time: number;
  requestId: string;
  /** The API called; `responses.compact` is the summary pass of `POST /v1/responses/compact`. */
  endpoint: Endpoint;
  tenant?: string;
  keyId?: string;
  /** The end user the client named (`user`, `safety_identifier`, Anthropic's `metadata.user_id`). */
  endUser?: string;
  /** The client's tags (`x-router-tags`, OpenAI `metadata` as `key=value`). */
  tags?: string[];
  /** Router deployment name when routed, else undefined (direct call). */
  router?: string;
  routingMode?: string;
  routerVersion?: string;
  decisionId?: string;
  /** The deployment that served (or was last tried). */
  deployment?: string;
  /** The model that served, as reported upstream. */
  servedModel?: string;
  attempts: AttemptRecord[];
  stream: boolean;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Web searches the answer ran (`prices.perWebSearch` each, in `costUsd`); absent: none. */
  webSearches?: number;
  costUsd: number;
  /** What this request would have cost on the router's top (highest-quality) model. */
  baselineCostUsd: number;
  ttftMs?: number;
  latencyMs: number;
  /** Microseconds spent deciding the route (features + prediction + pick). */
  routingMicros?: number;
  /**
   * Microseconds of the router's own (its overhead): `latencyMs` less the waits on upstream chat
   * calls, a stream's waits on its client and `queuedMs` (gateway/request-timing.ts). Chat,
   * completions, Responses and Messages requests; undefined for other endpoints and for records
   * logged before migration 24.
   */
  overheadMicros?: number;
  /**
   * ms an admitted request waited in the rate-limit queue (`rateLimits.queue`), at admission and
   * for a deployment with headroom, whether it was served after or not (`x-router-queued-ms`).
   */
  queuedMs?: number;
  /** HTTP status sent to the client. */
  status: number;
  errorCode?: string;
  region?: string;
  dataZone?: string;
  /**
   * The answer cache's part, when it is on: `hit` (answered from it, no upstream call), `miss`
   * (looked up or refreshed, answered upstream), `partial` (embeddings: some inputs from it, the
   * rest upstream), `semantic` (a chat answer kept for a near-identical conversation,
   * `cache.semantic`) or `bypass` (`Cache-Control: no-store`).
   */
  cache?: 'hit' | 'semantic' | 'miss' | 'partial' | 'bypass';
  /** Only when `requestLog.storeText` is on. */
  promptText?: string;
  /**
   * A chat request that continues a conversation (`isMultiTurn`: a second user message or an
   * earlier assistant one); undefined for other endpoints and for records logged before
   * migration 18 (read as not multi-turn by `feedback export`).
   */
  multiTurn?: boolean;
  /**
   * Some of the token counts (and so the cost) are the router's own figure, not the upstream's
   * `usage`: a stream that broke off or ignored `stream_options.include_usage` (its answer tokens
   * estimated from what was streamed, ≈4 characters a token), an answer without `usage` (its prompt
   * as the router counted it, its answer estimated from its text), a moderation or rerank (tokens
   * estimated from their texts), a chat request whose semantic-cache lookup's embedding call came
   * back without usage (its cost estimated), a failed request (its prompt as counted). Undefined for records
   * logged before migration 19.
   */
  usageEstimated?: boolean;
  answerText?: string;
  /**
   * The receipt of the routing decision `decisionId` names (the same object the in-memory
   * DecisionStore keeps, so its attempts and served deployment are final when the record is
   * written). The request log keeps it, as JSON, when `requestLog.storeReceipts` is on, so a
   * receipt outlives a restart and the 10,000 decisions a replica holds.
   */
  receipt?: StoredReceipt;
}

/** A request's record as it starts: no attempt yet, no tokens, no cost, status 200 until told. */
export function newRequestRecord(
  start: Pick<
    RequestRecord,
    'time' | 'requestId' | 'endpoint' | 'tenant' | 'keyId' | 'stream' | 'endUser' | 'tags'
  >,
): RequestRecord {
  // One object literal, every field named (as the gateway built it before): a spread of `start`
  // here made the record's later writes several times slower in V8 (CPU profile, docs/benchmarks.md).
  return {
    time: start.time,
    requestId: start.requestId,
    endpoint: start.endpoint,
    tenant: start.tenant,
    keyId: start.keyId,
    endUser: start.endUser,
    tags: start.tags,
    attempts: [],
    stream: start.stream,
    promptTokens: 0,
    cachedTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    baselineCostUsd: 0,
    latencyMs: 0,
    status: 200,
    usageEstimated: false,
  };
}

/** Receives every finished request; implementations must not block (batch off the hot path). */
export interface RequestRecorder {
  record(record: RequestRecord): void;
}

/** Answered from the answer cache, exactly or semantically: no chat upstream call was made. */
export function answeredFromCache(record: Pick<RequestRecord, 'cache'>): boolean {
  return record.cache === 'hit' || record.cache === 'semantic';
}

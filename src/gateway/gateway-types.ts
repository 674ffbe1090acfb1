// Types shared by the gateway and the HTTP routes that call it.
import type { NativeRequest } from '../providers/native-api.js';
import type { PoolConfig, RouterConfig, RoutingMode } from '../config/schema.js';
import type { BudgetLine } from '../policy/budget.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatChunk, ChatRequest, ChatResponse, ChatUsage } from '../core/wire-types.js';
import type { AttemptRecord, Endpoint } from '../store/request-record.js';
import type { Attribution } from './attribution.js';
import type { CallStop } from './call-stop.js';
import type { RequestTiming } from './request-timing.js';

/** Who is calling: resolved by auth before the gateway runs; never taken from the body. */
export interface AuthContext {
  keyId?: string;
  tenant: string;
  admin: boolean;
  /** Router or deployment names this caller may use; `*` for all. */
  scopes: readonly string[];
  /** The highest routing mode this key may ask for (quality > balanced > cost). */
  maxRoutingMode?: RoutingMode;
  /** Narrows (never widens) a router's model subset for this key. */
  modelSubset?: readonly string[];
  /** The key opted out of the answer cache (`auth.keys[].cache: false`). */
  noCache?: boolean;
  /**
   * `auth.mode: none` only: the key sent was unknown or expired, so the caller runs anonymous; the
   * admin API answers 401 with this reason, as `keys` mode does, rather than 403.
   */
  invalidKey?: string;
}

export const ANONYMOUS: AuthContext = { tenant: 'default', admin: false, scopes: ['*'] };

export type { Endpoint };

export interface ChatCall {
  request: ChatRequest;
  endpoint: Endpoint;
  auth: AuthContext;
  /** Lower-cased request headers (routing controls, data-zone narrowing, session ids). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Aborted when the client disconnects. With `stop` it is a getter that makes it on first read
   * (call-stop.ts): the hot path asks `callStopped` / `onCallStopped`; copy such a call with
   * `copyCall`, not a spread (which would leave the getter behind).
   */
  signal: AbortSignal;
  /** An HTTP request's stop (its client went away), behind `signal` (call-stop.ts). */
  stop?: CallStop;
  requestId: string;
  /** Azure dated path: the deployment named in the URL wins over the body's `model`. */
  deploymentFromPath?: string;
  /** The client's non-chat request (Responses), passed to upstreams that speak it natively. */
  native?: NativeRequest;
  /**
   * The caller writes stream chunks out as Chat Completions SSE, unchanged: unmodified upstream
   * chunks may reach it unparsed (see `UpstreamRequest.passThrough`). Consumers that read chunk
   * fields (bridges to other APIs) leave it unset.
   */
  passThrough?: boolean;
  /** The end user and tags the client named (recorded, never routed on). */
  attribution?: Attribution;
  /** The session the endpoint knows this request by (a Responses turn's conversation id), for
   * session affinity when the client names none (session-affinity.ts). */
  sessionId?: string;
  /** The id a later turn will name this one by (a stored response's id, the next turn's
   * `previous_response_id`): the served deployment is remembered under it, so a chain of turns
   * stays on one deployment (session-affinity.ts). */
  nextSessionId?: string;
  /**
   * A batch line an upstream Batch API gave back to run live: the content filter's calls on its
   * prompt made before it was held, counted with this run's (they were made and billed once).
   */
  carriedFilterCalls?: AttemptRecord[];
}

/**
 * Offered with a batch line whose batch forwards (batch/forward): a first choice it accepts is not
 * called; the gateway returns the planned line instead, for that deployment's own Batch API.
 */
export interface BatchForwardOffer {
  accepts(deployment: DeploymentConfig): boolean;
  /** Takes the line the gateway held (its route answers 202 with no answer). */
  hold(line: PlannedBatchLine): void;
}

/** A batch line planned like any chat request and held for its deployment's Batch API. */
export interface PlannedBatchLine {
  deployment: DeploymentConfig;
  /** The upstream body: filtered, adapted to the deployment (its model name, its parameters). */
  body: ChatRequest;
  promptTokens: number;
  /** The savings baseline: a router's top deployment, else the deployment itself. */
  top: DeploymentConfig;
  router?: string;
  routingMode?: string;
  routerVersion?: string;
  decisionId?: string;
  tags?: string[];
  endUser?: string;
  /**
   * The content filter's calls at a priced moderation deployment on the prompt, before the line
   * was held: counted in the line's record when its answer comes (before 2026-12-06, nowhere).
   */
  filterCalls?: AttemptRecord[];
}

export type BatchLineOutcome = ChatOutcome | { kind: 'forward'; line: PlannedBatchLine };

export type ChatOutcome =
  | {
      kind: 'json';
      response: ChatResponse;
      headers: Record<string, string>;
      /**
       * The prompt's tokens as the router counted them, for APIs whose usage must state them when
       * the answer came without usage (Anthropic's Message); as the stream's below.
       */
      promptTokens?: number;
    }
  | {
      kind: 'stream';
      /** Already peeked: the first chunk arrived before this outcome was returned. */
      chunks: AsyncIterable<ChatChunk>;
      headers: Record<string, string>;
      /**
       * The prompt's tokens as the router counted them (exact, or its estimate when no limit
       * needed the exact count), for APIs that state them before the upstream's usage arrives
       * at the end (Anthropic's message_start).
       */
      promptTokens?: number;
      /**
       * The request's timing: the writer awaits its client's backpressure through it, so that
       * wait is not counted as the router's overhead (request-timing.ts).
       */
      timing?: RequestTiming;
    };

/**
 * What the request resolved to: a router deployment, a pool of deployments of one model, or a
 * concrete deployment called directly.
 */
export type Target =
  | { kind: 'router'; router: RouterConfig }
  | { kind: 'pool'; pool: PoolConfig }
  | { kind: 'deployment'; deployment: DeploymentConfig };

/** The name the client called. */
export function targetName(target: Target): string {
  return target.kind === 'router'
    ? target.router.name
    : target.kind === 'pool'
      ? target.pool.name
      : target.deployment.name;
}

/** The deployments a router or pool may serve from (a deployment: itself). */
export function targetMembers(target: Target): readonly string[] {
  return target.kind === 'router'
    ? target.router.modelSubset
    : target.kind === 'pool'
      ? target.pool.deployments
      : [target.deployment.name];
}

/** Policy hooks (limits, budgets, content filter). All optional; the gateway runs them in order. */
export interface GatewayPolicies {
  /**
   * Before routing: key/router rate limits and budgets. Throws GatewayError (429 etc.) to stop.
   * May return a routing-mode override (budget shift to cost) and headers for the response.
   */
  admit?(ctx: AdmitContext): Promise<AdmitResult> | AdmitResult;
  /**
   * Reads the caller's budgets without charging a limit; throws the 429 `budget_exceeded` when one
   * is used up (a realtime connection, whose requests are its responses, checks at connect).
   */
  checkBudget?(ctx: AdmitContext): Promise<void>;
  /**
   * Takes one request from the caller's key's RPM limit, and nothing else: calls that use no
   * model but cost the router CPU or storage (a token count, a file upload, a conversation
   * created). Throws the 429 when it is spent.
   */
  chargeKeyRequest?(auth: AuthContext): Promise<void>;
  /** Rate-limit headroom of one deployment, for eligibility. */
  hasHeadroom?(deployment: DeploymentConfig, tokens: number): boolean;
  /** ms until it has headroom for `tokens` (0: now; undefined: never, more than its limit). */
  headroomInMs?(deployment: DeploymentConfig, tokens: number): number | undefined;
  /**
   * The deployment's `x-ratelimit-*` headers as hasHeadroom last saw its limits, for a request of
   * `tokens` (under `rateLimits.headers: tenant`, without the deployment's level).
   */
  headroomHeaders?(deployment: DeploymentConfig, tokens: number): Record<string, string>;
  /** The deployment's own spend budget line that is used up (`deployments[].budget`), if any. */
  deploymentBudgetSpent?(deployment: DeploymentConfig): BudgetLine | undefined;
  /**
   * Consume the deployment's own limit for the attempt that is about to run. With the request's
   * `signal`, a rate-limit queue waiter's round that the shutdown drain overtook during the charge
   * is refused with the drain's 503 (admission-queue.ts `admitRound`).
   */
  consumeDeployment?(
    deployment: DeploymentConfig,
    tokens: number,
    signal?: AbortSignal,
  ): Promise<void> | void;
  /**
   * Correct the deployment's TPM that consumeDeployment charged `charged` tokens, once the
   * upstream reported its usage (a call outside a request's settle: a semantic-cache lookup).
   */
  settleDeployment?(deployment: DeploymentConfig, charged: number, actualTokens: number): void;
  /**
   * Once routing picked `pick`: lower what admission reserved on the request's budgets (priced at
   * its target's dearest deployment) to its expected cost there, freeing the rest at once for
   * requests that run meanwhile. Never raises it.
   */
  narrowReservation?(ctx: AdmitContext, pick: DeploymentConfig): void;
  /** After the request: correct TPM with real usage, add spend to budgets. */
  settle?(ctx: AdmitContext, outcome: SettleInfo): void;
  /** Input content filter: may redact (returns a new request) or throw a content_filter error. */
  filterInput?(
    request: ChatRequest,
    ctx: AdmitContext,
  ): Promise<FilterInputResult> | FilterInputResult;
  /** Output content filter for a whole response (mutates/annotates it) or throws. */
  filterOutput?(response: ChatResponse, ctx: AdmitContext): Promise<ChatResponse> | ChatResponse;
  /** Output filter for streams: wraps the chunk stream. */
  filterStream?(chunks: AsyncIterable<ChatChunk>, ctx: AdmitContext): AsyncIterable<ChatChunk>;
}

export interface AdmitContext {
  call: ChatCall;
  target: Target;
  promptTokens: number;
  /**
   * What the call may cost on `d`, judged by a gateway whose requests are not chat-shaped (images'
   * `n`, quality and size; the text to speak; the audio's length): admission reserves the dearest
   * over the target's deployments. Absent: judged from the chat request (expected-cost.ts).
   */
  expectedCostUsd?: (d: DeploymentConfig) => number;
  /**
   * The moderation calls the content filter made for this request (its filter hooks), not yet in
   * its record: the gateway moves them there before it settles (cost.ts noteFilterCalls).
   */
  filterCalls?: AttemptRecord[];
}

export interface AdmitResult {
  modeOverride?: RoutingMode;
  headers?: Record<string, string>;
  warnings?: string[];
  /** Only for a request that asked to wait (`rateLimits.queue`, `x-router-max-wait-ms`). */
  patience?: Patience;
}

/** A refusal a request may wait out: the error it answers if it cannot, and when to try again. */
export interface Waitable {
  error: unknown;
  /** ms until another try may succeed; undefined: no wait can cure it. */
  retryAfterMs: number | undefined;
}

/**
 * What is left of a request's leave to wait for capacity after admission, and the replica's
 * queue to wait in (counted against `maxWaiting`, in the same metrics): wait-for-headroom.ts.
 */
export interface Patience {
  /**
   * ms this request has waited so far, admission's wait included, however each wait ended; not
   * the retries' own time (`x-router-queued-ms`).
   */
  readonly queuedMs: number;
  /**
   * Wait out `first` and call `retry` again while what `waitable` makes of its refusals fits in
   * what is left; throws the last refusal when it does not, 499 when the client leaves.
   */
  wait<T>(
    first: Waitable,
    retry: () => Promise<T>,
    waitable: (err: unknown) => Waitable | undefined,
  ): Promise<T>;
}

export interface FilterInputResult {
  request: ChatRequest;
  promptFilterResults?: unknown[];
}

export interface SettleInfo {
  deployment?: DeploymentConfig;
  usage?: ChatUsage;
  costUsd: number;
  status: number;
  /**
   * The request's attempts: those charged though they gave no answer (`costUsd`: timed out,
   * stopped in flight) count against their own deployment's budget. `costUsd` above includes
   * theirs; the rest of it is `deployment`'s.
   */
  attempts?: readonly AttemptRecord[];
}

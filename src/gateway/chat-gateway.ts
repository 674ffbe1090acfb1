// Handles one chat request end to end: resolve the target → policies → eligibility → route →
// execute with failover → respond → record. Every entry point (chat, Azure, Responses, Messages)
// joins here with a ChatRequest. What the request asks for and may use is request-target.ts;
// eligibility and the order to try deployments in, plan-route.ts; the answer cache,
// answer-cache.ts (looked up after policies and input filters, before routing, by
// look-up-answer.ts), and after an exact miss the semantic cache, semantic-cache.ts (imported
// only once it is on); a hit's reply, answer-from-cache.ts; OpenRouter's middle-out,
// middle-out.ts (fitting in context-fit.ts); targets tried in turn (`models` fallbacks),
// route-in-turn.ts; waiting for a deployment with headroom, wait-for-headroom.ts; a served
// answer's way out, served-answer.ts; the record's two ends, finish-record.ts.
import { fallbackTargets, type RoutedTo } from './model-fallbacks.js';
import { resolveProviderPreferences } from './provider-preferences.js';
import { applyMiddleOut } from './middle-out.js';
import { applyWebPlugin } from './web-plugin.js';
import { GatewayError } from '../core/errors.js';
import { isMultiTurn } from '../core/multi-turn.js';
import {
  collectPromptText,
  countPromptTokens,
  estimatePromptTokens,
  promptTokenUpperBound,
} from '../core/prompt-text.js';
import { OutputTokenStats } from '../routing/output-token-stats.js';
import type { DecisionReceipt } from '../routing/receipt.js';
import type { RequestRecord } from '../store/request-record.js';
import { answerFromCache } from './answer-from-cache.js';
import { countTokens } from './count-tokens.js';
import { DeploymentLoad } from './deployment-load.js';
import { abortedCall } from './attempt-records.js';
import { executeWithFailover } from './execute-with-failover.js';
import {
  chargeUnansweredAttempts,
  finishFailedRequest,
  openRecord,
  wasRecorded,
} from './finish-record.js';
import { noteFilterCalls, noteLookupCall } from './cost.js';
import {
  targetName,
  type AdmitContext,
  type AuthContext,
  type BatchForwardOffer,
  type BatchLineOutcome,
  type ChatCall,
  type ChatOutcome,
} from './gateway-types.js';
import { noteServed, servedHeaders, type PlanDeps } from './plan-route.js';
import { routeInTurn, type ExecuteTarget } from './route-in-turn.js';
import { PoolBalancer } from './pool-order.js';
import { CallDrain } from './call-drain.js';
import { callStopped, copyCall } from './call-stop.js';
import {
  authorizeTarget,
  checkChatTarget,
  targetNaming,
  needsExactCount,
  resolveTarget,
} from './request-target.js';
import { lookUpAnswer, type AnswerLookup } from './look-up-answer.js';
import type { GatewayDeps } from './gateway-deps.js';
import { wantsRouterControls } from './router-controls.js';
import type { SemanticLookup } from './semantic-cache.js';
import { SemanticCacheLoader } from './semantic-cache-loader.js';
import {
  keepJsonAnswer,
  sendJsonAnswer,
  streamAnswer,
  type AnswerDeps,
  type ServedRequest,
} from './served-answer.js';
import { headroomProbes, noteQueued, waitForHeadroom } from './wait-for-headroom.js';
import { overheadHeader, RequestTiming } from './request-timing.js';
import type { SharedReceipts } from '../routing/shared-receipts.js';

export class ChatGateway {
  /** What each deployment really writes, learned from its answers (expected cost in routing). */
  readonly outputTokens = new OutputTokenStats();
  /** The upstream calls in flight, which a shutdown stops at its drain deadline (runtime.ts). */
  readonly drain: CallDrain;

  /** Calls in flight and recent latency per deployment, as this replica sees them. */
  readonly load: DeploymentLoad;
  /** What planning uses; its balancer orders a pool's members (this replica's turns and load). */
  private readonly planDeps: PlanDeps;
  /** What a served answer uses on its way out (served-answer.ts). */
  private readonly answerDeps: AnswerDeps;
  /** Loaded and built when `cache.semantic.enabled` is first seen, not before. */
  private readonly semantic: SemanticCacheLoader;

  constructor(private readonly deps: GatewayDeps) {
    this.load = deps.load ?? new DeploymentLoad(deps.clock);
    this.drain = deps.drain ?? new CallDrain();
    this.planDeps = {
      ...deps,
      pools: new PoolBalancer(this.load),
      outputTokens: this.outputTokens,
      load: this.load,
    };
    this.answerDeps = { ...deps, outputTokens: this.outputTokens };
    this.semantic = new SemanticCacheLoader({ ...deps, load: this.load });
    // A cleared cache leaves no vector pointing at its answers, here or (Redis) on any replica.
    deps.answerCache?.whenCleared(() =>
      this.semantic.clear(deps.config.current.config.cache.ttlSeconds * 1000),
    );
  }

  /**
   * The receipt of a recent routing decision, by its id or, for a caller of `tenant`, by the
   * request id of the request it routed (that tenant's requests only).
   */
  receipt(id: string, tenant?: string): DecisionReceipt | undefined {
    return (
      this.deps.decisions.get(id) ??
      (tenant !== undefined ? this.deps.decisions.forRequest(tenant, id) : undefined)
    );
  }

  /**
   * `receipt`, else another replica's (routing/shared-receipts.ts, set at start-up with shared
   * state): the receipt route's lookup behind a load balancer.
   */
  findReceipt(id: string, tenant?: string): Promise<DecisionReceipt | undefined> {
    return this.sharedReceipts
      ? this.sharedReceipts.find(id, tenant)
      : Promise.resolve(this.receipt(id, tenant));
  }

  private sharedReceipts: SharedReceipts | undefined;

  /** Where `findReceipt` asks the other replicas (runtime.ts). */
  useSharedReceipts(shared: SharedReceipts): void {
    this.sharedReceipts = shared;
  }

  /** Vectors in the semantic cache's index on this replica (undefined until it is first used). */
  semanticEntries(): number | undefined {
    return this.semantic.entries;
  }

  /**
   * Builds the semantic cache before its first request and resolves once its index holds the
   * other replicas' entries (a no-op without an answer cache).
   */
  async warmSemanticCache(): Promise<void> {
    if (this.deps.answerCache) await this.semantic.warm(this.deps.answerCache);
  }

  /** The prompt tokens of a request, as its provider or the router counts them (./count-tokens.ts). */
  countTokens(
    call: Pick<ChatCall, 'request' | 'auth' | 'native'> & { requestId?: string },
  ): Promise<{ inputTokens: number; countedBy: string; warning?: string }> {
    return countTokens({ ...this.deps, drain: this.drain }, call);
  }

  /**
   * Takes one request from the caller's key's RPM (nothing else): a route that stores something
   * (a file, a conversation, a batch) and calls no model asks for it (`keyRequest` route config).
   */
  async chargeKeyRequest(auth: AuthContext): Promise<void> {
    await this.deps.policies?.chargeKeyRequest?.(auth);
  }

  handleChat(call: ChatCall): Promise<ChatOutcome> {
    return this.handle(call, undefined) as Promise<ChatOutcome>;
  }

  /** A batch line: as handleChat, except a first choice `offer` accepts is held, not called. */
  handleBatchLine(call: ChatCall, offer: BatchForwardOffer): Promise<BatchLineOutcome> {
    return this.handle(call, offer);
  }

  private async handle(
    call: ChatCall,
    offer: BatchForwardOffer | undefined,
  ): Promise<BatchLineOutcome> {
    const record = openRecord(this.deps.clock, call, call.endpoint, call.request.stream === true);
    const timing = new RequestTiming(this.deps.clock);
    const snapshot = this.deps.config.current;
    let admit: AdmitContext | undefined;
    let semantic: SemanticLookup | undefined;
    try {
      const target = resolveTarget(snapshot, call);
      authorizeTarget(call, target);
      checkChatTarget(snapshot, target, targetNaming(call));
      // `model`'s target, then OpenRouter's `models` fallbacks, each checked as `model` is.
      const targets = fallbackTargets(snapshot, call, target);
      resolveProviderPreferences(call.request); // a malformed `provider` is a 400 before any work
      // OpenRouter's web plugin, then its middle-out (a malformed `transforms` or `plugins` is a
      // 400 here too), which fits the window of a deployment that can search when it must.
      const web = applyWebPlugin(call);
      const fitted = await applyMiddleOut(snapshot, web.call, target);
      const fitWarnings = [...web.warnings, ...fitted.warnings];
      call = fitted.call;
      if (target.kind !== 'deployment') record.router = targetName(target);
      const promptText = collectPromptText(call.request);
      const upperBound = promptTokenUpperBound(call.request, promptText);
      const promptTokens = targets.some((t) =>
        needsExactCount(snapshot, call, t.target, upperBound),
      )
        ? await countPromptTokens(call.request, call.auth.keyId ?? '')
        : estimatePromptTokens(call.request, promptText);
      record.promptTokens = promptTokens;
      // The router's count until an answer's usage replaces it (a request that fails keeps it).
      record.usageEstimated = promptTokens > 0;
      if (snapshot.config.requestLog.storeText) record.promptText = promptText;
      record.multiTurn = isMultiTurn(call.request);
      const admitCtx: AdmitContext = { call, target, promptTokens };
      if (call.carriedFilterCalls?.length) admitCtx.filterCalls = [...call.carriedFilterCalls];
      admit = admitCtx;
      const policies = this.deps.policies;
      let admitted = policies?.admit ? await policies.admit(admit) : {};
      if (fitWarnings.length)
        admitted = { ...admitted, warnings: [...(admitted.warnings ?? []), ...fitWarnings] };
      noteQueued(record, admitted);
      let request = call.request;
      let promptFilterResults: unknown[] | undefined;
      if (policies?.filterInput) {
        // The log keeps the prompt as it went upstream: redacted, or not at all when blocked.
        const kept = record.promptText;
        record.promptText = undefined;
        const filtered = await policies.filterInput(request, admit);
        request = filtered.request;
        promptFilterResults = filtered.promptFilterResults;
        if (kept !== undefined)
          record.promptText = request === call.request ? kept : collectPromptText(request);
      }
      // The client may have left while we counted tokens or ran policies: do not route for it.
      if (callStopped(call)) throw abortedCall(call.signal, []);
      const cache = this.deps.answerCache;
      // No cache for this target: no lookup and no promise (the hot path of most requests).
      const looked: AnswerLookup =
        cache &&
        snapshot.config.cache.enabled &&
        (target.kind === 'deployment' ||
          (target.kind === 'router' ? target.router.cache : target.pool.cache))
          ? await lookUpAnswer({
              cache,
              semanticCache: this.semantic,
              snapshot,
              call,
              request,
              target,
              modeOverride: admitted.modeOverride,
              promptTokens,
              record,
            })
          : {};
      const cachePlan = looked.cachePlan;
      semantic = looked.semantic;
      if (looked.hit)
        return await answerFromCache(this.deps, looked.hit, request, admit, {
          record,
          mode: looked.mode,
          headers: admitted.headers,
          warnings: looked.keyCap
            ? [...(admitted.warnings ?? []), looked.keyCap]
            : admitted.warnings,
          promptFilterResults,
          timing,
        });
      // A prompt the filter changed goes bridged: a native upstream (Responses) would get the
      // client's own body, redactions (text, attached files) undone.
      // The call itself when nothing changed (copyCall: a spread would lose its signal).
      const routed =
        request === call.request ? call : copyCall(call, { request, native: undefined });
      const route = (first: boolean) =>
        routeInTurn(this.planDeps, this.execute, snapshot, routed, targets, promptTokens, {
          mode: admitted.modeOverride,
          record,
          timing,
          offer: first ? offer : undefined,
          onPick: (pick) => policies?.narrowReservation?.(admitCtx, pick),
        });
      let routedTo: RoutedTo;
      try {
        routedTo = await route(true);
      } catch (err) {
        // A request that asked to wait (rateLimits.queue) may wait for a deployment's headroom.
        if (!admitted.patience) throw err;
        const probes = headroomProbes(this.deps, snapshot, request, promptTokens);
        routedTo = await waitForHeadroom(err, admitted, probes, () => route(false), record);
      }
      if ('held' in routedTo) {
        // Its cost is settled when the Batch API answers (forward/record-forwarded.ts), as another
        // request's: settled here for nothing, so what admission reserved on its budgets is freed.
        policies?.settle?.(admit, { costUsd: 0, status: 202, attempts: [] });
        // The filter's calls on the prompt go with the line, to its record.
        const filterCalls = admit.filterCalls?.splice(0) ?? [];
        return {
          kind: 'forward',
          line: filterCalls.length ? { ...routedTo.held, filterCalls } : routedTo.held,
        };
      }
      const { plan, result, served: servedBy } = routedTo;
      noteServed(record, plan, result);
      record.router =
        servedBy.target.kind === 'deployment' ? undefined : targetName(servedBy.target);
      if (plan.sessionKey) this.deps.affinity.remember(plan.sessionKey, result.deployment.name);
      const served: ServedRequest = {
        admit,
        record,
        timing,
        top: plan.topDeployment ?? result.deployment,
        headers: servedHeaders(
          admitted,
          plan,
          result,
          (call.request as { models?: unknown }).models != null ? routedTo : undefined,
        ),
        controls: wantsRouterControls(call) && plan.receipt ? plan.receipt : undefined,
        // An answer of a fallback is not `model`'s: it is not kept as one.
        cachePlan: servedBy === targets[0] ? cachePlan : undefined,
        semantic,
        promptFilterResults,
        storeText: snapshot.config.requestLog.storeText,
      };
      if (result.kind === 'stream') return streamAnswer(this.answerDeps, served, result);
      let response = keepJsonAnswer(this.answerDeps, served, result);
      if (policies?.filterOutput) response = await policies.filterOutput(response, admit);
      return sendJsonAnswer(this.answerDeps, served, result, response);
    } catch (err) {
      if (wasRecorded(err)) throw err; // its end recorded already (a JSON answer's client left)
      // A failed request keeps its counted prompt (estimated) and what its embedding call cost,
      // and each attempt that had the prompt when it stopped (the client left, a deadline) the
      // prompt's cost there.
      if (semantic?.usageEstimated) record.usageEstimated = true;
      const unanswered = chargeUnansweredAttempts(record);
      noteLookupCall(record, semantic?.call); // its cost counts at the embedding deployment
      // The content filter's moderation calls (a prompt it blocked, say), at their deployment.
      const filtered = noteFilterCalls(record, admit?.filterCalls);
      finishFailedRequest(
        this.deps,
        record,
        timing,
        err,
        admit,
        (semantic?.costUsd ?? 0) + unanswered + filtered,
      );
      if (err instanceof GatewayError) routingErrorHeaders(err, record);
      throw err;
    }
  }

  /**
   * Call the planned deployments in order, failing over before the first byte; each attempt goes
   * into `record.attempts`, after those of earlier rounds (a wait for headroom).
   */
  private readonly execute: ExecuteTarget = (
    snapshot,
    call,
    ordered,
    promptTokens,
    record,
    timing,
  ) =>
    executeWithFailover({
      // Stored answer text is read from every chunk, so chunks are parsed when it is kept.
      call:
        call.passThrough === true && snapshot.config.requestLog.storeText
          ? copyCall(call, { passThrough: false })
          : call,
      ordered,
      adapters: this.deps.adapters,
      breakers: this.deps.breakers,
      load: this.load,
      clock: this.deps.clock,
      policies: this.deps.policies,
      promptTokens,
      attempts: record.attempts,
      drain: this.drain,
      timing,
    });
}

/**
 * A request that was routed or called and failed still says how (as a served one does): its
 * attempts, a router's decision id to look the decision up by, and the router's overhead.
 */
function routingErrorHeaders(err: GatewayError, record: RequestRecord): void {
  const tries = record.attempts.filter((a) => !a.lookup).length; // a semantic lookup's is none
  if (tries > 0) err.headers['x-router-attempts'] = String(tries);
  if (record.decisionId) err.headers['x-router-decision-id'] = record.decisionId;
  if (record.overheadMicros !== undefined)
    err.headers['x-router-overhead-ms'] = overheadHeader(record.overheadMicros);
}

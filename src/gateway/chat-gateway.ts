// Handles one chat request end to end: resolve the target → policies → eligibility → route →
// execute with failover → respond → record. Every entry point (chat, Azure, Responses, Messages)
// joins here with a ChatRequest. What the request asks for and may use is request-target.ts;
// eligibility and the order to try deployments in, plan-route.ts; a streamed answer's tracking,
// track-stream.ts; Foundry's router controls, router-controls.ts; the
// answer cache, answer-cache.ts (looked up after policies and input filters, before routing),
// and after an exact miss the semantic cache, semantic-cache.ts (imported only once it is on); a
// hit's reply, answer-from-cache.ts; waiting for a deployment with headroom, wait-for-headroom.ts.
import { resolveMaxPrice } from './max-price.js';
import type { RouterConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ConfigHolder, RuntimeConfig } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import {
  collectPromptText,
  countPromptTokens,
  estimatePromptTokens,
  promptTokenUpperBound,
} from '../core/prompt-text.js';
import type { ProviderAdapter } from '../providers/types.js';
import { requestNeeds } from '../routing/eligibility.js';
import { OutputTokenStats } from '../routing/output-token-stats.js';
import type { DecisionReceipt, DecisionStore } from '../routing/receipt.js';
import type { Router } from '../routing/router-types.js';
import {
  newRequestRecord,
  type AttemptRecord,
  type RequestRecorder,
} from '../store/request-record.js';
import type { AnswerCache, CachePlan } from './answer-cache.js';
import { ChunkCollector } from './answer-chunks.js';
import { answerFromCache, answerText } from './answer-from-cache.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { accountUsage, usageCounts } from './cost.js';
import { countTokens } from './count-tokens.js';
import { DeploymentLoad } from './deployment-load.js';
import {
  clientClosed,
  executeWithFailover,
  type ExecutionResult,
} from './execute-with-failover.js';
import {
  targetName,
  type AdmitContext,
  type ChatCall,
  type ChatOutcome,
  type GatewayPolicies,
} from './gateway-types.js';
import {
  notePlan,
  noteServed,
  planRoute,
  servedHeaders,
  type PlanDeps,
  type RoutePlan,
} from './plan-route.js';
import { PoolBalancer } from './pool-order.js';
import {
  authorizeTarget,
  checkChatTarget,
  effectiveMode,
  needsExactCount,
  resolveTarget,
  resolveZone,
} from './request-target.js';
import { modelSelectionDetails, wantsRouterControls } from './router-controls.js';
import type { SemanticCache, SemanticCacheLog, SemanticLookup } from './semantic-cache.js';
import type { AffinityStore } from './session-affinity.js';
import { trackStream } from './track-stream.js';
import { headroomProbes, waitForHeadroom } from './wait-for-headroom.js';

export interface GatewayDeps {
  config: ConfigHolder;
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  /** The router for a router deployment (by its configured version). */
  routerFor(router: RouterConfig): Router;
  clock: Clock;
  breakers: CircuitBreakers;
  decisions: DecisionStore;
  recorder: RequestRecorder;
  affinity: AffinityStore;
  policies?: GatewayPolicies;
  /** The answer cache's store; without one `cache.enabled` has no effect. */
  answerCache?: AnswerCache;
  /** Calls in flight and recent latency per deployment (shared with the embeddings gateway). */
  load?: DeploymentLoad;
  /** Where the semantic cache says it could not embed a conversation. */
  log?: SemanticCacheLog;
}

export class ChatGateway {
  /** What each deployment really writes, learned from its answers (expected cost in routing). */
  readonly outputTokens = new OutputTokenStats();

  /** Calls in flight and recent latency per deployment, as this replica sees them. */
  readonly load: DeploymentLoad;
  /** What planning uses; its balancer orders a pool's members (this replica's turns and load). */
  private readonly planDeps: PlanDeps;
  /** Loaded and built when `cache.semantic.enabled` is first seen, not before. */
  private semantic?: Promise<SemanticCache>;
  private semanticBuilt?: SemanticCache;

  constructor(private readonly deps: GatewayDeps) {
    this.load = deps.load ?? new DeploymentLoad(deps.clock);
    this.planDeps = {
      ...deps,
      pools: new PoolBalancer(this.load),
      outputTokens: this.outputTokens,
    };
  }

  /** The receipt of a recent routing decision. */
  receipt(id: string): DecisionReceipt | undefined {
    return this.deps.decisions.get(id);
  }

  /** The prompt tokens of a request, as its provider or the router counts them (./count-tokens.ts). */
  countTokens(
    call: Pick<ChatCall, 'request' | 'auth'>,
  ): Promise<{ inputTokens: number; countedBy: string; warning?: string }> {
    return countTokens(this.deps, call);
  }

  async handleChat(call: ChatCall): Promise<ChatOutcome> {
    const started = this.deps.clock.now();
    const startedPerf = this.deps.clock.perfNow();
    const snapshot = this.deps.config.current;
    const record = newRequestRecord({
      time: started,
      requestId: call.requestId,
      endpoint: call.endpoint,
      tenant: call.auth.tenant,
      keyId: call.auth.keyId,
      endUser: call.attribution?.endUser,
      tags: call.attribution?.tags,
      stream: call.request.stream === true,
    });
    const finish = (status: number, errorCode?: string) => {
      record.status = status;
      record.errorCode = errorCode;
      record.latencyMs = this.deps.clock.perfNow() - startedPerf;
      this.deps.recorder.record(record);
    };
    let admit: AdmitContext | undefined;
    let semantic: SemanticLookup | undefined;
    try {
      const target = resolveTarget(snapshot, call);
      authorizeTarget(call, target);
      checkChatTarget(snapshot, target);
      if (target.kind !== 'deployment') record.router = targetName(target);
      const promptText = collectPromptText(call.request);
      const promptTokens = needsExactCount(
        snapshot,
        call,
        target,
        promptTokenUpperBound(call.request, promptText),
      )
        ? await countPromptTokens(call.request, call.auth.keyId ?? '')
        : estimatePromptTokens(call.request, promptText);
      record.promptTokens = promptTokens;
      if (snapshot.config.requestLog.storeText) record.promptText = promptText;
      admit = { call, target, promptTokens };
      const policies = this.deps.policies;
      const admitted = policies?.admit ? await policies.admit(admit) : {};
      let request = call.request;
      let promptFilterResults: unknown[] | undefined;
      if (policies?.filterInput) {
        const filtered = await policies.filterInput(request, admit);
        request = filtered.request;
        promptFilterResults = filtered.promptFilterResults;
      }
      // The client may have left while we counted tokens or ran policies: do not route for it.
      if (call.signal.aborted) throw clientClosed([]);
      let cachePlan: CachePlan | undefined;
      const cache = this.deps.answerCache;
      if (
        cache &&
        snapshot.config.cache.enabled &&
        (target.kind === 'deployment' ||
          (target.kind === 'router' ? target.router.cache : target.pool.cache))
      ) {
        const zone = resolveZone(call, target);
        const mode =
          target.kind === 'router'
            ? effectiveMode(call, target.router, admitted.modeOverride)
            : undefined;
        cachePlan = cache.plan(snapshot.config.cache, call, request, target, mode, zone);
        record.cache = cachePlan.read || cachePlan.write ? 'miss' : 'bypass';
        const needs = requestNeeds(request, promptTokens, {
          ...zone,
          maxPrice: resolveMaxPrice(call),
        });
        let hit = await cache.lookup(cachePlan, snapshot, call, target, needs);
        // Off (the default): one property read, nothing imported or allocated.
        if (!hit && cachePlan.read && snapshot.config.cache.semantic.enabled) {
          semantic = await (
            await this.semanticCache(cache)
          ).lookup({ snapshot, plan: cachePlan, call, request, target, mode, zone, needs });
          hit = semantic?.hit;
          // Spent whatever happens next (account() adds the answer's cost to it).
          record.costUsd = semantic?.costUsd ?? 0;
        }
        if (hit)
          return await answerFromCache(this.deps, hit, request, admit, {
            record,
            mode,
            headers: admitted.headers,
            warnings: admitted.warnings,
            promptFilterResults,
            startedPerf,
            finish,
          });
      }
      const routed = { ...call, request };
      const mode = admitted.modeOverride;
      let plan: RoutePlan;
      let result: ExecutionResult;
      try {
        plan = planRoute(this.planDeps, snapshot, routed, target, promptTokens, mode);
        notePlan(record, plan);
        result = await this.execute(snapshot, routed, plan.ordered, promptTokens);
      } catch (err) {
        // A request that asked to wait (rateLimits.queue) may wait for a deployment's headroom.
        if (!admitted.patience) throw err;
        const probes = headroomProbes(this.deps, snapshot, request, promptTokens);
        ({ plan, result } = await waitForHeadroom(err, admitted, probes, async () => {
          const again = planRoute(this.planDeps, snapshot, routed, target, promptTokens, mode);
          notePlan(record, again);
          const served = await this.execute(snapshot, routed, again.ordered, promptTokens);
          return { plan: again, result: served };
        }));
      }
      noteServed(record, plan, result);
      if (plan.sessionKey) this.deps.affinity.remember(plan.sessionKey, result.deployment.name);
      const headers = servedHeaders(admitted, plan, result);
      const top = plan.topDeployment ?? result.deployment;
      const controls = wantsRouterControls(call) && plan.receipt ? plan.receipt : undefined;

      if (result.kind === 'json') {
        let response = result.response;
        record.servedModel = response.model;
        headers['x-router-model'] = response.model;
        accountUsage(
          record,
          result.deployment,
          top,
          usageCounts(response.usage),
          semantic?.costUsd,
        );
        // Kept as the upstream answered, before filters annotate it (they run again on a hit).
        if (cachePlan) {
          headers['x-router-cache'] = record.cache ?? 'miss';
          const kept = this.deps.answerCache?.keep(cachePlan, {
            deployment: result.deployment.name,
            baselineCostUsd: record.baselineCostUsd,
            response,
          });
          if (kept) semantic?.remember();
        }
        if (promptFilterResults && !response.prompt_filter_results)
          response.prompt_filter_results = promptFilterResults;
        if (policies?.filterOutput) response = await policies.filterOutput(response, admit);
        if (controls) response.model_selection_details = modelSelectionDetails(controls);
        if (response.usage)
          this.outputTokens.observe(result.deployment.name, record.completionTokens);
        if (snapshot.config.requestLog.storeText) record.answerText = answerText(response);
        policies?.settle?.(admit, {
          deployment: result.deployment,
          usage: response.usage ?? undefined,
          costUsd: record.costUsd,
          status: 200,
        });
        finish(200);
        return { kind: 'json', response, headers };
      }

      record.servedModel = result.model;
      headers['x-router-model'] = result.model;
      record.ttftMs = result.firstChunkAt - startedPerf;
      if (cachePlan) headers['x-router-cache'] = record.cache ?? 'miss';
      const collector = cachePlan?.write ? new ChunkCollector() : undefined;
      const admitCtx = admit;
      const semanticCtx = semantic;
      const stream = trackStream(result, call, {
        promptFilterResults,
        controls,
        storeText: snapshot.config.requestLog.storeText,
        collector,
        onEnd: ({ status, errorCode, usage, text }) => {
          accountUsage(
            record,
            result.deployment,
            top,
            usage ?? {
              promptTokens: record.promptTokens,
              cachedTokens: 0,
              completionTokens: 0,
              reasoningTokens: 0,
            },
            semanticCtx?.costUsd,
          );
          if (usage && status === 200)
            this.outputTokens.observe(result.deployment.name, usage.completionTokens);
          const whole = status === 200 ? collector?.response() : undefined;
          if (
            cachePlan &&
            whole &&
            this.deps.answerCache?.keep(cachePlan, {
              deployment: result.deployment.name,
              baselineCostUsd: record.baselineCostUsd,
              response: whole,
            })
          )
            semanticCtx?.remember();
          if (text !== undefined) record.answerText = text;
          policies?.settle?.(admitCtx, {
            deployment: result.deployment,
            // The stream's usage, as accounted: TPM limits are corrected with real tokens here too.
            usage: {
              prompt_tokens: record.promptTokens,
              completion_tokens: record.completionTokens,
              total_tokens: record.promptTokens + record.completionTokens,
            },
            costUsd: record.costUsd,
            status,
          });
          finish(status, errorCode);
        },
      });
      const chunks = policies?.filterStream ? policies.filterStream(stream, admit) : stream;
      return { kind: 'stream', chunks, headers };
    } catch (err) {
      const e = err instanceof GatewayError ? err : undefined;
      if (
        e &&
        record.attempts.length === 0 &&
        (e.details?.attempts as AttemptRecord[] | undefined)
      ) {
        record.attempts = e.details?.attempts as AttemptRecord[];
      }
      // The embedding call of a semantic lookup was paid for, whatever became of the request.
      if (admit)
        this.deps.policies?.settle?.(admit, {
          costUsd: semantic?.costUsd ?? 0,
          status: e?.status ?? 500,
        });
      finish(e?.status ?? 500, e?.code ?? 'internal_error');
      throw err;
    }
  }

  /** Call the planned deployments in order, failing over before the first byte. */
  private execute(
    snapshot: RuntimeConfig,
    call: ChatCall,
    ordered: DeploymentConfig[],
    promptTokens: number,
  ): Promise<ExecutionResult> {
    return executeWithFailover({
      // Stored answer text is read from every chunk, so chunks are parsed when it is kept.
      call: {
        ...call,
        passThrough: call.passThrough === true && !snapshot.config.requestLog.storeText,
      },
      ordered,
      adapters: this.deps.adapters,
      breakers: this.deps.breakers,
      load: this.load,
      clock: this.deps.clock,
      policies: this.deps.policies,
      promptTokens,
    });
  }

  /** Vectors in the semantic cache's index on this replica (undefined until it is first used). */
  semanticEntries(): number | undefined {
    return this.semanticBuilt?.entries;
  }

  /** The semantic cache, imported and built on first use. */
  private semanticCache(answerCache: AnswerCache): Promise<SemanticCache> {
    return (this.semantic ??= import('./semantic-cache.js')
      .then(
        ({ SemanticCache }) =>
          new SemanticCache({
            config: this.deps.config,
            adapters: this.deps.adapters,
            breakers: this.deps.breakers,
            clock: this.deps.clock,
            load: this.load,
            answerCache,
            policies: this.deps.policies,
            log: this.deps.log,
          }),
      )
      .then((built) => (this.semanticBuilt = built)));
  }
}

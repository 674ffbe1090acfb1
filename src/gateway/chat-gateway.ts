// Handles one chat request end to end: resolve the target → policies → eligibility → route →
// execute with failover → respond → record. Every entry point (chat, Azure, Responses, Messages)
// joins here with a ChatRequest.
import { OutputTokenStats } from '../routing/output-token-stats.js';
import type { DeploymentConfig, RouterConfig, RoutingMode } from '../config/schema.js';
import type { ConfigHolder, RuntimeConfig } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import { GatewayError, invalidRequest, forbidden } from '../core/errors.js';
import { newId } from '../core/ids.js';
import {
  collectPromptText,
  countPromptTokens,
  estimatePromptTokens,
  promptTokenUpperBound,
  requestedOutputTokens,
} from '../core/prompt-text.js';
import type { ChatChunk, ChatResponse } from '../core/wire-types.js';
import {
  checkEligibility,
  describeExclusions,
  requestNeeds,
  type CandidateEligibility,
} from '../routing/eligibility.js';
import {
  buildReceipt,
  type DecisionReceipt,
  type DecisionStore,
  type StoredReceipt,
} from '../routing/receipt.js';
import type { Router, RoutingDecision } from '../routing/router-types.js';
import type { AttemptRecord, RequestRecord, RequestRecorder } from '../store/request-record.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { baselineCostUsd, costUsd, usageCounts, type UsageCounts } from './cost.js';
import {
  clientClosed,
  executeWithFailover,
  type ExecutionResult,
} from './execute-with-failover.js';
import type {
  AdmitContext,
  ChatCall,
  ChatOutcome,
  GatewayPolicies,
  Target,
} from './gateway-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import { resolveSessionAffinity, type AffinityStore } from './session-affinity.js';

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
}

const MODE_RANK: Record<RoutingMode, number> = { cost: 0, balanced: 1, quality: 2 };
const ZONE_HEADER = 'x-router-data-zone';
const REGIONS_HEADER = 'x-router-regions';
const MODE_HEADER = 'x-router-mode';

/** How long a provider's own token count may take before the router counts instead. */
const COUNT_TIMEOUT_MS = 10_000;

export class ChatGateway {
  /** What each deployment really writes, learned from its answers (expected cost in routing). */
  readonly outputTokens = new OutputTokenStats();

  constructor(private readonly deps: GatewayDeps) {}

  /** The receipt of a recent routing decision. */
  receipt(id: string): DecisionReceipt | undefined {
    return this.deps.decisions.get(id);
  }

  /**
   * The prompt tokens of a request, for a model or router deployment the caller may use (404 /
   * 403 otherwise). A deployment whose provider counts (Anthropic) is asked, with the request as
   * it would be sent; otherwise, or if the provider cannot answer, the router's exact count, the one
   * it checks context windows with (o200k BPE: message texts, the chat format's per-message
   * overhead, tool schemas; images count nothing). `countedBy` says which; `warning` why not.
   */
  async countTokens(
    call: Pick<ChatCall, 'request' | 'auth'>,
  ): Promise<{ inputTokens: number; countedBy: string; warning?: string }> {
    const target = resolveTarget(this.deps.config.current, call as ChatCall);
    authorizeTarget(call as ChatCall, target);
    let warning: string | undefined;
    if (target.kind === 'deployment') {
      const d = target.deployment;
      const adapter = this.deps.adapters.adapterFor(d);
      if (adapter.countTokens)
        try {
          return {
            inputTokens: await adapter.countTokens({
              deployment: d,
              body: { ...call.request, model: d.model },
              signal: AbortSignal.timeout(COUNT_TIMEOUT_MS),
            }),
            countedBy: d.name,
          };
        } catch (err) {
          warning = `${d.name} could not count (${(err as Error).message.replace(/[^\x20-\x7e]/g, ' ')}); this is the router's own count`;
        }
    }
    return {
      inputTokens: await countPromptTokens(call.request, call.auth.keyId ?? ''),
      countedBy: 'router',
      ...(warning ? { warning } : {}),
    };
  }

  async handleChat(call: ChatCall): Promise<ChatOutcome> {
    const started = this.deps.clock.now();
    const startedPerf = this.deps.clock.perfNow();
    const snapshot = this.deps.config.current;
    const record: RequestRecord = {
      time: started,
      requestId: call.requestId,
      endpoint: call.endpoint,
      tenant: call.auth.tenant,
      keyId: call.auth.keyId,
      attempts: [],
      stream: call.request.stream === true,
      promptTokens: 0,
      cachedTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
      costUsd: 0,
      baselineCostUsd: 0,
      latencyMs: 0,
      status: 200,
    };
    const finish = (status: number, errorCode?: string) => {
      record.status = status;
      record.errorCode = errorCode;
      record.latencyMs = this.deps.clock.perfNow() - startedPerf;
      this.deps.recorder.record(record);
    };
    let admit: AdmitContext | undefined;
    try {
      const target = resolveTarget(snapshot, call);
      authorizeTarget(call, target);
      if (target.kind === 'router') record.router = target.router.name;
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
      const plan = this.plan(
        snapshot,
        { ...call, request },
        target,
        promptTokens,
        admitted.modeOverride,
      );
      record.routingMode = plan.mode;
      record.routerVersion = plan.decision?.version;
      record.decisionId = plan.receipt?.id;
      record.routingMicros = plan.routingMicros;
      record.dataZone = plan.zone;

      const result = await executeWithFailover({
        // Stored answer text is read from every chunk, so chunks are parsed when it is kept.
        call: {
          ...call,
          request,
          passThrough: call.passThrough === true && !snapshot.config.requestLog.storeText,
        },
        ordered: plan.ordered,
        adapters: this.deps.adapters,
        breakers: this.deps.breakers,
        clock: this.deps.clock,
        policies,
        promptTokens,
      });
      record.attempts = result.attempts;
      if (plan.receipt) {
        plan.receipt.attempts = result.attempts;
        plan.receipt.servedBy = result.deployment.name;
      }
      if (plan.sessionKey) this.deps.affinity.remember(plan.sessionKey, result.deployment.name);
      record.deployment = result.deployment.name;
      record.region = result.deployment.region;
      record.dataZone = result.deployment.dataZone;

      const headers: Record<string, string> = {
        ...(admitted.headers ?? {}),
        'x-router-deployment': result.deployment.name,
        'x-router-region': result.deployment.region,
        'x-router-attempts': String(result.attempts.length),
      };
      const warnings = [...(admitted.warnings ?? []), ...result.warnings];
      if (warnings.length) headers['x-router-warnings'] = warnings.join('; ');
      if (plan.decision && plan.receipt) {
        headers['x-router-decision-id'] = plan.receipt.id;
        headers['x-router-mode'] = plan.decision.mode;
        headers['x-router-version'] = plan.decision.version;
      }
      const top = plan.topDeployment ?? result.deployment;
      const controls = wantsRouterControls(call) && plan.receipt ? plan.receipt : undefined;

      if (result.kind === 'json') {
        let response = result.response;
        record.servedModel = response.model;
        headers['x-router-model'] = response.model;
        if (promptFilterResults && !response.prompt_filter_results)
          response.prompt_filter_results = promptFilterResults;
        if (policies?.filterOutput) response = await policies.filterOutput(response, admit);
        if (controls) response.model_selection_details = modelSelectionDetails(controls);
        this.account(record, result.deployment, top, usageCounts(response.usage));
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
      const admitCtx = admit;
      const stream = this.trackStream(result, call, record, {
        top,
        promptFilterResults,
        controls,
        storeText: snapshot.config.requestLog.storeText,
        onEnd: (status, errorCode) => {
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
      if (admit) this.deps.policies?.settle?.(admit, { costUsd: 0, status: e?.status ?? 500 });
      finish(e?.status ?? 500, e?.code ?? 'internal_error');
      throw err;
    }
  }

  private plan(
    snapshot: RuntimeConfig,
    call: ChatCall,
    target: Target,
    promptTokens: number,
    modeOverride: RoutingMode | undefined,
  ): Plan {
    const zone = resolveZone(call, target);
    const needs = requestNeeds(call.request, promptTokens, zone);
    const policies = this.deps.policies;
    const probes = {
      circuitAllows: (name: string) => this.deps.breakers.allows(name),
      hasHeadroom: policies?.hasHeadroom?.bind(policies),
      keyAllows: (name: string) => keyAllowsDeployment(call, target, name),
    };
    if (target.kind === 'deployment') {
      const { eligible, checks } = checkEligibility([target.deployment], needs, probes);
      if (eligible.length === 0) throw noEligibleDeployment(checks, target.deployment.name);
      return { ordered: eligible, mode: undefined, zone: zone.dataZone };
    }
    const router = target.router;
    const routingStart = this.deps.clock.perfNow();
    const subset = router.modelSubset
      .map((name) => snapshot.deployments.get(name))
      .filter((d): d is DeploymentConfig => d !== undefined);
    const { eligible, checks } = checkEligibility(subset, needs, probes);
    if (eligible.length === 0) throw noEligibleDeployment(checks, router.name);
    const mode = effectiveMode(call, router, modeOverride);
    const decision = this.deps.routerFor(router).decide({
      request: call.request,
      router,
      mode,
      candidates: eligible,
      promptTokens,
      outputTokens: this.outputTokens,
    });
    const affinity = resolveSessionAffinity(call, decision, eligible, this.deps.affinity);
    const orderedNames = affinity.ordered;
    const byName = new Map(eligible.map((d) => [d.name, d]));
    const ordered = orderedNames
      .map((n) => byName.get(n))
      .filter((d): d is DeploymentConfig => d !== undefined);
    const routingMicros = (this.deps.clock.perfNow() - routingStart) * 1000;
    const receipt = buildReceipt({
      id: newId('dec_'),
      time: this.deps.clock.now(),
      requestId: call.requestId,
      router: router.name,
      decision: { ...decision, ordered: orderedNames },
      checks,
      sessionAffinity: affinity.receipt,
    });
    this.deps.decisions.put(receipt);
    return {
      ordered,
      mode,
      decision,
      receipt,
      routingMicros,
      zone: zone.dataZone,
      sessionKey: affinity.sessionKey,
      topDeployment: snapshot.deployments.get(decision.topDeployment),
    };
  }

  private account(
    record: RequestRecord,
    served: DeploymentConfig,
    top: DeploymentConfig,
    usage: UsageCounts,
  ): void {
    record.promptTokens = usage.promptTokens || record.promptTokens;
    record.cachedTokens = usage.cachedTokens;
    record.completionTokens = usage.completionTokens;
    record.reasoningTokens = usage.reasoningTokens;
    const counted = { ...usage, promptTokens: record.promptTokens };
    record.costUsd = costUsd(served, counted);
    record.baselineCostUsd = baselineCostUsd(top, counted);
  }

  /**
   * Wraps the upstream stream: yields the peeked first chunk, then the rest; drops the usage
   * chunk the client did not ask for; accounts usage at the end; records once however it ends.
   */
  private async *trackStream(
    result: Extract<ExecutionResult, { kind: 'stream' }>,
    call: ChatCall,
    record: RequestRecord,
    opts: {
      top: DeploymentConfig;
      promptFilterResults?: unknown[];
      controls?: StoredReceipt;
      storeText: boolean;
      onEnd(status: number, errorCode?: string): void;
    },
  ): AsyncGenerator<ChatChunk> {
    const clientWantsUsage = call.request.stream_options?.include_usage === true;
    let usage: UsageCounts | undefined;
    let text = '';
    let status = 200;
    let errorCode: string | undefined;
    let first = true;
    let completed = false;
    try {
      let chunk = result.first;
      while (chunk) {
        if (chunk.usage) usage = usageCounts(chunk.usage);
        if (first) {
          first = false;
          if (opts.promptFilterResults && !chunk.prompt_filter_results)
            chunk.prompt_filter_results = opts.promptFilterResults;
          if (opts.controls) chunk.model_selection_details = modelSelectionDetails(opts.controls);
        }
        if (opts.storeText) for (const c of chunk.choices) text += c.delta?.content ?? '';
        // A usage-only chunk the client did not ask for is dropped; usage is kept for accounting.
        const usageOnly =
          chunk.choices.length === 0 && !!chunk.usage && !chunk.prompt_filter_results;
        if (clientWantsUsage || !usageOnly) {
          if (!clientWantsUsage && 'usage' in chunk) delete (chunk as { usage?: unknown }).usage;
          yield chunk;
        }
        const r = await result.next();
        chunk = r.done ? undefined : r.value;
      }
      completed = true;
    } catch (err) {
      status = err instanceof GatewayError ? err.status : 502;
      errorCode = err instanceof GatewayError ? (err.code ?? 'upstream_error') : 'stream_error';
      throw err;
    } finally {
      result.end(completed);
      // A client that left is its 499, whether the stream then stopped quietly or the upstream
      // read it aborted failed (that failure is not the deployment's: as a 502 it showed in the
      // deployment's error rate).
      if (call.signal.aborted) {
        status = 499;
        errorCode = 'client_closed_request';
      }
      this.account(
        record,
        result.deployment,
        opts.top,
        usage ?? {
          promptTokens: record.promptTokens,
          cachedTokens: 0,
          completionTokens: 0,
          reasoningTokens: 0,
        },
      );
      if (usage && status === 200)
        this.outputTokens.observe(result.deployment.name, usage.completionTokens);
      if (opts.storeText) record.answerText = text;
      opts.onEnd(status, errorCode);
    }
  }
}

interface Plan {
  ordered: DeploymentConfig[];
  mode: RoutingMode | undefined;
  decision?: RoutingDecision;
  receipt?: StoredReceipt;
  routingMicros?: number;
  zone?: string;
  sessionKey?: string;
  topDeployment?: DeploymentConfig;
}

function resolveTarget(snapshot: RuntimeConfig, call: ChatCall): Target {
  const name = call.deploymentFromPath ?? call.request.model;
  const router = snapshot.routers.get(name);
  if (router) return { kind: 'router', router };
  const deployment = snapshot.deployments.get(name);
  if (deployment) return { kind: 'deployment', deployment };
  throw new GatewayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'DeploymentNotFound',
    param: call.deploymentFromPath ? null : 'model',
    message: `The model or deployment "${name}" does not exist. GET /v1/models lists the router deployments and deployments you can use.`,
  });
}

/**
 * Exact token counts cost CPU (≈0.7 ms for a new 2k-token message of real text, half of all the
 * router's CPU for such a request) and the tokenizer's memory. They are needed only when the
 * prompt could come near a context window (a token is at least one byte). TPM limits are charged
 * the estimate up front, as Azure does, and settled with the upstream's usage afterwards.
 */
function needsExactCount(
  snapshot: RuntimeConfig,
  call: ChatCall,
  target: Target,
  upperBound: number,
): boolean {
  const total = upperBound + requestedOutputTokens(call.request);
  if (target.kind === 'deployment') return total > target.deployment.contextWindow;
  for (const name of target.router.modelSubset) {
    const d = snapshot.deployments.get(name);
    if (d && total > d.contextWindow) return true;
  }
  return false;
}

function scopeAllows(scopes: readonly string[], name: string): boolean {
  return scopes.includes('*') || scopes.includes(name);
}

function authorizeTarget(call: ChatCall, target: Target): void {
  const name = target.kind === 'router' ? target.router.name : target.deployment.name;
  if (!scopeAllows(call.auth.scopes, name)) throw forbidden(`This API key may not use "${name}".`);
}

/** A key scoped to a router may use that router's subset through it, narrowed by its own subset. */
function keyAllowsDeployment(call: ChatCall, target: Target, name: string): boolean {
  const subset = call.auth.modelSubset;
  if (subset && !subset.includes(name)) return false;
  return target.kind === 'router' || scopeAllows(call.auth.scopes, name);
}

function headerValue(call: ChatCall, name: string): string | undefined {
  const v = call.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Router zone, narrowed (never widened) by the request's `x-router-data-zone` header. */
function resolveZone(
  call: ChatCall,
  target: Target,
): { dataZone?: string; regions?: ReadonlySet<string> } {
  const routerZone =
    target.kind === 'router' && target.router.deploymentType === 'DataZoneStandard'
      ? target.router.dataZone
      : undefined;
  const asked = headerValue(call, ZONE_HEADER)?.trim().toLowerCase();
  let dataZone = routerZone;
  if (asked) {
    if (routerZone && asked !== routerZone.toLowerCase()) {
      throw invalidRequest(
        `${ZONE_HEADER}: "${asked}" would widen the data zone of router "${(target as { router: RouterConfig }).router.name}", which is "${routerZone}"; a request may only narrow its zone.`,
        ZONE_HEADER,
        'data_zone_not_allowed',
      );
    }
    dataZone = routerZone ?? asked;
  }
  const regionsRaw = headerValue(call, REGIONS_HEADER);
  const regions = regionsRaw
    ? new Set(
        regionsRaw
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      )
    : undefined;
  return { dataZone, regions };
}

/** The mode used: router default, client header (capped by the key's ceiling), budget override. */
function effectiveMode(
  call: ChatCall,
  router: RouterConfig,
  override: RoutingMode | undefined,
): RoutingMode {
  let mode: RoutingMode = router.routingMode;
  const asked = headerValue(call, MODE_HEADER)?.toLowerCase();
  if (asked) {
    if (asked !== 'balanced' && asked !== 'quality' && asked !== 'cost')
      throw invalidRequest(
        `${MODE_HEADER} must be one of balanced, quality, cost (got "${asked}").`,
        MODE_HEADER,
      );
    mode = asked;
  }
  const ceiling = call.auth.maxRoutingMode;
  if (ceiling && MODE_RANK[mode] > MODE_RANK[ceiling]) mode = ceiling;
  if (override && MODE_RANK[override] < MODE_RANK[mode]) mode = override;
  return mode;
}

function noEligibleDeployment(checks: CandidateEligibility[], name: string): GatewayError {
  const rules = new Set(checks.flatMap((c) => c.failed));
  const detail = describeExclusions(checks);
  const onlyLimits = [...rules].every((r) => r === 'rate_limit' || r === 'circuit_open');
  if (onlyLimits && rules.has('rate_limit')) {
    return new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: `No deployment of "${name}" has rate-limit headroom: ${detail}`,
      headers: { 'retry-after': '1' },
      details: { exclusions: checks },
    });
  }
  if (onlyLimits) {
    return new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'no_healthy_deployment',
      message: `No healthy deployment of "${name}" is available right now: ${detail}`,
      headers: { 'retry-after': '5' },
      details: { exclusions: checks },
    });
  }
  const contextOnly = [...rules].every(
    (r) =>
      r === 'context_window' ||
      r === 'max_output_tokens' ||
      r === 'circuit_open' ||
      r === 'rate_limit',
  );
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: contextOnly ? 'context_length_exceeded' : 'no_eligible_deployment',
    param: contextOnly ? 'messages' : null,
    message: `No deployment of "${name}" can serve this request: ${detail}`,
    details: { exclusions: checks },
  });
}

/** Foundry preview controls: `Foundry-Features: ModelRouterControls=V1Preview`. */
export function wantsRouterControls(call: ChatCall): boolean {
  const v = headerValue(call, 'foundry-features');
  return v !== undefined && v.includes('ModelRouterControls=V1Preview');
}

function modelSelectionDetails(receipt: StoredReceipt): Record<string, unknown> {
  return {
    model_router_details: {
      decision_id: receipt.id,
      routing_mode: receipt.mode,
      router_version: receipt.version,
      selected_deployment: receipt.servedBy ?? receipt.pick,
      reason: receipt.reason,
      routing_trace: receipt.attempts.map((a) => ({
        deployment: a.deployment,
        model: a.model,
        status: a.outcome,
        http_status: a.httpStatus ?? null,
        error: a.errorCode ?? null,
        latency_ms: Math.round(a.latencyMs * 1000) / 1000,
      })),
      session_affinity: receipt.sessionAffinity
        ? {
            strategy: receipt.sessionAffinity.strategy,
            session_id: receipt.sessionAffinity.sessionId ?? null,
            decision: receipt.sessionAffinity.outcome,
            previous_deployment: receipt.sessionAffinity.previousDeployment ?? null,
          }
        : null,
    },
  };
}

function answerText(response: ChatResponse): string {
  return response.choices.map((c) => c.message?.content ?? '').join('\n');
}

export { MODE_RANK };

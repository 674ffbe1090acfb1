// `/v1/moderations`: a moderation model (`kind: moderation`) or a pool of them called by name
// (the request's `model`, else `moderations.defaultModel`), not routed. Governed as embeddings
// are: key scope and subset, key and deployment rate limits (TPM charged the texts' estimate; a
// moderation reply reports no usage), budgets, the deployment's circuit breaker, cool-downs and
// timeout, failover within a pool (named-failover.ts), and one request-log record (endpoint
// `moderations`; its cost 0 unless the deployment has prices: OpenAI's moderation is free). The
// content filter does not run here: its input is what the client wants classified, harmful or not.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { invalidRequest } from '../core/errors.js';
import { estimateModerationTokens, moderationItems } from '../core/moderation-input.js';
import type { ChatRequest, ModerationRequest, ModerationResponse } from '../core/wire-types.js';
import type { FilterCallSink } from '../policy/filters/filter-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import { newRequestRecord } from '../store/request-record.js';
import { newId } from '../core/ids.js';
import { inputCostUsd } from './cost.js';
import { finishRecord, openRecord } from './finish-record.js';
import { targetMembers, type AdmitContext, type ChatCall, type Target } from './gateway-types.js';
import {
  callOrWait,
  callWithFailover,
  chargeUnansweredCalls,
  finishFailedNamedRequest,
  servedHeaders,
  type NamedAttempt,
  type NamedFailoverDeps,
  type NamedGatewayDeps,
  namedFailoverDeps,
} from './named-failover.js';
import { resolveNamedModel } from './request-target.js';
import { trackedCall } from './tracked-call.js';
import { noteQueued } from './wait-for-headroom.js';

/** What an adapter's `moderate` answers: the response and the upstream's headers. */
type ModerateReply = Awaited<ReturnType<NonNullable<ProviderAdapter['moderate']>>>;

/** OpenAI's default moderation model: what a request naming none gets, unless configured. */
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';

/** The gateway's parts, shared with the other gateways (breakers, load, policies, recorder). */
export type ModerationsDeps = NamedGatewayDeps;

/** A moderation request; `model` empty when the client named none. */
export type ModerationsCall = Omit<
  ChatCall,
  'request' | 'endpoint' | 'native' | 'passThrough' | 'deploymentFromPath'
> & { request: ModerationRequest };

export class ModerationsGateway {
  /** The upstream calls' parts; its pool balancer's turns, load and latency are this replica's. */
  private readonly failover: NamedFailoverDeps;

  constructor(private readonly deps: ModerationsDeps) {
    this.failover = namedFailoverDeps(deps);
  }

  async handle(
    call: ModerationsCall,
  ): Promise<{ response: ModerationResponse; headers: Record<string, string> }> {
    const snapshot = this.deps.config.current;
    const startedPerf = this.deps.clock.perfNow();
    const record = openRecord(this.deps.clock, call, 'moderations', false);
    const items = moderationItems(call.request.input);
    const model =
      call.request.model || (snapshot.config.moderations.defaultModel ?? DEFAULT_MODERATION_MODEL);
    // The governance hooks speak chat: they see the caller and the texts as user messages.
    const asChat: ChatCall = {
      ...call,
      endpoint: 'moderations',
      request: {
        model,
        messages: items.flatMap((i) => i.texts).map((content) => ({ role: 'user', content })),
      } as ChatRequest,
    };
    const policies = this.deps.policies;
    let admit: AdmitContext | undefined;
    let estimate = 0;
    try {
      const named = this.resolve(asChat, model, !call.request.model);
      const { target, name } = named;
      if (target.kind === 'pool') record.router = name;
      const allowed = this.readersOf(named.allowed, name, items);
      estimate = estimateModerationTokens(items);
      admit = { call: asChat, target, promptTokens: estimate };
      const admitted = policies?.admit ? await policies.admit(admit) : {};
      noteQueued(record, admitted);
      const sent = estimate;
      // A call that timed out or was stopped with the texts: charged them, where they are priced.
      const members = {
        target,
        allowed,
        sentEstimate: sent,
        inputCostUsd: (d: DeploymentConfig) => inputCostUsd(d, sent),
      };
      const run = () => callWithFailover(this.failover, call, members, record, this.attempt(call));
      const { d, served } = await callOrWait(
        this.failover,
        snapshot.deployments,
        admitted,
        estimate,
        record,
        run,
      );
      const response = served.response;
      record.servedModel = response.model;
      // Moderation replies report no usage: the texts' estimate is all there is.
      record.promptTokens = estimate;
      record.usageEstimated = estimate > 0;
      // Called by name, not routed: what it cost is the baseline (no savings claimed).
      record.costUsd = inputCostUsd(d, estimate);
      record.baselineCostUsd = record.costUsd;
      chargeUnansweredCalls(record, estimate); // members tried before it, timed out
      policies?.settle?.(admit, {
        deployment: d,
        usage: { prompt_tokens: estimate, completion_tokens: 0, total_tokens: estimate },
        costUsd: record.costUsd,
        status: 200,
        attempts: record.attempts,
      });
      finishRecord(this.deps, record, startedPerf, 200);
      return {
        response,
        headers: servedHeaders(admitted, served.headers, d, response.model, record),
      };
    } catch (err) {
      finishFailedNamedRequest(this.deps, record, startedPerf, err, admit, estimate);
      throw err;
    }
  }

  /**
   * The router's own call to a moderation deployment or pool by name (the content filter's
   * `moderationDeployment`): with failover, breakers and the deployment's rate limit, but no
   * key, no budget and no request-log record of its own. Each upstream call it made, answered or
   * not, is told to `onCall` (`lookup: 'content_filter'`), charged the text at that deployment's
   * input price where it had it (answered, timed out, stopped), for the record of the request it
   * was made for (cost.ts noteFilterCalls). Throws a GatewayError when none answers.
   */
  async classify(
    name: string,
    text: string,
    signal: AbortSignal,
    onCall?: FilterCallSink,
  ): Promise<ModerationResponse> {
    const snapshot = this.deps.config.current;
    const pool = snapshot.pools.get(name);
    const deployment = snapshot.deployments.get(name);
    // The config's check keeps the name known; a GatewayError all the same if it is not.
    if (!pool && !deployment) throw invalidRequest(`No moderation model is named "${name}".`);
    const target: Target = pool
      ? { kind: 'pool', pool }
      : { kind: 'deployment', deployment: deployment! };
    const allowed = targetMembers(target)
      .map((n) => snapshot.deployments.get(n))
      .filter((m): m is DeploymentConfig => m?.kind === 'moderation');
    const call = { signal, requestId: newId('req_'), request: { model: name, input: text } };
    // Its attempts feed the breakers and go to `onCall`; the record itself is never written.
    const scratch = newRequestRecord({
      time: this.deps.clock.now(),
      requestId: call.requestId,
      endpoint: 'moderations',
      stream: false,
    });
    const sent = estimateModerationTokens(moderationItems(text));
    const members = {
      target,
      allowed,
      sentEstimate: sent,
      inputCostUsd: (d: DeploymentConfig) => inputCostUsd(d, sent),
    };
    try {
      const { d, served } = await callWithFailover(
        this.failover,
        call,
        members,
        scratch,
        this.attempt(call),
      );
      // The call that answered: the text at its input price (a moderation reply has no usage).
      const answered = scratch.attempts.at(-1);
      const costUsd = inputCostUsd(d, sent);
      if (answered && costUsd > 0) answered.costUsd = costUsd;
      return served.response;
    } finally {
      if (onCall)
        for (const a of scratch.attempts)
          if (a.outcome !== 'skipped') onCall({ ...a, lookup: 'content_filter' });
    }
  }

  /** One call of `call.request` to a member (callWithFailover's attempt). */
  private attempt(
    call: Pick<ModerationsCall, 'request' | 'requestId'>,
  ): NamedAttempt<ModerateReply> {
    return async (d, adapter, signal, t0) => {
      if (!adapter.moderate)
        throw invalidRequest(`${d.name}'s provider serves no moderations.`, 'model');
      const reply = await trackedCall(this.failover, d.name, t0, () =>
        adapter.moderate!({
          deployment: d,
          body: { ...call.request, model: d.model },
          signal,
          requestId: call.requestId,
        }),
      );
      return { served: reply, model: reply.response.model };
    };
  }

  /** The target `model` names; with none named and no default of that name, a 400 saying so. */
  private resolve(asChat: ChatCall, model: string, defaulted: boolean) {
    const snapshot = this.deps.config.current;
    if (
      defaulted &&
      !snapshot.deployments.has(model) &&
      !snapshot.pools.has(model) &&
      !snapshot.routers.has(model)
    )
      throw invalidRequest(
        `model is required here: no moderation model is named "${model}" (the default; set moderations.defaultModel, or name a moderation deployment or pool as model).`,
        'model',
      );
    return resolveNamedModel(snapshot, asChat, 'moderation');
  }

  /** The members that read every part of the inputs: images only go to `capabilities.vision`. */
  private readersOf(
    allowed: DeploymentConfig[],
    name: string,
    items: ReturnType<typeof moderationItems>,
  ): DeploymentConfig[] {
    if (!items.some((i) => i.imageUrls.length > 0)) return allowed;
    const readers = allowed.filter((d) => d.capabilities.vision);
    if (readers.length === 0)
      throw invalidRequest(
        `"${name}" classifies text only (no capabilities.vision): send the image parts to an omni-moderation model, or text alone.`,
        'input',
        'model_not_vision',
      );
    return readers;
  }
}

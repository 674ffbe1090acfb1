// The Realtime API (`kind: realtime`), called by name, not routed: a session is opened on a
// deployment of the named one (a pool's members in its order, failing over only while connecting:
// connect errors, 429 and 5xx on the upgrade; breakers and cool-downs fed by those outcomes), with
// the caller's budgets checked first. Each response is a request: admitted (key, end-user and tag
// limits, budgets, the deployment's own RPM and budget) when the client asks for it, and settled
// from its `response.done` usage into one request-log record with its cost (realtime-cost.ts).
// The session has its own record (`realtime.session`: why it ended). Its deployment's breaker
// hears of success when a response completes and of failure when the upstream breaks mid-session,
// so an upstream that accepts sessions and then drops them is taken out as chat's would be.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { ChatRequest } from '../core/wire-types.js';
import { budgetExceeded } from '../policy/budget.js';
import type { RealtimeListener, RealtimeSession } from '../providers/types.js';
import type { AttemptRecord, RequestRecord } from '../store/request-record.js';
import { finishFailedRequest, finishRecord, openRecord } from './finish-record.js';
import type { AdmitContext, ChatCall, Target } from './gateway-types.js';
import {
  callWithFailover,
  namedFailoverDeps,
  type NamedFailoverDeps,
  type NamedGatewayDeps,
} from './named-failover.js';
import { realtimeCost } from './realtime-cost.js';
import { resolveNamedModel } from './request-target.js';
import { trackedCall } from './tracked-call.js';

/** Who opens a session, and for which model; a response's call has its own request id. */
export type RealtimeCall = Pick<
  ChatCall,
  'auth' | 'headers' | 'signal' | 'requestId' | 'attribution' | 'deploymentFromPath'
> & { model: string };

/** An open session: the deployment serving it and what the client named. */
export interface RealtimeLink {
  d: DeploymentConfig;
  session: RealtimeSession;
  target: Target;
  /** The connect's attempts (failover included), written into the first response's record. */
  attempts: AttemptRecord[];
  /** The session's own record (`realtime.session`), open until `finishSession`. */
  record: RequestRecord;
  startedPerf: number;
}

/** One response of a session, its record open until `finishResponse`. */
export interface RealtimeTurn {
  ctx: AdmitContext;
  record: RequestRecord;
  startedPerf: number;
  /** A response the upstream started that admission then refused (cancelled): its record's. */
  refused?: GatewayError;
}

export class RealtimeGateway {
  private readonly failover: NamedFailoverDeps;

  constructor(private readonly deps: NamedGatewayDeps) {
    this.failover = namedFailoverDeps(deps);
  }

  /**
   * Opens the upstream session (its events go to `listener` from then on). Throws the 400/403/404
   * of a bad name, the 429 of a spent budget, or why no member could be opened; that failure has
   * a request-log record.
   */
  async connect(call: RealtimeCall, listener: RealtimeListener): Promise<RealtimeLink> {
    const asChat = chatCall(call);
    const { target, allowed } = resolveNamedModel(this.deps.config.current, asChat, 'realtime');
    const startedPerf = this.deps.clock.perfNow();
    const record = openRecord(this.deps.clock, call, 'realtime', true);
    if (target.kind === 'pool') record.router = target.pool.name;
    try {
      await this.deps.policies?.checkBudget?.({ call: asChat, target, promptTokens: 0 });
      // A connection is not charged a request: its responses are (admitResponse).
      const policies = this.deps.policies && {
        ...this.deps.policies,
        consumeDeployment: undefined,
      };
      const { d, served } = await callWithFailover(
        { ...this.failover, policies },
        call,
        // Accepting the upgrade proves little: success is a completed response (`served`).
        { target, allowed, sentEstimate: 0, deferSuccess: true },
        record,
        (d, adapter, signal, t0) =>
          trackedCall(this.failover, d.name, t0, async () => {
            if (!adapter.openRealtime)
              throw invalidRequest(`${d.name}'s provider serves no Realtime API.`, 'model');
            const session = await adapter.openRealtime({
              deployment: d,
              signal,
              requestId: call.requestId,
              listener,
              maxMessageBytes: this.deps.config.current.config.server.bodyLimitBytes,
            });
            return { served: session, model: d.model };
          }),
      );
      // A refused connect is its `realtime` record (below); an open session becomes one of its
      // own, its attempts going with its first response.
      const attempts = record.attempts.splice(0);
      record.endpoint = 'realtime.session';
      record.servedModel = d.model;
      return { d, session: served, target, attempts, record, startedPerf };
    } catch (err) {
      finishFailedRequest(this.deps, record, startedPerf, err, undefined, 0);
      throw err;
    }
  }

  /**
   * Admits a response the client asked for (`response.create`): the deployment's own budget, the
   * caller's limits and budgets, the deployment's RPM. Throws the refusal (recorded), after which
   * the client's event is not sent on.
   */
  async admitResponse(link: RealtimeLink, call: RealtimeCall): Promise<RealtimeTurn> {
    const turn = this.startResponse(link, call);
    const admitted = { ctx: false };
    try {
      await this.admitTurn(link, turn, admitted);
      return turn;
    } catch (err) {
      finishFailedRequest(
        this.deps,
        turn.record,
        turn.startedPerf,
        err,
        admitted.ctx ? turn.ctx : undefined,
        0,
      );
      throw err;
    }
  }

  /**
   * Admits a response the upstream started by itself (server VAD) as a `response.create` is
   * admitted; throws the refusal, and the turn keeps it (`refused`) for its record, which stays
   * open: the response already ran for a while, and what it used is charged when it ends.
   */
  async admitStarted(link: RealtimeLink, turn: RealtimeTurn): Promise<void> {
    try {
      await this.admitTurn(link, turn, { ctx: false });
    } catch (err) {
      if (err instanceof GatewayError) turn.refused = err;
      throw err;
    }
  }

  private async admitTurn(
    link: RealtimeLink,
    turn: RealtimeTurn,
    admitted: { ctx: boolean },
  ): Promise<void> {
    const policies = this.deps.policies;
    const spent = policies?.deploymentBudgetSpent?.(link.d);
    if (spent) throw budgetExceeded(spent, this.deps.clock.now());
    await policies?.admit?.(turn.ctx);
    admitted.ctx = true;
    await policies?.consumeDeployment?.(link.d, 0);
  }

  /** A response the client did not ask for by event (server VAD starts them): see admitStarted. */
  startResponse(link: RealtimeLink, call: RealtimeCall): RealtimeTurn {
    const record = openRecord(this.deps.clock, call, 'realtime', true);
    if (link.target.kind === 'pool') record.router = link.target.pool.name;
    record.deployment = link.d.name;
    record.region = link.d.region;
    record.dataZone = link.d.dataZone;
    record.servedModel = link.d.model;
    // The connect's attempts go with the session's first response.
    record.attempts.push(...link.attempts.splice(0));
    return {
      ctx: { call: chatCall(call), target: link.target, promptTokens: 0 },
      record,
      startedPerf: this.deps.clock.perfNow(),
    };
  }

  /** Notes the response's first output (its time to first token). */
  firstOutput(turn: RealtimeTurn): void {
    turn.record.ttftMs ??= this.deps.clock.perfNow() - turn.startedPerf;
  }

  /**
   * Ends a response: its usage (`response.done`'s, unknown when the session ended first) costed on
   * the deployment, settled against the limits and budgets, and its record queued.
   */
  finishResponse(
    link: RealtimeLink,
    turn: RealtimeTurn,
    usage: unknown,
    status: number,
    errorCode?: string,
  ): void {
    if (turn.refused) {
      status = turn.refused.status;
      errorCode = turn.refused.code ?? turn.refused.type;
    }
    const u = realtimeCost(link.d, usage);
    const record = turn.record;
    record.promptTokens = u.promptTokens;
    record.cachedTokens = u.cachedTokens;
    record.completionTokens = u.completionTokens;
    record.costUsd = u.costUsd;
    record.baselineCostUsd = u.costUsd;
    record.attempts.push({
      deployment: link.d.name,
      model: link.d.model,
      outcome: status < 400 ? 'ok' : 'error',
      ...(status < 400 ? {} : { httpStatus: status, errorCode }),
      latencyMs: this.deps.clock.perfNow() - turn.startedPerf,
    });
    this.deps.policies?.settle?.(turn.ctx, {
      deployment: link.d,
      usage: {
        prompt_tokens: u.promptTokens,
        completion_tokens: u.completionTokens,
        total_tokens: u.promptTokens + u.completionTokens,
      },
      costUsd: u.costUsd,
      status,
    });
    finishRecord(this.deps, record, turn.startedPerf, status, errorCode);
  }

  /** A response completed: the deployment serves (its breaker is told of success). */
  served(link: RealtimeLink): void {
    this.deps.breakers.success(link.d.name);
  }

  /**
   * The upstream broke the session (an abnormal close or a socket error): a failure of the
   * deployment for its circuit breaker, as a failed chat call is.
   */
  failed(link: RealtimeLink): void {
    this.deps.breakers.failure(link.d.name);
  }

  /**
   * The session is over: its record, with `status` and why it ended (`reason`, also when that is
   * no error: `client_closed_request`, `session_expired`…), queued. Its tokens and cost are its
   * responses'.
   */
  finishSession(link: RealtimeLink, status: number, reason: string): void {
    finishRecord(this.deps, link.record, link.startedPerf, status, reason);
  }

  /**
   * `text` through the content filter's input rules (redacted, or a `content_filter` error
   * thrown); as it was when no filter is on.
   */
  async filterText(link: RealtimeLink, call: RealtimeCall, text: string): Promise<string> {
    const filterInput = this.deps.policies?.filterInput;
    if (!filterInput) return text;
    const asChat = chatCall(call, text);
    const out = await filterInput(asChat.request, {
      call: asChat,
      target: link.target,
      promptTokens: 0,
    });
    return String(out.request.messages[0]?.content ?? '');
  }
}

/** The governance hooks speak chat: the caller, and the text as a user message. */
function chatCall(call: RealtimeCall, text?: string): ChatCall {
  return {
    ...call,
    endpoint: 'realtime',
    request: {
      model: call.model,
      messages: text === undefined ? [] : [{ role: 'user', content: text }],
    } as ChatRequest,
  };
}

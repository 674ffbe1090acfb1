// The Realtime API (`kind: realtime`), called by name, not routed: a session is opened on a
// deployment of the named one (a pool's members in its order, failing over only while connecting:
// connect errors, 429 and 5xx on the upgrade; breakers and cool-downs fed by those outcomes), with
// the caller's budgets checked first. Each response is a request: admitted (key, end-user and tag
// limits, budgets, the deployment's own RPM and budget) when the client asks for it, and settled
// from its `response.done` usage into one request-log record with its cost (realtime-cost.ts), or,
// stopped before it, charged its input (the conversation as far as the router knows it, or the
// response's own `input` items, a reference read as the session's item it points to, and the
// instructions and tools it was given) and the output it relayed (realtime-audio.ts,
// realtime-items.ts), estimated.
// The session has its own record (`realtime.session`: why it ended). Its deployment's breaker
// hears of success when a response completes and of failure when the upstream breaks mid-session,
// so an upstream that accepts sessions and then drops them is taken out as chat's would be.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import type { ChatRequest } from '../core/wire-types.js';
import { budgetExceeded } from '../policy/budget.js';
import type { RealtimeListener, RealtimeSession } from '../providers/types.js';
import type { AttemptRecord, RequestRecord } from '../store/request-record.js';
import { noteFilterCalls } from './cost.js';
import { finishFailedRequest, finishRecord, openRecord } from './finish-record.js';
import type { AdmitContext, ChatCall, Target } from './gateway-types.js';
import {
  callWithFailover,
  namedFailoverDeps,
  type NamedFailoverDeps,
  type NamedGatewayDeps,
} from './named-failover.js';
import {
  conversationAfter,
  conversationShareOf,
  promptOf,
  promptTokens,
  realtimeCost,
  stoppedResponseCost,
  type ConversationShare,
  type RealtimeConversation,
  type RealtimePrompt,
} from './realtime-cost.js';
import {
  audioRatesOf,
  audioTokens,
  DEFAULT_AUDIO_RATES,
  INPUT_AUDIO_TOKENS_PER_SECOND,
  type RealtimeAudioRates,
  type RealtimeOutput,
} from './realtime-audio.js';
import { itemsInput, SessionItems } from './realtime-items.js';
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
  /**
   * The conversation as the next response reads it, estimated: what the last response read (but
   * its instructions and tools) and wrote, and the items added since: the client's once the
   * upstream states them (noteItem, realtime-session-items.ts noteStatedItem), its audio once
   * committed.
   * What a stopped response is charged, with its instructions and tools (`prompt`).
   */
  conversation: RealtimeConversation;
  /** The session's instructions and tools (its session.created/updated), billed every response. */
  prompt: RealtimePrompt;
  /** The session's audio formats, bytes a second each way (its session.created/updated). */
  audio: RealtimeAudioRates;
  /** Bytes of audio the client appended to the input buffer and the upstream has not committed. */
  pendingAudioBytes: number;
  /**
   * The session's items by id, as they read as input: what an `item_reference` is charged
   * (realtime-session-items.ts notes them).
   */
  items: SessionItems;
  /**
   * The content filter's moderation calls on the session's items (filterText) not yet in a
   * record: they go with the next response that ends, or with the session's own record.
   */
  filterCalls: AttemptRecord[];
  /** Whom the session's own calls are settled for (the caller who opened it). */
  call: RealtimeCall;
}

/** One response of a session, its record open until `finishResponse`. */
export interface RealtimeTurn {
  ctx: AdmitContext;
  record: RequestRecord;
  startedPerf: number;
  /** A response the upstream started that admission then refused (cancelled): its record's. */
  refused?: GatewayError;
  /** What of it the client was sent (its output deltas), charged if it stops before its done. */
  output: RealtimeOutput;
  /** Its `response.create`'s own instructions and tools, over the session's. */
  prompt: RealtimePrompt;
  /** What of it the default conversation keeps (its `response.create`'s `conversation`, `input`). */
  share: ConversationShare;
  /**
   * Its `response.create`'s `response` parameters, read again only if it is cut off: its own
   * `input` items (what it reads instead of the conversation) and its own output audio format.
   */
  params?: unknown;
  /**
   * The conversation as it was when the upstream created it (`response.created`): what its usage
   * read. What is added to (or taken out of) the conversation since stays after it.
   */
  readFrom?: RealtimeConversation;
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
      const conversation = { textTokens: 0, audioTokens: 0 };
      return {
        d,
        session: served,
        target,
        attempts,
        record,
        startedPerf,
        conversation,
        prompt: {},
        audio: DEFAULT_AUDIO_RATES,
        pendingAudioBytes: 0,
        items: new SessionItems(),
        filterCalls: [],
        call,
      };
    } catch (err) {
      finishFailedRequest(this.deps, record, startedPerf, err, undefined, 0);
      throw err;
    }
  }

  /**
   * Admits a response the client asked for (`response.create`, its `response` parameters
   * `params`): the deployment's own budget, the caller's limits and budgets, the deployment's RPM.
   * Throws the refusal (recorded), after which the client's event is not sent on.
   */
  async admitResponse(
    link: RealtimeLink,
    call: RealtimeCall,
    params?: unknown,
  ): Promise<RealtimeTurn> {
    const turn = this.startResponse(link, call);
    turn.prompt = promptOf(params);
    turn.share = conversationShareOf(params);
    turn.params = params;
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
      output: { textChars: 0, audioBytes: 0 },
      prompt: {},
      share: 'all',
    };
  }

  /** Notes the response's first output (its time to first token). */
  firstOutput(turn: RealtimeTurn): void {
    turn.record.ttftMs ??= this.deps.clock.perfNow() - turn.startedPerf;
  }

  /**
   * An item the client asked to add to the conversation (`conversation.item.create`, as sent on
   * after the content filter, its event's `event_id` as sent upstream): known by its id at once,
   * counted in the conversation once the upstream states it (noteStatedItem), forgotten if the
   * upstream refuses its event (realtime-session-items.ts). Counted as realtime-items.ts counts:
   * its text, audio, function call or function call output (before 2026-12-07 only its messages'
   * text and `input_audio` parts, as the client wrote it, before the filter's redaction, and at
   * once, so an item the upstream refused was charged and could be referred to).
   */
  noteItem(link: RealtimeLink, item: unknown, eventId?: unknown): void {
    link.items.noteSent(item, link.audio, eventId, true);
  }

  /** Audio the client appended to the input buffer (bytes), or cleared from it (`cleared`). */
  noteAudioAppended(link: RealtimeLink, bytes: number, cleared = false): void {
    link.pendingAudioBytes = cleared ? 0 : link.pendingAudioBytes + bytes;
  }

  /**
   * The upstream committed the input buffer: its audio is in the conversation now, as the item
   * `itemId` (its `input_audio_buffer.committed`'s).
   */
  noteAudioCommitted(link: RealtimeLink, itemId?: unknown): void {
    const tokens = audioTokens(
      link.pendingAudioBytes,
      link.audio.input,
      INPUT_AUDIO_TOKENS_PER_SECOND,
    );
    link.conversation.audioTokens += tokens;
    link.items.noteAudio(itemId, tokens);
    link.pendingAudioBytes = 0;
  }

  /**
   * The session as the upstream states it (`session.created` / `session.updated`): its audio
   * formats, instructions and tools (each kept when it names none).
   */
  noteSession(link: RealtimeLink, session: unknown): void {
    link.audio = audioRatesOf(session, link.audio);
    link.prompt = promptOf(session, link.prompt);
  }

  /**
   * Ends a response: its usage (`response.done`'s) costed on the deployment, settled against the
   * limits and budgets, and its record queued. One `stopped` before its `response.done` (the
   * session ended or broke while it was asked for or under way) had its input sent: it is charged
   * that, the conversation (or its own `input` items) and the instructions and tools it was given
   * at the deployment's input prices, and the output the client was sent at the output prices,
   * estimated, as a chat try stopped after it was sent is (stoppedCost; before 2026-12-06 it was
   * charged nothing; before 2026-12-07 its output, audio input, instructions and tools neither,
   * and one with its own `input` was charged the whole conversation instead).
   */
  finishResponse(
    link: RealtimeLink,
    turn: RealtimeTurn,
    usage: unknown,
    status: number,
    errorCode?: string,
    stopped = false,
  ): void {
    if (turn.refused) {
      status = turn.refused.status;
      errorCode = turn.refused.code ?? turn.refused.type;
    }
    const charged = stopped && usage === undefined;
    // Its instructions and tools: its response.create's, else the session's as the upstream last
    // stated them. Billed on every response, not kept in the conversation.
    const prompt = promptTokens({
      instructions: turn.prompt.instructions ?? link.prompt.instructions,
      tools: turn.prompt.tools ?? link.prompt.tools,
    });
    const u = charged ? this.stoppedCost(link, turn, prompt) : realtimeCost(link.d, usage);
    // An out-of-band response, or one with its own input, is not the conversation's next turn.
    const after = conversationAfter(usage, prompt, link.conversation, turn.share);
    // One that read the conversation replaces it by what its usage read and wrote; the items
    // added (or taken out) while it ran are not in that (until 2026-12-07 they were lost).
    if (after && turn.share === 'all' && turn.readFrom)
      link.conversation = {
        textTokens: Math.max(
          0,
          after.textTokens + link.conversation.textTokens - turn.readFrom.textTokens,
        ),
        audioTokens: Math.max(
          0,
          after.audioTokens + link.conversation.audioTokens - turn.readFrom.audioTokens,
        ),
      };
    else if (after) link.conversation = after;
    const record = turn.record;
    record.promptTokens = u.promptTokens;
    record.cachedTokens = u.cachedTokens;
    record.completionTokens = u.completionTokens;
    record.costUsd = u.costUsd;
    record.baselineCostUsd = u.costUsd;
    if (charged && u.promptTokens + u.completionTokens > 0) record.usageEstimated = true;
    // The content filter's calls on the items added since the last response, at their deployment.
    noteFilterCalls(record, link.filterCalls);
    record.attempts.push({
      deployment: link.d.name,
      model: link.d.model,
      // 499: the client stopped it (a cancel, or it left), as a chat stream it stops: `aborted`,
      // neither the deployment's error nor a failover (before 2026-12-07: `error`).
      outcome: status < 400 ? 'ok' : status === 499 ? 'aborted' : 'error',
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
      costUsd: record.costUsd,
      status,
      attempts: record.attempts,
    });
    finishRecord(this.deps, record, turn.startedPerf, status, errorCode);
  }

  /**
   * What a response cut off before its `response.done` is charged (stoppedResponseCost): its
   * input is its instructions and tools (`prompt` tokens) and what it read besides: its own
   * `input` items when its `response.create` gave it some (`[]`: none; OpenAI: "a new context for
   * this Response instead of using the default conversation"; a reference read as the item it
   * points to), else the default conversation,
   * also for an out-of-band one (`conversation: "none"` only keeps its output out of it). Its
   * audio output at its own format when its `response.create` names one, else the session's.
   */
  private stoppedCost(link: RealtimeLink, turn: RealtimeTurn, prompt: number) {
    const own = isObject(turn.params) ? turn.params.input : undefined;
    const read = Array.isArray(own) ? itemsInput(own, link.audio, link.items) : link.conversation;
    const input = { ...read, textTokens: read.textTokens + prompt };
    const outputRate = audioRatesOf(turn.params, link.audio).output;
    return stoppedResponseCost(link.d, input, turn.output, outputRate);
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
    // The content filter's calls on items no response read since: the session's own cost.
    if (noteFilterCalls(link.record, link.filterCalls) > 0) {
      link.record.baselineCostUsd = link.record.costUsd;
      this.deps.policies?.settle?.(
        { call: chatCall(link.call), target: link.target, promptTokens: 0 },
        { costUsd: link.record.costUsd, status, attempts: link.record.attempts },
      );
    }
    finishRecord(this.deps, link.record, link.startedPerf, status, reason);
  }

  /**
   * `text` through the content filter's input rules (redacted, or a `content_filter` error
   * thrown); as it was when no filter is on. The calls the filter made at a priced moderation
   * deployment are part of the cost of the session's next response to end (its record lists them,
   * `lookup: 'content_filter'`), or of the session's own record when none does; before 2026-12-06
   * they counted nowhere.
   */
  async filterText(link: RealtimeLink, call: RealtimeCall, text: string): Promise<string> {
    const filterInput = this.deps.policies?.filterInput;
    if (!filterInput) return text;
    const asChat = chatCall(call, text);
    const ctx: AdmitContext = { call: asChat, target: link.target, promptTokens: 0 };
    try {
      const out = await filterInput(asChat.request, ctx);
      return String(out.request.messages[0]?.content ?? '');
    } finally {
      // Its moderation calls, the text passed or blocked, count with the session's next response.
      if (ctx.filterCalls) link.filterCalls.push(...ctx.filterCalls.splice(0));
    }
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

// `POST /v1/feedback` (and `/openai/v1/feedback`): a client rates an answer it got, naming its
// request by `x-request-id` (`request_id`, or Portkey's `trace_id`) or by `x-router-decision-id`
// (`decision_id`). Only the caller's tenant's requests can be rated (another tenant's id is a 404,
// as an unknown one is). Each feedback is a row of its own in the request log's store, with a copy
// of its request's model, router, key, user and tags, so usage reports and `feedback export` read
// it without the request. Needs the request log (a 404 saying so without one).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { GatewayError, invalidRequest, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { StoredFeedback } from '../../store/feedback-store.js';
import type { RequestLog } from '../../store/request-log.js';
import type { RequestRecord } from '../../store/request-record.js';
import { parseFeedback, type FeedbackInput } from './parse-feedback.js';
import { KEY_REQUEST } from '../key-request.js';

/** How often a feedback on a request not yet in the log looks again (the log's flush interval). */
const LOOK_AGAIN_MS = 250;

export interface FeedbackRouteDeps {
  log?: RequestLog;
  clock: Clock;
  /** Each stored feedback, with the request it rates (Prometheus). */
  onFeedback?(feedback: StoredFeedback): void;
  /**
   * How long a feedback on a request not yet in the log waits for it (default 2 s): the log is
   * written in batches, every 250 ms on each replica, so the answer may be a moment ahead of it.
   */
  waitForRequestMs?: number;
  /** Tests pass their own (no real waits). */
  sleep?(ms: number): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The feedback as the API shows it; Portkey's reply fields too when it came in Portkey's shape. */
function shown(f: StoredFeedback, portkey: boolean): Record<string, unknown> {
  const r = f.request;
  return {
    object: 'feedback',
    id: f.id,
    request_id: r.requestId,
    decision_id: r.decisionId ?? null,
    model: r.servedModel ?? r.deployment ?? null,
    router: r.router ?? null,
    score: f.score,
    weight: f.weight,
    comment: f.comment ?? null,
    metadata: f.metadata ?? {},
    created_at: Math.floor(f.createdAt / 1000),
    ...(portkey
      ? { status: 'success', message: 'Feedback created successfully', feedback_ids: [f.id] }
      : {}),
  };
}

export function registerFeedbackRoutes(app: FastifyInstance, deps: FeedbackRouteDeps): void {
  const sleep = deps.sleep ?? realSleep;
  const waitMs = deps.waitForRequestMs ?? 2_000;

  /**
   * The tenant's request, looked up in the store; missing, this replica's queued records are
   * written first and it looks again, then again every 250 ms for up to `waitMs` (another
   * replica's batch), so a client never gets a 404 for an answer it has just had.
   */
  async function findRequest(
    log: RequestLog,
    tenant: string,
    input: FeedbackInput,
  ): Promise<RequestRecord | undefined> {
    let found = await log.store.findRequest(tenant, input.ref);
    for (let waited = 0; !found; waited += LOOK_AGAIN_MS) {
      await log.flush();
      found = await log.store.findRequest(tenant, input.ref);
      if (found || waited >= waitMs) break;
      await sleep(LOOK_AGAIN_MS);
    }
    return found;
  }

  const handler = async (request: FastifyRequest) => {
    const input = parseFeedback(request.body);
    const log = deps.log;
    if (!log)
      throw notFound(
        'Feedback needs the request log, which is off (requestLog.kind: none): set requestLog.kind to sqlite or postgres.',
        'request_log_off',
        null,
      );
    const tenant = request.auth.tenant;
    let record: RequestRecord | undefined;
    try {
      record = await findRequest(log, tenant, input);
    } catch (err) {
      throw new GatewayError({
        status: 503,
        type: 'server_error',
        code: 'request_log_unavailable',
        message: `The request log could not be read (${(err as Error).message}); send the feedback again when its store is back.`,
      });
    }
    const id = 'requestId' in input.ref ? input.ref.requestId : input.ref.decisionId;
    if (!record)
      throw notFound(
        `No request with ${input.refParam} "${id.slice(0, 128)}": it is not one of your tenant's, or is past the request log's retention.`,
        'not_found',
        input.refParam,
      );
    if (record.servedModel === undefined && record.deployment === undefined)
      throw invalidRequest(
        `Request "${record.requestId}" was answered by no model (status ${record.status}): there is no answer to rate.`,
        input.refParam,
        'invalid_value',
      );
    const feedback: StoredFeedback = {
      id: newId('fb_'),
      createdAt: deps.clock.now(),
      ...(request.auth.keyId ? { keyId: request.auth.keyId } : {}),
      score: input.score,
      weight: input.weight,
      ...(input.comment !== undefined ? { comment: input.comment } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
      request: {
        time: record.time,
        requestId: record.requestId,
        decisionId: record.decisionId,
        endpoint: record.endpoint,
        tenant,
        keyId: record.keyId,
        router: record.router,
        deployment: record.deployment,
        servedModel: record.servedModel,
        endUser: record.endUser,
        tags: record.tags,
      },
    };
    try {
      await log.store.saveFeedback(feedback);
    } catch (err) {
      throw new GatewayError({
        status: 503,
        type: 'server_error',
        code: 'request_log_unavailable',
        message: `The feedback could not be stored (${(err as Error).message}); send it again when the request log's store is back.`,
      });
    }
    deps.onFeedback?.(feedback);
    return shown(feedback, input.portkey);
  };
  for (const prefix of ['/v1', '/openai/v1']) app.post(`${prefix}/feedback`, KEY_REQUEST, handler);
}

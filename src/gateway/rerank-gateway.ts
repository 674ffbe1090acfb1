// `/v1/rerank` (and Cohere's `/v2/rerank`): a reranker (`kind: rerank`) or a pool of them, called
// by name, not routed. Governed as embeddings are: key scope and subset, key and deployment rate
// limits (TPM charged the query and documents' estimate), budgets, the content filter on the query
// and every document, the deployment's circuit breaker, cool-downs and timeout, failover within a
// pool before the first byte (named-failover.ts), and one request-log record with its cost
// (rerank-cost.ts). The upstream's reply is read loosely and answered in Cohere v2's shape.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { ChatRequest, RerankReply, RerankRequest, RerankResult } from '../core/wire-types.js';
import { finishRecord, openRecord } from './finish-record.js';
import type { AdmitContext, ChatCall } from './gateway-types.js';
import {
  BilledFailure,
  callOrWait,
  callWithFailover,
  chargeFilterCalls,
  chargeUnansweredCalls,
  finishFailedNamedRequest,
  namedFailoverDeps,
  servedHeaders,
  type NamedAttempt,
  type NamedFailoverDeps,
  type NamedGatewayDeps,
} from './named-failover.js';
import { rerankCostUsd, rerankTokenEstimate, searchUnits } from './rerank-cost.js';
import { resolveNamedModel } from './request-target.js';
import { trackedCall } from './tracked-call.js';
import { noteQueued } from './wait-for-headroom.js';
import { tokenCount } from './cost.js';

export type RerankCall = Omit<
  ChatCall,
  'request' | 'endpoint' | 'native' | 'passThrough' | 'sessionId' | 'nextSessionId'
> & { request: RerankRequest };

/** What a member answered, read: results by score, the model and what it says it used. */
interface Reranked {
  results: RerankResult[];
  model: string;
  id?: string;
  meta?: Record<string, unknown>;
  searchUnits?: number;
  tokens?: number;
}

const num = tokenCount;
const obj = (x: unknown) =>
  x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;

/** The 502 for a reply the router cannot put in order: another member may answer usably. */
function unusable(d: DeploymentConfig, what: string): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_malformed_response',
    message: `${d.name}: the upstream's rerank reply ${what}.`,
    retryable: true,
  });
}

/**
 * An upstream reply read loosely: Cohere's (`meta.billed_units.search_units`), vLLM's and Jina's
 * (`model`, `usage.total_tokens`). Each result must name a document sent and carry a score.
 */
export function readRerankReply(
  d: DeploymentConfig,
  reply: Record<string, unknown> & { results: unknown[] },
  sent: number,
): Reranked {
  const results = reply.results.map((r): RerankResult => {
    const index = obj(r)?.index;
    const score = obj(r)?.relevance_score;
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= sent)
      throw unusable(d, `names document ${JSON.stringify(index)} of ${sent}`);
    if (typeof score !== 'number' || !Number.isFinite(score))
      throw unusable(d, `has no relevance_score for document ${index as number}`);
    return { index: index as number, relevance_score: score };
  });
  const meta = obj(reply.meta);
  const billed = obj(meta?.billed_units);
  return {
    results: results.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index),
    model: typeof reply.model === 'string' && reply.model ? reply.model : d.model,
    id: typeof reply.id === 'string' && reply.id ? reply.id : undefined,
    meta,
    searchUnits: num(billed?.search_units),
    tokens: num(obj(reply.usage)?.total_tokens) ?? num(obj(meta?.tokens)?.input_tokens),
  };
}

/** A document's text, whichever form it came in. */
export const documentText = (doc: RerankRequest['documents'][number]): string =>
  typeof doc === 'string' ? doc : doc.text;

export class RerankGateway {
  private readonly failover: NamedFailoverDeps;

  constructor(private readonly deps: NamedGatewayDeps) {
    this.failover = namedFailoverDeps(deps);
  }

  async handle(
    call: RerankCall,
  ): Promise<{ response: RerankReply; headers: Record<string, string> }> {
    const snapshot = this.deps.config.current;
    const startedPerf = this.deps.clock.perfNow();
    const record = openRecord(this.deps.clock, call, 'rerank', false);
    const texts = call.request.documents.map(documentText);
    // The governance hooks speak chat: they see the query, then each document, as user messages.
    const asChat: ChatCall = {
      ...call,
      endpoint: 'rerank',
      request: {
        model: call.request.model,
        messages: [call.request.query, ...texts].map((content) => ({ role: 'user', content })),
      } as ChatRequest,
    };
    const policies = this.deps.policies;
    let admit: AdmitContext | undefined;
    let estimate = 0;
    try {
      const { target, name, allowed } = resolveNamedModel(snapshot, asChat, 'rerank');
      if (target.kind === 'pool') record.router = name;
      estimate = rerankTokenEstimate(call.request.query, texts);
      admit = { call: asChat, target, promptTokens: estimate };
      const admitted = policies?.admit ? await policies.admit(admit) : {};
      noteQueued(record, admitted);
      let query = call.request.query;
      let documents = texts;
      if (policies?.filterInput) {
        const filtered = await policies.filterInput(asChat.request, admit);
        const redacted = filtered.request.messages.map((m) => String(m.content ?? ''));
        [query, ...documents] = redacted as [string, ...string[]];
      }
      // Documents go upstream as strings: Cohere v2 takes nothing else, vLLM and Jina take them.
      const body: RerankRequest = { ...call.request, query, documents };
      const units = searchUnits(query, documents);
      const attempt: NamedAttempt<Reranked & { headers: Record<string, string> }> = (
        d,
        adapter,
        signal,
        t0,
      ) =>
        trackedCall(this.failover, d.name, t0, async () => {
          if (!adapter.rerank)
            throw invalidRequest(`${d.name}'s provider serves no rerank.`, 'model');
          const reply = await adapter.rerank({
            deployment: d,
            body: { ...body, model: d.model },
            signal,
            requestId: call.requestId,
          });
          let served: Reranked;
          try {
            served = readRerankReply(d, reply.response, documents.length);
          } catch (err) {
            // Answered, so billed: the query and documents by the router's count, there.
            if (err instanceof GatewayError)
              throw new BilledFailure(err, rerankCostUsd(d, units, estimate));
            throw err;
          }
          return { served: { ...served, headers: reply.headers }, model: served.model };
        });
      const sent = estimate;
      // A call that timed out or was stopped with the query and documents: charged them, by the
      // router's count of search units and tokens.
      const members = {
        target,
        allowed,
        sentEstimate: sent,
        inputCostUsd: (d: DeploymentConfig) => rerankCostUsd(d, units, sent),
      };
      const { d, served } = await callOrWait(
        this.failover,
        snapshot.deployments,
        admitted,
        estimate,
        record,
        () => callWithFailover(this.failover, call, members, record, attempt),
      );
      const billedUnits = served.searchUnits ?? units;
      const tokens = served.tokens ?? estimate;
      record.servedModel = served.model;
      record.promptTokens = tokens;
      // The tokens, or the search units where they are priced, by the router's estimate.
      record.usageEstimated =
        served.tokens === undefined ||
        (served.searchUnits === undefined && (d.prices.perSearchUnit ?? 0) > 0);
      // Called by name, not routed: what it cost is the baseline (no savings claimed).
      record.costUsd = rerankCostUsd(d, billedUnits, tokens);
      record.baselineCostUsd = record.costUsd;
      chargeUnansweredCalls(record, estimate); // members tried before it, timed out
      chargeFilterCalls(record, admit); // the content filter's moderation calls on the texts
      policies?.settle?.(admit, {
        deployment: d,
        usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens },
        costUsd: record.costUsd,
        status: 200,
        attempts: record.attempts,
      });
      finishRecord(this.deps, record, startedPerf, 200);
      const wantText = call.request.return_documents === true;
      const response: RerankReply = {
        id: served.id ?? `rerank-${call.requestId}`,
        results: served.results
          .slice(0, call.request.top_n ?? served.results.length)
          // The client's own text, as Cohere returns it (not a redacted copy sent upstream).
          .map((r) => (wantText ? { ...r, document: { text: texts[r.index]! } } : r)),
        model: served.model,
        meta: { ...served.meta, billed_units: { search_units: billedUnits } },
        usage: { total_tokens: tokens },
      };
      return {
        response,
        headers: servedHeaders(admitted, served.headers, d, served.model, record),
      };
    } catch (err) {
      // What was sent and not answered, and the content filter's calls, each at its deployment.
      finishFailedNamedRequest(this.deps, record, startedPerf, err, admit, estimate);
      throw err;
    }
  }
}

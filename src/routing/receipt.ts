// Decision receipts: why each pick was made, kept in a bounded in-memory store for
// `GET /v1/router/decisions/{id}` and the dashboard (the request log keeps the decision id).
import type { AttemptRecord } from '../store/request-record.js';
import { RULE_DESCRIPTIONS, type CandidateEligibility } from './eligibility.js';
import type { RoutingDecision } from './router-types.js';

export interface ReceiptCandidate {
  deployment: string;
  eligible: boolean;
  failedRules: { rule: string; description: string }[];
  predictedQuality?: number;
  predictedCostUsd?: number;
  expectedOutputTokens?: number;
}

export interface SessionAffinityReceipt {
  strategy: 'adaptive' | 'sticky' | 'none';
  sessionId?: string;
  /** What affinity did: kept the previous model, switched, or had no previous model. */
  outcome: 'kept' | 'switched' | 'new_session' | 'previous_ineligible' | 'off';
  previousDeployment?: string;
  detail: string;
}

export interface DecisionReceipt {
  id: string;
  time: number;
  requestId: string;
  router: string;
  mode: string;
  version: string;
  band: number;
  pick: string;
  fallbacks: string[];
  candidates: ReceiptCandidate[];
  reason: string;
  attempts: AttemptRecord[];
  servedBy?: string;
  sessionAffinity?: SessionAffinityReceipt;
  /** The whole decision in plain words. */
  summary: string;
}

/** A receipt as kept: its summary is written out only when it is read (few of the kept ones are). */
export type StoredReceipt = Omit<DecisionReceipt, 'summary'>;

export function buildReceipt(args: {
  id: string;
  time: number;
  requestId: string;
  router: string;
  decision: RoutingDecision;
  checks: CandidateEligibility[];
  sessionAffinity?: SessionAffinityReceipt;
}): StoredReceipt {
  const { decision } = args;
  const scores = new Map(decision.scores.map((s) => [s.deployment, s]));
  const candidates: ReceiptCandidate[] = args.checks.map((c) => {
    const s = scores.get(c.deployment);
    return {
      deployment: c.deployment,
      eligible: c.failed.length === 0,
      failedRules: c.failed.map((rule) => ({ rule, description: RULE_DESCRIPTIONS[rule] })),
      predictedQuality: s?.predictedQuality,
      predictedCostUsd: s?.predictedCostUsd,
      expectedOutputTokens: s?.expectedOutputTokens,
    };
  });
  return {
    id: args.id,
    time: args.time,
    requestId: args.requestId,
    router: args.router,
    mode: decision.mode,
    version: decision.version,
    band: decision.band,
    pick: decision.ordered[0] ?? '',
    fallbacks: decision.ordered.slice(1),
    candidates,
    reason: decision.reason,
    attempts: [],
    sessionAffinity: args.sessionAffinity,
  };
}

/** The receipt with its plain-words summary, as the API and the dashboard show it. */
export function withSummary(r: StoredReceipt): DecisionReceipt {
  const excluded = r.candidates.filter((c) => !c.eligible);
  const summary =
    `Router ${r.router} in ${r.mode} mode picked ${r.pick}: ${r.reason}.` +
    (r.fallbacks.length ? ` Fallbacks in order: ${r.fallbacks.join(', ')}.` : ' No fallback.') +
    (excluded.length
      ? ` Excluded: ${excluded.map((c) => `${c.deployment} (${c.failedRules.map((x) => x.rule).join(', ')})`).join('; ')}.`
      : '') +
    (r.sessionAffinity && r.sessionAffinity.outcome !== 'off'
      ? ` Session affinity: ${r.sessionAffinity.detail}.`
      : '');
  return { ...r, summary };
}

/** Bounded LRU of recent receipts. */
export class DecisionStore {
  private readonly receipts = new Map<string, StoredReceipt>();

  constructor(private readonly capacity = 10_000) {}

  put(receipt: StoredReceipt): void {
    this.receipts.set(receipt.id, receipt);
    if (this.receipts.size > this.capacity) {
      const oldest = this.receipts.keys().next().value;
      if (oldest !== undefined) this.receipts.delete(oldest);
    }
  }

  get(id: string): DecisionReceipt | undefined {
    const r = this.receipts.get(id);
    return r && withSummary(r);
  }

  /** Newest first. */
  recent(limit = 50): DecisionReceipt[] {
    const all = [...this.receipts.values()];
    return all.slice(-limit).reverse().map(withSummary);
  }
}

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

export function buildReceipt(args: {
  id: string;
  time: number;
  requestId: string;
  router: string;
  decision: RoutingDecision;
  checks: CandidateEligibility[];
  sessionAffinity?: SessionAffinityReceipt;
}): DecisionReceipt {
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
  const pick = decision.ordered[0] ?? '';
  const excluded = candidates.filter((c) => !c.eligible);
  const summary =
    `Router ${args.router} in ${decision.mode} mode picked ${pick}: ${decision.reason}.` +
    (decision.ordered.length > 1
      ? ` Fallbacks in order: ${decision.ordered.slice(1).join(', ')}.`
      : ' No fallback.') +
    (excluded.length
      ? ` Excluded: ${excluded.map((c) => `${c.deployment} (${c.failedRules.map((r) => r.rule).join(', ')})`).join('; ')}.`
      : '') +
    (args.sessionAffinity && args.sessionAffinity.outcome !== 'off'
      ? ` Session affinity: ${args.sessionAffinity.detail}.`
      : '');
  return {
    id: args.id,
    time: args.time,
    requestId: args.requestId,
    router: args.router,
    mode: decision.mode,
    version: decision.version,
    band: decision.band,
    pick,
    fallbacks: decision.ordered.slice(1),
    candidates,
    reason: decision.reason,
    attempts: [],
    sessionAffinity: args.sessionAffinity,
    summary,
  };
}

/** Bounded LRU of recent receipts. */
export class DecisionStore {
  private readonly receipts = new Map<string, DecisionReceipt>();

  constructor(private readonly capacity = 10_000) {}

  put(receipt: DecisionReceipt): void {
    this.receipts.set(receipt.id, receipt);
    if (this.receipts.size > this.capacity) {
      const oldest = this.receipts.keys().next().value;
      if (oldest !== undefined) this.receipts.delete(oldest);
    }
  }

  get(id: string): DecisionReceipt | undefined {
    return this.receipts.get(id);
  }

  /** Newest first. */
  recent(limit = 50): DecisionReceipt[] {
    const all = [...this.receipts.values()];
    return all.slice(-limit).reverse();
  }
}

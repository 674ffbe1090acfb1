// Feedback on routed answers (`POST /v1/feedback`): a score in [0, 1] a client gives a request it
// made, kept beside the request log (SQLite or PostgreSQL; none without a request log). Every
// feedback is a row of its own (several per request are kept); each carries a copy of what the
// usage summary groups its request by, so `GET /admin/v1/usage` and `report` read feedback per
// model, router, key, tenant, user or tag as they read requests, and `feedback export` writes the
// rated prompts as routing data.
import type { RequestRecord } from './request-record.js';
import type { UsageQuery } from './request-summary.js';

/** What a feedback keeps of the request it rates (the summary's grouping fields). */
export type RatedRequest = Pick<
  RequestRecord,
  | 'time'
  | 'requestId'
  | 'decisionId'
  | 'endpoint'
  | 'tenant'
  | 'keyId'
  | 'router'
  | 'deployment'
  | 'servedModel'
  | 'endUser'
  | 'tags'
>;

export interface StoredFeedback {
  id: string;
  /** Epoch ms when the feedback arrived. */
  createdAt: number;
  /** The key that sent the feedback (not necessarily the request's). */
  keyId?: string;
  /** In [0, 1]. */
  score: number;
  /** In [0, 1]; 1 unless the client said otherwise (Portkey's `weight`). */
  weight: number;
  comment?: string;
  metadata?: Record<string, string>;
  request: RatedRequest & { tenant: string };
}

/** Which request a feedback names: by the request log's id or by its routing decision's. */
export type RequestRef = { requestId: string } | { decisionId: string };

/** One group's feedback: how many, the sum of their weights and of score × weight. */
export interface FeedbackGroup {
  key: string;
  feedback: number;
  weight: number;
  weightedScore: number;
}

/** A feedback with its request's prompt text (undefined unless `requestLog.storeText` kept it). */
export interface FeedbackWithPrompt extends StoredFeedback {
  promptText?: string;
  /** Whether its request continued a conversation; undefined when the log does not say (older rows). */
  multiTurn?: boolean;
}

export interface FeedbackStore {
  /**
   * The tenant's request so named, as written to the store (the latest, should a client have
   * sent one `x-request-id` twice); undefined when the tenant has none. Without its texts.
   */
  findRequest(tenant: string, ref: RequestRef): Promise<RequestRecord | undefined>;
  saveFeedback(feedback: StoredFeedback): Promise<void>;
  /**
   * Feedback on the requests of [q.since, q.until) narrowed by `q.filter`, grouped by `q.by` as the
   * usage summary groups requests (by tag, in each of the request's tags), and its totals; with
   * `groups`, only those groups (a summary cut to its busiest), the totals still of all.
   */
  summarizeFeedback(
    q: UsageQuery,
    groups?: readonly string[],
  ): Promise<{ totals: FeedbackGroup; groups: FeedbackGroup[] }>;
  /** Feedback on the requests of [since, until), oldest request first, with their prompt text. */
  listFeedback(since: number, until: number): Promise<FeedbackWithPrompt[]>;
}

/** The weighted mean score of a group; null when it has no weight (no feedback, or all weight 0). */
export function meanScore(g: Pick<FeedbackGroup, 'weight' | 'weightedScore'>): number | null {
  return g.weight > 0 ? g.weightedScore / g.weight : null;
}

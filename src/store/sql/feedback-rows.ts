// The `feedback` table's rows (migration 17), shared by the SQLite and PostgreSQL stores: a
// StoredFeedback to its column values and back, and the statements both dialects run the same.
import type { FeedbackWithPrompt, StoredFeedback } from '../feedback-store.js';
import type { Endpoint } from '../request-record.js';
import { boolOrUndefined } from './request-columns.js';

export const FEEDBACK_COLUMNS = [
  'id',
  'created_at',
  'feedback_key_id',
  'score',
  'weight',
  'comment',
  'metadata',
  'time',
  'request_id',
  'decision_id',
  'endpoint',
  'tenant',
  'key_id',
  'router',
  'deployment',
  'served_model',
  'end_user',
  'tags',
] as const;

export type FeedbackRow = Record<(typeof FEEDBACK_COLUMNS)[number], unknown> & {
  prompt_text?: unknown;
  multi_turn?: unknown;
};

export function feedbackParams(f: StoredFeedback): unknown[] {
  const r = f.request;
  return [
    f.id,
    f.createdAt,
    f.keyId ?? null,
    f.score,
    f.weight,
    f.comment ?? null,
    f.metadata ? JSON.stringify(f.metadata) : null,
    r.time,
    r.requestId,
    r.decisionId ?? null,
    r.endpoint ?? null,
    r.tenant,
    r.keyId ?? null,
    r.router ?? null,
    r.deployment ?? null,
    r.servedModel ?? null,
    r.endUser ?? null,
    r.tags?.length ? JSON.stringify(r.tags) : null,
  ];
}

const opt = <T>(v: unknown): T | undefined =>
  v === null || v === undefined ? undefined : (v as T);

/** A row as the drivers return it (BIGINT as a string from PostgreSQL, JSON as text). */
export function feedbackFromRow(row: FeedbackRow): FeedbackWithPrompt {
  const f: FeedbackWithPrompt = {
    id: String(row.id),
    createdAt: Number(row.created_at),
    score: Number(row.score),
    weight: Number(row.weight),
    request: {
      time: Number(row.time),
      requestId: String(row.request_id),
      decisionId: opt(row.decision_id),
      endpoint: opt<Endpoint>(row.endpoint) ?? 'chat',
      tenant: String(row.tenant),
      keyId: opt(row.key_id),
      router: opt(row.router),
      deployment: opt(row.deployment),
      servedModel: opt(row.served_model),
      endUser: opt(row.end_user),
      tags: typeof row.tags === 'string' ? (JSON.parse(row.tags) as string[]) : undefined,
    },
  };
  if (row.feedback_key_id !== null && row.feedback_key_id !== undefined)
    f.keyId = String(row.feedback_key_id);
  if (row.comment !== null && row.comment !== undefined) f.comment = String(row.comment);
  if (typeof row.metadata === 'string')
    f.metadata = JSON.parse(row.metadata) as Record<string, string>;
  if (typeof row.prompt_text === 'string') f.promptText = row.prompt_text;
  const multiTurn = boolOrUndefined(row.multi_turn);
  if (multiTurn !== undefined) f.multiTurn = multiTurn;
  return f;
}

/**
 * Feedback on the requests of [p1, p2) with the prompt text of each one's request (the same
 * tenant's, id and time) and whether it was multi-turn, oldest request first. `requests` and
 * `feedback`: the table names.
 */
export function listFeedbackSql(
  requests: string,
  feedback: string,
  placeholder: (i: number) => string,
): string {
  const ofRequest = (column: string) =>
    `(SELECT r.${column} FROM ${requests} r WHERE r.tenant = f.tenant
      AND r.request_id = f.request_id AND r.time = f.time LIMIT 1) AS ${column}`;
  return `SELECT f.*, ${ofRequest('prompt_text')}, ${ofRequest('multi_turn')}
    FROM ${feedback} f WHERE f.time >= ${placeholder(1)} AND f.time < ${placeholder(2)}
    ORDER BY f.time, f.created_at, f.id`;
}

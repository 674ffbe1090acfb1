// Feedback in the PostgreSQL request log (feedback-store.ts has the contract), shared by every
// replica: the `feedback` rows, and the lookup of the request a feedback names.
import type pg from 'pg';
import type { FeedbackStore } from '../feedback-store.js';
import { inTransaction } from './pg-transaction.js';
import { fromRow, selectList, type Row } from './request-columns.js';
import {
  FEEDBACK_COLUMNS,
  feedbackFromRow,
  feedbackParams,
  listFeedbackSql,
  type FeedbackRow,
} from './feedback-rows.js';
import { POSTGRES_SUMMARY } from './summary-dialect.js';
import { feedbackGroupFromRow } from './summary-from-rows.js';
import { feedbackStatements } from './summary-sql.js';

export function createPostgresFeedbackStore(
  pool: pg.Pool,
  tables: { requests: string; feedback: string },
  ready: () => Promise<void>,
): FeedbackStore {
  const query = async (text: string, params: unknown[]) => {
    await ready();
    return pool.query(text, params);
  };
  return {
    async findRequest(tenant, ref) {
      const [column, id] =
        'requestId' in ref ? ['request_id', ref.requestId] : ['decision_id', ref.decisionId];
      const res = await query(
        `SELECT ${selectList(false)} FROM ${tables.requests} WHERE tenant = $1 AND ${column} = $2 ORDER BY time DESC LIMIT 1`,
        [tenant, id],
      );
      const row = res.rows[0] as Row | undefined;
      return row && fromRow(row);
    },
    async saveFeedback(f) {
      await query(
        `INSERT INTO ${tables.feedback} (${FEEDBACK_COLUMNS.join(',')}) VALUES (${FEEDBACK_COLUMNS.map((_, i) => `$${i + 1}`).join(',')})`,
        feedbackParams(f),
      );
    },
    async summarizeFeedback(q, groups) {
      await ready();
      const st = feedbackStatements({ ...POSTGRES_SUMMARY, table: tables.feedback }, q, groups);
      // One snapshot: the totals and the groups count the same rows while replicas write.
      return inTransaction(
        pool,
        async (client) => {
          const t = await client.query(st.totals.sql, st.totals.params);
          const g = await client.query(st.groups.sql, st.groups.params);
          return {
            totals: feedbackGroupFromRow((t.rows[0] ?? {}) as Record<string, unknown>, ''),
            groups: (g.rows as Record<string, unknown>[]).map((r) =>
              feedbackGroupFromRow(r, String(r.g)),
            ),
          };
        },
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      );
    },
    async listFeedback(since, until) {
      const res = await query(
        listFeedbackSql(tables.requests, tables.feedback, (i) => `$${i}`),
        [since, until],
      );
      return (res.rows as FeedbackRow[]).map(feedbackFromRow);
    },
  };
}

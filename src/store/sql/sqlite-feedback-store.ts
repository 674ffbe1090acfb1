// Feedback in the SQLite request log (feedback-store.ts has the contract): the `feedback` rows, and
// the lookup of the request a feedback names among the `requests` rows.
import type Database from 'better-sqlite3';
import type { FeedbackStore } from '../feedback-store.js';
import { fromRow, selectList, type Row } from './request-columns.js';
import {
  FEEDBACK_COLUMNS,
  feedbackFromRow,
  feedbackParams,
  listFeedbackSql,
  type FeedbackRow,
} from './feedback-rows.js';
import { SQLITE_SUMMARY } from './summary-dialect.js';
import { feedbackGroupFromRow } from './summary-from-rows.js';
import { feedbackStatements, type SqlStatement } from './summary-sql.js';

export function createSqliteFeedbackStore(
  db: Database.Database,
  ready: () => Promise<void>,
): FeedbackStore {
  const run = (st: SqlStatement) =>
    db.prepare(st.sql).all(Object.fromEntries(st.params.map((v, i) => [`p${i + 1}`, v]))) as Record<
      string,
      unknown
    >[];
  return {
    async findRequest(tenant, ref) {
      await ready();
      const [column, id] =
        'requestId' in ref ? ['request_id', ref.requestId] : ['decision_id', ref.decisionId];
      const row = db
        .prepare(
          `SELECT ${selectList(false)} FROM requests WHERE tenant = ? AND ${column} = ? ORDER BY time DESC LIMIT 1`,
        )
        .get(tenant, id) as Row | undefined;
      return row && fromRow(row);
    },
    async saveFeedback(f) {
      await ready();
      db.prepare(
        `INSERT INTO feedback (${FEEDBACK_COLUMNS.join(',')}) VALUES (${FEEDBACK_COLUMNS.map(() => '?').join(',')})`,
      ).run(...feedbackParams(f));
    },
    async summarizeFeedback(q, groups) {
      await ready();
      const st = feedbackStatements({ ...SQLITE_SUMMARY, table: 'feedback' }, q, groups);
      // One read transaction: the totals and the groups see the same rows.
      return db.transaction(() => ({
        totals: feedbackGroupFromRow(run(st.totals)[0] ?? {}, ''),
        groups: run(st.groups).map((r) => feedbackGroupFromRow(r, String(r.g))),
      }))();
    },
    async listFeedback(since, until) {
      await ready();
      const rows = db
        .prepare(listFeedbackSql('requests', 'feedback', () => '?'))
        .all(since, until) as FeedbackRow[];
      return rows.map(feedbackFromRow);
    },
  };
}

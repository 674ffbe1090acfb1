// The batch webhooks' outbox in the SQLite request log (better-sqlite3). A claim is one
// UPDATE … WHERE id = (SELECT …) RETURNING, atomic across connections to the file.
import type Database from 'better-sqlite3';
import { countsFromRows, type NewWebhookDelivery, type WebhookOutbox } from '../webhook-outbox.js';
import {
  DELIVERY_COLUMNS,
  ENDED_DELIVERIES_SQL,
  NEW_DELIVERY_COLUMNS,
  attemptEndParams,
  countDeliveriesSql,
  deliveryFromRow,
  newDeliveryParams,
  type DeliveryRow,
} from './webhook-rows.js';

/**
 * Records a delivery (pending, due when recorded) unless one with its id is there already; its
 * parameters are `sqliteDeliveryParams`.
 */
export const SQLITE_INSERT_DELIVERY = `INSERT INTO webhook_deliveries
  (${NEW_DELIVERY_COLUMNS}, status, attempts, next_attempt_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (id) DO NOTHING`;

export const sqliteDeliveryParams = (d: NewWebhookDelivery): unknown[] => [
  ...newDeliveryParams(d),
  d.createdAt,
];

/**
 * The outbox half of the SQLite store: `sql` prepares a statement once the migrations ran (the
 * batch store's cache).
 */
export function createSqliteWebhookOutbox(
  db: Database.Database,
  sql: (text: string) => Promise<Database.Statement>,
): WebhookOutbox {
  const get = async (id: string) => {
    const st = await sql(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?`);
    const row = st.get(id) as DeliveryRow | undefined;
    return row && deliveryFromRow(row);
  };
  return {
    async addWebhookDeliveries(list) {
      const insert = await sql(SQLITE_INSERT_DELIVERY);
      db.transaction(() => {
        for (const d of list) insert.run(...sqliteDeliveryParams(d));
      }).immediate();
    },
    async claimWebhookDelivery(worker, now, leaseUntil) {
      const st = await sql(
        `UPDATE webhook_deliveries SET lease_holder = ?, next_attempt_at = ?
         WHERE id = (SELECT id FROM webhook_deliveries WHERE status = 'pending'
           AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1)
         RETURNING ${DELIVERY_COLUMNS}`,
      );
      const row = st.get(worker, leaseUntil, now) as DeliveryRow | undefined;
      return row && deliveryFromRow(row);
    },
    async endWebhookAttempt(id, worker, end) {
      const st = await sql(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + ?, next_attempt_at = ?,
           last_error = ?, finished_at = ?, lease_holder = NULL
         WHERE id = ? AND lease_holder = ? AND status = 'pending'`,
      );
      return st.run(...attemptEndParams(end), id, worker).changes > 0;
    },
    async listWebhookDeliveries(q) {
      const filter =
        '(@status IS NULL OR status = @status) AND (@batch IS NULL OR batch_id = @batch)';
      const st = await sql(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ${filter}
         ${q.after === undefined ? '' : 'AND (created_at, id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = @after)'}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
      );
      const rows = st.all({
        status: q.status ?? null,
        batch: q.batchId ?? null,
        limit: q.limit,
        ...(q.after === undefined ? {} : { after: q.after }),
      }) as DeliveryRow[];
      return rows.map(deliveryFromRow);
    },
    async retryWebhookDelivery(id, now) {
      const st = await sql(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?,
           finished_at = NULL, lease_holder = NULL
         WHERE id = ? AND status = 'failed'`,
      );
      st.run(now, id);
      return get(id);
    },
    async countWebhookDeliveries(now) {
      const st = await sql(countDeliveriesSql('webhook_deliveries', '?'));
      return countsFromRows(st.all(now) as { state: string; n: number }[]);
    },
    async deleteWebhookDeliveries(q) {
      const st = await sql(
        `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
           WHERE finished_at <= ? AND status IN (${ENDED_DELIVERIES_SQL}) ORDER BY finished_at LIMIT ?)`,
      );
      return st.run(q.finishedBy, q.limit).changes;
    },
  };
}

// The batch webhooks' outbox in the PostgreSQL request log (`pg`), shared by every replica. A claim
// is one UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING: two replicas claiming at
// once take different deliveries, and the claimed one is not due again until its lease ends.
import type pg from 'pg';
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

// Ids compare byte-wise, as in SQLite and in memory, whatever the database's collation.
const BY_ID = 'id COLLATE "C"';

/** The column types of NEW_DELIVERY_COLUMNS, for unnest. */
const NEW_DELIVERY_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'bigint',
];

/**
 * Records deliveries (pending, due when recorded) with one statement, on `client` (the caller's
 * transaction) or the pool; one already recorded (same id) is left as it is.
 */
export async function insertDeliveries(
  client: pg.Pool | pg.PoolClient,
  table: string,
  list: readonly NewWebhookDelivery[],
): Promise<void> {
  if (list.length === 0) return;
  const rows = list.map(newDeliveryParams);
  const arrays = NEW_DELIVERY_TYPES.map((_, i) => rows.map((r) => r[i]));
  await client.query(
    `INSERT INTO ${table} (${NEW_DELIVERY_COLUMNS}, status, attempts, next_attempt_at)
     SELECT *, 'pending', 0, d.created_at
     FROM unnest(${NEW_DELIVERY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
       AS d(${NEW_DELIVERY_COLUMNS})
     ON CONFLICT (id) DO NOTHING`,
    arrays,
  );
}

/** The outbox half of the PostgreSQL store, on its pool; `ready` applies the migrations first. */
export function createPostgresWebhookOutbox(
  pool: pg.Pool,
  table: string,
  ready: () => Promise<void>,
): WebhookOutbox {
  const query = async (text: string, params: unknown[]) => {
    await ready();
    return pool.query(text, params);
  };
  const one = (res: pg.QueryResult) => {
    const row = res.rows[0] as DeliveryRow | undefined;
    return row && deliveryFromRow(row);
  };
  return {
    async addWebhookDeliveries(list) {
      await ready();
      await insertDeliveries(pool, table, list);
    },
    async claimWebhookDelivery(worker, now, leaseUntil) {
      // SKIP LOCKED: a replica racing for the same row takes the next one instead of waiting and
      // then sending it again; the outer WHERE rechecks that it is still due.
      const res = await query(
        `UPDATE ${table} SET lease_holder = $1, next_attempt_at = $2
         WHERE id = (SELECT id FROM ${table} WHERE status = 'pending' AND next_attempt_at <= $3
           ORDER BY next_attempt_at, ${BY_ID} LIMIT 1 FOR UPDATE SKIP LOCKED)
           AND status = 'pending' AND next_attempt_at <= $3
         RETURNING ${DELIVERY_COLUMNS}`,
        [worker, leaseUntil, now],
      );
      return one(res);
    },
    async endWebhookAttempt(id, worker, end) {
      const res = await query(
        `UPDATE ${table} SET status = $1, attempts = attempts + $2, next_attempt_at = $3,
           last_error = $4, finished_at = $5, lease_holder = NULL
         WHERE id = $6 AND lease_holder = $7 AND status = 'pending'`,
        [...attemptEndParams(end), id, worker],
      );
      return (res.rowCount ?? 0) > 0;
    },
    async listWebhookDeliveries(q) {
      const res = await query(
        `SELECT ${DELIVERY_COLUMNS} FROM ${table}
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR batch_id = $2)
         ${q.after === undefined ? '' : `AND (created_at, ${BY_ID}) < (SELECT created_at, id FROM ${table} WHERE id = $4)`}
         ORDER BY created_at DESC, ${BY_ID} DESC LIMIT $3`,
        [q.status ?? null, q.batchId ?? null, q.limit, ...(q.after === undefined ? [] : [q.after])],
      );
      return (res.rows as DeliveryRow[]).map(deliveryFromRow);
    },
    async retryWebhookDelivery(id, now) {
      await query(
        `UPDATE ${table} SET status = 'pending', attempts = 0, next_attempt_at = $2,
           finished_at = NULL, lease_holder = NULL
         WHERE id = $1 AND status = 'failed'`,
        [id, now],
      );
      return one(await query(`SELECT ${DELIVERY_COLUMNS} FROM ${table} WHERE id = $1`, [id]));
    },
    async countWebhookDeliveries(now) {
      const res = await query(countDeliveriesSql(table, '$1'), [now]);
      return countsFromRows(res.rows as { state: string; n: string }[]);
    },
    async deleteWebhookDeliveries(q) {
      const res = await query(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table}
           WHERE finished_at <= $1 AND status IN (${ENDED_DELIVERIES_SQL})
           ORDER BY finished_at LIMIT $2)`,
        [q.finishedBy, q.limit],
      );
      return res.rowCount ?? 0;
    },
  };
}

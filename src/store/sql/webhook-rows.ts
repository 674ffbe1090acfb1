// Webhook deliveries (the batch webhooks' outbox, webhook-outbox.ts) as rows, shared by the SQLite
// and PostgreSQL stores: the column lists, the values an insert and an attempt's end write, and the
// mapping back (pg returns BIGINT as a string; NULL becomes an absent field).
import type {
  NewWebhookDelivery,
  WebhookAttemptEnd,
  WebhookDelivery,
  WebhookDeliveryStatus,
} from '../webhook-outbox.js';

/** What a new delivery is given; it is inserted `pending`, no attempt made, due when recorded. */
export const NEW_DELIVERY_COLUMNS =
  'id, event_id, event, batch_id, owner, target, host, body, created_at';

/** A delivery's columns as the outbox shows it (its lease holder stays inside the stores). */
export const DELIVERY_COLUMNS = `${NEW_DELIVERY_COLUMNS}, status, attempts, next_attempt_at, last_error, finished_at`;

/** The statuses the sweep deletes, as an SQL list. */
export const ENDED_DELIVERIES_SQL = "'delivered', 'failed'";

/** A row of DELIVERY_COLUMNS as the driver returns it. */
export type DeliveryRow = Record<
  | 'id'
  | 'event_id'
  | 'event'
  | 'batch_id'
  | 'owner'
  | 'target'
  | 'host'
  | 'body'
  | 'created_at'
  | 'status'
  | 'attempts'
  | 'next_attempt_at'
  | 'last_error'
  | 'finished_at',
  unknown
>;

/** A new delivery's values in NEW_DELIVERY_COLUMNS order. */
export function newDeliveryParams(d: NewWebhookDelivery): unknown[] {
  return [d.id, d.eventId, d.event, d.batchId, d.owner, d.target, d.host, d.body, d.createdAt];
}

/**
 * What an attempt's end writes: status, attempts to add, next_attempt_at, last_error and
 * finished_at (NULL where it does not apply).
 */
export function attemptEndParams(end: WebhookAttemptEnd): unknown[] {
  const counted = end.status !== 'failed' || end.sent ? 1 : 0;
  if (end.status === 'delivered') return [end.status, counted, null, null, end.at];
  if (end.status === 'pending') return [end.status, counted, end.nextAttemptAt, end.error, null];
  return [end.status, counted, null, end.error, end.at];
}

export function deliveryFromRow(r: DeliveryRow): WebhookDelivery {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    event: String(r.event),
    batchId: String(r.batch_id),
    owner: String(r.owner),
    target: String(r.target),
    host: String(r.host),
    body: String(r.body),
    createdAt: Number(r.created_at),
    status: r.status as WebhookDeliveryStatus,
    attempts: Number(r.attempts),
    ...(r.next_attempt_at === null ? {} : { nextAttemptAt: Number(r.next_attempt_at) }),
    ...(r.last_error === null ? {} : { lastError: String(r.last_error) }),
    ...(r.finished_at === null ? {} : { finishedAt: Number(r.finished_at) }),
  };
}

/**
 * The outbox's rows counted by state (webhook-outbox.ts `deliveryState`), `param` the placeholder
 * of `now` (`?` in SQLite, `$1` in PostgreSQL). One pass over a table the retention sweep bounds.
 */
export function countDeliveriesSql(table: string, param: string): string {
  return `SELECT CASE WHEN status = 'pending' AND lease_holder IS NOT NULL
      AND next_attempt_at > ${param} THEN 'delivering' ELSE status END AS state, COUNT(*) AS n
    FROM ${table} GROUP BY 1`;
}

// The batch webhooks' outbox (`batches.webhooks`): one delivery per event and receiver, written
// with the batch's final status (BatchStore.updateBatch, in the same transaction), then claimed and
// sent by whichever replica finds it due (src/batch/batch-webhooks.ts). A claim is a lease: the
// delivery is not due again until it runs out, so two replicas never send the same attempt at
// once, and one that dies mid-attempt leaves it to another. Kept in the request-log store beside
// the batches (SQLite, or PostgreSQL shared by the replicas); in memory without a request log.

/** `pending` until delivered (a 2xx) or given up (`failed`). */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export const WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = [
  'pending',
  'delivered',
  'failed',
];

/**
 * What the outbox holds, by state (the `model_router_batch_webhook_deliveries` gauge): `pending`
 * waiting for its next attempt, `delivering` pending with an attempt under way (its lease has not
 * run out), `delivered`, `failed` (given up).
 */
export type WebhookDeliveryCounts = Record<
  'pending' | 'delivering' | 'delivered' | 'failed',
  number
>;

export const WEBHOOK_DELIVERY_STATES = ['pending', 'delivering', 'delivered', 'failed'] as const;

/** A delivery as it is recorded when its batch ends: due at once. */
export interface NewWebhookDelivery {
  /** Derived from the event and the receiver, so recording it twice keeps one. */
  id: string;
  /** The event's id: the `webhook-id` of every attempt. */
  eventId: string;
  /** `batch.completed`, `batch.failed`… */
  event: string;
  batchId: string;
  /** The batch's tenant. */
  owner: string;
  /**
   * Which configured webhook: a digest of its `url` and `secretEnv` (the URL itself may hold a
   * token, so it is not stored; the webhook is looked up in the config at each attempt).
   */
  target: string;
  /** The receiver's host, for logs and the admin API. */
  host: string;
  /** The event as sent (JSON). */
  body: string;
  /** Epoch ms: when it was recorded (the batch's end). */
  createdAt: number;
}

export interface WebhookDelivery extends NewWebhookDelivery {
  status: WebhookDeliveryStatus;
  /** Attempts made so far (each POST that ended, whatever it was answered). */
  attempts: number;
  /**
   * Epoch ms: when a pending delivery is due (its next attempt; while an attempt is under way, the
   * end of its lease). None once delivered or given up.
   */
  nextAttemptAt?: number;
  /** Why the last attempt failed (or why it was given up). */
  lastError?: string;
  /** Epoch ms: when it was delivered or given up. */
  finishedAt?: number;
}

/** How an attempt (or a decision not to make one) ended; written only by the lease holder. */
export type WebhookAttemptEnd =
  | { status: 'delivered'; at: number }
  | { status: 'pending'; at: number; nextAttemptAt: number; error: string }
  /** `sent` false: given up without a POST (no secret, webhook no longer configured). */
  | { status: 'failed'; at: number; error: string; sent: boolean };

/** The admin API's listing: newest first (by when recorded), each filter optional. */
export interface WebhookDeliveryQuery {
  status?: WebhookDeliveryStatus;
  batchId?: string;
  /** A delivery id: the page past it; none when unknown. */
  after?: string;
  limit: number;
}

/** A pass of the retention sweep over deliveries. */
export interface WebhookDeliverySweep {
  /** Delivered or given-up deliveries that finished at or before this (epoch ms) are deleted. */
  finishedBy: number;
  limit: number;
}

export interface WebhookOutbox {
  /**
   * Records deliveries, due at once; one already recorded (same id) is left as it is. The runner
   * records them with the batch's final status instead (`BatchStore.updateBatch`).
   */
  addWebhookDeliveries(list: readonly NewWebhookDelivery[]): Promise<void>;
  /**
   * Leases the pending delivery due longest ago (`nextAttemptAt` at or before `now`) until
   * `leaseUntil` (it is not due again before then); atomic across replicas.
   */
  claimWebhookDelivery(
    worker: string,
    now: number,
    leaseUntil: number,
  ): Promise<WebhookDelivery | undefined>;
  /**
   * Writes how `worker`'s attempt ended (counting it when a POST was made) if it still holds the
   * lease; false (nothing written) if another replica took the delivery over.
   */
  endWebhookAttempt(id: string, worker: string, end: WebhookAttemptEnd): Promise<boolean>;
  /** Operators' view (admin API). */
  listWebhookDeliveries(q: WebhookDeliveryQuery): Promise<WebhookDelivery[]>;
  /**
   * Makes a given-up delivery pending again, due at `now`, with its attempts counted afresh
   * (an operator fixed the receiver); returns it as it is after, undefined when there is no such
   * delivery. A pending or delivered one is returned unchanged.
   */
  retryWebhookDelivery(id: string, now: number): Promise<WebhookDelivery | undefined>;
  /** How many deliveries there are in each state at `now` (one grouped count). */
  countWebhookDeliveries(now: number): Promise<WebhookDeliveryCounts>;
  /** Deletes up to `limit` delivered or given-up deliveries past retention; returns how many. */
  deleteWebhookDeliveries(sweep: WebhookDeliverySweep): Promise<number>;
}

/** A delivery's state for the counts: a pending one whose lease holds is being delivered. */
export function deliveryState(
  status: WebhookDeliveryStatus,
  leased: boolean,
  nextAttemptAt: number | undefined,
  now: number,
): keyof WebhookDeliveryCounts {
  return status === 'pending' && leased && (nextAttemptAt ?? 0) > now ? 'delivering' : status;
}

/** The counts from SQL rows of (state, n) (PostgreSQL's count is a string). */
export function countsFromRows(
  rows: readonly { state: string; n: number | string }[],
): WebhookDeliveryCounts {
  const counts: WebhookDeliveryCounts = { pending: 0, delivering: 0, delivered: 0, failed: 0 };
  for (const r of rows)
    if ((WEBHOOK_DELIVERY_STATES as readonly string[]).includes(r.state))
      counts[r.state as keyof WebhookDeliveryCounts] += Number(r.n);
  return counts;
}

// The batch webhooks' outbox counted by state for the `model_router_batch_webhook_deliveries`
// gauge: one grouped count every OUTBOX_COUNT_EVERY_MS rather than one per scrape (a scrape costs
// nothing; with several Prometheus servers and replicas, a query per scrape would add up). With
// PostgreSQL the outbox is the fleet's, so every replica reports the same numbers.
import type { Clock } from '../core/clock.js';
import type { WebhookDeliveryCounts, WebhookOutbox } from '../store/webhook-outbox.js';

export const OUTBOX_COUNT_EVERY_MS = 15_000;

export interface OutboxCountsOptions {
  store: WebhookOutbox;
  clock: Clock;
  /** The latest counts; undefined when the store could not be read (the gauge then shows none
   * rather than stale numbers). */
  onCounts: (counts: WebhookDeliveryCounts | undefined) => void;
  log: { warn(msg: string): void };
  everyMs?: number;
}

/** Counts now and every `everyMs` until stopped; `sample` counts once (tests, start-up). */
export function watchOutboxCounts(opts: OutboxCountsOptions): {
  sample(): Promise<void>;
  stop(): void;
} {
  let failing = false;
  const sample = async () => {
    try {
      opts.onCounts(await opts.store.countWebhookDeliveries(opts.clock.now()));
      failing = false;
    } catch (err) {
      opts.onCounts(undefined);
      // Once per outage, not every pass.
      if (!failing)
        opts.log.warn(`batches: could not count webhook deliveries: ${(err as Error).message}`);
      failing = true;
    }
  };
  const timer = setInterval(() => void sample(), opts.everyMs ?? OUTBOX_COUNT_EVERY_MS);
  timer.unref();
  void sample();
  return { sample, stop: () => clearInterval(timer) };
}

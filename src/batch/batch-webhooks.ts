// Webhooks for a batch's end (`batches.webhooks`), OpenAI's batch events for OpenAI batches and
// Anthropic Message Batches alike (webhook-event.ts), signed per Standard Webhooks
// (standardwebhooks.com) with its `standardwebhooks` package so the `openai` SDK's
// `webhooks.unwrap` verifies them. Durable: the deliveries are recorded in the store's outbox with
// the batch's final status (batchDeliveries), and every replica with batches on sends those that
// are due, each under a lease (webhook-outbox.ts), at most DELIVERIES_AT_ONCE at a time. A network
// error or an answer other than 2xx is tried again later (doubling waits, or the receiver's
// `Retry-After` on 429/503) with the same `webhook-id`, by whichever replica finds it due, across
// restarts, up to `batches.webhookAttempts` tries; then it is logged, counted and kept as given up.
import type { Webhook } from 'standardwebhooks';
import type { BatchWebhookEvent } from '../config/batch-schema.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { StoredBatch } from '../store/batch-store.js';
import type {
  NewWebhookDelivery,
  WebhookAttemptEnd,
  WebhookDelivery,
  WebhookOutbox,
} from '../store/webhook-outbox.js';
import {
  batchDeliveries,
  extraHeaders,
  fetchWebhookPost,
  retryDelayMs,
  webhookTarget,
  type FinishedStatus,
  type WebhookAnswer,
  type WebhookPost,
} from './webhook-event.js';
import { repeatedWarning } from '../core/repeated-warning.js';

export { batchWebhookPayload, type FinishedStatus } from './webhook-event.js';

/** One attempt's outcome, as metrics count it: `retried` when another attempt follows. */
export type WebhookOutcome = 'delivered' | 'retried' | 'failed';

export interface BatchWebhooksOptions {
  store: WebhookOutbox;
  settings: () => Pick<
    Config['batches'],
    'webhooks' | 'webhookTimeoutMs' | 'webhookAttempts' | 'pollIntervalMs'
  >;
  clock: Clock;
  log: { warn(msg: string): void; info(msg: string): void };
  /** Where each webhook's `secretEnv` is read, at each attempt (the process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Sends one attempt (fetch by default). */
  post?: WebhookPost;
  onResult?: (event: BatchWebhookEvent, outcome: WebhookOutcome) => void;
}

/** Attempts this replica makes at once. */
const DELIVERIES_AT_ONCE = 4;
/** A claim's lease outlasts the attempt's timeout by this much (then another replica may try). */
const LEASE_MARGIN_MS = 10_000;

export class BatchWebhooks {
  readonly worker = newId('webhooks_');
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<number> | undefined;
  /** A wake came during a pass: look again once it ends. */
  private again = false;
  private started = false;
  private stopped = false;

  /** A store that is down fails every claim: said once a minute, not every pass. */
  private readonly claimWarning = repeatedWarning(
    (m) => this.options.log.warn(m),
    'batches: could not claim a webhook delivery',
    () => this.options.clock.now(),
  );

  constructor(private readonly options: BatchWebhooksOptions) {}

  /**
   * The deliveries `batch` ending in `status` at `endedAt` records with its final status (one per
   * webhook that asked for the event and the batch's tenant); none when the config cannot be read.
   */
  deliveriesFor(
    batch: Pick<StoredBatch, 'id' | 'owner'>,
    status: FinishedStatus,
    endedAt: number,
  ): NewWebhookDelivery[] {
    try {
      return batchDeliveries(this.options.settings().webhooks, batch, status, endedAt);
    } catch (err) {
      this.options.log.warn(
        `batches: webhooks for ${batch.id} not recorded: ${(err as Error).message}`,
      );
      return [];
    }
  }

  /** Sends due deliveries now and every `pollIntervalMs`. */
  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.options.settings().pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Looks for due deliveries now (a batch just ended here), once started. */
  wake(): void {
    if (!this.started || this.stopped) return;
    this.deliverDue().catch((err: Error) =>
      this.options.log.warn(`batches: webhook deliveries: ${err.message}`),
    );
  }

  /**
   * Claims and sends every delivery due now, DELIVERIES_AT_ONCE at a time; resolves with how many
   * were tried once they have ended (one already under way: that one's).
   */
  deliverDue(): Promise<number> {
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    const pass = this.runPass().finally(() => {
      this.pass = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
    this.pass = pass;
    return pass;
  }

  /** Resolves when no pass is under way (tests). */
  async idle(): Promise<void> {
    while (this.pass) await this.pass;
  }

  /**
   * Stops looking for deliveries and lets attempts under way end, for up to `waitMs` (real time).
   * Nothing is given up: what is not delivered stays in the outbox for the next replica.
   */
  async stop(waitMs = 10_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const timer = new AbortController();
    const waited = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      timer.signal.addEventListener('abort', () => clearTimeout(t));
    });
    await Promise.race([this.idle(), waited]);
    timer.abort();
  }

  /**
   * One lane looks for a due delivery; each one it finds starts another lane (up to
   * DELIVERIES_AT_ONCE) while it is sent, so an idle pass costs one claim query.
   */
  private async runPass(): Promise<number> {
    const { store, clock } = this.options;
    let tried = 0;
    const lanes = new Set<Promise<void>>();
    const lane = async () => {
      while (!this.stopped) {
        const now = clock.now();
        const leaseMs = this.options.settings().webhookTimeoutMs + LEASE_MARGIN_MS;
        let delivery: WebhookDelivery | undefined;
        try {
          delivery = await store.claimWebhookDelivery(this.worker, now, now + leaseMs);
          this.claimWarning.ok();
        } catch (err) {
          this.claimWarning.failed((err as Error).message);
          return;
        }
        if (!delivery) return;
        tried++;
        if (lanes.size < DELIVERIES_AT_ONCE) addLane();
        await this.attempt(delivery);
      }
    };
    const addLane = () => {
      const running: Promise<void> = lane().finally(() => lanes.delete(running));
      lanes.add(running);
    };
    addLane();
    while (lanes.size > 0) await Promise.all([...lanes]);
    return tried;
  }

  /** One attempt at `d` (claimed), and its end written back. */
  private async attempt(d: WebhookDelivery): Promise<void> {
    const { clock, log, onResult } = this.options;
    const settings = this.options.settings();
    const event = d.event as BatchWebhookEvent;
    const what = `webhook ${d.event} for ${d.batchId} to ${d.host}`;
    const end = async (e: WebhookAttemptEnd) => {
      try {
        if (!(await this.options.store.endWebhookAttempt(d.id, this.worker, e)))
          log.warn(
            `batches: ${what}: another replica took it over (the attempt outlasted its lease)`,
          );
      } catch (err) {
        log.warn(`batches: ${what}: could not record the attempt: ${(err as Error).message}`);
      }
    };
    const giveUp = async (why: string, sent: boolean) => {
      log.warn(`batches: ${what} not delivered: ${why}`);
      onResult?.(event, 'failed');
      await end({ status: 'failed', at: clock.now(), error: why, sent });
    };
    const hook = settings.webhooks.find((h) => webhookTarget(h) === d.target);
    if (!hook)
      return giveUp('its webhook (url and secretEnv) is no longer in batches.webhooks', false);
    let signer: Webhook;
    try {
      const secret = (this.options.env ?? process.env)[hook.secretEnv];
      if (!secret) return giveUp(`the environment variable ${hook.secretEnv} is not set`, false);
      // Loaded with the first delivery: most routers never send a batch webhook.
      const { Webhook } = await import('standardwebhooks');
      signer = new Webhook(secret);
    } catch (err) {
      const why = `its secret in ${hook.secretEnv} is unusable (${(err as Error).message})`;
      return giveUp(why, false);
    }
    // Signed afresh for each attempt: receivers refuse a timestamp more than minutes old.
    const at = new Date(clock.now());
    let why: string;
    let answer: WebhookAnswer | undefined;
    try {
      answer = await (this.options.post ?? fetchWebhookPost)(
        hook.url,
        d.body,
        {
          ...extraHeaders(hook),
          'content-type': 'application/json',
          'webhook-id': d.eventId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(d.eventId, at, d.body),
        },
        settings.webhookTimeoutMs,
      );
      if (answer.status >= 200 && answer.status < 300) {
        onResult?.(event, 'delivered');
        return end({ status: 'delivered', at: clock.now() });
      }
      why = `HTTP ${answer.status}`;
    } catch (err) {
      // fetch's own message ("fetch failed") says little; its cause says what (ECONNREFUSED…).
      const cause = (err as { cause?: { message?: unknown } }).cause?.message;
      why = (err as Error).message + (typeof cause === 'string' ? ` (${cause})` : '');
    }
    const attempt = d.attempts + 1;
    if (attempt >= settings.webhookAttempts)
      return giveUp(
        attempt === 1 ? `${why} on its only attempt` : `${why} on each of ${attempt} attempts`,
        true,
      );
    const now = clock.now();
    const waitMs = retryDelayMs(attempt, answer, now);
    log.info(`batches: ${what}: ${why}; trying again in ${waitMs / 1000} s`);
    onResult?.(event, 'retried');
    await end({ status: 'pending', at: now, nextAttemptAt: now + waitMs, error: why });
  }
}

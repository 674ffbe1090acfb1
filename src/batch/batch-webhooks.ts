// Webhooks for a batch's end (`batches.webhooks`): OpenAI's batch events (`batch.completed`,
// `batch.failed`, `batch.cancelled`, `batch.expired`; platform.openai.com/docs/guides/webhooks) for
// OpenAI batches and Anthropic Message Batches alike, signed per Standard Webhooks
// (standardwebhooks.com) with its `standardwebhooks` package, so the `openai` SDK's
// `webhooks.unwrap` verifies them. The replica that wrote the final status sends them, in the
// background: a network error or a non-2xx answer is tried again after doubling waits with the same
// `webhook-id`, up to `batches.webhookAttempts` tries, then logged and given up. Pending deliveries
// live in memory only: a replica that dies while delivering loses them.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { BatchWebhookConfig, BatchWebhookEvent } from '../config/batch-schema.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { StoredBatch } from '../store/batch-store.js';
import { fetchPost, type Post } from '../telemetry/alerts.js';

/** The statuses a batch ends in, each an event of its own. */
export type FinishedStatus = 'completed' | 'failed' | 'cancelled' | 'expired';

/** One attempt's outcome, as metrics count it: `retried` when another attempt follows. */
export type WebhookOutcome = 'delivered' | 'retried' | 'failed';

/** OpenAI's webhook event for a batch (`BatchCompletedWebhookEvent` and its siblings). */
export interface BatchWebhookPayload {
  id: string;
  object: 'event';
  type: BatchWebhookEvent;
  /** Unix seconds: when the batch ended (its `completed_at`, `failed_at`…). */
  created_at: number;
  data: { id: string };
}

export interface BatchWebhooksOptions {
  settings: () => Pick<Config['batches'], 'webhooks' | 'webhookTimeoutMs' | 'webhookAttempts'>;
  clock: Clock;
  log: { warn(msg: string): void; info(msg: string): void };
  /** Where each webhook's `secretEnv` is read, at delivery (the process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Sends one attempt; returns its HTTP status (fetch by default). */
  post?: Post;
  /** Waits before the next attempt; returns early when `signal` aborts (the replica stops). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  onResult?: (event: BatchWebhookEvent, outcome: WebhookOutcome) => void;
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 300_000;

const realWait = (ms: number, signal: AbortSignal) =>
  sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * The event for batch `id` ending in `status`. Its id comes from the batch's id and status, so a
 * receiver that somehow got it twice can tell.
 */
export function batchWebhookPayload(
  id: string,
  status: FinishedStatus,
  endedAt: number,
): BatchWebhookPayload {
  const digest = createHash('sha256').update(`${id}:${status}`).digest('hex');
  return {
    id: `evt_${digest.slice(0, 32)}`,
    object: 'event',
    type: `batch.${status}`,
    created_at: Math.floor(endedAt / 1000),
    data: { id },
  };
}

/** The webhook's own headers, less those the delivery sets (content type, signature). */
function extraHeaders(hook: BatchWebhookConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(hook.headers ?? {}).filter(([name]) => {
      const n = name.toLowerCase();
      return n !== 'content-type' && !n.startsWith('webhook-');
    }),
  );
}

/** The URL's host, for logs (its path or query may hold a token). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

export class BatchWebhooks {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: BatchWebhooksOptions) {}

  /**
   * Sends the event for `batch` ending in `status` at `endedAt` (epoch ms: the batch's
   * `completed_at`…) to each webhook that asked for it; returns at once.
   */
  notify(batch: Pick<StoredBatch, 'id' | 'owner'>, status: FinishedStatus, endedAt: number): void {
    try {
      const settings = this.options.settings();
      const payload = batchWebhookPayload(batch.id, status, endedAt);
      const hooks = settings.webhooks.filter(
        (h) => h.events.includes(payload.type) && (!h.tenants || h.tenants.includes(batch.owner)),
      );
      const body = JSON.stringify(payload);
      for (const hook of hooks) {
        const delivery = this.deliver(hook, payload, body, settings).finally(() =>
          this.inFlight.delete(delivery),
        );
        this.inFlight.add(delivery);
      }
    } catch (err) {
      this.options.log.warn(
        `batches: webhooks for ${batch.id} not sent: ${(err as Error).message}`,
      );
    }
  }

  /** Resolves when every delivery begun so far has ended, delivered or given up (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Lets deliveries go on for up to `waitMs` (real time), then gives up those waiting to try
   * again; an attempt under way ends within `webhookTimeoutMs`.
   */
  async stop(waitMs = 10_000): Promise<void> {
    const timer = new AbortController();
    await Promise.race([this.idle(), realWait(waitMs, timer.signal)]);
    timer.abort();
    this.stopping.abort();
    await this.idle();
  }

  private async deliver(
    hook: BatchWebhookConfig,
    payload: BatchWebhookPayload,
    body: string,
    settings: ReturnType<BatchWebhooksOptions['settings']>,
  ): Promise<void> {
    const { clock, log, onResult } = this.options;
    const what = `webhook ${payload.type} for ${payload.data.id} to ${hostOf(hook.url)}`;
    const giveUp = (why: string) => {
      log.warn(`batches: ${what} not delivered: ${why}`);
      onResult?.(payload.type, 'failed');
    };
    let signer: Webhook;
    try {
      const secret = (this.options.env ?? process.env)[hook.secretEnv];
      if (!secret) return giveUp(`the environment variable ${hook.secretEnv} is not set`);
      signer = new Webhook(secret);
    } catch (err) {
      return giveUp(`its secret in ${hook.secretEnv} is unusable (${(err as Error).message})`);
    }
    const headers = extraHeaders(hook);
    for (let attempt = 1; ; attempt++) {
      // Signed afresh for each attempt: receivers refuse a timestamp more than minutes old.
      const at = new Date(clock.now());
      let why: string;
      try {
        const status = await (this.options.post ?? fetchPost)(
          hook.url,
          body,
          {
            ...headers,
            'content-type': 'application/json',
            'webhook-id': payload.id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(payload.id, at, body),
          },
          settings.webhookTimeoutMs,
        );
        if (status >= 200 && status < 300) {
          onResult?.(payload.type, 'delivered');
          return;
        }
        why = `HTTP ${status}`;
      } catch (err) {
        why = (err as Error).message;
      }
      if (attempt >= settings.webhookAttempts)
        return giveUp(`${why} on each of ${attempt} attempts`);
      if (this.stopping.signal.aborted) return giveUp(`${why}, and this replica is stopping`);
      const waitMs = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
      log.info(`batches: ${what}: ${why}; trying again in ${waitMs / 1000} s`);
      onResult?.(payload.type, 'retried');
      await (this.options.wait ?? realWait)(waitMs, this.stopping.signal);
      if (this.stopping.signal.aborted)
        return giveUp(`${why}, and this replica stopped before trying again`);
    }
  }
}

// What a batch webhook sends and when it tries again: OpenAI's batch event (`batch.completed`,
// `batch.failed`, `batch.cancelled`, `batch.expired`; platform.openai.com/docs/guides/webhooks),
// the outbox deliveries a batch's end records (one per matching webhook), the POST, and the wait
// before the next attempt (doubling, or the receiver's `Retry-After` on 429/503, capped).
import { createHash } from 'node:crypto';
import type { BatchWebhookConfig, BatchWebhookEvent } from '../config/batch-schema.js';
import { retryAfterMs } from '../gateway/circuit-breaker.js';
import type { StoredBatch } from '../store/batch-store.js';
import type { NewWebhookDelivery } from '../store/webhook-outbox.js';

/** The statuses a batch ends in, each an event of its own. */
export type FinishedStatus = 'completed' | 'failed' | 'cancelled' | 'expired';

/** OpenAI's webhook event for a batch (`BatchCompletedWebhookEvent` and its siblings). */
export interface BatchWebhookPayload {
  id: string;
  object: 'event';
  type: BatchWebhookEvent;
  /** Unix seconds: when the batch ended (its `completed_at`, `failed_at`…). */
  created_at: number;
  data: { id: string };
}

/** A receiver's answer to one attempt: its status and (lower-case) headers. */
export interface WebhookAnswer {
  status: number;
  headers: Record<string, string>;
}

/** Sends one attempt (a POST of `body`), given up after `timeoutMs`. */
export type WebhookPost = (
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
) => Promise<WebhookAnswer>;

/** The first retry's wait; each next one doubles, up to LONGEST_RETRY_MS. */
export const FIRST_RETRY_MS = 1_000;
export const LONGEST_RETRY_MS = 300_000;
/** The longest a receiver's `Retry-After` may put the next attempt off. */
export const RETRY_AFTER_CAP_MS = 3_600_000;

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/**
 * The event for batch `id` ending in `status`. Its id comes from the batch's id and status, so a
 * receiver that somehow got it twice can tell.
 */
export function batchWebhookPayload(
  id: string,
  status: FinishedStatus,
  endedAt: number,
): BatchWebhookPayload {
  return {
    id: `evt_${digest(`${id}:${status}`)}`,
    object: 'event',
    type: `batch.${status}`,
    created_at: Math.floor(endedAt / 1000),
    data: { id },
  };
}

/**
 * Which configured webhook a delivery goes to: a digest of its URL and secret's variable (the URL
 * may hold a token, so the outbox keeps only this).
 */
export function webhookTarget(hook: Pick<BatchWebhookConfig, 'url' | 'secretEnv'>): string {
  return digest(`${hook.url}\n${hook.secretEnv}`);
}

/** The URL's host, for logs and the admin API (its path or query may hold a token). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/**
 * The deliveries batch `batch` ending in `status` at `endedAt` (epoch ms: its `completed_at`…)
 * records: one per webhook that asked for the event and the batch's tenant, due at once.
 */
export function batchDeliveries(
  hooks: readonly BatchWebhookConfig[],
  batch: Pick<StoredBatch, 'id' | 'owner'>,
  status: FinishedStatus,
  endedAt: number,
): NewWebhookDelivery[] {
  const payload = batchWebhookPayload(batch.id, status, endedAt);
  const body = JSON.stringify(payload);
  const chosen = hooks.filter(
    (h) => h.events.includes(payload.type) && (!h.tenants || h.tenants.includes(batch.owner)),
  );
  const byTarget = new Map(chosen.map((h) => [webhookTarget(h), h]));
  return [...byTarget].map(([target, hook]) => ({
    id: `whdel_${digest(`${payload.id}:${target}`)}`,
    eventId: payload.id,
    event: payload.type,
    batchId: batch.id,
    owner: batch.owner,
    target,
    host: hostOf(hook.url),
    body,
    createdAt: endedAt,
  }));
}

/** The webhook's own headers, less those the delivery sets (content type, signature). */
export function extraHeaders(hook: BatchWebhookConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(hook.headers ?? {}).filter(([name]) => {
      const n = name.toLowerCase();
      return n !== 'content-type' && !n.startsWith('webhook-');
    }),
  );
}

/**
 * How long to wait after failed attempt number `attempt` (1-based): 1 s, 2 s, 4 s… up to 5 min;
 * on a 429 or 503 with `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, at least what
 * the receiver asked, up to RETRY_AFTER_CAP_MS.
 */
export function retryDelayMs(
  attempt: number,
  answer: WebhookAnswer | undefined,
  now: number,
): number {
  const backoff = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
  if (answer?.status !== 429 && answer?.status !== 503) return backoff;
  const asked = retryAfterMs(answer.headers, now);
  return asked === undefined ? backoff : Math.max(backoff, Math.min(RETRY_AFTER_CAP_MS, asked));
}

/** One POST of a JSON body with fetch (off the request path: one per webhook attempt). */
export const fetchWebhookPost: WebhookPost = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  return { status: res.status, headers: Object.fromEntries(res.headers) };
};

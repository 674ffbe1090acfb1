// The batch webhooks' outbox for operators (admin keys only): `GET /admin/v1/batch-webhooks`
// lists deliveries (pending, delivered or given up; filtered by status and batch, paged like
// OpenAI's lists) with their attempts and last error, and `POST
// /admin/v1/batch-webhooks/{id}/retry` makes a given-up one pending again, its attempts counted
// afresh (the receiver is fixed; a pending one is left as it is, a delivered one is 409). The
// receiver shows as its host: the outbox never keeps the URL.
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../../core/clock.js';
import { GatewayError, invalidRequest, notFound, queryNumber } from '../../core/errors.js';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookOutbox,
} from '../../store/webhook-outbox.js';
import { requireAdmin } from './admin-routes.js';
import { openAiList } from './openai-list.js';

const STATUS_FILTERS = ['all', ...WEBHOOK_DELIVERY_STATUSES] as const;

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));

/** A delivery as the admin API shows it (times in Unix seconds, as OpenAI's objects have them). */
export function webhookDeliveryView(d: WebhookDelivery): Record<string, unknown> {
  return {
    id: d.id,
    object: 'batch.webhook_delivery',
    event_id: d.eventId,
    type: d.event,
    batch_id: d.batchId,
    tenant: d.owner,
    host: d.host,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? seconds(d.nextAttemptAt) : null,
    last_error: d.lastError ?? null,
    created_at: seconds(d.createdAt),
    finished_at: seconds(d.finishedAt),
  };
}

type ListQuery = { Querystring: Record<string, string | undefined> };
type Params = { Params: { id: string } };

/** `wake` tells this replica's deliverer that a retried delivery is due now. */
export function registerAdminWebhooksRoutes(
  app: FastifyInstance,
  store: WebhookOutbox,
  wake: () => void = () => {},
  clock: Clock = systemClock,
): void {
  app.get<ListQuery>('/admin/v1/batch-webhooks', async (request) => {
    requireAdmin(request);
    const { status = 'all', batch_id: batchId, after } = request.query;
    if (!(STATUS_FILTERS as readonly string[]).includes(status))
      throw invalidRequest(`status must be one of ${STATUS_FILTERS.join(', ')}.`, 'status');
    const limit = Math.floor(queryNumber(request.query.limit, 'limit', 20, 1, 100));
    const rows = await store.listWebhookDeliveries({
      limit: limit + 1,
      ...(status === 'all' ? {} : { status: status as WebhookDeliveryStatus }),
      ...(batchId ? { batchId } : {}),
      ...(after ? { after } : {}),
    });
    return openAiList(rows, limit, webhookDeliveryView);
  });

  app.post<Params>('/admin/v1/batch-webhooks/:id/retry', async (request) => {
    const actor = requireAdmin(request);
    const { id } = request.params;
    const after = await store.retryWebhookDelivery(id, clock.now());
    if (!after)
      throw notFound(`No batch webhook delivery ${id}.`, 'webhook_delivery_not_found', 'id');
    if (after.status === 'delivered')
      throw new GatewayError({
        status: 409,
        type: 'invalid_request_error',
        code: 'webhook_delivery_not_retryable',
        param: 'id',
        message: `Webhook delivery ${id} was delivered; only a given-up (failed) delivery can be retried.`,
      });
    request.log.info(
      { delivery: id, batch: after.batchId, status: after.status, by: actor },
      'admin: batch webhook delivery retried',
    );
    wake();
    return webhookDeliveryView(after);
  });
}

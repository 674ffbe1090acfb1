// The Batch API's parts put together for the runtime: the store (the request log's, else memory),
// the runner, its in-process sender (each line through the router's own route with `app.inject`,
// as the batch's creator, tagged `batch` and `batch:<id>` so `report --by tag`, tag rate limits
// and tag budgets can single batch traffic out), the webhooks recorded when a batch ends and sent
// from the store's outbox, and the routes (OpenAI's Files and Batch APIs, Anthropic's Message
// Batches, the admin API's batches and webhook deliveries).
import type { FastifyInstance } from 'fastify';
import { ANONYMOUS_CONTEXT, contextFor } from '../auth/authenticate.js';
import type { KeyStore } from '../auth/key-store.js';
import type { ConfigHolder } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import type { AuthContext } from '../gateway/gateway-types.js';
import { registerMessageBatchesRoutes } from '../http/anthropic/message-batches-routes.js';
import { registerAdminBatchesRoutes } from '../http/routes/admin-batches-routes.js';
import { registerAdminWebhooksRoutes } from '../http/routes/admin-webhooks-routes.js';
import { registerBatchesRoutes } from '../http/routes/batches-routes.js';
import { registerDashboardBatchesRoutes } from '../dashboard/dashboard-batches.js';
import { registerFilesRoutes } from '../http/routes/files-routes.js';
import type { BatchStore } from '../store/batch-store.js';
import { BATCH_CALLER_HEADER, BatchCallers } from './batch-caller.js';
import { MESSAGES_ENDPOINT } from './batch-input.js';
import type { BatchRunnerDeps, LineBatch } from './batch-runner-deps.js';
import { BatchRunner } from './batch-runner.js';
import { BatchWebhooks, type BatchWebhooksOptions } from './batch-webhooks.js';
import { deleteOldBatches, deleteOldDeliveries } from './batch-retention.js';
import { watchOutboxCounts, type OutboxCountsOptions } from './outbox-counts.js';
import { TAGS_HEADER } from '../gateway/attribution.js';
import { BatchForwarder, type ForwarderDeps } from './forward/batch-forwarder.js';

export interface BatchServiceOptions {
  store: BatchStore;
  config: ConfigHolder;
  keys: KeyStore;
  clock: Clock;
  log: BatchRunnerDeps['log'];
  onLine?: BatchRunnerDeps['onLine'];
  /** What forwarding lines to upstream Batch APIs needs (`batches.forward`); without it, none is. */
  forward?: Pick<ForwarderDeps, 'adapters' | 'recorder' | 'policies'>;
  /** Each batch webhook attempt's outcome (metrics). */
  onWebhook?: BatchWebhooksOptions['onResult'];
  /** The webhook outbox counted by state, periodically (metrics). */
  onOutboxCounts?: OutboxCountsOptions['onCounts'];
}

/**
 * Expired files (`expires_after`) and batches past `batches.retentionDays` are deleted this often
 * (every replica; it is idempotent).
 */
const SWEEP_EVERY_MS = 60_000;

/** A line's tags: `batch`, `batch:<id>`, then the tags its batch was created with. */
function batchTags(batch: LineBatch): string {
  const own = `batch,batch:${batch.id}`;
  const more = batch.controls?.[TAGS_HEADER];
  return more ? `${own},${more}` : own;
}

export class BatchService {
  readonly callers = new BatchCallers();
  readonly runner: BatchRunner;
  readonly webhooks: BatchWebhooks;
  /** Sends chat lines to upstream Batch APIs (`batches.forward`), when the service was given it. */
  readonly forwarder: BatchForwarder | undefined;
  private app: FastifyInstance | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private outboxCounts: ReturnType<typeof watchOutboxCounts> | undefined;

  constructor(private readonly options: BatchServiceOptions) {
    const settings = () => options.config.current.config.batches;
    const forwarder = (this.forwarder =
      options.forward &&
      new BatchForwarder({
        ...options.forward,
        config: options.config,
        clock: options.clock,
        log: options.log,
        callerFor: (keyId, owner) => this.callerFor(keyId, owner),
      }));
    this.webhooks = new BatchWebhooks({
      store: options.store,
      settings,
      clock: options.clock,
      log: options.log,
      ...(options.onWebhook ? { onResult: options.onWebhook } : {}),
    });
    this.runner = new BatchRunner({
      ...(forwarder ? { forwarder } : {}),
      store: options.store,
      clock: options.clock,
      settings,
      log: options.log,
      ...(options.onLine ? { onLine: options.onLine } : {}),
      webhooksFor: (batch, status, endedAt) => this.webhooks.deliveriesFor(batch, status, endedAt),
      onFinished: () => this.webhooks.wake(),
      leaseMs: options.config.current.config.batches.leaseSeconds * 1000,
      callerFor: (keyId, owner) => this.callerFor(keyId, owner),
      send: async (line, auth, requestId, batch) => {
        if (!this.app) throw new Error('the router is not serving yet');
        const token = this.callers.register(auth, batch.forward, batch.carriedFilterCalls);
        try {
          const res = await this.app.inject({
            method: 'POST',
            url: line.path,
            headers: {
              ...batch.controls,
              'content-type': 'application/json',
              'x-request-id': requestId,
              [TAGS_HEADER]: batchTags(batch),
              [BATCH_CALLER_HEADER]: token,
              // A Message Batch's line is an Anthropic client's request: the header its SDK
              // always sends (the route reads its body alone today; this keeps it that client).
              ...(line.path === MESSAGES_ENDPOINT ? { 'anthropic-version': '2023-06-01' } : {}),
            },
            payload: JSON.stringify(line.body),
          });
          return { status: res.statusCode, headers: res.headers, body: res.body };
        } finally {
          this.callers.forget(token);
        }
      },
    });
  }

  /** Mounts the routes (a plugin for buildApp): the tenants' APIs, the admin API's and the dashboard's. */
  async register(app: FastifyInstance): Promise<void> {
    const { store, config, clock } = this.options;
    await registerFilesRoutes(app, store, config, clock);
    await registerBatchesRoutes(app, store, this.runner, config, clock);
    await registerMessageBatchesRoutes(app, store, this.runner, config, clock);
    registerAdminBatchesRoutes(app, store, this.runner, clock);
    registerAdminWebhooksRoutes(app, store, () => this.webhooks.wake(), clock);
    registerDashboardBatchesRoutes(app, store);
  }

  /** Starts running batches through `app` (unless `batches.enabled` is off at start-up). */
  start(app: FastifyInstance): void {
    this.app = app;
    const { store, clock, log, onOutboxCounts } = this.options;
    // Counted whether or not batches run here: the admin API lists the outbox either way.
    if (onOutboxCounts)
      this.outboxCounts = watchOutboxCounts({ store, clock, log, onCounts: onOutboxCounts });
    if (!this.options.config.current.config.batches.enabled) return;
    this.runner.start();
    this.webhooks.start();
    this.sweep = setInterval(() => void this.sweepOnce(), SWEEP_EVERY_MS);
    this.sweep.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweep);
    this.outboxCounts?.stop();
    await this.runner.stop();
    await this.webhooks.stop();
  }

  /**
   * One pass of the sweep: expired files, then finished batches and ended webhook deliveries past
   * their retention.
   */
  async sweepOnce(): Promise<void> {
    const { store, config, clock, log } = this.options;
    const { retentionDays } = config.current.config.batches;
    await this.deleteExpiredFiles();
    await deleteOldBatches(store, retentionDays, clock.now(), log);
    await deleteOldDeliveries(store, retentionDays, clock.now(), log);
  }

  private async deleteExpiredFiles(): Promise<void> {
    const { store, clock, log } = this.options;
    try {
      const n = await store.deleteExpiredFiles(clock.now());
      if (n > 0) log.info(`batches: deleted ${n} expired files`);
    } catch (err) {
      log.warn(`batches: could not delete expired files: ${(err as Error).message}`);
    }
  }

  /** The creator as a line runs now: its key's current scopes and limits, or why it cannot run. */
  callerFor(keyId: string | undefined, owner: string): AuthContext | { error: string } {
    if (keyId === undefined)
      return this.options.config.current.config.auth.mode === 'keys'
        ? { error: 'The batch was created without an API key, and this router now requires one.' }
        : ANONYMOUS_CONTEXT;
    const record = this.options.keys.get(keyId);
    if (!record) return { error: `API key ${keyId}, which created the batch, has been revoked.` };
    if (record.expiresAt && Date.parse(record.expiresAt) <= this.options.clock.now())
      return {
        error: `API key ${keyId}, which created the batch, expired at ${record.expiresAt}.`,
      };
    // A key moved to another tenant since: its old tenant's batch does not run as the new one.
    if (record.tenant !== owner)
      return {
        error: `API key ${keyId}, which created the batch for tenant ${owner}, now belongs to another tenant.`,
      };
    return contextFor(record);
  }
}

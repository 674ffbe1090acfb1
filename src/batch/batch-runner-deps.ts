// What a batch runner (batch-runner.ts) is given: its settings, the store and clock, who a line
// runs as and how it is sent, and whom it tells about lines and endings.
import type { Clock } from '../core/clock.js';
import type { AuthContext, BatchForwardOffer } from '../gateway/gateway-types.js';
import type { BatchStore, StoredBatch } from '../store/batch-store.js';
import type { AttemptRecord } from '../store/request-record.js';
import type { NewWebhookDelivery } from '../store/webhook-outbox.js';
import type { BatchLine } from './batch-input.js';
import type { LineReply } from './batch-line.js';
import type { FinishedStatus } from './webhook-event.js';
import type { BatchForwarder } from './forward/batch-forwarder.js';

export interface BatchRunnerSettings {
  concurrency: number;
  maxActive: number;
  maxAttempts: number;
  maxRequests: number;
  pollIntervalMs: number;
}

/** What a line's call needs of its batch. */
export interface LineBatch {
  id: string;
  controls?: Record<string, string>;
  /** The line may be held for an upstream Batch API (forward/batch-forwarder.ts). */
  forward?: BatchForwardOffer;
  /** The line came back from an upstream Batch API to run live (ChatCall.carriedFilterCalls). */
  carriedFilterCalls?: AttemptRecord[];
}

/** A line's outcome, as metrics count it: `not_run` for a line a cancel or expiry left unrun. */
export type LineOutcomeName = 'completed' | 'failed' | 'retried' | 'not_run';

export interface BatchRunnerDeps {
  store: BatchStore;
  clock: Clock;
  settings: () => BatchRunnerSettings;
  /** The batch creator as the line should run (its key as it is now), or why it cannot run. */
  callerFor(keyId: string | undefined, owner: string): AuthContext | { error: string };
  /** Sends one line through the router's route as `auth`. */
  send(line: BatchLine, auth: AuthContext, requestId: string, batch: LineBatch): Promise<LineReply>;
  log: { warn(msg: string): void; info(msg: string): void };
  onLine?(outcome: LineOutcomeName): void;
  /**
   * The webhook deliveries to record with `batch`'s final status, in the same write (the outbox,
   * batch-webhooks.ts).
   */
  webhooksFor?(
    batch: StoredBatch,
    status: FinishedStatus,
    endedAt: number,
  ): readonly NewWebhookDelivery[];
  /** This replica wrote `batch`'s final status, at `endedAt` (its webhooks); returns at once. */
  onFinished?(batch: StoredBatch, status: FinishedStatus, endedAt: number): void;
  /** Lease length; renewed every third of it. */
  leaseMs?: number;
  /** The first retry's wait for a failed try (doubling). */
  retryBaseMs?: number;
  /** Sends chat lines to upstream Batch APIs when the batch forwards (`batches.forward`). */
  forwarder?: BatchForwarder;
}

// The request log: one record per request, written in batches off the hot path. `record()` only
// queues; a timer flushes batches to the store (SQLite by default, PostgreSQL for many replicas).
// If the store is down the router keeps serving: records stay buffered up to a bound, what does
// not fit is counted as dropped, and `status()` says so for /readyz. `close()` drains everything.
import { setImmediate } from 'node:timers/promises';
import type { BatchStore } from './batch-store.js';
import type { ChatCompletionStore } from './chat-completion-store.js';
import type { ConversationObjectStore } from './conversation-object-store.js';
import type { FeedbackStore } from './feedback-store.js';
import type { RequestRecord, RequestRecorder } from './request-record.js';
import type { RequestSummary, UsageQuery } from './request-summary.js';
import type { ConversationStore } from './response-store.js';
import type { SpendQuery } from './spend-history.js';
import type { DecisionReceipt } from '../routing/receipt.js';

/** A place records go to and come back from; both stores pass the same tests. It also keeps
 * Responses API conversations (`previous_response_id`), the Conversations API's conversations,
 * stored Chat Completions, the Files and Batch APIs' data and feedback on answers. */
export interface RequestLogStore
  extends
    ConversationStore,
    ConversationObjectStore,
    ChatCompletionStore,
    BatchStore,
    FeedbackStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending schema migrations (versioned; idempotent). */
  migrate(): Promise<void>;
  insert(records: readonly RequestRecord[]): Promise<void>;
  /**
   * Records with `time` in [since, until), oldest first; without their prompt and answer texts
   * when `text` is false (summaries do not read them).
   */
  query(since: number, until?: number, opts?: { text?: boolean }): Promise<RequestRecord[]>;
  /** How many records have `time` in [since, until). */
  count(since: number, until: number): Promise<number>;
  /**
   * The usage summary of [since, until) aggregated in the database: the numbers `summarizeRecords`
   * gives for the same records, without reading them into this process. `q.filter` has no empty
   * fields; the caller adds it to the result. Optional: `usageSummary` reads the records otherwise.
   */
  summarize?(q: UsageQuery): Promise<RequestSummary>;
  /** USD a window's requests, or calls at a deployment, cost (a budget's spend history): SQL stores. */
  spend?(q: SpendQuery): Promise<number>;
  /**
   * The receipt kept with a record (`requestLog.storeReceipts`): by its decision id, or by the
   * request id of one of `tenant`'s requests (its latest decision), as `GET
   * /v1/router/decisions/{id}` looks them up in memory.
   */
  findReceipt(id: string, tenant?: string): Promise<DecisionReceipt | undefined>;
  /** Deletes records older than `before`; returns how many. */
  deleteOlderThan(before: number): Promise<number>;
  close(): Promise<void>;
}

export interface RequestLogStatus {
  ok: boolean;
  kind: string;
  buffered: number;
  dropped: number;
  written: number;
  lastError?: string;
}

export interface RequestLogOptions {
  maxBuffer: number;
  storeText: boolean;
  /** Whether routing receipts are written with their records, read as each is queued (hot reload). */
  storeReceipts?: () => boolean;
  retentionDays: number;
  flushIntervalMs?: number;
  batchSize?: number;
  now?: () => number;
  onError?: (message: string) => void;
}

const RETENTION_EVERY_MS = 3_600_000;

export class RequestLog implements RequestRecorder {
  private queue: RequestRecord[] = [];
  private dropped = 0;
  private written = 0;
  private lastError: string | undefined;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRetention = 0;
  private migrated = false;

  constructor(
    readonly store: RequestLogStore,
    private readonly options: RequestLogOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 250);
    this.timer.unref();
  }

  record(record: RequestRecord): void {
    if (this.queue.length >= this.options.maxBuffer) {
      this.dropped++;
      return;
    }
    if (
      !this.options.storeText &&
      (record.promptText !== undefined || record.answerText !== undefined)
    ) {
      record = { ...record, promptText: undefined, answerText: undefined };
    }
    if (record.receipt !== undefined && !(this.options.storeReceipts?.() ?? true))
      record = { ...record, receipt: undefined };
    this.queue.push(record);
  }

  status(): RequestLogStatus {
    return {
      ok: this.lastError === undefined,
      kind: this.store.kind,
      buffered: this.queue.length,
      dropped: this.dropped,
      written: this.written,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Writes everything queued so far (one flush at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    try {
      if (!this.migrated) {
        await this.store.migrate();
        this.migrated = true;
      }
      const batchSize = this.options.batchSize ?? 500;
      for (let first = true; this.queue.length > 0; first = false) {
        // Requests in flight get a turn between two batches (a store that writes on the loop
        // would otherwise hold it for the whole queue: docs/benchmarks.md "The request log off
        // the event loop").
        if (!first) await setImmediate();
        const batch = this.queue.slice(0, batchSize);
        try {
          await this.store.insert(batch);
        } catch (err) {
          if (!(await this.isolateRefused(batch, err))) throw err;
          continue;
        }
        this.queue.splice(0, batch.length);
        this.written += batch.length;
      }
      this.lastError = undefined;
      const now = this.options.now?.() ?? Date.now();
      if (now - this.lastRetention > RETENTION_EVERY_MS) {
        this.lastRetention = now;
        await this.store.deleteOlderThan(now - this.options.retentionDays * 86_400_000);
      }
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (message !== this.lastError)
        this.options.onError?.(`request log: ${message} (${this.queue.length} records buffered)`);
      this.lastError = message;
    }
  }

  /**
   * A batch the store refused: written a record at a time, so that one record the store cannot
   * take (a value it refuses) does not hold back every record queued after it, as it did until
   * 2026-12-06 (fault audit F1: the writer retried the same batch for good). A record refused
   * twice while others of the batch were written is dropped, counted and reported; when none was
   * written the store is taken to be down, and the batch waits as it did. Returns whether the
   * batch was settled (the queue no longer holds it).
   */
  private async isolateRefused(batch: readonly RequestRecord[], err: unknown): Promise<boolean> {
    if (batch.length < 2) return false;
    let written = 0;
    const tryEach = async (records: readonly RequestRecord[]) => {
      const refused: { record: RequestRecord; error: unknown }[] = [];
      for (const record of records) {
        try {
          await this.store.insert([record]);
          written++;
        } catch (error) {
          refused.push({ record, error });
        }
      }
      return refused;
    };
    const first = await tryEach(batch);
    if (written === 0) return false;
    // Once more, now that the store has taken others: a passing failure is written this time.
    const refused = await tryEach(first.map((r) => r.record));
    this.queue.splice(0, batch.length);
    this.written += written;
    this.dropped += refused.length;
    if (refused.length > 0)
      this.options.onError?.(
        `request log: the store refused ${refused.length} record(s) twice while it wrote others, dropped (${refused
          .map((r) => r.record.requestId)
          .join(', ')
          .slice(
            0,
            300,
          )}): ${(refused[0]!.error as Error)?.message ?? String(refused[0]!.error)} (the batch: ${
          (err as Error)?.message ?? String(err)
        })`,
      );
    return true;
  }

  /** Stops the timer and drains the queue; gives up after `attempts` failed flushes. */
  async close(attempts = 3): Promise<void> {
    clearInterval(this.timer);
    for (let i = 0; i < attempts && this.queue.length > 0; i++) await this.flush();
    // The store still down at shutdown: what it never got is lost, and said so (counted as dropped),
    // not left out of the log without a word.
    if (this.queue.length > 0) {
      const lost = this.queue.length;
      this.dropped += lost;
      this.queue = [];
      this.options.onError?.(
        `request log: ${lost} buffered record${lost === 1 ? '' : 's'} could not be written before shutdown (${this.lastError ?? 'the store did not answer'}) and ${lost === 1 ? 'is' : 'are'} lost`,
      );
    }
    await this.store.close();
  }
}

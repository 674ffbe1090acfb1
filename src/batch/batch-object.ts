// A batch as stored (`BatchDoc`, the runner's state, in epoch milliseconds) and as clients read it
// (OpenAI's Batch object: seconds, nulls for what has not happened, `cancelling` while a cancel
// request waits for the runner).
import {
  FINISHED_BATCH_STATUSES,
  type BatchStatus,
  type StoredBatch,
} from '../store/batch-store.js';
import { GatewayError } from '../core/errors.js';
import type { BatchInputError } from './batch-input.js';
import type { BatchEnding } from './finish-batch.js';
import type { ForwardDoc } from './forward/forward-doc.js';

export interface BatchUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface BatchDoc {
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  /** The creator's key (absent: the anonymous caller); lines run as this key, as it is when they run. */
  keyId?: string;
  metadata: Record<string, string> | null;
  /** The purpose of the output and error files (`batch_output` when absent). */
  outputPurpose?: string;
  /** Seconds after creation at which the output and error files expire (`output_expires_after`). */
  outputExpiresAfterSeconds?: number;
  expiresAt: number;
  inProgressAt?: number;
  finalizingAt?: number;
  completedAt?: number;
  failedAt?: number;
  expiredAt?: number;
  cancelledAt?: number;
  outputFileId?: string;
  errorFileId?: string;
  requestCounts: { total: number; completed: number; failed: number };
  /**
   * Of `requestCounts.failed`, the lines a cancel or expiry left unrun (`batch_cancelled`,
   * `batch_expired`): still running, as Anthropic shows them, until the batch has ended.
   */
  notRun?: number;
  usage: BatchUsage;
  errors?: BatchInputError[];
  /** The `model` every line named, when they all named the same one. */
  model?: string;
  /** Request controls sent with each line (`x-router-mode`…; see line-controls.ts). */
  controls?: Record<string, string>;
  /** How the batch ends, once it is finalizing (so a replica taking it over ends it the same). */
  ending?: BatchEnding;
  /** Lines sent to upstream Batch APIs (`batches.forward`; forward/forward-doc.ts). */
  forward?: ForwardDoc;
}

export function emptyUsage(): BatchUsage {
  return {
    input_tokens: 0,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 0,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 0,
  };
}

/**
 * Adds one answer's `usage` (Chat Completions, Responses, Embeddings or Anthropic Messages shape)
 * to the batch's. Anthropic's `input_tokens` leaves out the cache's reads and writes; OpenAI's
 * input counts them, so they are added back (and the reads are the cached tokens).
 */
export function addUsage(total: BatchUsage, usage: unknown): void {
  if (typeof usage !== 'object' || usage === null) return;
  const u = usage as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const details = (v: unknown, key: string) =>
    typeof v === 'object' && v !== null ? num((v as Record<string, unknown>)[key]) : 0;
  const cacheRead = num(u.cache_read_input_tokens);
  const input =
    num(u.prompt_tokens ?? u.input_tokens) + cacheRead + num(u.cache_creation_input_tokens);
  const output = num(u.completion_tokens ?? u.output_tokens);
  total.input_tokens += input;
  total.output_tokens += output;
  total.total_tokens += num(u.total_tokens) || input + output;
  total.input_tokens_details.cached_tokens +=
    details(u.prompt_tokens_details, 'cached_tokens') +
    details(u.input_tokens_details, 'cached_tokens') +
    cacheRead;
  total.output_tokens_details.reasoning_tokens +=
    details(u.completion_tokens_details, 'reasoning_tokens') +
    details(u.output_tokens_details, 'reasoning_tokens');
}

/** The batch's doc; a GatewayError 500 (the router's fault, not the request's) if unreadable. */
export function readDoc(batch: StoredBatch): BatchDoc {
  try {
    return JSON.parse(batch.doc) as BatchDoc;
  } catch (err) {
    throw new GatewayError({
      status: 500,
      type: 'server_error',
      code: 'batch_unreadable',
      message: `Batch ${batch.id}'s stored state could not be read; the request id is in x-request-id.`,
      cause: err,
    });
  }
}

/** Whether a cancel request is waiting for the runner (the client sees `cancelling`). */
export function isCancelling(batch: StoredBatch): boolean {
  return batch.cancelRequestedAt !== undefined && !FINISHED_BATCH_STATUSES.includes(batch.status);
}

/** OpenAI's Batch object. */
export function batchObject(batch: StoredBatch): Record<string, unknown> {
  const doc = readDoc(batch);
  const s = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
  const status: BatchStatus = isCancelling(batch) ? 'cancelling' : batch.status;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: doc.endpoint,
    model: doc.model ?? null,
    errors: doc.errors?.length ? { object: 'list', data: doc.errors } : null,
    input_file_id: doc.inputFileId,
    completion_window: doc.completionWindow,
    status,
    output_file_id: doc.outputFileId ?? null,
    error_file_id: doc.errorFileId ?? null,
    created_at: s(batch.createdAt),
    in_progress_at: s(doc.inProgressAt),
    expires_at: s(doc.expiresAt),
    finalizing_at: s(doc.finalizingAt),
    completed_at: s(doc.completedAt),
    failed_at: s(doc.failedAt),
    expired_at: s(doc.expiredAt),
    cancelling_at: s(batch.cancelRequestedAt),
    cancelled_at: s(doc.cancelledAt),
    request_counts: doc.requestCounts,
    usage: doc.usage,
    metadata: doc.metadata,
  };
}

// `batches`: OpenAI's Files and Batch APIs (`/v1/files`, `/v1/batches`), apart from schema.ts
// (which is long enough). Read at start-up, except `enabled`, which the routes read per request,
// and `retentionDays`, which each sweep reads.
import { z } from 'zod';

export const BATCH_DEFAULTS = {
  enabled: true,
  concurrency: 4,
  maxActive: 4,
  maxFileMegabytes: 100,
  maxRequests: 50_000,
  maxAttempts: 3,
  pollIntervalMs: 1_000,
  leaseSeconds: 30,
  retentionDays: 30,
} as const;

export const batchSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(BATCH_DEFAULTS.enabled)
      .describe(
        "Serve `/v1/files` and `/v1/batches` (and their Azure paths), and Anthropic's `/v1/messages/batches`. Off: they answer 404 and no batch runs on this replica; the admin API and the dashboard still list and cancel the batches there are.",
      ),
    concurrency: z
      .number()
      .int()
      .positive()
      .max(256)
      .default(BATCH_DEFAULTS.concurrency)
      .describe(
        "Batch lines this replica sends at once, over all the batches it runs. Keep it low: batch lines share the deployments' rate limits with interactive traffic.",
      ),
    maxActive: z
      .number()
      .int()
      .positive()
      .max(64)
      .default(BATCH_DEFAULTS.maxActive)
      .describe(
        'Batches this replica works on at once, lines taken from each in turn (so a small batch is not stuck behind a large one).',
      ),
    maxFileMegabytes: z
      .number()
      .positive()
      .max(512)
      .default(BATCH_DEFAULTS.maxFileMegabytes)
      .describe(
        'The largest file `POST /v1/files` accepts (kept whole in the request-log store and read whole by the batch that uses it).',
      ),
    maxRequests: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .default(BATCH_DEFAULTS.maxRequests)
      .describe('The most lines one batch may have (OpenAI: 50,000).'),
    maxAttempts: z
      .number()
      .int()
      .positive()
      .max(20)
      .default(BATCH_DEFAULTS.maxAttempts)
      .describe(
        'Tries for a line whose call fails in a way a later try may not (5xx after failover, a timeout, no deployment available), with backoff. A 429 is not a try: the line waits its retry-after while the batch has time left.',
      ),
    pollIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(BATCH_DEFAULTS.pollIntervalMs)
      .describe(
        'How often an idle replica looks for a batch to run (a batch created on this replica starts at once).',
      ),
    leaseSeconds: z
      .number()
      .int()
      .min(2)
      .max(600)
      .default(BATCH_DEFAULTS.leaseSeconds)
      .describe(
        "How long a replica's hold on a batch lasts unless renewed (every third of it): how soon another replica takes over the batch of a replica that died. A replica that stops cleanly lets go at once.",
      ),
    retentionDays: z
      .number()
      .int()
      .min(0)
      .max(36_500)
      .default(BATCH_DEFAULTS.retentionDays)
      .describe(
        "Days a finished batch (completed, failed, expired or cancelled) is kept, counted from when it finished; then it is deleted with its results and the files it wrote (its output and error files, and a Message Batch's own input file), by the sweep that every replica with `enabled` runs each minute (at most 100 batches a pass). 30 matches the request log and outlasts the 29 days Anthropic keeps a Message Batch's results. Files a client uploaded stay: `expires_after` sets their lifetime. 0 keeps finished batches for good. A batch still running is never deleted. Read at each sweep.",
      ),
  })
  .default(BATCH_DEFAULTS)
  .describe(
    "OpenAI's Batch API: upload a JSONL file of requests, create a batch over it, read its output file when it completes; Anthropic's Message Batches (`/v1/messages/batches`) run on the same machinery. Every line runs through the router as the batch's creator (its key's scopes, limits and budget apply), at most `concurrency` at a time per replica. Files and batches live in the request-log store (PostgreSQL: shared by the replicas, which share the work); with `requestLog.kind: none`, in memory on one replica.",
  );

// `batches`: OpenAI's Files and Batch APIs (`/v1/files`, `/v1/batches`), apart from schema.ts
// (which is long enough). Read at start-up, except `enabled`, which the routes read per request,
// the webhooks, read when a batch ends and at each delivery attempt, and `retentionDays`, which
// each sweep reads.
import { z } from 'zod';

/** OpenAI's batch webhook events (platform.openai.com/docs/guides/webhooks). */
export const BATCH_WEBHOOK_EVENTS = [
  'batch.completed',
  'batch.failed',
  'batch.cancelled',
  'batch.expired',
] as const;
export type BatchWebhookEvent = (typeof BATCH_WEBHOOK_EVENTS)[number];

export const BATCH_DEFAULTS = {
  enabled: true,
  concurrency: 4,
  maxActive: 4,
  maxFileMegabytes: 100,
  maxStoredMegabytesPerTenant: 10_240,
  maxRequests: 50_000,
  maxAttempts: 3,
  pollIntervalMs: 1_000,
  leaseSeconds: 30,
  webhookTimeoutMs: 10_000,
  webhookAttempts: 8,
  retentionDays: 30,
  forward: 'never',
  forwardPollMs: 30_000,
  forwardLookupMs: 600_000,
} as const;

/** Whether a batch's chat lines may go to a deployment's own Batch API (`batches.forward`). */
export const FORWARD_MODES = ['never', 'when-available'] as const;
export type ForwardMode = (typeof FORWARD_MODES)[number];

const batchWebhookSchema = z.strictObject({
  url: z
    .string()
    .url()
    .describe(
      'Where to POST the event (your receiver: it answers 2xx once it has the event, and verifies the signature).',
    ),
  secretEnv: z
    .string()
    .min(1)
    .describe(
      'Name of the environment variable holding the signing secret, `whsec_` then 24 to 64 random bytes in base64 (e.g. `whsec_$(openssl rand -base64 32)`), as OpenAI shows it for its own webhooks. The config is refused at load if the variable is unset, empty or not such a secret; secrets never live in config.',
    ),
  events: z
    .array(z.enum(BATCH_WEBHOOK_EVENTS))
    .min(1)
    .default([...BATCH_WEBHOOK_EVENTS])
    .describe(
      'Which endings to send: `batch.completed` (every line ran: the output and error files are ready), `batch.failed` (the input file did not validate), `batch.cancelled`, `batch.expired` (the completion window ran out). A Message Batch (`msgbatch_…`) sends the same events: `processing_status: ended` by finishing, a cancel or its 24 hours.',
    ),
  tenants: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      "Only batches owned by these tenants (a key's `tenant`; `default` with `auth.mode: none`). Absent: every tenant's batches.",
    ),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Extra headers, e.g. `authorization: "Bearer ${env:HOOK_TOKEN}"`; they cannot replace `content-type` or the `webhook-*` signature headers.',
    ),
});

export type BatchWebhookConfig = z.infer<typeof batchWebhookSchema>;

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
    maxStoredMegabytesPerTenant: z
      .number()
      .positive()
      .default(BATCH_DEFAULTS.maxStoredMegabytesPerTenant)
      .describe(
        "The most file bytes one tenant keeps in the request-log store (uploads for batches and as model input, Message Batches' inputs, and batch outputs and error files): an upload (`POST /v1/files`, Anthropic's Files API) or a Message Batch that would pass it gets a 413 `storage_quota_exceeded` saying how much is stored; a batch's output is always written, so it may pass it. Deleted and expired files free it. Read per request (hot reload); concurrent uploads may pass it by what they carry together.",
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
    forward: z
      .enum(FORWARD_MODES)
      .default(BATCH_DEFAULTS.forward)
      .describe(
        "`when-available`: a chat line whose routing picks, first, a deployment with `batchApi` is sent to that upstream's own Batch API (grouped per deployment, at its discount, results within the upstream's 24 h) instead of being called live; every other line runs live. `never`: every line runs live. A batch may choose for itself with the `x-router-batch-forward` header on `POST /v1/batches`.",
      ),
    forwardPollMs: z
      .number()
      .int()
      .min(50)
      .max(3_600_000)
      .default(BATCH_DEFAULTS.forwardPollMs)
      .describe(
        "How often the replica running a batch asks an upstream's Batch API how its forwarded lines are doing (and submits the lines collected since).",
      ),
    forwardLookupMs: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(BATCH_DEFAULTS.forwardLookupMs)
      .describe(
        'How long to keep looking for an upstream batch whose creation had an unknown outcome (a timeout, a dropped connection, a 5xx on create, or a replica that died during the submit) before its lines run live: the upstream\'s list of batches is read every `batches.forwardPollMs`, a batch found (by our tags: OpenAI and Azure `metadata` and input file name; Anthropic by creation time and request count) is adopted, and only an answer of "none" at or after this long sends the lines live (a list that cannot be read keeps them waiting). A refused create (4xx) sends them live at once.',
      ),
    webhooks: z
      .array(batchWebhookSchema)
      .default([])
      .describe(
        'Webhooks told when a batch ends, in OpenAI\'s batch webhook shape (`{id: "evt_…", object: "event", type: "batch.completed", created_at, data: {id}}`) and signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), so the `openai` SDK\'s `webhooks.unwrap` verifies them; for OpenAI batches and Anthropic Message Batches alike. Recorded in the request-log store with the batch\'s final status (an outbox) and sent in the background by whichever replica running batches finds them due, so a replica that stops or dies leaves them to the next (with `requestLog.kind: none`, in memory: lost on restart). Which webhooks get an event is read when the batch ends; each attempt goes to the webhook with the same `url` and `secretEnv` in the config as it is then (one removed since is given up). Operators see pending and given-up deliveries at `GET /admin/v1/batch-webhooks` (docs/concepts.md "Batch webhooks").',
      ),
    webhookTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(120_000)
      .default(BATCH_DEFAULTS.webhookTimeoutMs)
      .describe('How long one delivery attempt may take before it counts as failed.'),
    webhookAttempts: z
      .number()
      .int()
      .positive()
      .max(20)
      .default(BATCH_DEFAULTS.webhookAttempts)
      .describe(
        'Tries for one event and webhook, counted across replicas and restarts: a network error or a non-2xx answer is tried again after 1 s, then 2 s, 4 s… (at most 5 min), or on a 429 or 503 after the `Retry-After` the receiver asked (seconds or an HTTP date; at most 1 hour) when that is longer, with the same `webhook-id`; then it is logged, counted and kept as given up (`POST /admin/v1/batch-webhooks/{id}/retry` sends it again). The default 8 spans about 2 minutes.',
      ),
    retentionDays: z
      .number()
      .int()
      .min(0)
      .max(36_500)
      .default(BATCH_DEFAULTS.retentionDays)
      .describe(
        "Days a finished batch (completed, failed, expired or cancelled) is kept, counted from when it finished; then it is deleted with its results and the files it wrote (its output and error files, and a Message Batch's own input file), by the sweep that every replica with `enabled` runs each minute (at most 100 batches a pass). 30 matches the request log and outlasts the 29 days Anthropic keeps a Message Batch's results. Files a client uploaded stay: `expires_after` sets their lifetime. Webhook deliveries delivered or given up that long ago go by the same sweep (pending ones stay). 0 keeps finished batches (and deliveries) for good. A batch still running is never deleted. Read at each sweep.",
      ),
  })
  .default({ ...BATCH_DEFAULTS, webhooks: [] })
  .describe(
    "OpenAI's Batch API: upload a JSONL file of requests, create a batch over it, read its output file when it completes; Anthropic's Message Batches (`/v1/messages/batches`) run on the same machinery. Every line runs through the router as the batch's creator (its key's scopes, limits and budget apply), at most `concurrency` at a time per replica. Files and batches live in the request-log store (PostgreSQL: shared by the replicas, which share the work); with `requestLog.kind: none`, in memory on one replica.",
  );

/** Standard Webhooks: a secret is `whsec_` and 24 to 64 bytes in base64. */
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * Each webhook's secret as `env` holds it: the config's problems with them, one line each naming the
 * webhook and the variable (the secret itself is never shown).
 */
export function checkBatchWebhookSecrets(
  webhooks: readonly BatchWebhookConfig[],
  env: NodeJS.ProcessEnv,
): string[] {
  const issues: string[] = [];
  webhooks.forEach((hook, i) => {
    const where = `batches.webhooks[${i}].secretEnv`;
    const secret = env[hook.secretEnv];
    const bytes = secret?.startsWith('whsec_')
      ? Buffer.from(secret.slice('whsec_'.length), 'base64').length
      : 0;
    if (!secret)
      issues.push(
        `${where}: the environment variable ${hook.secretEnv} is not set or empty; it must hold the webhook's signing secret (whsec_ then 24 to 64 random bytes in base64)`,
      );
    else if (!SECRET_PATTERN.test(secret) || bytes < 24 || bytes > 64)
      issues.push(
        `${where}: the environment variable ${hook.secretEnv} does not hold a signing secret (whsec_ then 24 to 64 random bytes in base64, e.g. whsec_$(openssl rand -base64 32))`,
      );
  });
  return issues;
}

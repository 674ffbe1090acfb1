// The config schema's governance sections (part of schema.ts, strict as it is): the content
// filter's rules, rate limits per key, router and deployment, and budgets.
import { z } from 'zod';
import { findTagProblem } from '../gateway/attribution.js';
import { isPiiKind, PII_KINDS } from '../policy/filters/pii-patterns.js';
import { rateLimitSchema } from './deployment-schema.js';

/** A PII kind the filter does not know, or a regex that does not compile, fails the config. */
function checkFilterPatterns(
  rule: { kind: string; patterns: string[] },
  ctx: z.RefinementCtx,
): void {
  rule.patterns.forEach((p, i) => {
    if (rule.kind === 'pii' && !isPiiKind(p))
      ctx.addIssue({
        code: 'custom',
        path: ['patterns', i],
        message: `unknown PII kind "${p}" (${PII_KINDS.join(', ')})`,
      });
    if (rule.kind === 'regex')
      try {
        new RegExp(p, 'gu');
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['patterns', i],
          message: `invalid regex: ${(err as Error).message}`,
        });
      }
  });
}

/** A tag no request can carry would be a limit or budget that silently never applies. */
function checkTagNames(tags: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const tag of Object.keys(tags)) {
    const problem = findTagProblem(tag);
    if (problem) ctx.addIssue({ code: 'custom', path: [tag], message: problem });
  }
}
/** Spend limits counted per `what` (an end user, a tag): each one has its own counters. */
const perBudget = (what: string) =>
  z.strictObject({
    dailyUsd: z.number().positive().optional().describe(`Spend limit per ${what} per UTC day.`),
    monthlyUsd: z.number().positive().optional().describe(`Spend limit per ${what} per UTC month.`),
  });
const endUserBudget = perBudget('end user');

/** How the content filter reads the files a prompt attaches inline (content-filter-files.ts). */
const contentFilterFilesObject = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      "Check the files a prompt attaches inline (chat `file` parts' `file_data`, Responses `input_file`, Messages `document` blocks, and the router's own files named by `file_id`, which are inline by then) as its text is: text files (`text/*`, JSON, XML; a redaction rewrites the file in the copy sent upstream, in its own encoding) and PDFs (their text, extracted). Images are not read.",
    ),
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(10_000_000)
    .describe(
      'Largest file read, in decoded bytes: a larger file is not read (see `onUnreadable`).',
    ),
  maxPdfPages: z
    .number()
    .int()
    .positive()
    .default(100)
    .describe(
      "Pages of a PDF read: the rest of a longer one is not read (see `onUnreadable`). Text is extracted in worker threads (two per replica, each PDF in turn on one of them, each thread's heap capped at 256 MB, and the buffers it decompresses into at 256 MB), so with `maxBytes` and `pdfTimeoutMs` this bounds how long one request holds a thread.",
    ),
  pdfTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe(
      'Longest time for the text of one PDF, counted from when the filter asks for it (time spent waiting for a free PDF thread counts too); past it the thread reading it is ended and the PDF counts as not read (see `onUnreadable`). A PDF whose reader crashes or runs out of its heap is not read either, nor one whose streams decompress past the 256 MB of buffers its reader may hold (413).',
    ),
  onUnreadable: z
    .enum(['pass', 'block'])
    .default('pass')
    .describe(
      "A file the filter could not read in full (a PDF that does not parse or has more pages than `maxPdfPages`, a file over `maxBytes`, a type that is neither text nor a PDF nor an image): `pass` sends it on, what was read checked, with the failure in the filter results' `error` (as a moderation timeout is); `block` refuses the request with the content_filter error naming the file.",
    ),
  pdfRedaction: z
    .enum(['block', 'text'])
    .default('block')
    .describe(
      "A PDF holding text a `redact` rule masks cannot be redacted inside the PDF: `block` refuses the request with the content_filter error naming the file; `text` sends the PDF's extracted text, redacted, as a text part in its place (its layout and images are lost).",
    ),
});

/** `contentFilter.files` when the config leaves it out. */
export const FILE_CHECK_DEFAULTS = contentFilterFilesObject.parse({});

const contentFilterFilesSchema = contentFilterFilesObject
  .default(FILE_CHECK_DEFAULTS)
  .describe('Files attached inline to prompts: how they are read and checked.');

export const contentFilterSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Apply the rules below to prompts and answers (Claude's thinking included: a redacted thinking block is sent without its signature).",
      ),
    rules: z
      .array(
        z
          .strictObject({
            id: z.string().min(1).describe('Rule id (reported in the filter results).'),
            kind: z.enum(['keyword', 'regex', 'pii']).describe('How `patterns` are read.'),
            patterns: z
              .array(z.string())
              .min(1)
              .describe(
                'keyword: words; regex: patterns; pii: email | phone | card | ssn | iban | ip | secret (credentials in the known formats of OpenAI, Anthropic, AWS, GitHub, Slack, Google, Stripe and this router, JSON web tokens, PEM private keys).',
              ),
            action: z
              .enum(['block', 'redact', 'annotate'])
              .default('block')
              .describe(
                '`block`: refuse with a content_filter error; `redact`: mask the match; `annotate`: only report it.',
              ),
            appliesTo: z
              .enum(['input', 'output', 'both'])
              .default('both')
              .describe('Prompts, answers or both.'),
          })
          .superRefine(checkFilterPatterns),
      )
      .default([])
      .describe('Rules, applied in order.'),
    moderationUrl: z
      .string()
      .url()
      .optional()
      .describe(
        'Optional moderation service (OpenAI moderation shape) called with each prompt and answer; a streamed answer is checked every 1,000 characters sent and in full before its finish.',
      ),
    moderationDeployment: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Instead of `moderationUrl`: one of this router's moderation deployments or pools (`kind: moderation`), called the same way (with its failover, circuit breaker and the deployment's rate limit and budget; the router's own call, so no key scope and no request-log record of its own). What each call costs (the text at the deployment's input price; OpenAI's moderation is free) is part of the cost of the request it checked (chat, Responses, Messages, completions, embeddings, rerank, images, speech, a batch line's answer from a Batch API, a realtime session's next response): listed in that request's `attempts` (`lookup: content_filter`) and counted at the moderation deployment.",
      ),
    files: contentFilterFilesSchema,
  })
  .default({ enabled: false, rules: [], files: FILE_CHECK_DEFAULTS })
  .describe('Content filter hooks on prompts and answers.');

export const rateLimitsSchema = z
  .strictObject({
    endUser: rateLimitSchema
      .optional()
      .describe(
        "Limits for each end user a client names (`user`, `safety_identifier`, Anthropic `metadata.user_id`), counted per tenant, on top of the key's, router's and deployment's; requests that name none are not limited by it.",
      ),
    tags: z
      .record(z.string(), rateLimitSchema)
      .superRefine(checkTagNames)
      .optional()
      .describe(
        "Limits per tag (`x-router-tags`, OpenAI `metadata` as `key=value`), counted per tenant, on top of the key's, router's, deployment's and end user's: say `{\"nightly-batch\": {tpm: 200000}}` so a batch job cannot crowd out interactive traffic. A request carrying several limited tags is charged to each; one carrying none is not limited by them. A tag no request could carry (neither an `x-router-tags` tag nor a `metadata` pair) is an error.",
      ),
    queue: z
      .strictObject({
        maxWaitMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .default(0)
          .describe(
            'The longest a request may wait, in ms, for a key, router, end-user or tag limit that refused it to free up, and then for a deployment of the router or pool it called to have rate-limit headroom again (or its cool-down after an upstream 429 to end), instead of an immediate 429. A request opts in with `x-router-max-wait-ms: <n>` (capped by this); one without it is refused as before. 0: off, and the header is ignored.',
          ),
        maxWaiting: z
          .number()
          .int()
          .positive()
          .default(1000)
          .describe('Requests that may wait at once on each replica; more get their 429 at once.'),
      })
      .default({ maxWaitMs: 0, maxWaiting: 1000 })
      .describe(
        'Wait for capacity instead of refusing, for clients that ask (batch jobs): budgets and the content filter never wait. A waiting request holds no capacity and is charged nothing until admitted.',
      ),
    headers: z
      .enum(['tenant', 'shared'])
      .default('tenant')
      .describe(
        "What the `x-ratelimit-*` (and Anthropic's `anthropic-ratelimit-*`) headers say of a limit every tenant shares (a router's, a deployment's). `tenant`: the caller's tenant's own use of it (a bucket of the tenant's own, charged alongside the shared one), so no tenant reads another's traffic from them; a refusal by the shared limit says `remaining` 0 and a `reset` no sooner than `retry-after` (which the 429 says anyway) nor than the caller's own use is back. `shared`: the shared bucket's level, which moves with every tenant's requests (the behaviour before 2026-12-07). A key's, end user's and tag's limits are the caller's own either way.",
      ),
  })
  .default({ queue: { maxWaitMs: 0, maxWaiting: 1000 }, headers: 'tenant' })
  .describe(
    'Rate limits that are not set on a key, router or deployment (those are set where they apply).',
  );

/** `budgets.reservationTtlSeconds` by default: 15 minutes. */
export const RESERVATION_TTL_SECONDS = 900;
/** A month: a reservation held longer would outlive the monthly budget it holds on. */
const MAX_RESERVATION_TTL_SECONDS = 31 * 24 * 3600;

export const budgetsSchema = z
  .strictObject({
    shiftToCostAt: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Fraction of a budget after which the tenant is shifted toward Cost mode.'),
    reservationTtlSeconds: z
      .number()
      .int()
      .positive()
      .max(MAX_RESERVATION_TTL_SECONDS)
      .default(RESERVATION_TTL_SECONDS)
      .describe(
        "The longest a request's budget reservation holds (its expected cost, held on its key's, tenant's, end user's and tags' budgets from admission until it ends, so requests running at once see each other). A reservation nobody releases (its replica killed without its drain, a Redis call lost in a timeout) stops counting this long after it was made, on every replica; a request still running then (a long stream) is no longer held, and is charged its real cost when it ends all the same. 900 s (15 min) by default: above a non-streamed call's `deployments[].timeoutMs` (600 s by default) and the rate-limit queue's longest wait. Read per request: a reload applies to the reservations made after it.",
      ),
    tenants: z
      .record(
        z.string(),
        z.strictObject({
          dailyUsd: z.number().positive().optional().describe('Spend limit per UTC day.'),
          monthlyUsd: z.number().positive().optional().describe('Spend limit per UTC month.'),
          endUser: endUserBudget
            .optional()
            .describe("Limits for each of this tenant's end users (instead of `budgets.endUser`)."),
        }),
      )
      .default({})
      .describe('Budgets per tenant (keys name their tenant).'),
    endUser: endUserBudget
      .optional()
      .describe(
        'Spend limits for each end user a client names (`user`, `safety_identifier`, Anthropic `metadata.user_id`), counted per tenant; requests that name none are not limited by it.',
      ),
    tags: z
      .record(z.string().min(1), perBudget('tag'))
      .superRefine(checkTagNames)
      .default({})
      .describe(
        "Spend limits per tag (`x-router-tags`, OpenAI `metadata` as `key=value`), counted per tenant: say a batch job's or a feature's budget. A request carrying the tag counts against it; one that does not is not limited by it. A tag no request could carry is an error.",
      ),
  })
  .default({
    shiftToCostAt: 0.8,
    reservationTtlSeconds: RESERVATION_TTL_SECONDS,
    tenants: {},
    tags: {},
  })
  .describe(
    'Spend budgets: past `shiftToCostAt` a tenant is routed in Cost mode; at 100% it is refused.',
  );

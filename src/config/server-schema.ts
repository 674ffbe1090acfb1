// The config schema's server section (part of schema.ts, strict as it is): where the router
// listens, its limits on requests, CORS, which proxies to believe, and the client-address rules
// keys use (`allowedIps`).
import { z } from 'zod';
import { ipRuleProblem } from '../auth/ip-allowlist.js';

/** An IP address or CIDR (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`); a bad one fails at its path. */
const ipRule = z.string().superRefine((v, ctx) => {
  const problem = ipRuleProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Client addresses a key may be used from (config keys and keys issued by the admin API). */
export const allowedIpsSchema = z.array(ipRule).min(1);

/** The proxies whose `X-Forwarded-For` is believed: fastify's (proxy-addr's) `trustProxy`. */
const trustProxySchema = z.union([
  z.boolean(),
  z.number().int().min(1).max(16),
  z.array(z.union([z.enum(['loopback', 'linklocal', 'uniquelocal']), ipRule])).min(1),
]);

/** A browser origin as the `Origin` header spells it (scheme://host[:port], no path), or `*`. */
const corsOrigin = z.string().superRefine((v, ctx) => {
  if (v === '*') return;
  let origin: string | undefined;
  try {
    const url = new URL(v);
    origin = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    origin = undefined;
  }
  if (origin !== v)
    ctx.addIssue({
      code: 'custom',
      message: origin
        ? `an origin is compared with the browser's Origin header as written: write "${origin}"`
        : `"${v}" is not an origin: write scheme://host[:port] with no path (e.g. "https://app.example.com"), or "*" for any`,
    });
});

const corsSchema = z
  .strictObject({
    origins: z
      .array(corsOrigin)
      .default([])
      .describe(
        'Browser origins (scheme://host[:port]) whose pages may call the router directly; `*` allows any. Empty (the default): no CORS headers, so browsers refuse cross-origin calls. Read per request, so a config reload applies at once. The API keys a page sends are visible to its users: give such a page a scoped key.',
      ),
    maxAgeSeconds: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .default(600)
      .describe(
        'How long a browser may cache a preflight answer (`Access-Control-Max-Age`); read at start-up.',
      ),
  })
  .default({ origins: [], maxAgeSeconds: 600 })
  .describe(
    'Cross-origin requests from browsers (CORS): preflights are answered before authentication, and the router headers (`x-router-*`, `x-request-id`, rate limits) are exposed to the page.',
  );

/**
 * Image edits and variations (multipart, held in memory while they are read): OpenAI's limits,
 * 50 MB an image of a GPT image model, 64 MB the whole form.
 */
export const IMAGE_FILE_LIMIT_BYTES = 50 * 1024 * 1024;
export const IMAGE_FORM_LIMIT_BYTES = 64 * 1024 * 1024;
/** The most either may be set to: a form is read into memory whole. */
const MAX_IMAGE_LIMIT_BYTES = 1024 * 1024 * 1024;

export const serverSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Interface to bind (`0.0.0.0` in a container).'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe('Port (`PORT` or `--port` override it).'),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe(
        'Largest request body accepted (413 above), and largest WebSocket message read either way: a client message past it closes the connection (1009; a Realtime session is recorded 413 `client_message_too_large`); a Realtime upstream message past it is not relayed, and the session ends with an `error` event `upstream_message_too_large` and close 1011.',
      ),
    upstreamConnectionsPerOrigin: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        "Connections this replica keeps open at most to one upstream origin (scheme, host, port), shared by every deployment there (all `provider: openai` deployments share `https://api.openai.com`, an Azure resource's deployments its endpoint): a call past it waits for one to free, and that wait counts against the deployment's `firstTokenTimeoutMs` / `timeoutMs`. Each call in flight, a long stream included, holds one. Read at startup (a change waits for a restart). Until 2026-12-06 it was 128, fixed.",
      ),
    imageFileLimitBytes: z
      .number()
      .int()
      .positive()
      .max(MAX_IMAGE_LIMIT_BYTES)
      .default(IMAGE_FILE_LIMIT_BYTES)
      .describe(
        "Largest image or mask in one image edit or variation (`/v1/images/edits`, `/v1/images/variations` and their Azure paths; 50 MB, OpenAI's limit, by default): a form's file, or a JSON edit's data URL (decoded) or router file; a larger one gets 413 `file_too_large` naming this setting. At most `imageFormLimitBytes`. Read per request.",
      ),
    imageFormLimitBytes: z
      .number()
      .int()
      .positive()
      .max(MAX_IMAGE_LIMIT_BYTES)
      .default(IMAGE_FORM_LIMIT_BYTES)
      .describe(
        'Largest whole body of an image edit or variation (64 MB by default): a multipart form, its files and fields together, or a JSON edit (its images may be inline data URLs). A body whose `Content-Length` is larger is refused before it is read, one sent without a length as soon as what was read passes it; 413 `file_too_large` naming this setting. Bodies are read into memory, so this bounds what one request holds. `server.bodyLimitBytes` does not apply to these routes. Read per request.',
      ),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Pino log level; `silent` turns request logging off.'),
    requestTimeoutSeconds: z
      .number()
      .positive()
      .default(300)
      .describe(
        "How long a client may take to send a whole request (headers and body) before it gets a 408 and its connection is closed: a client that sends its body a byte at a time cannot hold a connection open for ever. Node's own default; fastify's is no limit. It bounds sending the request only, never a stream's answer or a WebSocket; a 64 MB image form (`imageFormLimitBytes`) needs at least ~220 KB/s in 300 s. Read at start-up.",
      ),
    shutdownDrainSeconds: z
      .number()
      .positive()
      .default(20)
      .describe(
        "On SIGTERM or SIGINT, how long requests in flight get to finish (no new request is taken meanwhile: one that arrives, and one waiting in the rate-limit queue, gets the 503 `router_shutting_down` at once). Those still waiting on an upstream then are stopped, whatever their API (chat, Responses, Messages, embeddings, moderations, rerank, images, audio): a stream ends with an in-band error event `router_shutting_down`, a call not yet answered gets a 503 of that code in its API's error shape, speech audio under way is cut short, each is logged, and the process exits. Keep it below your orchestrator's grace period (Kubernetes `terminationGracePeriodSeconds`, 30 by default). Read when the replica shuts down.",
      ),
    heapGrowthPercent: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(25)
      .describe(
        "How far V8 lets the JavaScript heap grow past what survived the last full garbage collection, in percent (V8's `--heap-growing-percent`). A gateway's garbage is short-lived; V8's own growth factor lets it pile up and doubles peak memory under load. 25 keeps peak RSS near 140 MB at 64 concurrent connections (measured, docs/benchmarks.md) with no hard cap, so a burst of large requests still cannot run the heap out of memory. 0 leaves V8's default.",
      ),
    cors: corsSchema,
    trustProxy: trustProxySchema
      .default(false)
      .describe(
        "Whether the router is behind proxies whose `X-Forwarded-For` (and `X-Forwarded-Proto`/`-Host`) to believe, as fastify's `trustProxy`: `false` (the default) takes the client address from the connection and ignores the header; `true` trusts every hop and a number that many hops back from the router (`1`: the address your one proxy appended); both believe whoever connects, so use them only when nothing reaches the router except through your proxies; a list trusts the proxies at those addresses or CIDRs (`loopback`, `linklocal`, `uniquelocal` name the usual ranges), and the client is the nearest address not in it. The client address is what `auth.keys[].allowedIps` checks. Read at start-up.",
      ),
  })
  .default({
    host: '127.0.0.1',
    port: 8080,
    bodyLimitBytes: 4 * 1024 * 1024,
    upstreamConnectionsPerOrigin: 1024,
    imageFileLimitBytes: IMAGE_FILE_LIMIT_BYTES,
    imageFormLimitBytes: IMAGE_FORM_LIMIT_BYTES,
    logLevel: 'info',
    requestTimeoutSeconds: 300,
    shutdownDrainSeconds: 20,
    heapGrowthPercent: 25,
    cors: { origins: [], maxAgeSeconds: 600 },
    trustProxy: false,
  })
  .superRefine((server, ctx) => {
    if (server.imageFileLimitBytes > server.imageFormLimitBytes)
      ctx.addIssue({
        code: 'custom',
        path: ['imageFileLimitBytes'],
        message: `${server.imageFileLimitBytes} is larger than server.imageFormLimitBytes (${server.imageFormLimitBytes}): no form could carry a file that size; raise imageFormLimitBytes or lower this`,
      });
  })
  .describe('The HTTP server.');

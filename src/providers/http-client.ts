// Upstream HTTP: one undici Pool per origin with keep-alive (global fetch costs ≈300 µs CPU a call;
// a Pool ≈40 µs, STYLE.md principle 9). Redirects are never followed for keyed requests.
import { createRequire } from 'node:module';
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher, Pool } from 'undici';
import { GatewayError } from '../core/errors.js';

// undici's index also loads fetch, WebSocket, EventSource, the cache stores and the mocks (≈3 MB
// of heap and 6 MB resident that the router never uses); the pools need only Pool and the request
// API the index mixes into every dispatcher. undici has no exports map: these are its files (7.x).
const requireUndici = createRequire(import.meta.url);
const UndiciPool = requireUndici('undici/lib/dispatcher/pool.js') as typeof Pool;
const requestWith = requireUndici('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

export interface UpstreamHttpRequest {
  url: URL;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  /** A Buffer for a multipart upload (an upstream Batch API's input file). */
  body?: string | Buffer;
  signal: AbortSignal;
}

export interface UpstreamHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface HttpClient {
  request(req: UpstreamHttpRequest): Promise<UpstreamHttpResponse>;
  close(): Promise<void>;
}

/** Errors from the socket layer (not HTTP statuses): another deployment may well succeed. */
function connectError(origin: string, err: unknown, signal: AbortSignal): GatewayError {
  if (signal.aborted && signal.reason instanceof GatewayError) return signal.reason;
  const e = err as { code?: string; message?: string };
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_unreachable',
    // The client is not told where the upstream is (a private host, an Azure resource's name:
    // fault audit F9), only why it could not be reached; the deployment's config says where.
    message: `Could not reach the upstream: ${unreachableWhy(e, origin)}`,
    retryable: true,
    cause: err,
  });
}

/** Common connection failures in words (their codes as Node and undici name them). */
const UNREACHABLE_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed for now (DNS)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the other side',
  UND_ERR_CLOSED: 'connection closed',
};

/**
 * Why a connection failed, in words that do not name the upstream's address: its code and what
 * it means (`ECONNREFUSED: connection refused`), else the error's own words with any address in
 * them replaced.
 */
function unreachableWhy(e: { code?: string; message?: string }, origin: string): string {
  if (e.code) return UNREACHABLE_WORDS[e.code] ? `${e.code}: ${UNREACHABLE_WORDS[e.code]}` : e.code;
  const url = new URL(origin);
  const words = (e.message ?? '')
    .replaceAll(origin, 'its address')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, 'its address')
    .replace(/\[[0-9a-f:]+\](?::\d+)?/gi, 'its address')
    .replaceAll(url.host, 'its address')
    .replaceAll(url.hostname, 'its address');
  return words || 'the connection failed';
}

/**
 * A pooled client. `dispatcher` replaces the pools (tests pass undici's MockAgent), in which case
 * every request goes through it.
 */
export function createHttpClient(
  opts: { dispatcher?: Dispatcher; connections?: number } = {},
): HttpClient {
  const pools = new Map<string, Pool>();
  const dispatcherFor = (origin: string): Dispatcher => {
    if (opts.dispatcher) return opts.dispatcher;
    let pool = pools.get(origin);
    if (!pool) {
      pool = new UndiciPool(origin, {
        connections: opts.connections ?? 1024,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      pools.set(origin, pool);
    }
    return pool;
  };
  return {
    async request(req) {
      const origin = req.url.origin;
      try {
        const res = await requestWith.call(dispatcherFor(origin), {
          origin,
          path: req.url.pathname + req.url.search,
          method: req.method ?? 'POST',
          headers: req.headers,
          body: req.body,
          signal: req.signal,
        });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (err) {
        throw connectError(origin, err, req.signal);
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}

/**
 * Reads a body as text: the whole of it, or with a `limit` (error bodies are cut to 2 KB) only
 * until that much is read; the rest is never read (leaving the loop destroys the body), so a huge
 * or endless error body holds neither memory nor the failover that waits for it.
 */
export async function readText(
  body: UpstreamHttpResponse['body'],
  limit = Infinity,
): Promise<string> {
  // A character split between two chunks stays one character (each chunk decoded alone made it
  // two U+FFFD: a forwarded batch's answers, an image's revised prompt, until 2026-12-06).
  const decoder = new StringDecoder('utf8');
  let out = '';
  for await (const chunk of body) {
    out += decoder.write(chunk as Buffer);
    if (out.length >= limit) break;
  }
  if (out.length < limit) out += decoder.end();
  return out.length > limit ? out.slice(0, limit) : out;
}

/**
 * Reads a whole reply body as text, or throws `tooLarge()` once it is known to pass `maxBytes`
 * (by its `Content-Length`, before reading, or by what was read): the rest is never read and the
 * connection is dropped, so no upstream reply can hold more than that in memory.
 */
export async function readTextWithin(
  res: Pick<UpstreamHttpResponse, 'body' | 'headers'>,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const declared = Number(headerValue(res.headers, 'content-length'));
  if (declared > maxBytes) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    // Leaving the loop by a throw destroys the body (its iterator's return).
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  // Decoded once whole: a character split between two chunks stays one character.
  return Buffer.concat(chunks, size).toString('utf8');
}

/** First value of a header. */
export function headerValue(
  headers: UpstreamHttpResponse['headers'],
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Upstream response headers passed on to the client (rate limits, retry advice, region). */
export const PASSED_HEADERS = [
  'retry-after',
  'retry-after-ms',
  'x-ms-region',
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
];

/** The upstream headers worth passing to the client (rate limits, region). */
export function pickUpstreamHeaders(
  headers: UpstreamHttpResponse['headers'],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const v = headerValue(headers, name);
    if (v !== undefined) out[`x-upstream-${name}`] = v;
  }
  return out;
}

// Anthropic's Message Batches API for forwarded batch lines: create a batch of Messages requests
// (`POST /v1/messages/batches`, `requests: [{custom_id, params}]`, each line's chat body converted
// as a live call's is, not streamed), poll it (`GET /v1/messages/batches/{id}`, ended once
// `processing_status` is `ended`), read its results JSONL (`GET …/{id}/results`), cancel it
// (`POST …/{id}/cancel`). Results come back in our shapes: a succeeded message as a chat
// completion, an errored one as its HTTP status and OpenAI error envelope (so overloaded,
// api and rate-limit errors run live and invalid requests go to the error file), canceled and
// expired ones as no result. Message Batches carry no metadata: after a create whose outcome is
// unknown, the batch is found in the list (`GET /v1/messages/batches`, newest first) by its
// creation time and request count, and the match is checked when its results are read (each
// line's custom_id carries our group id: the forwarder takes only its own). Docs: https://docs.claude.com/en/api/creating-message-batches,
// ../shared/specs/anthropic/anthropic_openapi_curated.yaml (MessageBatch, MessageBatchResult).
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import { beforeCreateFailed, CLOCK_SKEW_MS, createCallFailed } from '../batch-not-created.js';
import { readText, type HttpClient } from '../http-client.js';
import type {
  ProviderBatchApi,
  ProviderBatchLine,
  ProviderBatchResult,
  ProviderBatchState,
  UpstreamBatchTag,
} from '../types.js';
import { anthropicHeaders, anthropicHttpError } from './anthropic-http.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';
import { anthropicToChatResponse } from './anthropic-reply.js';
import { mapAnthropicError } from './anthropic-error.js';

type Json = Record<string, unknown>;

/** Pages of the batch list (100 each) read when looking for a batch before giving up for now. */
const MOST_LIST_PAGES = 20;

/**
 * The batch in a page of the list made for `tag`, as far as the list can tell: created while the
 * submit could have made it (from its start to `submitMs` later, give or take the clocks' skew),
 * with as many requests, not one of the batch's other groups; of several, the one created nearest
 * the submit's start.
 */
export function matchMessageBatch(
  data: readonly Json[],
  tag: UpstreamBatchTag,
  submitMs: number,
): string | undefined {
  let best: { id: string; off: number } | undefined;
  for (const v of data) {
    if (typeof v.id !== 'string' || tag.known.includes(v.id)) continue;
    const created = typeof v.created_at === 'string' ? Date.parse(v.created_at) : NaN;
    if (!(created >= tag.since - CLOCK_SKEW_MS && created <= tag.since + submitMs + CLOCK_SKEW_MS))
      continue;
    const counts = (
      v.request_counts && typeof v.request_counts === 'object' ? v.request_counts : {}
    ) as Json;
    const total = Object.values(counts).reduce<number>(
      (n, c) => n + (typeof c === 'number' ? c : 0),
      0,
    );
    if (total !== tag.lines) continue;
    const off = Math.abs(created - tag.since);
    if (!best || off < best.off) best = { id: v.id, off };
  }
  return best?.id;
}

/** One request of a Message Batch: our line id and the Messages body (never streamed). */
export function anthropicBatchRequest(
  line: ProviderBatchLine,
  deployment: DeploymentConfig,
): { custom_id: string; params: Json } {
  const params = chatToAnthropicRequest({ ...line.body, stream: false }, deployment);
  return { custom_id: line.customId, params };
}

/** One results-file line in our shape; undefined for canceled and expired requests (no result). */
export function anthropicBatchResult(
  v: Json,
  deployment: DeploymentConfig,
): ProviderBatchResult | undefined {
  if (typeof v.custom_id !== 'string') return undefined;
  const result = (v.result && typeof v.result === 'object' ? v.result : {}) as Json;
  if (result.type === 'succeeded' && result.message && typeof result.message === 'object')
    return {
      customId: v.custom_id,
      status: 200,
      body: anthropicToChatResponse(result.message as Json, deployment),
    };
  if (result.type !== 'errored') return undefined;
  // The error is Anthropic's error response (`{type: 'error', error: {type, message}}`), or (as
  // the spec draws it) the inner error alone.
  const error = (result.error && typeof result.error === 'object' ? result.error : {}) as Json;
  const body = error.type === 'error' && error.error ? error : { error };
  const mapped = mapAnthropicError(0, body, deployment.name);
  return { customId: v.custom_id, status: mapped.status, body: mapped.toEnvelope() };
}

/** The results in a results file's text (lines that are not JSON are skipped). */
export function parseAnthropicBatchResults(
  text: string,
  deployment: DeploymentConfig,
): ProviderBatchResult[] {
  const out: ProviderBatchResult[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      continue;
    }
    const r = v && typeof v === 'object' ? anthropicBatchResult(v as Json, deployment) : undefined;
    if (r) out.push(r);
  }
  return out;
}

export function createAnthropicBatchApi(
  deployment: DeploymentConfig,
  http: HttpClient,
  apiKey: string | undefined,
): ProviderBatchApi {
  const base = (deployment.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  const headers = anthropicHeaders(deployment, apiKey);
  const { 'content-type': _json, ...getHeaders } = headers;
  const batchUrl = (id: string, tail = '') =>
    new URL(`${base}/v1/messages/batches/${encodeURIComponent(id)}${tail}`);

  // A POST without `body` (cancel) sends none, as Anthropic's SDK does.
  const call = async (
    url: URL,
    signal: AbortSignal,
    method: 'GET' | 'POST' = 'GET',
    body?: string,
  ): Promise<string> => {
    const res = await http.request({
      url,
      method,
      headers: body === undefined ? getHeaders : headers,
      ...(body === undefined ? {} : { body }),
      signal,
    });
    if (res.status < 200 || res.status >= 300) throw await anthropicHttpError(res, deployment.name);
    return readText(res.body);
  };
  const batchObject = (text: string): Json => {
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && typeof (v as Json).id === 'string') return v as Json;
    } catch {
      // below
    }
    throw new GatewayError({
      status: 502,
      type: 'server_error',
      code: 'upstream_malformed_response',
      message: `${deployment.name}: the Message Batches API's reply is not a batch: ${text.slice(0, 200)}`,
      retryable: true,
    });
  };
  // The results file, at `results_url` when it is on the deployment's origin (the key goes
  // nowhere else), else at its documented path.
  const resultsUrl = (id: string, given: unknown): URL => {
    if (typeof given === 'string') {
      try {
        const url = new URL(given, base);
        if (url.origin === new URL(base).origin) return url;
      } catch {
        // below
      }
    }
    return batchUrl(id, '/results');
  };

  return {
    async submit(lines, _tag, signal) {
      // Converting is ours: a line it refuses is no upstream batch.
      let requests: ReturnType<typeof anthropicBatchRequest>[];
      try {
        requests = lines.map((l) => anthropicBatchRequest(l, deployment));
      } catch (err) {
        throw beforeCreateFailed(err);
      }
      try {
        const text = await call(
          new URL(`${base}/v1/messages/batches`),
          signal,
          'POST',
          JSON.stringify({ requests }),
        );
        return batchObject(text).id as string;
      } catch (err) {
        throw createCallFailed(err);
      }
    },
    async find(tag, signal) {
      const floor = tag.since - CLOCK_SKEW_MS;
      let after: string | undefined;
      for (let page = 0; page < MOST_LIST_PAGES; page++) {
        const url = new URL(`${base}/v1/messages/batches`);
        url.searchParams.set('limit', '100');
        if (after) url.searchParams.set('after_id', after);
        let list: Json;
        try {
          list = JSON.parse(await call(url, signal)) as Json;
        } catch (err) {
          if (err instanceof GatewayError) throw err;
          throw batchObject('not JSON');
        }
        const data = (Array.isArray(list.data) ? list.data : []).filter(
          (v): v is Json => !!v && typeof v === 'object',
        );
        const hit = matchMessageBatch(data, tag, deployment.timeoutMs);
        if (hit) return hit;
        const last = data[data.length - 1];
        const oldest = typeof last?.created_at === 'string' ? Date.parse(last.created_at) : 0;
        if (
          list.has_more !== true ||
          !last ||
          !(oldest >= floor) ||
          typeof list.last_id !== 'string'
        )
          return undefined;
        after = list.last_id;
      }
      throw new GatewayError({
        status: 502,
        type: 'server_error',
        code: 'upstream_batch_lookup_incomplete',
        message: `${deployment.name}: more than ${MOST_LIST_PAGES * 100} Message Batches were created since the submit; not all were looked through`,
        retryable: true,
      });
    },
    async poll(id, signal): Promise<ProviderBatchState> {
      let batch: Json;
      try {
        batch = batchObject(await call(batchUrl(id), signal));
      } catch (err) {
        // A batch Anthropic does not know (deleted, or another workspace's): ended, no results.
        if (err instanceof GatewayError && err.status === 404)
          return { done: true, status: 'not_found', results: [] };
        throw err;
      }
      const status =
        typeof batch.processing_status === 'string' ? batch.processing_status : 'unknown';
      if (status !== 'ended') return { done: false, status };
      const text = await call(resultsUrl(id, batch.results_url), signal);
      return { done: true, status, results: parseAnthropicBatchResults(text, deployment) };
    },
    async cancel(id, signal) {
      await call(batchUrl(id, '/cancel'), signal, 'POST');
    },
  };
}

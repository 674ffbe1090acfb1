// OpenAI's and Azure OpenAI's Batch API (Global Batch) for forwarded batch lines: upload a JSONL
// file (`POST /files`, multipart, `purpose=batch`), create a batch over it (`POST /batches`,
// `completion_window: 24h`, tagged: `metadata` names our batch and group, and the input file is
// `model-router-<batch>-<group>.jsonl`), find it again after a create whose outcome is unknown
// (`GET /batches`, newest first, by that metadata or file name), poll it (`GET /batches/{id}`), read its output and error files
// (`GET /files/{id}/content`) once it has ended, cancel it (`POST /batches/{id}/cancel`). Azure
// takes the same calls under `/openai/…?api-version=`, and its lines' `url` has no `/v1` (their
// `model` is the Azure deployment, which `deployment.model` already is). Shapes:
// ../shared/specs/openai/openapi.yaml (Files, Batch), azure-openai/AIFoundryOpenAI.json.
import { randomBytes } from 'node:crypto';
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
import { upstreamError } from '../upstream-errors.js';
import { describeEndpoint, serializeBody } from './openai-request.js';

/** A batch the upstream does not know: ended, with no results. */
const NOT_FOUND: ProviderBatchState = { done: true, status: 'not_found', results: [] };

/** Statuses after which an upstream batch changes no more. */
const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** The metadata keys that tag an upstream batch with our batch and group. */
export const BATCH_METADATA = { batch: 'model_router_batch', group: 'model_router_group' } as const;
/** Pages of `GET /batches` (100 each) read when looking for a batch before giving up for now. */
const MOST_LIST_PAGES = 20;
/** Input files of untagged batches read per lookup (an upstream that drops `metadata`). */
const MOST_FILE_CHECKS = 50;

/** The input file's name for a tagged group. */
export function batchInputFileName(tag: Pick<UpstreamBatchTag, 'batchId' | 'groupId'>): string {
  return `model-router-${tag.batchId}-${tag.groupId}.jsonl`;
}

/** One input-file line, as the Batch API takes it. */
export function batchInputLine(line: ProviderBatchLine, url: string): string {
  return `{"custom_id":${JSON.stringify(line.customId)},"method":"POST","url":${JSON.stringify(url)},"body":${serializeBody(line.body)}}`;
}

/** The results in an output or error file's text (lines that are not JSON are skipped). */
export function parseBatchResults(text: string): ProviderBatchResult[] {
  const out: ProviderBatchResult[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let v: {
      custom_id?: unknown;
      response?: { status_code?: unknown; body?: unknown } | null;
      error?: { code?: unknown; message?: unknown } | null;
    };
    try {
      v = JSON.parse(raw) as typeof v;
    } catch {
      continue;
    }
    if (typeof v.custom_id !== 'string') continue;
    const status = v.response?.status_code;
    if (typeof status === 'number')
      out.push({ customId: v.custom_id, status, body: v.response!.body });
    else
      out.push({
        customId: v.custom_id,
        error: {
          code: typeof v.error?.code === 'string' ? v.error.code : 'upstream_batch_error',
          message:
            typeof v.error?.message === 'string'
              ? v.error.message
              : 'The upstream batch gave no answer.',
        },
      });
  }
  return out;
}

export function createOpenAiBatchApi(
  deployment: DeploymentConfig,
  http: HttpClient,
  apiKey: string | undefined,
): ProviderBatchApi {
  const { headers } = describeEndpoint(deployment, apiKey);
  const azure = deployment.provider === 'azure';
  const base = azure
    ? `${(deployment.baseUrl ?? '').replace(/\/+$/, '')}/openai`
    : (deployment.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const url = (path: string, params: Record<string, string> = {}) => {
    const u = new URL(`${base}/${path}`);
    if (azure) u.searchParams.set('api-version', deployment.apiVersion ?? '2024-10-21');
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u;
  };
  const lineUrl = azure ? '/chat/completions' : '/v1/chat/completions';
  const { 'content-type': _json, ...getHeaders } = headers;

  const call = async (
    path: string,
    signal: AbortSignal,
    body?: { text: string | Buffer; type: string },
    params?: Record<string, string>,
  ): Promise<string> => {
    const res = await http.request({
      url: url(path, params),
      method: body ? 'POST' : 'GET',
      headers: body ? { ...getHeaders, 'content-type': body.type } : getHeaders,
      ...(body ? { body: body.text } : {}),
      signal,
    });
    if (res.status < 200 || res.status >= 300) throw await upstreamError(res, deployment.name);
    return readText(res.body);
  };
  const json = (text: string): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object') return v as Record<string, unknown>;
    } catch {
      // below
    }
    throw new GatewayError({
      status: 502,
      type: 'server_error',
      code: 'upstream_malformed_response',
      message: `${deployment.name}: the Batch API's reply is not a JSON object: ${text.slice(0, 200)}`,
      retryable: true,
    });
  };
  const idOf = (v: Record<string, unknown>, what: string): string => {
    if (typeof v.id === 'string' && v.id) return v.id;
    throw json(`no ${what} id`);
  };
  const fileText = async (id: unknown, signal: AbortSignal) =>
    typeof id === 'string' && id ? call(`files/${encodeURIComponent(id)}/content`, signal) : '';

  /** Whether listed batch `v` was made for `tag`: by its metadata, else by its input file's name. */
  const madeFor = (v: Record<string, unknown>, tag: UpstreamBatchTag) => {
    const meta = (v.metadata && typeof v.metadata === 'object' ? v.metadata : {}) as Record<
      string,
      unknown
    >;
    return meta[BATCH_METADATA.batch] === tag.batchId && meta[BATCH_METADATA.group] === tag.groupId;
  };
  // No metadata at all: made by an upstream that drops it (a batch with others' metadata is not ours).
  const untagged = (v: Record<string, unknown>) =>
    !v.metadata || typeof v.metadata !== 'object' || Object.keys(v.metadata).length === 0;

  return {
    async submit(lines, tag, signal) {
      const jsonl = lines.map((l) => batchInputLine(l, lineUrl)).join('\n') + '\n';
      const boundary = `----model-router-${randomBytes(12).toString('hex')}`;
      const multipart = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${batchInputFileName(tag)}"\r\n` +
            'Content-Type: application/jsonl\r\n\r\n',
        ),
        Buffer.from(jsonl, 'utf8'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      // No batch can exist before the create call: a failed upload is a plain refusal.
      let fileId: string;
      try {
        const file = json(
          await call('files', signal, {
            text: multipart,
            type: `multipart/form-data; boundary=${boundary}`,
          }),
        );
        fileId = idOf(file, 'file');
      } catch (err) {
        throw beforeCreateFailed(err);
      }
      try {
        const batch = json(
          await call('batches', signal, {
            text: JSON.stringify({
              input_file_id: fileId,
              endpoint: lineUrl,
              completion_window: '24h',
              metadata: {
                [BATCH_METADATA.batch]: tag.batchId,
                [BATCH_METADATA.group]: tag.groupId,
              },
            }),
            type: 'application/json',
          }),
        );
        return idOf(batch, 'batch');
      } catch (err) {
        throw createCallFailed(err);
      }
    },
    async find(tag, signal) {
      // Newest first: stop at the first page that reaches back before the submit began.
      const floor = (tag.since - CLOCK_SKEW_MS) / 1000;
      let after: string | undefined;
      let fileChecks = 0;
      for (let page = 0; page < MOST_LIST_PAGES; page++) {
        const list = json(
          await call('batches', signal, undefined, { limit: '100', ...(after ? { after } : {}) }),
        );
        const data = (Array.isArray(list.data) ? list.data : []).filter(
          (v): v is Record<string, unknown> => !!v && typeof v === 'object',
        );
        const hit = data.find((v) => madeFor(v, tag));
        if (typeof hit?.id === 'string') return hit.id;
        for (const v of data) {
          const created = typeof v.created_at === 'number' ? v.created_at : 0;
          if (!untagged(v) || created < floor || typeof v.input_file_id !== 'string') continue;
          if (typeof v.id !== 'string' || tag.known.includes(v.id)) continue;
          if (++fileChecks > MOST_FILE_CHECKS) break;
          const file = json(await call(`files/${encodeURIComponent(v.input_file_id)}`, signal));
          if (file.filename === batchInputFileName(tag)) return v.id;
        }
        const last = data[data.length - 1];
        const oldest = typeof last?.created_at === 'number' ? last.created_at : 0;
        if (list.has_more !== true || !last || oldest < floor || typeof last.id !== 'string')
          return undefined;
        after = last.id;
      }
      throw new GatewayError({
        status: 502,
        type: 'server_error',
        code: 'upstream_batch_lookup_incomplete',
        message: `${deployment.name}: more than ${MOST_LIST_PAGES * 100} batches were created since the submit; not all were looked through`,
        retryable: true,
      });
    },
    async poll(id, signal): Promise<ProviderBatchState> {
      let batch: Record<string, unknown>;
      try {
        batch = json(await call(`batches/${encodeURIComponent(id)}`, signal));
      } catch (err) {
        if (err instanceof GatewayError && err.status === 404) return NOT_FOUND;
        throw err;
      }
      const status = typeof batch.status === 'string' ? batch.status : 'unknown';
      if (!ENDED.has(status)) return { done: false, status };
      const results = [
        ...parseBatchResults(await fileText(batch.output_file_id, signal)),
        ...parseBatchResults(await fileText(batch.error_file_id, signal)),
      ];
      return { done: true, status, results };
    },
    async cancel(id, signal) {
      await call(`batches/${encodeURIComponent(id)}/cancel`, signal, {
        text: '{}',
        type: 'application/json',
      });
    },
  };
}

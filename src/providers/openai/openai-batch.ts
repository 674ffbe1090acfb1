// OpenAI's and Azure OpenAI's Batch API (Global Batch) for forwarded batch lines: upload a JSONL
// file (`POST /files`, multipart, `purpose=batch`), create a batch over it (`POST /batches`,
// `completion_window: 24h`), poll it (`GET /batches/{id}`), read its output and error files
// (`GET /files/{id}/content`) once it has ended, cancel it (`POST /batches/{id}/cancel`). Azure
// takes the same calls under `/openai/…?api-version=`, and its lines' `url` has no `/v1` (their
// `model` is the Azure deployment, which `deployment.model` already is). Shapes:
// ../shared/specs/openai/openapi.yaml (Files, Batch), azure-openai/AIFoundryOpenAI.json.
import { randomBytes } from 'node:crypto';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import { readText, type HttpClient } from '../http-client.js';
import type {
  ProviderBatchApi,
  ProviderBatchLine,
  ProviderBatchResult,
  ProviderBatchState,
} from '../types.js';
import { upstreamError } from '../upstream-errors.js';
import { describeEndpoint, serializeBody } from './openai-adapter.js';

/** A batch the upstream does not know: ended, with no results. */
const NOT_FOUND: ProviderBatchState = { done: true, status: 'not_found', results: [] };

/** Statuses after which an upstream batch changes no more. */
const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

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
  const query = azure
    ? `?api-version=${encodeURIComponent(deployment.apiVersion ?? '2024-10-21')}`
    : '';
  const url = (path: string) => new URL(`${base}/${path}${query}`);
  const lineUrl = azure ? '/chat/completions' : '/v1/chat/completions';
  const { 'content-type': _json, ...getHeaders } = headers;

  const call = async (
    path: string,
    signal: AbortSignal,
    body?: { text: string | Buffer; type: string },
  ): Promise<string> => {
    const res = await http.request({
      url: url(path),
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
      type: 'upstream_error',
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

  return {
    async submit(lines, signal) {
      const jsonl = lines.map((l) => batchInputLine(l, lineUrl)).join('\n') + '\n';
      const boundary = `----model-router-${randomBytes(12).toString('hex')}`;
      const multipart = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="batch.jsonl"\r\n` +
            'Content-Type: application/jsonl\r\n\r\n',
        ),
        Buffer.from(jsonl, 'utf8'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const file = json(
        await call('files', signal, {
          text: multipart,
          type: `multipart/form-data; boundary=${boundary}`,
        }),
      );
      const batch = json(
        await call('batches', signal, {
          text: JSON.stringify({
            input_file_id: idOf(file, 'file'),
            endpoint: lineUrl,
            completion_window: '24h',
          }),
          type: 'application/json',
        }),
      );
      return idOf(batch, 'batch');
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

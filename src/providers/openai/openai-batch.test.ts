// The OpenAI / Azure Batch API client's wire shapes: Azure's paths under `/openai` with the
// deployment's api-version and its line urls without `/v1`; the JSONL lines it uploads (the
// adapter's serialisation: no Anthropic cache marks); the results it reads from output and error
// files (answers, errors without a response, lines that are not JSON skipped); the batch tagged
// with our batch and group (metadata, input file name), and found again by them after a create
// whose outcome is unknown; which submit failures say that no batch was made.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { recordingHttp, scriptedHttp } from '../../../test/helpers/fake-http.js';
import { UpstreamBatchNotCreated } from '../batch-not-created.js';
import { batchInputLine, createOpenAiBatchApi, parseBatchResults } from './openai-batch.js';

const tag = { batchId: 'batch_1', groupId: 'gABC', since: 1_760_000_000_000, lines: 1, known: [] };

const azure = deploymentSchema.parse({
  name: 'az',
  provider: 'azure',
  model: 'my-gpt-4o-mini-batch',
  baseUrl: 'https://res.openai.azure.com/',
  apiVersion: '2025-03-01-preview',
  prices: { inputPer1M: 1, outputPer1M: 1 },
  contextWindow: 1000,
  maxOutputTokens: 100,
  batchApi: {},
});

describe('OpenAI Batch API client', () => {
  it('uploads and creates an Azure batch under /openai with the api-version', async () => {
    const { http, sent } = recordingHttp('{"id":"x-1","status":"in_progress"}');
    const api = createOpenAiBatchApi(azure, http, 'k');
    const id = await api.submit(
      [
        {
          customId: 'line-0',
          body: { model: azure.model, messages: [{ role: 'user', content: 'hi' }] },
        },
      ],
      tag,
      new AbortController().signal,
    );
    expect(id).toBe('x-1');
    expect(sent.map((s) => s.url)).toEqual([
      'https://res.openai.azure.com/openai/files?api-version=2025-03-01-preview',
      'https://res.openai.azure.com/openai/batches?api-version=2025-03-01-preview',
    ]);
    expect(sent[0]!.headers['api-key']).toBe('k');
    expect(sent[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const upload = sent[0]!.body.toString();
    expect(upload).toContain('filename="model-router-batch_1-gABC.jsonl"');
    expect(upload).toContain(
      '{"custom_id":"line-0","method":"POST","url":"/chat/completions","body":{"model":"my-gpt-4o-mini-batch"',
    );
    expect(JSON.parse(sent[1]!.body.toString())).toEqual({
      input_file_id: 'x-1',
      endpoint: '/chat/completions',
      completion_window: '24h',
      metadata: { model_router_batch: 'batch_1', model_router_group: 'gABC' },
    });
  });

  it('writes lines as the chat adapter sends bodies', () => {
    const line = batchInputLine(
      {
        customId: 'line-3',
        body: {
          model: 'gpt-4o',
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: {} } as never] },
          ],
        },
      },
      '/v1/chat/completions',
    );
    expect(JSON.parse(line)).toEqual({
      custom_id: 'line-3',
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      },
    });
  });

  it('reads output and error lines', () => {
    const text = [
      '{"id":"r1","custom_id":"line-1","response":{"status_code":200,"request_id":"q","body":{"model":"m"}},"error":null}',
      'not json',
      '{"id":"r2","custom_id":"line-2","response":null,"error":{"code":"batch_expired","message":"late"}}',
      '{"id":"r3","custom_id":"line-3","response":{"status_code":400,"body":{"error":{}}},"error":null}',
    ].join('\n');
    expect(parseBatchResults(text)).toEqual([
      { customId: 'line-1', status: 200, body: { model: 'm' } },
      { customId: 'line-2', error: { code: 'batch_expired', message: 'late' } },
      { customId: 'line-3', status: 400, body: { error: {} } },
    ]);
  });
});

describe('polling an upstream batch', () => {
  const signal = new AbortController().signal;
  it('ends a batch the upstream does not know (404) with no results', async () => {
    const { http } = recordingHttp('{"error":{"type":"not_found_error","message":"no"}}', 404);
    await expect(createOpenAiBatchApi(azure, http, 'k').poll('b-1', signal)).resolves.toEqual({
      done: true,
      status: 'not_found',
      results: [],
    });
  });

  it('throws any other failure (a 401 too): the forwarder polls again later', async () => {
    const { http } = recordingHttp('{"error":{"type":"authentication_error","message":"no"}}', 401);
    await expect(createOpenAiBatchApi(azure, http, 'k').poll('b-1', signal)).rejects.toMatchObject({
      status: 502,
      code: 'upstream_auth_failed',
    });
  });
});

describe('after a submit whose outcome is unknown', () => {
  const signal = new AbortController().signal;
  const at = (s: number) => Math.floor(tag.since / 1000) + s;
  const listed = (id: string, created: number, metadata?: Record<string, string>, file = 'f') => ({
    id,
    created_at: created,
    input_file_id: file,
    ...(metadata ? { metadata } : {}),
  });

  it('finds the batch by its metadata, paging back until before the submit began', async () => {
    const { http, sent } = scriptedHttp((url) => {
      if (!url.searchParams.get('after'))
        return {
          body: {
            data: [listed('b-9', at(50), { x: 'y' }), listed('b-8', at(40), { x: 'y' })],
            has_more: true,
          },
        };
      return {
        body: {
          data: [
            listed('b-7', at(5), { model_router_batch: 'batch_1', model_router_group: 'gOther' }),
            listed('b-6', at(2), { model_router_batch: 'batch_1', model_router_group: 'gABC' }),
          ],
          has_more: true,
        },
      };
    });
    await expect(createOpenAiBatchApi(azure, http, 'k').find(tag, signal)).resolves.toBe('b-6');
    expect(sent.map((s) => new URL(s.url).searchParams.get('after'))).toEqual([null, 'b-8']);
  });

  it('finds an untagged batch by its input file name (an upstream that drops metadata)', async () => {
    const { http } = scriptedHttp((url) => {
      if (url.pathname.endsWith('/files/f-2'))
        return { body: { filename: 'model-router-batch_1-gABC.jsonl' } };
      if (url.pathname.endsWith('/files/f-1')) return { body: { filename: 'other.jsonl' } };
      return {
        body: {
          data: [listed('b-2', at(3), undefined, 'f-2'), listed('b-1', at(1), undefined, 'f-1')],
        },
      };
    });
    await expect(createOpenAiBatchApi(azure, http, 'k').find(tag, signal)).resolves.toBe('b-2');
  });

  it('answers none once the list reaches back before the submit began', async () => {
    const { http, sent } = scriptedHttp(() => ({
      body: { data: [listed('b-1', at(-3600), { x: 'y' })], has_more: true },
    }));
    await expect(createOpenAiBatchApi(azure, http, 'k').find(tag, signal)).resolves.toBe(undefined);
    expect(sent).toHaveLength(1);
  });

  it('says no batch was made when the upload fails or the create is refused (4xx); not on a 5xx', async () => {
    const line = { customId: 'gABC-line-0', body: { model: 'm', messages: [] } };
    const failing = (failOn: string, status: number) =>
      scriptedHttp((url) =>
        url.pathname.endsWith(failOn)
          ? { status, body: { error: { message: 'no' } } }
          : { body: { id: 'x-1' } },
      ).http;
    const submit = (failOn: string, status: number) =>
      createOpenAiBatchApi(azure, failing(failOn, status), 'k').submit([line], tag, signal);
    await expect(submit('/files', 500)).rejects.toBeInstanceOf(UpstreamBatchNotCreated);
    await expect(submit('/batches', 400)).rejects.toBeInstanceOf(UpstreamBatchNotCreated);
    await expect(submit('/batches', 429)).rejects.toBeInstanceOf(UpstreamBatchNotCreated);
    for (const status of [500, 502, 408]) {
      const err = await submit('/batches', status).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(UpstreamBatchNotCreated);
      expect(err).toMatchObject({ status });
    }
  });
});

// The Batch API through the whole router on a loopback port, driven by the official `openai`
// package (OpenAI and AzureOpenAI): upload a JSONL file, create a batch, poll it, read the output
// and error files; lines run as the batch's creator (its scopes), are recorded with the batch's
// tags, and one tenant never sees another's files or batches. Bad uploads and bad batches get
// errors that say what to fix.
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { settle } from '../helpers/batch-client.js';
import { simEmbeddingDeployment, testConfig, testConfigInput } from '../helpers/test-config.js';

const KEY_A = 'mr-batch-key-a-0123456789';
const KEY_SMALL = 'mr-batch-key-small-0123456789';
const KEY_B = 'mr-batch-key-b-0123456789';

let rt: Runtime;
let base: string;
const records: RequestRecord[] = [];
const client = (key: string) => new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });

beforeAll(async () => {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'a', hash: hashApiKey(KEY_A), tenant: 'acme' },
        { id: 'a-small', hash: hashApiKey(KEY_SMALL), tenant: 'acme', scopes: ['small'] },
        { id: 'b', hash: hashApiKey(KEY_B), tenant: 'beta' },
      ],
    },
    batches: { pollIntervalMs: 50 },
  });
  input.deployments.push(simEmbeddingDeployment('embed', { simulation: { dimensions: 8 } }));
  rt = await createRuntime(testConfig(input), {
    recorder: { record: (r) => void records.push(r) },
  });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
});

const jsonl = (lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const chat = (id: string, model: string, content = 'Say hello') => ({
  custom_id: id,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content }] },
});

interface OutputLine {
  custom_id: string;
  response: {
    status_code: number;
    body: { model?: string; object?: string; data?: { embedding: number[] }[] };
  };
}

const lines = async (c: OpenAI, fileId: string | null | undefined) =>
  (await (await c.files.content(fileId!)).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OutputLine);

describe('Batch API with the openai SDK', () => {
  it('chat lines through the router: output in input order, errors apart, usage and tags recorded', async () => {
    const c = client(KEY_A);
    const file = await c.files.create({
      file: await toFile(
        Buffer.from(
          jsonl([
            chat('a', 'model-router'),
            chat('b', 'no-such-model'),
            chat('c', 'small', 'Write a haiku'),
          ]),
        ),
        'requests.jsonl',
      ),
      purpose: 'batch',
    });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'requests.jsonl' });
    const created = await c.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      status: 'validating',
      metadata: { job: 'nightly' },
    });
    const done = await settle(c, created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    expect(done.usage?.total_tokens).toBeGreaterThan(0);
    const out = await lines(c, done.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(['a', 'c']);
    expect(out[0]!.response.body.model).toBe('small-sim'); // the served model, as for any request
    expect(out[1]!.response.body.model).toBe('small-sim');
    const errors = await lines(c, done.error_file_id);
    expect(errors).toEqual([
      expect.objectContaining({
        custom_id: 'b',
        response: expect.objectContaining({ status_code: 404 }),
      }),
    ]);
    const mine = records.filter((r) => r.tags?.includes(`batch:${created.id}`));
    expect(mine).toHaveLength(3);
    expect(mine.every((r) => r.keyId === 'a' && r.tags?.includes('batch'))).toBe(true);
    expect((await c.batches.list()).data.map((b) => b.id)).toContain(created.id);
    const outputFile = await c.files.retrieve(done.output_file_id!);
    expect(outputFile.purpose).toBe('batch_output');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/model_router_batch_lines_total\{outcome="completed"\} [1-9]/);
    expect(metrics).toMatch(/model_router_batch_lines_total\{outcome="failed"\} [1-9]/);
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { batches?: unknown };
    expect(ready.batches).toEqual({ active: expect.any(Number), lines_in_flight: 0 });
  });

  it('embeddings lines, and the Azure client on /openai/files and /openai/batches', async () => {
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: KEY_A,
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    const file = await azure.files.create({
      file: await toFile(
        Buffer.from(
          jsonl([
            {
              custom_id: 'e1',
              method: 'POST',
              url: '/embeddings',
              body: { model: 'embed', input: 'one' },
            },
            {
              custom_id: 'e2',
              method: 'POST',
              url: '/embeddings',
              body: { model: 'embed', input: ['two', 'three'] },
            },
          ]),
        ),
        'emb.jsonl',
      ),
      purpose: 'batch',
    });
    const created = await azure.batches.create({
      input_file_id: file.id,
      endpoint: '/embeddings' as '/v1/embeddings',
      completion_window: '24h',
    });
    const done = await settle(azure as unknown as OpenAI, created.id);
    expect(done).toMatchObject({
      status: 'completed',
      model: 'embed',
      request_counts: { completed: 2 },
    });
    const out = await lines(azure as unknown as OpenAI, done.output_file_id);
    expect(out[1]!.response.body.data).toHaveLength(2);
    expect(out[1]!.response.body.data?.[0]?.embedding).toHaveLength(8);
  });

  it('legacy completions lines answer in text_completion shape', async () => {
    const c = client(KEY_A);
    const line = {
      custom_id: 't1',
      method: 'POST',
      url: '/v1/completions',
      body: { model: 'small', prompt: 'Say hi', max_tokens: 10 },
    };
    const file = await c.files.create({
      file: await toFile(Buffer.from(jsonl([line])), 'legacy.jsonl'),
      purpose: 'batch',
    });
    const b = await c.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    const done = await settle(c, b.id);
    const out = await lines(c, done.output_file_id);
    expect(out[0]!.response.body).toMatchObject({ object: 'text_completion', model: 'small-sim' });
  });

  it('a Responses line answers in the batch, and one asking for background mode is an error line', async () => {
    const c = client(KEY_A);
    const line = (id: string, background?: boolean) => ({
      custom_id: id,
      method: 'POST',
      url: '/v1/responses',
      body: { model: 'small', input: 'Say hi', ...(background ? { background } : {}) },
    });
    const file = await c.files.create({
      file: await toFile(Buffer.from(jsonl([line('r1'), line('r2', true)])), 'responses.jsonl'),
      purpose: 'batch',
    });
    const b = await c.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    const done = await settle(c, b.id);
    const out = await lines(c, done.output_file_id);
    expect(out.map((l) => [l.custom_id, l.response.body.object])).toEqual([['r1', 'response']]);
    const errors = await lines(c, done.error_file_id);
    expect(errors).toEqual([
      expect.objectContaining({
        custom_id: 'r2',
        response: expect.objectContaining({ status_code: 400 }),
      }),
    ]);
  });

  it("lines run as the creator's key: a key scoped to one deployment gets 403 lines for others", async () => {
    const c = client(KEY_SMALL);
    const file = await c.files.create({
      file: await toFile(Buffer.from(jsonl([chat('ok', 'small'), chat('no', 'big')])), 'x.jsonl'),
      purpose: 'batch',
    });
    const b = await c.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await settle(c, b.id);
    expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    expect((await lines(c, done.error_file_id))[0]!.response.status_code).toBe(403);
  });

  it('request controls sent when the batch is created apply to every line (Cost mode, tags)', async () => {
    const c = client(KEY_A);
    const file = await c.files.create({
      file: await toFile(
        Buffer.from(jsonl([chat('m1', 'model-router'), chat('m2', 'model-router')])),
        'cost.jsonl',
      ),
      purpose: 'batch',
    });
    const params = {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions' as const,
      completion_window: '24h' as const,
    };
    await expect(
      c.batches.create(params, { headers: { 'x-router-mode': 'cheapest' } }),
    ).rejects.toMatchObject({ status: 400, param: 'x-router-mode' });
    const b = await c.batches.create(params, {
      headers: { 'x-router-mode': 'cost', 'x-router-tags': 'nightly,team-a' },
    });
    expect((await settle(c, b.id)).request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    const mine = records.filter((r) => r.tags?.includes(`batch:${b.id}`));
    expect(mine.map((r) => r.routingMode)).toEqual(['cost', 'cost']);
    expect(mine[0]!.tags).toEqual(['batch', `batch:${b.id}`, 'nightly', 'team-a']);
    const plain = records.filter((r) => r.tags?.includes('batch') && r.router === 'model-router');
    expect(plain.some((r) => r.routingMode === 'balanced')).toBe(true); // the first test's batch
  });

  it('a file with bad lines fails the batch, each problem named with its line', async () => {
    const c = client(KEY_A);
    const file = await c.files.create({
      file: await toFile(
        Buffer.from(jsonl([chat('x', 'small'), chat('x', 'small')]) + '{not json\n'),
        'bad.jsonl',
      ),
      purpose: 'batch',
    });
    const b = await c.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await settle(c, b.id);
    expect(done.status).toBe('failed');
    expect(done.errors?.data?.map((e) => [e.code, e.line])).toEqual([
      ['duplicate_custom_id', 2],
      ['invalid_json_line', 3],
    ]);
  });

  it("another tenant's files and batches do not exist for it", async () => {
    const a = client(KEY_A);
    const b = client(KEY_B);
    const file = await a.files.create({
      file: await toFile(Buffer.from(jsonl([chat('1', 'small')])), 'private.jsonl'),
      purpose: 'batch',
    });
    await expect(b.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(b.files.content(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(b.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      b.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toMatchObject({ status: 404, code: 'file_not_found' });
    const batch = await a.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    await expect(b.batches.retrieve(batch.id)).rejects.toMatchObject({ status: 404 });
    await expect(b.batches.cancel(batch.id)).rejects.toMatchObject({ status: 404 });
    expect((await b.files.list()).data.map((f) => f.id)).not.toContain(file.id);
    expect((await a.files.delete(file.id)).deleted).toBe(true);
  });

  it('bad requests get errors that say what to fix', async () => {
    const post = (url: string, payload: object | string, headers: Record<string, string> = {}) =>
      rt.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${KEY_A}`, ...headers },
        payload,
      });
    const noForm = await post('/v1/files', { purpose: 'batch' });
    expect(noForm.statusCode).toBe(400);
    expect(noForm.json().error.message).toMatch(/multipart\/form-data/);
    const c = client(KEY_A);
    await expect(
      c.files.create({ file: await toFile(Buffer.from('{}'), 'a.jsonl'), purpose: 'fine-tune' }),
    ).rejects.toMatchObject({ status: 400, param: 'purpose' });
    const file = await c.files.create({
      file: await toFile(Buffer.from(jsonl([chat('1', 'small')])), 'ok.jsonl'),
      purpose: 'batch',
    });
    const bad = async (body: object, param: string) => {
      const res = await post('/v1/batches', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe(param);
    };
    const good = {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions' as const,
      completion_window: '24h' as const,
    };
    await bad({ ...good, endpoint: '/v1/videos' }, 'endpoint');
    // Anthropic's Message Batches run /v1/messages lines; this API does not take that endpoint.
    await bad({ ...good, endpoint: '/v1/messages' }, 'endpoint');
    await bad({ ...good, completion_window: '1h' }, 'completion_window');
    await bad({ ...good, metadata: { k: 1 } }, 'metadata.k');
    await bad(
      { ...good, output_expires_after: { anchor: 'created_at', seconds: 5 } },
      'output_expires_after',
    );
    const dated = await rt.app.inject({
      method: 'GET',
      url: '/openai/batches',
      headers: { 'api-key': KEY_A },
    });
    expect(dated.statusCode).toBe(400);
    expect(dated.json().error.param).toBe('api-version');
    const finished = await c.batches.create(good);
    await settle(c, finished.id);
    await expect(c.batches.cancel(finished.id)).rejects.toMatchObject({ status: 409 });
  });
});

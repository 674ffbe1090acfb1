// The Files and Batch API routes in process over the memory store: endpoints that are only names
// on Object's prototype refused, a malformed `output_expires_after` refused rather than ignored, a
// batch whose stored state is unreadable answered as the router's fault (not the client's), the
// store down answered 500 in the envelope, and an upload over the limit answered 413 on a
// connection the router closes (it does not read the rest of the body).
import Fastify, { type FastifyInstance } from 'fastify';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigHolder, compileConfig } from '../../config/runtime-config.js';
import type { BatchStore } from '../../store/batch-store.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { errorHandler } from '../error-handler.js';
import { registerBatchesRoutes } from './batches-routes.js';
import { registerFilesRoutes } from './files-routes.js';

let app: FastifyInstance | undefined;
let store: BatchStore;

async function build(s: BatchStore = createMemoryBatchStore(), megabytes = 100): Promise<void> {
  store = s;
  app = Fastify();
  app.decorateRequest('auth', null as never);
  app.addHook('onRequest', async (request) => {
    request.auth = { tenant: 'acme', keyId: 'a', admin: false, scopes: ['*'] };
  });
  app.setErrorHandler(errorHandler);
  const config = new ConfigHolder(
    compileConfig(testConfig({ batches: { maxFileMegabytes: megabytes } })),
  );
  await registerFilesRoutes(app, store, config);
  await registerBatchesRoutes(app, store, { wake: () => {}, noticeCancel: () => {} }, config);
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function upload(): Promise<string> {
  const content = Buffer.from(
    '{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"x"}}\n',
  );
  await store.putFile(
    {
      id: 'file-1',
      owner: 'acme',
      purpose: 'batch',
      filename: 'in.jsonl',
      bytes: content.length,
      createdAt: Date.now(),
    },
    content,
  );
  return 'file-1';
}

const create = (payload: object) => app!.inject({ method: 'POST', url: '/v1/batches', payload });

describe('Files and Batch API routes', () => {
  it("refuses an endpoint that is only a name on Object's prototype", async () => {
    await build();
    const input_file_id = await upload();
    for (const endpoint of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await create({ input_file_id, endpoint, completion_window: '24h' });
      expect(res.statusCode, endpoint).toBe(400);
      expect(res.json().error.param).toBe('endpoint');
    }
    expect(await store.listBatches('acme', undefined, 10)).toEqual([]);
  });

  it("a missing or mistyped field is a 400 in OpenAI's words naming it and what to send", async () => {
    await build();
    const input_file_id = await upload();
    const good = { input_file_id, endpoint: '/v1/embeddings', completion_window: '24h' };
    const error = async (payload: object) => (await create(payload)).json().error;
    expect(await error({ ...good, input_file_id: 12345 })).toEqual({
      message:
        'Invalid type for \'input_file_id\': expected a string, but got an integer (12345) instead: send the id of a JSONL file uploaded with purpose "batch" (POST /v1/files), such as "file-abc123".',
      type: 'invalid_request_error',
      param: 'input_file_id',
      code: 'invalid_type',
    });
    const { input_file_id: _, ...noFile } = good;
    expect(await error(noFile)).toMatchObject({
      param: 'input_file_id',
      code: 'missing_required_parameter',
      message: expect.stringMatching(/^Missing required parameter: 'input_file_id': send the id /),
    });
    expect(await error({ ...good, input_file_id: '' })).toMatchObject({
      param: 'input_file_id',
      code: 'empty_string',
    });
    expect(await error({ ...good, endpoint: ['/v1/embeddings'] })).toMatchObject({
      param: 'endpoint',
      code: 'invalid_type',
      message: expect.stringMatching(
        /^Invalid type for 'endpoint': expected a string, but got an array \(\["\/v1\/embeddings"\]\) instead: send the route every line of the batch is sent to, one of \/v1\/chat\/completions, /,
      ),
    });
    expect(await error({ ...good, completion_window: 24 })).toMatchObject({
      param: 'completion_window',
      code: 'invalid_type',
    });
    expect(await error({ ...good, completion_window: '48h' })).toMatchObject({
      param: 'completion_window',
      code: 'invalid_value',
      message: "Invalid value for 'completion_window': \"48h\". Supported values are: '24h'.",
    });
    expect(await error({ ...good, metadata: { run: 7 } })).toMatchObject({
      param: 'metadata.run',
      code: 'invalid_type',
    });
    expect((await create([good] as unknown as object)).json().error.code).toBe('invalid_type');
    // An unknown id is quoted cut, not 70,000 characters back.
    expect(await error({ ...good, input_file_id: 'x'.repeat(70_000) })).toMatchObject({
      code: 'file_not_found',
      message: `No such File object: ${'x'.repeat(120)}…`,
    });
    expect(await store.listBatches('acme', undefined, 10)).toEqual([]);
  });

  it('refuses an output_expires_after that is not {anchor, seconds}; null is no expiry', async () => {
    await build();
    const input_file_id = await upload();
    const good = { input_file_id, endpoint: '/v1/embeddings', completion_window: '24h' };
    for (const bad of [5, 'x', {}, [], { seconds: 7200 }, true]) {
      const res = await create({ ...good, output_expires_after: bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().error.param).toBe('output_expires_after');
    }
    expect((await create({ ...good, output_expires_after: null })).statusCode).toBe(200);
    const ok = await create({
      ...good,
      output_expires_after: { anchor: 'created_at', seconds: 7200 },
    });
    expect(ok.statusCode).toBe(200);
  });

  it("a batch whose stored state cannot be read is the router's fault: 500, not invalid_json", async () => {
    await build();
    await store.createBatch({
      id: 'batch_bad',
      owner: 'acme',
      createdAt: 1,
      status: 'in_progress',
      doc: '{',
    });
    const res = await app!.inject({ method: 'GET', url: '/v1/batches/batch_bad' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toMatchObject({ type: 'server_error', code: 'batch_unreadable' });
    expect(res.json().error.message).toContain('batch_bad');
  });

  it('the store down: 503 request_log_unavailable in the envelope, for creating and for listing', async () => {
    const down = new Proxy(createMemoryBatchStore(), {
      get: () => async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
          code: 'ECONNREFUSED',
        });
      },
    });
    await build(down);
    const created = await create({
      input_file_id: 'file-1',
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    expect(created.statusCode).toBe(503);
    expect(created.json().error).toMatchObject({
      type: 'server_error',
      code: 'request_log_unavailable',
    });
    expect(created.json().error.message).toContain('(ECONNREFUSED)');
    // The database's address is not the client's business.
    expect(created.body).not.toContain('5432');
    const listed = await app!.inject({ method: 'GET', url: '/v1/files' });
    expect(listed.statusCode).toBe(503);
  });

  it('an upload over the limit is a 413 on a closed connection: the rest is not read', async () => {
    await build(createMemoryBatchStore(), 0.01);
    const url = new URL(await app!.listen({ host: '127.0.0.1', port: 0 }));
    const total = 64 * 1024 * 1024;
    let sent = 0;
    let answered = false;
    const answer = await new Promise<{ status: number; connection: unknown; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: '/v1/files',
            method: 'POST',
            headers: { 'content-type': 'multipart/form-data; boundary=XX' },
          },
          (res) => {
            answered = true;
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, connection: res.headers.connection, body }),
            );
          },
        );
        // The connection closing under the rest of the body may reset it after the answer came.
        req.on('error', (err) => (answered ? undefined : reject(err)));
        req.write(
          '--XX\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n' +
            '--XX\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n',
        );
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = () => {
          while (sent < total && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!req.destroyed) req.end('\r\n--XX--\r\n');
        };
        pump();
      },
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('file_too_large');
    expect(answer.connection).toBe('close');
    expect(sent).toBeLessThan(total);
  }, 30_000);
});

// A forwarded batch taken over by another replica, on a real PostgreSQL request log: replica A
// sends the lines routed to `gpt` to a loopback fake of OpenAI's Batch API and stops while the
// upstream batch still runs (its stop lets the batch's lease go); replica B, on the same database,
// takes the batch over, polls the upstream batch it finds in the batch's stored state, and
// completes the batch from its results, without submitting the lines again (the fake counts
// uploads and batch creations) and without calling any line live. A loaded machine may make A
// submit the lines in more than one upstream batch (lines held a poll interval go without waiting
// for the last ones: batch-forwarder.ts); the fake gives each upload its own batch and output file.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, send } from '../helpers/fake-http.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { dropSchema, PG_URL, pgAvailable } from '../helpers/postgres.js';
import { testConfig, testConfigInput } from '../helpers/test-config.js';

const havePg = await pgAvailable('the forwarded-batch takeover test');
const schema = `mr_fwd_takeover_${process.pid}_${Date.now()}`;
const LINES = 5;

const calls: string[] = [];
const uploads: { custom_id: string; body: { messages: { content: string }[] } }[][] = [];
let finished = false;
let upstream: Server;
let port: number;
const runtimes: Runtime[] = [];

/** The output file of upstream batch `n`: each of its lines answered, in reverse order. */
function outputFile(n: number): string {
  return [...uploads[n]!]
    .reverse()
    .map((l) =>
      JSON.stringify({
        custom_id: l.custom_id,
        response: {
          status_code: 200,
          body: {
            id: 'chatcmpl-up',
            object: 'chat.completion',
            created: 1_760_000_000,
            model: 'gpt-up-batch',
            choices: [
              {
                index: 0,
                finish_reason: 'stop',
                message: { role: 'assistant', content: `batched: ${l.body.messages[0]!.content}` },
              },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          },
        },
        error: null,
      }),
    )
    .join('\n');
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const text = await readBody(req);
    const path = req.url ?? '';
    calls.push(`${req.method} ${path}`);
    if (req.method === 'POST' && path === '/v1/files') {
      const start = text.indexOf('\r\n\r\n', text.indexOf('name="file"')) + 4;
      uploads.push(
        text
          .slice(start, text.lastIndexOf('\r\n--'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as (typeof uploads)[number][number]),
      );
      return send(res, 200, { id: `file-up-${uploads.length - 1}`, object: 'file' });
    }
    if (req.method === 'POST' && path === '/v1/batches') {
      const n = (JSON.parse(text) as { input_file_id: string }).input_file_id.slice(
        'file-up-'.length,
      );
      return send(res, 200, { id: `batch_up_${n}`, object: 'batch', status: 'validating' });
    }
    const polled = /^\/v1\/batches\/batch_up_(\d+)$/.exec(path);
    if (req.method === 'GET' && polled)
      return send(
        res,
        200,
        finished
          ? {
              id: `batch_up_${polled[1]}`,
              status: 'completed',
              output_file_id: `out-${polled[1]}`,
              error_file_id: null,
            }
          : { id: `batch_up_${polled[1]}`, status: 'in_progress' },
      );
    const output = /^\/v1\/files\/out-(\d+)\/content$/.exec(path);
    if (req.method === 'GET' && output && uploads[Number(output[1])]) {
      res.writeHead(200, { 'content-type': 'application/jsonl' });
      return res.end(outputFile(Number(output[1])));
    }
    send(res, 404, { error: { message: `fake: no ${req.method} ${path}` } });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  port = (upstream.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const rt of runtimes) await rt.close().catch(() => {});
  await new Promise((r) => upstream?.close(r));
  if (havePg) await dropSchema(schema);
});

async function start(records: RequestRecord[]) {
  const input: ConfigInput = testConfigInput({
    requestLog: { kind: 'postgres', postgresUrl: PG_URL, postgresSchema: schema },
    batches: { pollIntervalMs: 50, forward: 'when-available', forwardPollMs: 50 },
  } as never);
  input.deployments.push({
    name: 'gpt',
    provider: 'openai',
    model: 'gpt-4o-mini',
    baseUrl: `http://127.0.0.1:${port}/v1`,
    prices: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    batchApi: {},
  });
  const rt = await createRuntime(testConfig(input), {
    recorder: { record: (r) => void records.push(r) },
  });
  runtimes.push(rt);
  const url = await rt.app.listen({ host: '127.0.0.1', port: 0 });
  return { rt, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 }) };
}

async function until(what: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a forwarded batch taken over by another replica (PostgreSQL)', () => {
  it.skipIf(!havePg)('polls the upstream batch it finds instead of submitting again', async () => {
    const records: RequestRecord[] = [];
    const a = await start(records);
    const file = await a.client.files.create({
      file: await toFile(
        Buffer.from(
          Array.from({ length: LINES }, (_, i) =>
            JSON.stringify({
              custom_id: `q${i}`,
              method: 'POST',
              url: '/v1/chat/completions',
              body: { model: 'gpt', messages: [{ role: 'user', content: `question ${i}` }] },
            }),
          ).join('\n'),
        ),
        'in.jsonl',
      ),
      purpose: 'batch',
    });
    const batch = await a.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    // A submits every line, saves each upstream batch in the batch's state, and polls each
    // (still running).
    const pollsOfAll = (from: number) =>
      uploads.every((_, n) => calls.slice(from).includes(`GET /v1/batches/batch_up_${n}`));
    await until(() => uploads.flat().length === LINES && pollsOfAll(0));
    await a.rt.close();
    const polledByA = calls.length;
    const submitted = uploads.length;

    // B, on the same database, takes the batch over and polls each upstream batch (still running).
    const bRecords: RequestRecord[] = [];
    const b = await start(bRecords);
    await until(() => pollsOfAll(polledByA));
    expect((await b.client.batches.retrieve(batch.id)).status).toBe('in_progress');

    // The upstream batch ends: B completes the batch from its results.
    finished = true;
    const c = b.client;
    let done = await c.batches.retrieve(batch.id);
    await until(async () => {
      done = await c.batches.retrieve(batch.id);
      return ['completed', 'failed', 'cancelled', 'expired'].includes(done.status);
    });
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    // Each line went upstream once, all of them by A; B submitted nothing.
    expect(
      uploads
        .flat()
        .map((l) => l.body.messages[0]!.content)
        .sort(),
    ).toEqual(Array.from({ length: LINES }, (_, i) => `question ${i}`));
    expect(uploads).toHaveLength(submitted);
    expect(calls.filter((x) => x === 'POST /v1/files')).toHaveLength(submitted);
    expect(calls.filter((x) => x === 'POST /v1/batches')).toHaveLength(submitted);
    expect(calls.filter((x) => x === 'POST /v1/chat/completions')).toHaveLength(0);
    const out = (await (await c.files.content(done.output_file_id!)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { custom_id: string; response: { body: { model: string } } });
    expect(out.map((l) => [l.custom_id, l.response.body.model])).toEqual(
      Array.from({ length: LINES }, (_, i) => [`q${i}`, 'gpt-up-batch']),
    );
    expect(bRecords.filter((r) => r.servedModel === 'gpt-up-batch')).toHaveLength(LINES);
    expect(records.filter((r) => r.servedModel === 'gpt-up-batch')).toHaveLength(0);
  });
});

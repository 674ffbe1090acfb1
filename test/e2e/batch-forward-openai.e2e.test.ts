// Forwarding batch lines to an OpenAI upstream's own Batch API, against a loopback fake of it
// (Files + Batches, and chat for live calls). The chat lines routed to `gpt` (with `batchApi`)
// are uploaded as one JSONL file and one upstream batch, not called live; the upstream's results
// (written out of order) come back in input order with the served model; a line the upstream
// failed with a 500 runs live instead (failover); a line routed to a simulated deployment runs
// live. The request log has the forwarded lines at half price, their baseline at list price.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, send } from '../helpers/fake-http.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { settle, submitBatch } from '../helpers/batch-client.js';
import { testConfig, testConfigInput } from '../helpers/test-config.js';

const BATCH_MODEL = 'gpt-4o-mini-2024-07-18';
const LIVE_MODEL = 'gpt-4o-mini-live';
const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

interface UpstreamLine {
  custom_id: string;
  method: string;
  url: string;
  body: { model: string; messages: { content: string }[] };
}

const calls: string[] = [];
const uploads: UpstreamLine[][] = [];
const upstreamBatches = new Map<string, { file: number; polls: number; cancelled: boolean }>();
let upstream: Server;
let rt: Runtime;
let base: string;
const records: RequestRecord[] = [];

const completion = (model: string, content: string) => ({
  id: 'chatcmpl-up',
  object: 'chat.completion',
  created: 1_760_000_000,
  model,
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  usage,
});

/** The fake's output and error files of upstream batch `id` (written in reverse input order). */
function resultFiles(id: string): { output: string; errors: string } {
  const lines = uploads[upstreamBatches.get(id)!.file]!;
  const out: string[] = [];
  const err: string[] = [];
  for (const l of [...lines].reverse()) {
    const prompt = l.body.messages[0]!.content;
    if (prompt.includes('fail upstream'))
      err.push(
        JSON.stringify({
          id: 'r',
          custom_id: l.custom_id,
          response: { status_code: 500, body: { error: { message: 'boom' } } },
          error: null,
        }),
      );
    else
      out.push(
        JSON.stringify({
          id: 'r',
          custom_id: l.custom_id,
          response: { status_code: 200, body: completion(BATCH_MODEL, `batched: ${prompt}`) },
          error: null,
        }),
      );
  }
  return { output: out.join('\n') + '\n', errors: err.join('\n') + '\n' };
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const text = await readBody(req);
    const path = req.url ?? '';
    calls.push(`${req.method} ${path}`);
    if (req.method === 'POST' && path === '/v1/files') {
      // multipart: the file part's content sits between its blank line and the closing boundary.
      expect(req.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(text).toContain('name="purpose"\r\n\r\nbatch\r\n');
      const start = text.indexOf('\r\n\r\n', text.indexOf('name="file"')) + 4;
      const end = text.lastIndexOf('\r\n--');
      uploads.push(
        text
          .slice(start, end)
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as UpstreamLine),
      );
      return send(res, 200, { id: `file-up-${uploads.length - 1}`, object: 'file' });
    }
    if (req.method === 'POST' && path === '/v1/batches') {
      const body = JSON.parse(text) as { input_file_id: string; endpoint: string };
      expect(body).toMatchObject({ endpoint: '/v1/chat/completions', completion_window: '24h' });
      const id = `batch_up_${upstreamBatches.size}`;
      upstreamBatches.set(id, {
        file: Number(body.input_file_id.replace('file-up-', '')),
        polls: 0,
        cancelled: false,
      });
      return send(res, 200, { id, object: 'batch', status: 'validating' });
    }
    const batch = /^\/v1\/batches\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && batch) {
      const b = upstreamBatches.get(batch[1]!)!;
      b.polls++;
      // In progress at the first poll, completed at the second.
      if (b.polls < 2) return send(res, 200, { id: batch[1], status: 'in_progress' });
      return send(res, 200, {
        id: batch[1],
        status: 'completed',
        output_file_id: `out-${batch[1]}`,
        error_file_id: `err-${batch[1]}`,
      });
    }
    const content = /^\/v1\/files\/(out|err)-([^/]+)\/content$/.exec(path);
    if (req.method === 'GET' && content) {
      const files = resultFiles(content[2]!);
      res.writeHead(200, { 'content-type': 'application/jsonl' });
      return res.end(content[1] === 'out' ? files.output : files.errors);
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const body = JSON.parse(text) as UpstreamLine['body'];
      return send(res, 200, completion(LIVE_MODEL, `live: ${body.messages[0]!.content}`));
    }
    send(res, 404, { error: { message: `fake: no ${req.method} ${path}` } });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  const input = testConfigInput({
    batches: { pollIntervalMs: 50, forward: 'when-available', forwardPollMs: 50 },
  });
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
  rt = await createRuntime(testConfig(input), {
    recorder: { record: (r) => void records.push(r) },
  });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
  await new Promise((r) => upstream?.close(r));
});

const chat = (id: string, model: string, content: string) => ({
  custom_id: id,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content }] },
});

describe('batch lines forwarded to an OpenAI Batch API', () => {
  it('sends the lines routed to gpt as one upstream batch and maps the results back', async () => {
    const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
    const created = await submitBatch(c, [
      chat('a', 'gpt', 'first'),
      chat('b', 'small', 'second'),
      chat('c', 'gpt', 'third'),
      chat('d', 'gpt', 'please fail upstream'),
    ]);
    const done = await settle(c, created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });

    // One upload, one upstream batch, with gpt's three lines in upstream shape; one live call (d).
    expect(calls.filter((x) => x === 'POST /v1/files')).toHaveLength(1);
    expect(calls.filter((x) => x === 'POST /v1/batches')).toHaveLength(1);
    expect(uploads[0]!.map((l) => [l.url, l.body.model, l.body.messages[0]!.content])).toEqual([
      ['/v1/chat/completions', 'gpt-4o-mini', 'first'],
      ['/v1/chat/completions', 'gpt-4o-mini', 'third'],
      ['/v1/chat/completions', 'gpt-4o-mini', 'please fail upstream'],
    ]);
    expect(calls.filter((x) => x === 'POST /v1/chat/completions')).toHaveLength(1);

    const out = (await (await c.files.content(done.output_file_id!)).text())
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            custom_id: string;
            response: {
              status_code: number;
              body: { model: string; choices: { message: { content: string } }[] };
            };
          },
      );
    expect(
      out.map((l) => [
        l.custom_id,
        l.response.body.model,
        l.response.body.choices[0]!.message.content,
      ]),
    ).toEqual([
      ['a', BATCH_MODEL, 'batched: first'],
      ['b', 'small-sim', expect.any(String)],
      ['c', BATCH_MODEL, 'batched: third'],
      ['d', LIVE_MODEL, 'live: please fail upstream'],
    ]);
    expect(done.usage?.total_tokens).toBeGreaterThanOrEqual(45);

    const mine = records.filter((r) => r.tags?.includes(`batch:${created.id}`));
    const byLine = (model: string) => mine.filter((r) => r.servedModel === model);
    const list = (10 * 1 + 5 * 2) / 1e6;
    expect(byLine(BATCH_MODEL)).toHaveLength(2);
    for (const r of byLine(BATCH_MODEL)) {
      expect(r).toMatchObject({ deployment: 'gpt', status: 200, promptTokens: 10 });
      expect(r.tags).toEqual(expect.arrayContaining(['batch', `batch:${created.id}`]));
      expect(r.costUsd).toBeCloseTo(list / 2, 15);
      expect(r.baselineCostUsd).toBeCloseTo(list, 15);
    }
    expect(byLine(LIVE_MODEL)).toHaveLength(1);
    expect(byLine(LIVE_MODEL)[0]!.costUsd).toBeCloseTo(list, 15);
    expect(byLine('small-sim')).toHaveLength(1);
  });
});

// A forwarded batch whose upstream batch creation has an unknown outcome, against a loopback fake
// of OpenAI's Files and Batch APIs (and chat, for live calls), driven by the `openai` SDK: each
// line must be paid exactly once, by the upstream batch or live, never both. The fake counts the
// lines in the upstream batches it made and the live chat calls. Cases: it makes the batch and
// then drops the connection; it makes the batch and never answers (the router's timeout); it
// drops the connection without making one (the lines run live after the look-up window); it
// refuses the create with a 400 (the lines run live at once, with no look-up). While an adopted
// upstream batch runs, `/metrics` shows its lines waiting at the provider. And a config hot reload
// that takes `batchApi` off the deployment (or removes it) while its upstream batch runs: the
// batch is still polled with the config it was submitted under, and no line runs live.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readBody, send } from '../helpers/fake-http.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { settle, submitBatch } from '../helpers/batch-client.js';
import { testConfig, testConfigInput } from '../helpers/test-config.js';

type CreateMode =
  'created' | 'drop-after-create' | 'hang-after-create' | 'drop-before-create' | 'refuse';

interface UpLine {
  custom_id: string;
  body: { messages: { content: string }[] };
}
interface UpBatch {
  id: string;
  created_at: number;
  metadata: Record<string, string>;
  lines: UpLine[];
  polls: number;
}

let mode: CreateMode = 'drop-after-create';
/** Upstream batches stay in progress while set. */
let holdUpstream = false;
let calls: string[] = [];
let live: string[] = [];
const uploads: UpLine[][] = [];
let made: UpBatch[] = [];
let upstream: Server;
let rt: Runtime;
let configInput: ReturnType<typeof testConfigInput>;
let base: string;
const hanging: ServerResponse[] = [];

const completion = (content: string, model: string) => ({
  id: 'chatcmpl-up',
  object: 'chat.completion',
  created: 1_760_000_000,
  model,
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});

function outputFile(b: UpBatch): string {
  return b.lines
    .map((l) =>
      JSON.stringify({
        custom_id: l.custom_id,
        response: {
          status_code: 200,
          body: completion(`batched: ${l.body.messages[0]!.content}`, 'gpt-up-batch'),
        },
        error: null,
      }),
    )
    .join('\n');
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${url.pathname}`);
    if (req.method === 'POST' && url.pathname === '/v1/files') {
      const start = text.indexOf('\r\n\r\n', text.indexOf('name="file"')) + 4;
      uploads.push(
        text
          .slice(start, text.lastIndexOf('\r\n--'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as UpLine),
      );
      return send(res, 200, { id: `file-up-${uploads.length - 1}`, object: 'file' });
    }
    if (req.method === 'POST' && url.pathname === '/v1/batches') {
      if (mode === 'refuse')
        return send(res, 400, {
          error: { message: 'invalid file', type: 'invalid_request_error' },
        });
      if (mode === 'drop-before-create') return req.socket.destroy();
      const body = JSON.parse(text) as { input_file_id: string; metadata: Record<string, string> };
      made.push({
        id: `batch_up_${made.length}`,
        created_at: Math.floor(Date.now() / 1000),
        metadata: body.metadata,
        lines: uploads[Number(body.input_file_id.replace('file-up-', ''))]!,
        polls: 0,
      });
      if (mode === 'created')
        return send(res, 200, { id: made[made.length - 1]!.id, object: 'batch' });
      if (mode === 'drop-after-create') return req.socket.destroy();
      hanging.push(res);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/batches') {
      // Newest first, as OpenAI lists them.
      const data = [...made].reverse().map((b) => ({
        id: b.id,
        object: 'batch',
        created_at: b.created_at,
        metadata: b.metadata,
        status: 'in_progress',
      }));
      return send(res, 200, { object: 'list', data, has_more: false });
    }
    const one = /^\/v1\/batches\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const b = made.find((x) => x.id === one[1]);
      if (!b) return send(res, 404, { error: { message: 'no such batch' } });
      b.polls++;
      if (b.polls < 4 || holdUpstream) return send(res, 200, { id: b.id, status: 'in_progress' });
      return send(res, 200, { id: b.id, status: 'completed', output_file_id: `out-${b.id}` });
    }
    const out = /^\/v1\/files\/out-([^/]+)\/content$/.exec(url.pathname);
    if (req.method === 'GET' && out) {
      res.writeHead(200, { 'content-type': 'application/jsonl' });
      return res.end(outputFile(made.find((x) => x.id === out[1])!));
    }
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
      const body = JSON.parse(text) as UpLine['body'];
      live.push(body.messages[0]!.content);
      return send(res, 200, completion(`live: ${body.messages[0]!.content}`, 'gpt-live'));
    }
    send(res, 404, { error: { message: `fake: no ${req.method} ${url.pathname}` } });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  const input = (configInput = testConfigInput({
    batches: {
      pollIntervalMs: 50,
      forward: 'when-available',
      forwardPollMs: 50,
      forwardLookupMs: 600,
    },
  }));
  input.deployments.push({
    name: 'gpt',
    provider: 'openai',
    model: 'gpt-4o-mini',
    baseUrl: `http://127.0.0.1:${port}/v1`,
    prices: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    timeoutMs: 1_000,
    batchApi: {},
  });
  rt = await createRuntime(testConfig(input));
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await rt?.close();
  await new Promise((r) => upstream?.close(r));
});

beforeEach(() => {
  calls = [];
  live = [];
  made = [];
  holdUpstream = false;
});

const LINES = ['one', 'two', 'three'];

/** Runs a batch of LINES routed to gpt; which prompts the upstream batches ran and which ran live. */
async function runBatch(): Promise<{ done: OpenAI.Batch; upstreamRan: string[]; c: OpenAI }> {
  const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
  const created = await submitBatch(
    c,
    LINES.map((content, i) => ({
      custom_id: `q${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt', messages: [{ role: 'user', content }] },
    })),
  );
  const done = await settle(c, created.id, 20_000);
  const upstreamRan = made.flatMap((b) => b.lines.map((l) => l.body.messages[0]!.content));
  return { done, upstreamRan, c };
}

const outputModels = async (c: OpenAI, done: OpenAI.Batch) =>
  (await (await c.files.content(done.output_file_id!)).text())
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { response: { body: { model: string } } }).response.body.model);

describe('an upstream batch creation with an unknown outcome (OpenAI)', () => {
  it('made, then the connection dropped: the batch is found and adopted; each line paid once', async () => {
    mode = 'drop-after-create';
    const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
    const running = runBatch();
    // While the adopted upstream batch runs, its lines show as waiting at the provider.
    let metrics = '';
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      metrics = await (await fetch(`${base}/metrics`)).text();
      if (metrics.includes('model_router_batch_forward_lines{deployment="gpt",state="upstream"} 3'))
        break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(metrics).toContain(
      'model_router_batch_forward_lines{deployment="gpt",state="upstream"} 3',
    );
    const { done, upstreamRan } = await running;
    // Paid once each: all by the upstream batch, none live.
    expect({ upstream: [...upstreamRan].sort(), live }).toEqual({
      upstream: [...LINES].sort(),
      live: [],
    });
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(calls.filter((x) => x === 'POST /v1/batches')).toHaveLength(1);
    expect(calls).toContain('GET /v1/batches');
    expect(await outputModels(c, done)).toEqual(['gpt-up-batch', 'gpt-up-batch', 'gpt-up-batch']);
  });

  it('made, then no answer until the timeout: the batch is found and adopted; each line paid once', async () => {
    mode = 'hang-after-create';
    const { done, upstreamRan, c } = await runBatch();
    expect({ upstream: [...upstreamRan].sort(), live }).toEqual({
      upstream: [...LINES].sort(),
      live: [],
    });
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(calls.filter((x) => x === 'POST /v1/batches')).toHaveLength(1);
    expect(await outputModels(c, done)).toEqual(['gpt-up-batch', 'gpt-up-batch', 'gpt-up-batch']);
  });

  it('not made, the connection dropped: the lines run live after the look-up window', async () => {
    mode = 'drop-before-create';
    const { done, upstreamRan } = await runBatch();
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(upstreamRan).toEqual([]);
    expect([...live].sort()).toEqual([...LINES].sort());
    expect(calls.filter((x) => x === 'GET /v1/batches').length).toBeGreaterThanOrEqual(2);
  });

  it('refused with a 400: the lines run live at once, with no look-up', async () => {
    mode = 'refuse';
    const { done, upstreamRan } = await runBatch();
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(upstreamRan).toEqual([]);
    expect([...live].sort()).toEqual([...LINES].sort());
    expect(calls).not.toContain('GET /v1/batches');
  });
});

describe('a config reload while an upstream batch runs (OpenAI)', () => {
  for (const change of ['batchApi taken off', 'deployment removed'] as const) {
    it(`keeps polling it with the config it was submitted under (${change}); no line runs live`, async () => {
      mode = 'created';
      holdUpstream = true;
      const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
      const running = runBatch();
      const end = Date.now() + 10_000;
      while (!made[0]?.polls && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const reloaded = structuredClone(configInput);
      if (change === 'deployment removed')
        reloaded.deployments = reloaded.deployments.filter((d) => d.name !== 'gpt');
      else delete reloaded.deployments.find((d) => d.name === 'gpt')!.batchApi;
      const before = rt.config.current.config;
      rt.config.apply(testConfig(reloaded));
      try {
        const polled = made[0]!.polls;
        while (made[0]!.polls < polled + 3 && Date.now() < end)
          await new Promise((r) => setTimeout(r, 20));
        expect(made[0]!.polls).toBeGreaterThanOrEqual(polled + 3);
        expect(live).toEqual([]);
        holdUpstream = false;
        const { done, upstreamRan } = await running;
        expect({ upstream: [...upstreamRan].sort(), live }).toEqual({
          upstream: [...LINES].sort(),
          live: [],
        });
        expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
        expect(await outputModels(c, done)).toEqual([
          'gpt-up-batch',
          'gpt-up-batch',
          'gpt-up-batch',
        ]);
      } finally {
        rt.config.apply(before);
      }
    });
  }
});

// A Message Batch creation with an unknown outcome, against a loopback fake of Anthropic's Message
// Batches API (and the Messages API, for live calls): the fake makes the batch, then drops the
// connection. Message Batches carry no metadata, so the router finds the batch in the list by its
// creation time and request count (another client's batch made at the same time, with another
// count, is not taken), checks its results by custom_id (`<group>-line-<n>`), and each line is
// paid exactly once: by the upstream batch, none live.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, send } from '../helpers/fake-http.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { settle, submitBatch } from '../helpers/batch-client.js';
import { testConfig, testConfigInput } from '../helpers/test-config.js';

const KEY_ENV = 'MODEL_ROUTER_TEST_ANTHROPIC_SAFETY_KEY';

interface BatchRequest {
  custom_id: string;
  params: { messages: { content: { text: string }[] }[] };
}
interface MessageBatch {
  id: string;
  created_at: string;
  requests: BatchRequest[];
  polls: number;
}

const calls: string[] = [];
const live: string[] = [];
const made: MessageBatch[] = [];
let upstream: Server;
let rt: Runtime;
let base: string;
let port: number;

const message = (text: string, model: string) => ({
  id: 'msg_up',
  type: 'message',
  role: 'assistant',
  model,
  content: [{ type: 'text', text }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 5 },
});

const listed = (b: MessageBatch) => ({
  id: b.id,
  type: 'message_batch',
  created_at: b.created_at,
  processing_status: 'in_progress',
  request_counts: {
    processing: b.requests.length,
    succeeded: 0,
    errored: 0,
    canceled: 0,
    expired: 0,
  },
});

beforeAll(async () => {
  process.env[KEY_ENV] = 'sk-ant-test';
  upstream = createServer(async (req, res) => {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${url.pathname}`);
    if (req.method === 'POST' && url.pathname === '/v1/messages/batches') {
      const now = new Date().toISOString();
      // Another client of the workspace makes a batch of two requests at the same moment.
      made.push({ id: `msgbatch_other_${made.length}`, created_at: now, requests: [], polls: 0 });
      made[made.length - 1]!.requests = [
        { custom_id: 'theirs-0', params: { messages: [{ content: [{ text: 'x' }] }] } },
        { custom_id: 'theirs-1', params: { messages: [{ content: [{ text: 'y' }] }] } },
      ];
      made.push({
        id: `msgbatch_${made.length}`,
        created_at: now,
        requests: (JSON.parse(text) as { requests: BatchRequest[] }).requests,
        polls: 0,
      });
      // Made; then the connection drops before the answer.
      return req.socket.destroy();
    }
    if (req.method === 'GET' && url.pathname === '/v1/messages/batches') {
      const data = [...made].reverse().map(listed);
      return send(res, 200, {
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
      });
    }
    const one = /^\/v1\/messages\/batches\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const b = made.find((x) => x.id === one[1])!;
      b.polls++;
      if (b.polls < 3) return send(res, 200, { ...listed(b) });
      return send(res, 200, {
        ...listed(b),
        processing_status: 'ended',
        results_url: `http://127.0.0.1:${port}/v1/messages/batches/${b.id}/results`,
      });
    }
    const results = /^\/v1\/messages\/batches\/([^/]+)\/results$/.exec(url.pathname);
    if (req.method === 'GET' && results) {
      const b = made.find((x) => x.id === results[1])!;
      res.writeHead(200, { 'content-type': 'application/x-jsonl' });
      return res.end(
        b.requests
          .map((r) =>
            JSON.stringify({
              custom_id: r.custom_id,
              result: {
                type: 'succeeded',
                message: message(
                  `batched: ${r.params.messages[0]!.content[0]!.text}`,
                  'claude-batch',
                ),
              },
            }),
          )
          .join('\n'),
      );
    }
    if (req.method === 'POST' && url.pathname === '/v1/messages') {
      const body = JSON.parse(text) as BatchRequest['params'];
      live.push(body.messages[0]!.content[0]!.text);
      return send(res, 200, message('live', 'claude-live'));
    }
    send(res, 404, { type: 'error', error: { type: 'not_found_error', message: url.pathname } });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  port = (upstream.address() as AddressInfo).port;
  const input = testConfigInput({
    batches: { pollIntervalMs: 50, forward: 'when-available', forwardPollMs: 50 },
  });
  input.deployments.push({
    name: 'claude',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    baseUrl: `http://127.0.0.1:${port}`,
    apiKeyEnv: KEY_ENV,
    prices: { inputPer1M: 3, outputPer1M: 15 },
    contextWindow: 200_000,
    maxOutputTokens: 8_192,
    batchApi: {},
  });
  rt = await createRuntime(testConfig(input));
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
  await new Promise((r) => upstream?.close(r));
  delete process.env[KEY_ENV];
});

describe('a Message Batch creation with an unknown outcome', () => {
  it('is found by creation time and request count and adopted; each line paid once', async () => {
    const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
    const prompts = ['one', 'two', 'three'];
    const created = await submitBatch(
      c,
      prompts.map((content, i) => ({
        custom_id: `q${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'claude', messages: [{ role: 'user', content }], max_tokens: 64 },
      })),
    );
    const done = await settle(c, created.id, 20_000);
    const ours = made.filter((b) => !b.id.startsWith('msgbatch_other'));
    const upstreamRan = ours.flatMap((b) =>
      b.requests.map((r) => r.params.messages[0]!.content[0]!.text),
    );
    expect({ upstream: [...upstreamRan].sort(), live }).toEqual({
      upstream: [...prompts].sort(),
      live: [],
    });
    expect(calls.filter((x) => x === 'POST /v1/messages/batches')).toHaveLength(1);
    expect(calls).toContain('GET /v1/messages/batches');
    // The custom_ids carry the group's id.
    const ids = ours[0]!.requests.map((r) => r.custom_id);
    const group = ids[0]!.replace(/-line-0$/, '');
    expect(ids).toEqual([`${group}-line-0`, `${group}-line-1`, `${group}-line-2`]);
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    const out = (await (await c.files.content(done.output_file_id!)).text())
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            custom_id: string;
            response: { body: { choices: { message: { content: string } }[] } };
          },
      );
    expect(out.map((l) => [l.custom_id, l.response.body.choices[0]!.message.content])).toEqual([
      ['q0', 'batched: one'],
      ['q1', 'batched: two'],
      ['q2', 'batched: three'],
    ]);
  });
});

// Forwarding batch lines to Anthropic's Message Batches API, against a loopback fake of it (and of
// the Messages API for live calls). The chat lines routed to `claude` (with `batchApi`) are sent as
// one Message Batch whose params are the converted Messages bodies; its results (written out of
// order) come back in input order as chat completions; a line errored with invalid_request_error
// goes to the error file as a 400, one errored with overloaded_error runs live (one Messages call);
// a line routed to a simulated deployment runs live. The request log has the forwarded lines at
// half the price of the live one, whose usage (cache reads and writes too) is the same. A Message
// Batch (Anthropic's own client) is not forwarded, as documented: its lines run live, so Claude
// gets what the Messages bridge keeps only in memory (a tool_result's is_error, a document block
// whole), which a line sent through a Message Batch of our own would have lost.
import Anthropic from '@anthropic-ai/sdk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, send } from '../helpers/fake-http.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { settle, submitBatch } from '../helpers/batch-client.js';
import { testConfig, testConfigInput } from '../helpers/test-config.js';

const BATCH_MODEL = 'claude-sonnet-4-5-batch';
const LIVE_MODEL = 'claude-sonnet-4-5-live';
const KEY_ENV = 'MODEL_ROUTER_TEST_ANTHROPIC_BATCH_KEY';
const usage = {
  input_tokens: 10,
  cache_read_input_tokens: 20,
  cache_creation_input_tokens: 30,
  output_tokens: 5,
};

interface BatchRequest {
  custom_id: string;
  params: { model: string; max_tokens: number; messages: { content: { text: string }[] }[] };
}

const calls: string[] = [];
/** The bodies of the live Messages calls. */
const liveBodies: Record<string, unknown>[] = [];
const submitted: BatchRequest[][] = [];
const polls = new Map<string, number>();
let upstream: Server;
let rt: Runtime;
let base: string;
let port: number;
const records: RequestRecord[] = [];

const message = (model: string, text: string) => ({
  id: 'msg_up',
  type: 'message',
  role: 'assistant',
  model,
  content: [{ type: 'text', text }],
  stop_reason: 'end_turn',
  usage,
});

/** The results file of upstream batch `id`, in reverse input order. */
function resultsFile(id: string): string {
  const requests = submitted[Number(id.replace('msgbatch_', ''))]!;
  return [...requests]
    .reverse()
    .map((r) => {
      const prompt = r.params.messages[0]!.content[0]!.text;
      const error = prompt.includes('invalid')
        ? 'invalid_request_error'
        : prompt.includes('overloaded')
          ? 'overloaded_error'
          : undefined;
      const result = error
        ? { type: 'errored', error: { type: 'error', error: { type: error, message: error } } }
        : { type: 'succeeded', message: message(BATCH_MODEL, `batched: ${prompt}`) };
      return JSON.stringify({ custom_id: r.custom_id, result });
    })
    .join('\n');
}

beforeAll(async () => {
  process.env[KEY_ENV] = 'sk-ant-test';
  upstream = createServer(async (req, res) => {
    const text = await readBody(req);
    const path = req.url ?? '';
    calls.push(`${req.method} ${path}`);
    if (
      req.headers['x-api-key'] !== 'sk-ant-test' ||
      req.headers['anthropic-version'] !== '2023-06-01'
    )
      return send(res, 401, {
        type: 'error',
        error: { type: 'authentication_error', message: 'key' },
      });
    if (req.method === 'POST' && path === '/v1/messages/batches') {
      submitted.push((JSON.parse(text) as { requests: BatchRequest[] }).requests);
      const id = `msgbatch_${submitted.length - 1}`;
      return send(res, 200, { id, type: 'message_batch', processing_status: 'in_progress' });
    }
    const batch = /^\/v1\/messages\/batches\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && batch) {
      const id = batch[1]!;
      polls.set(id, (polls.get(id) ?? 0) + 1);
      // In progress at the first poll, ended at the second.
      if (polls.get(id)! < 2)
        return send(res, 200, { id, type: 'message_batch', processing_status: 'in_progress' });
      return send(res, 200, {
        id,
        type: 'message_batch',
        processing_status: 'ended',
        results_url: `http://127.0.0.1:${port}/v1/messages/batches/${id}/results`,
      });
    }
    const results = /^\/v1\/messages\/batches\/([^/]+)\/results$/.exec(path);
    if (req.method === 'GET' && results) {
      res.writeHead(200, { 'content-type': 'application/x-jsonl' });
      return res.end(resultsFile(results[1]!));
    }
    if (req.method === 'POST' && path === '/v1/messages') {
      const body = JSON.parse(text) as BatchRequest['params'];
      liveBodies.push(body as unknown as Record<string, unknown>);
      return send(res, 200, message(LIVE_MODEL, `live: ${body.messages[0]!.content[0]!.text}`));
    }
    send(res, 404, { type: 'error', error: { type: 'not_found_error', message: path } });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  port = (upstream.address() as AddressInfo).port;
  const input = testConfigInput({
    // A poll interval long enough that every claude line is planned before its group goes up (the
    // group goes once its lines waited this long, even with lines left to plan).
    batches: { pollIntervalMs: 50, forward: 'when-available', forwardPollMs: 400 },
  });
  input.deployments.push({
    name: 'claude',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    baseUrl: `http://127.0.0.1:${port}`,
    apiKeyEnv: KEY_ENV,
    prices: { inputPer1M: 3, outputPer1M: 15, cachedInputPer1M: 0.3, cacheWriteInputPer1M: 3.75 },
    contextWindow: 200_000,
    maxOutputTokens: 8_192,
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
  delete process.env[KEY_ENV];
});

const chat = (id: string, model: string, content: string) => ({
  custom_id: id,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content }], max_tokens: 64 },
});

describe("batch lines forwarded to Anthropic's Message Batches API", () => {
  it('sends the lines routed to claude as one Message Batch and maps the results back', async () => {
    const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
    const created = await submitBatch(c, [
      chat('a', 'claude', 'first'),
      chat('b', 'small', 'second'),
      chat('c', 'claude', 'an invalid one'),
      chat('d', 'claude', 'overloaded upstream'),
      chat('e', 'claude', 'third'),
    ]);
    const done = await settle(c, created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 5, completed: 4, failed: 1 });

    // One Message Batch with claude's four lines as Messages params; one live call (d).
    expect(calls.filter((x) => x === 'POST /v1/messages/batches')).toHaveLength(1);
    // Each custom_id is `<group>-line-<n>` (the group's id: how a look-up's match is checked).
    const group = submitted[0]![0]!.custom_id.replace(/-line-0$/, '');
    expect(submitted[0]).toEqual(
      ['first', 'an invalid one', 'overloaded upstream', 'third'].map((text, i) => ({
        custom_id: `${group}-line-${[0, 2, 3, 4][i]}`,
        params: {
          model: 'claude-sonnet-4-5',
          max_tokens: 64,
          messages: [{ role: 'user', content: [{ type: 'text', text }] }],
        },
      })),
    );
    expect(calls.filter((x) => x === 'POST /v1/messages')).toHaveLength(1);

    type OutLine = {
      custom_id: string;
      response: {
        status_code: number;
        body: {
          object: string;
          model: string;
          choices: { message: { content: string } }[];
          error?: { type: string };
        };
      };
    };
    const lines = async (id: string) =>
      (await (await c.files.content(id)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as OutLine);
    const out = await lines(done.output_file_id!);
    expect(
      out.map((l) => [
        l.custom_id,
        l.response.body.object,
        l.response.body.model,
        l.response.body.choices[0]!.message.content,
      ]),
    ).toEqual([
      ['a', 'chat.completion', BATCH_MODEL, 'batched: first'],
      ['b', 'chat.completion', 'small-sim', expect.any(String)],
      ['d', 'chat.completion', LIVE_MODEL, 'live: overloaded upstream'],
      ['e', 'chat.completion', BATCH_MODEL, 'batched: third'],
    ]);
    const errors = await lines(done.error_file_id!);
    expect(
      errors.map((l) => [l.custom_id, l.response.status_code, l.response.body.error?.type]),
    ).toEqual([['c', 400, 'invalid_request_error']]);

    // Forwarded lines cost half of what the same usage costs live; their baseline is the list price.
    const mine = records.filter((r) => r.tags?.includes(`batch:${created.id}`));
    const live = mine.filter((r) => r.servedModel === LIVE_MODEL);
    expect(live).toHaveLength(1);
    const listCost = live[0]!.costUsd!;
    // 10 input, 20 cache reads, 30 cache writes, 5 output.
    expect(listCost).toBeCloseTo((10 * 3 + 20 * 0.3 + 30 * 3.75 + 5 * 15) / 1e6, 15);
    const batched = mine.filter((r) => r.servedModel === BATCH_MODEL);
    expect(batched).toHaveLength(2);
    for (const r of batched) {
      expect(r).toMatchObject({ deployment: 'claude', status: 200 });
      expect(r.costUsd).toBeCloseTo(listCost / 2, 15);
      expect(r.baselineCostUsd).toBeCloseTo(listCost, 15);
    }
    expect(mine.filter((r) => r.deployment === 'claude' && r.status === 400)).toHaveLength(1);
  });
});

describe('a Message Batch while chat batches forward', () => {
  it("runs live, and Claude gets a tool_result's is_error and a document block whole", async () => {
    const document = {
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: 'The sky is green.' },
      title: 'Sky report',
      citations: { enabled: true },
      cache_control: { type: 'ephemeral' },
    };
    const failed = {
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: 'the service is down',
      is_error: true,
    };
    const messages = [
      { role: 'user', content: [{ type: 'text', text: 'Look it up.' }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'look_up', input: {} }],
      },
      { role: 'user', content: [failed, document, { type: 'text', text: 'What colour?' }] },
    ];
    const sdk = new Anthropic({ baseURL: base, apiKey: 'none', maxRetries: 0 });
    const batchesBefore = calls.filter((x) => x === 'POST /v1/messages/batches').length;
    const created = await sdk.messages.batches.create({
      requests: [
        {
          custom_id: 'm1',
          params: {
            model: 'claude',
            max_tokens: 64,
            tools: [{ name: 'look_up', input_schema: { type: 'object' } }],
            messages,
          } as unknown as Anthropic.MessageCreateParamsNonStreaming,
        },
      ],
    });
    const until = Date.now() + 15_000;
    let batch = created;
    while (batch.processing_status !== 'ended') {
      if (Date.now() > until) throw new Error(`message batch still ${batch.processing_status}`);
      await new Promise((r) => setTimeout(r, 25));
      batch = await sdk.messages.batches.retrieve(created.id);
    }
    expect(batch.request_counts.succeeded).toBe(1);
    expect(calls.filter((x) => x === 'POST /v1/messages/batches')).toHaveLength(batchesBefore);
    const sent = liveBodies.at(-1)!;
    expect((sent.messages as { content: unknown }[]).at(-1)!.content).toEqual([
      failed,
      document,
      { type: 'text', text: 'What colour?' },
    ]);
  });
});

// An OpenAI-format reasoning model (DeepSeek-R1 on vLLM: `reasoning_content` beside the answer)
// behind the BUILT router, its reasoning read by the output content filter first. Called by the
// official Anthropic SDK with thinking on, the reasoning comes back as a thinking block, in one
// Message and streamed, unsigned (only Claude signs); without thinking asked, none; the block the
// client sends back in its next turn is not sent upstream. Called by the official OpenAI SDK's
// Responses API, it comes back as a `reasoning` item with `reasoning_text` content, JSON and
// streamed (`response.reasoning_text.delta`), and is not sent upstream when sent back.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

type Json = Record<string, unknown>;

const REASONING = ['The user greets me. ', 'Mail jane.doe@example.com', ' later.'];
const SHOWN = 'The user greets me. Mail [redacted:email] later.';

let upstream: Server;
let server: SpawnedServer;
let client: Anthropic;
let openai: OpenAI;
const received: Json[] = [];

/** A DeepSeek-style server: reasoning_content first, then the answer; JSON or SSE. */
function startUpstream(): Promise<string> {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push(body);
    const base = { id: 'chatcmpl-ds', created: 1_760_000_000, model: 'deepseek-r1' };
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              finish_reason: 'stop',
              message: {
                role: 'assistant',
                content: 'Hello!',
                reasoning_content: REASONING.join(''),
              },
            },
          ],
          usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (delta: Json, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta, finish_reason: finish }],
        })}\n\n`,
      );
    send({ role: 'assistant', content: '' });
    for (const piece of REASONING) send({ reasoning_content: piece });
    send({ content: 'Hello!' });
    send({}, 'stop');
    res.write(
      `data: ${JSON.stringify({
        ...base,
        object: 'chat.completion.chunk',
        choices: [],
        usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
      })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) =>
    upstream.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`),
    ),
  );
}

beforeAll(async () => {
  const base = await startUpstream();
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'r1',
          provider: 'openai-compatible',
          model: 'deepseek-r1',
          baseUrl: `${base}/v1`,
          capabilities: { reasoning: true },
          prices: { inputPer1M: 0.55, outputPer1M: 2.19 },
          contextWindow: 64_000,
          maxOutputTokens: 8_192,
        },
      ],
      routers: [{ name: 'model-router', modelSubset: ['r1'] }],
      contentFilter: {
        enabled: true,
        rules: [
          { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'output' },
        ],
      },
    }),
  );
  client = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
});

const ask = (thinking: boolean, messages: Anthropic.MessageParam[]) => ({
  model: 'model-router',
  max_tokens: 4096,
  ...(thinking ? { thinking: { type: 'enabled' as const, budget_tokens: 2048 } } : {}),
  messages,
});
const hello: Anthropic.MessageParam = { role: 'user', content: 'Hello' };

describe("an OpenAI-format model's reasoning to an Anthropic client that asked for thinking", () => {
  it('one Message: a thinking block, filtered and unsigned, before the text', async () => {
    const msg = await client.messages.create(ask(true, [hello]));
    expect(msg.model).toBe('deepseek-r1');
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: SHOWN, signature: '' },
      { type: 'text', text: 'Hello!', citations: null },
    ]);
  });

  it('streamed: thinking_delta events, no signature_delta, the same blocks assembled', async () => {
    const stream = client.messages.stream(ask(true, [hello]));
    const deltas: string[] = [];
    stream.on('streamEvent', (e) => {
      if (e.type === 'content_block_delta') deltas.push(e.delta.type);
    });
    const msg = await stream.finalMessage();
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: SHOWN, signature: '' },
      { type: 'text', text: 'Hello!', citations: null },
    ]);
    expect(deltas).toContain('thinking_delta');
    expect(deltas).not.toContain('signature_delta');
  });

  it('without thinking asked, the reasoning is not shown (as Anthropic shows none)', async () => {
    const msg = await client.messages.create(ask(false, [hello]));
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello!', citations: null }]);
    const streamed = await client.messages.stream(ask(false, [hello])).finalMessage();
    expect(streamed.content).toEqual([{ type: 'text', text: 'Hello!', citations: null }]);
  });

  it('the unsigned block the client sends back is not sent upstream', async () => {
    const first = await client.messages.create(ask(true, [hello]));
    received.length = 0;
    await client.messages.create(
      ask(true, [
        hello,
        { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: 'And again?' },
      ]),
    );
    const sent = received[0]!.messages as Json[];
    expect(sent[1]).toMatchObject({ role: 'assistant', content: 'Hello!' });
    expect(JSON.stringify(sent)).not.toContain('The user greets me');
  });
});

describe("an OpenAI-format model's reasoning to a Responses API client", () => {
  const reasoningItem = (id: unknown) => ({
    type: 'reasoning',
    id,
    summary: [],
    content: [{ type: 'reasoning_text', text: SHOWN }],
    status: 'completed',
  });

  it('JSON: a reasoning item with the reasoning text, filtered, before the message', async () => {
    const r = await openai.responses.create({ model: 'model-router', input: 'Hello' });
    expect(r.model).toBe('deepseek-r1');
    expect(r.output[0]).toEqual(reasoningItem(r.output[0]!.id));
    expect(r.output[1]).toMatchObject({ type: 'message' });
    expect(r.output_text).toBe('Hello!');
  });

  it('streamed: reasoning_text events the SDK assembles into the same item', async () => {
    const stream = openai.responses.stream({ model: 'model-router', input: 'Hello' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const r = await stream.finalResponse();
    expect(r.output[0]).toEqual(reasoningItem(r.output[0]!.id));
    expect(r.output_text).toBe('Hello!');
    expect(types).toContain('response.reasoning_text.delta');
    expect(types).toContain('response.reasoning_text.done');
    expect(types.indexOf('response.reasoning_text.done')).toBeLessThan(
      types.indexOf('response.output_text.delta'),
    );
  });

  it('sent back as input (store: false), the reasoning item is not sent upstream', async () => {
    const first = await openai.responses.create({
      model: 'model-router',
      input: 'Hello',
      store: false,
    });
    received.length = 0;
    await openai.responses.create({
      model: 'model-router',
      store: false,
      input: [
        { role: 'user', content: 'Hello' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { role: 'user', content: 'And again?' },
      ],
    });
    const sent = JSON.stringify(received[0]!.messages);
    expect(sent).toContain('Hello!');
    expect(sent).not.toContain('The user greets me');
  });
});

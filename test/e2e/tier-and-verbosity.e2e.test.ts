// `verbosity` (Responses: `text.verbosity`) and `service_tier` through the BUILT router with the
// official SDKs (openapi.yaml `Verbosity`, `ServiceTier`): sent on to OpenAI and Azure OpenAI
// deployments as chat's fields, dropped with `x-router-warnings` for an Anthropic one, and the
// tier the upstream reports serving at in the reply (chat's `service_tier`, on every chunk of a
// stream too, the Response's, and an Anthropic client's `usage.service_tier`). Loopback upstreams record what they are sent.
import Anthropic from '@anthropic-ai/sdk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

type Json = Record<string, unknown>;
const sent: { url: string; body: Json }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    sent.push({ url: req.url ?? '', body });
    if (req.url?.endsWith('/v1/messages') && body.stream === true) {
      // Anthropic's stream (CONTRACTS.md §4.4): the tier in message_start's usage.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const usage = { input_tokens: 5, output_tokens: 1, service_tier: 'priority' };
      const events: Json[] = [
        {
          type: 'message_start',
          message: { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5' },
        },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi.' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
        { type: 'message_stop' },
      ];
      (events[0]!.message as Json).usage = usage;
      for (const e of events) res.write(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.endsWith('/v1/messages'))
      // Anthropic's Message (CONTRACTS.md §4.3): the tier in usage.
      return res.end(
        JSON.stringify({
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'Hi.' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 2, service_tier: 'standard' },
        }),
      );
    // OpenAI's chat completion: the tier it served at (flex asked is served as flex).
    res.end(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-5-2025-08-07',
        service_tier: body.service_tier === 'flex' ? 'flex' : 'default',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const common = {
    prices: { inputPer1M: 1.25, outputPer1M: 10 },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        { name: 'gpt5', provider: 'openai', model: 'gpt-5', baseUrl: `${base}/v1`, ...common },
        {
          name: 'gpt5-azure',
          provider: 'azure',
          model: 'gpt-5',
          baseUrl: base,
          apiVersion: '2025-04-01-preview',
          ...common,
        },
        {
          name: 'claude',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: base,
          ...common,
        },
      ],
      routers: [],
    }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

beforeEach(() => {
  sent.length = 0;
});

const ask = [{ role: 'user' as const, content: 'Say hi' }];

describe('verbosity and service_tier', () => {
  it('chat: sent on to OpenAI and Azure OpenAI, and the served tier comes back', async () => {
    for (const model of ['gpt5', 'gpt5-azure']) {
      sent.length = 0;
      const { data, response } = await client.chat.completions
        .create({ model, messages: ask, verbosity: 'low', service_tier: 'flex' })
        .withResponse();
      expect(sent[0]!.body, model).toMatchObject({ verbosity: 'low', service_tier: 'flex' });
      expect(data.service_tier, model).toBe('flex');
      expect(response.headers.get('x-router-warnings'), model).toBeNull();
    }
    expect(sent[0]!.url).toBe(
      '/openai/deployments/gpt-5/chat/completions?api-version=2025-04-01-preview',
    );
  });

  it('Responses: text.verbosity and service_tier reach OpenAI as chat fields; the Response says the served tier', async () => {
    const r = await client.responses.create({
      model: 'gpt5',
      input: 'Say hi',
      text: { verbosity: 'high' },
      service_tier: 'auto',
    });
    expect(sent[0]!.body).toMatchObject({ verbosity: 'high', service_tier: 'auto' });
    expect(r.service_tier).toBe('default');
    expect(r.text?.verbosity).toBe('high');
  });

  it("Anthropic: verbosity dropped with a warning, service_tier as Claude's, and Claude's reported tier in the reply", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', messages: ask, verbosity: 'low', service_tier: 'priority' })
      .withResponse();
    expect(sent[0]!.url).toBe('/v1/messages');
    expect(sent[0]!.body).not.toHaveProperty('verbosity');
    // Priority capacity is Claude's `auto` (used when the organisation has it).
    expect(sent[0]!.body.service_tier).toBe('auto');
    expect(response.headers.get('x-router-warnings')).toBe(
      "verbosity dropped: claude's API (anthropic) has no such parameter",
    );
    await client.chat.completions.create({
      model: 'claude',
      messages: ask,
      service_tier: 'default',
    });
    expect(sent.at(-1)!.body.service_tier).toBe('standard_only');
    sent.length = 0;
    // An Anthropic client's own tier reaches Claude as it sent it, and an OpenAI-format upstream
    // as OpenAI's word for it; a tier Anthropic has not is a 400 naming the field.
    await anthropic.messages.create({
      model: 'claude',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Say hi' }],
      service_tier: 'standard_only',
    });
    expect(sent.at(-1)!.body.service_tier).toBe('standard_only');
    await anthropic.messages.create({
      model: 'gpt5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Say hi' }],
      service_tier: 'standard_only',
    });
    expect(sent.at(-1)!.url).toBe('/v1/chat/completions');
    expect(sent.at(-1)!.body.service_tier).toBe('default');
    const bad = await anthropic.messages
      .create({
        model: 'claude',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'Say hi' }],
        service_tier: 'priority' as 'auto',
      })
      .catch((e: unknown) => e);
    expect((bad as { status?: number }).status).toBe(400);
    expect(String((bad as Error).message)).toContain('service_tier');
    sent.length = 0;
    // Claude's `usage.service_tier: standard` is OpenAI's `default`.
    expect(data.service_tier).toBe('default');
    const r = await client.responses
      .create({ model: 'claude', input: 'Say hi', text: { verbosity: 'low' } })
      .withResponse();
    expect(r.response.headers.get('x-router-warnings')).toBe(
      "verbosity dropped: claude's API (anthropic) has no such parameter",
    );
    expect(r.data.service_tier).toBe('default');
  });

  it('a chat stream from Claude names its served tier on every chunk, usage asked for or not', async () => {
    for (const include_usage of [false, true]) {
      const stream = await client.chat.completions.create({
        model: 'claude',
        messages: ask,
        stream: true,
        stream_options: { include_usage },
      });
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hi.');
      expect(chunks.length).toBeGreaterThan(include_usage ? 3 : 2);
      expect(chunks.at(-1)!.usage ? 'usage' : 'none').toBe(include_usage ? 'usage' : 'none');
      // Claude's `priority` from message_start, as OpenAI's chunks each carry their tier.
      for (const c of chunks) expect(c.service_tier, JSON.stringify(c)).toBe('priority');
    }
  });

  it("an Anthropic client's usage.service_tier says the tier an OpenAI upstream served at", async () => {
    const message = await anthropic.messages.create({
      model: 'gpt5',
      max_tokens: 64,
      messages: ask,
    });
    expect(message.usage.service_tier).toBe('standard');
  });
});

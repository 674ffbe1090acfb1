// SDK features that real clients use and that the router had answered wrongly or ignored without a
// word, driven with the official `openai` (OpenAI and AzureOpenAI) and `@anthropic-ai/sdk` clients
// against the BUILT server: found by running the OpenAI Agents SDK, LangChain JS and the SDKs'
// helpers against `npm start`.
import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let client: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await spawnServer(testConfigInput());
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe('OpenAI clients', () => {
  it("AzureOpenAI's responses client: Azure's dated /openai/responses?api-version= path (it was a 404)", async () => {
    const azure = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: 'unused',
      apiVersion: '2025-04-01-preview',
      deployment: 'big',
      maxRetries: 0,
    });
    const created = await azure.responses.create({ model: 'big', input: 'Say hello' });
    expect(created.model).toBe('big-sim');
    expect(created.output_text.length).toBeGreaterThan(0);
    const got = await azure.responses.retrieve(created.id);
    expect(got.output_text).toBe(created.output_text);
    const items = [];
    for await (const item of azure.responses.inputItems.list(created.id)) items.push(item.type);
    expect(items).toEqual(['message']);
    await azure.responses.delete(created.id);
    await expect(azure.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    // Background mode and its cancel on the dated path.
    const queued = await azure.responses.create({ model: 'big', input: 'Hi', background: true });
    expect(queued.status).toBe('queued');
    let done = queued;
    while (done.status === 'queued' || done.status === 'in_progress')
      done = await azure.responses.retrieve(queued.id);
    expect(done.status).toBe('completed');
    await expect(azure.responses.cancel(queued.id)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('Cannot cancel a completed response'),
    });
    // Without an api-version it is served as the v1 path (the Vercel AI SDK's Azure provider calls
    // it so); one that is not a version is a 400 naming it.
    const post = (query: string) =>
      fetch(`${server.baseUrl}/openai/responses${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'big', input: 'hi' }),
      });
    expect((await post('')).status).toBe(200);
    const bad = await post('?api-version=latest-please');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('api-version');
  });

  it("Responses: include message.output_text.logprobs returns the tokens' log-probabilities (they were [])", async () => {
    const ask = {
      model: 'model-router',
      input: 'Say hello',
      include: ['message.output_text.logprobs' as const],
      top_logprobs: 2,
    };
    const whole = await client.responses.create(ask);
    const part = whole.output.flatMap((o) => (o.type === 'message' ? o.content : []))[0];
    expect(part?.type).toBe('output_text');
    const logprobs = part?.type === 'output_text' ? (part.logprobs ?? []) : [];
    expect(logprobs.length).toBeGreaterThan(0);
    expect(logprobs.map((t) => t.token).join('')).toBe(whole.output_text);
    for (const t of logprobs) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(2);
    }
    const stream = await client.responses.create({ ...ask, stream: true });
    let streamed = '';
    let done: OpenAI.Responses.ResponseTextDoneEvent | undefined;
    for await (const e of stream) {
      if (e.type === 'response.output_text.delta')
        streamed += e.logprobs.map((t) => t.token).join('');
      if (e.type === 'response.output_text.done') done = e;
    }
    expect(streamed).toBe(whole.output_text);
    expect(done?.logprobs.map((t) => t.token).join('')).toBe(whole.output_text);
    // Without include, none are sent (and none are asked of the upstream).
    const plain = await client.responses.create({ model: 'model-router', input: 'Say hello' });
    const plainPart = plain.output.flatMap((o) => (o.type === 'message' ? o.content : []))[0];
    expect(plainPart?.type === 'output_text' && plainPart.logprobs).toEqual([]);
  });

  it('Responses: an unknown conversation is a 404 naming it; stored prompts get a 400', async () => {
    // The Agents SDK sends `conversation` for run(agent, input, { conversationId }); the router
    // keeps conversations (test/e2e/conversations.e2e.test.ts), and has no conv_123.
    const conversation = await client.responses
      .create({ model: 'model-router', input: 'hi', conversation: 'conv_123' })
      .catch((e: unknown) => e);
    expect(conversation).toBeInstanceOf(OpenAI.NotFoundError);
    expect(conversation).toMatchObject({ param: 'conversation', code: 'conversation_not_found' });
    const prompt = await client.responses
      .create({ model: 'model-router', prompt: { id: 'pmpt_123' } })
      .catch((e: unknown) => e);
    expect(prompt).toBeInstanceOf(OpenAI.BadRequestError);
    // Not "'input' is required": the prompt is what the router cannot use.
    expect(prompt).toMatchObject({ param: 'prompt', code: 'unsupported_parameter' });
  });

  it('chat: audio output (modalities, audio) is a 400, as audio input is (it was answered in text)', async () => {
    for (const extra of [
      { modalities: ['text', 'audio'] as ('text' | 'audio')[] },
      { audio: { voice: 'alloy' as const, format: 'wav' as const } },
    ]) {
      const err = await client.chat.completions
        .create({ model: 'model-router', messages: [{ role: 'user', content: 'hi' }], ...extra })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({
        param: Object.keys(extra)[0],
        code: 'unsupported_parameter',
      });
    }
    const text = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
      modalities: ['text'],
    });
    expect(text.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});

describe('Anthropic clients', () => {
  it('structured outputs: output_config.format (messages.parse with zodOutputFormat) and the beta output_format answer JSON (they were ignored)', async () => {
    const Person = z.object({ name: z.string(), age: z.number() });
    const parsed = await anthropic.messages.parse({
      model: 'model-router',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Describe a person' }],
      output_config: { format: zodOutputFormat(Person) },
    });
    expect(Person.safeParse(parsed.parsed_output).success).toBe(true);
    expect(parsed.content[0]?.type).toBe('text');
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    };
    const beta = await anthropic.messages.create({
      model: 'big',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'A city' }],
      output_format: { type: 'json_schema', schema },
    } as Anthropic.MessageCreateParamsNonStreaming);
    const text = beta.content[0]?.type === 'text' ? beta.content[0].text : '';
    expect(JSON.parse(text)).toEqual({ city: expect.any(String) });
    const bad = await anthropic.messages
      .create({
        model: 'big',
        max_tokens: 20,
        messages: [{ role: 'user', content: 'hi' }],
        output_config: { format: { type: 'json_object' } },
      } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as Error).message).toContain('output_config.format');
  });

  it("message_start states the prompt's input tokens (it said 0; LangChain and the AI SDK read them there)", async () => {
    const stream = await anthropic.messages.create({
      model: 'model-router',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me about the history of the printing press' }],
    });
    let start: Anthropic.Usage | undefined;
    let end: Anthropic.MessageDeltaUsage | undefined;
    for await (const e of stream) {
      if (e.type === 'message_start') start = e.message.usage;
      if (e.type === 'message_delta') end = e.usage;
    }
    expect(start?.input_tokens).toBeGreaterThan(0);
    // The upstream's own count at the end; the router's up front is its count of the same prompt.
    const finalInput =
      (end?.input_tokens ?? 0) +
      (end?.cache_read_input_tokens ?? 0) +
      (end?.cache_creation_input_tokens ?? 0);
    expect(Math.abs(start!.input_tokens - finalInput)).toBeLessThanOrEqual(
      Math.ceil(finalInput / 2),
    );
  });

  it("errors name their request as Anthropic's do: the request-id header (the SDK's requestID) and request_id in the body (both were missing)", async () => {
    const err = (await anthropic.messages
      .create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(err.requestID).toMatch(/^req_/);
    expect(err.error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
      request_id: err.requestID,
    });
    // A path the router does not serve, asked by an Anthropic client, too.
    const res = await fetch(`${server.baseUrl}/v1/messages/nowhere`, {
      headers: { 'anthropic-version': '2023-06-01' },
    });
    expect(res.status).toBe(404);
    const id = res.headers.get('request-id');
    expect(id).toMatch(/^req_/);
    expect(await res.json()).toMatchObject({ type: 'error', request_id: id });
  });

  it("mcp_servers (Anthropic's MCP connector) is a 400 naming it, as server tools are (it was ignored)", async () => {
    const err = await anthropic.messages
      .create({
        model: 'model-router',
        max_tokens: 20,
        messages: [{ role: 'user', content: 'hi' }],
        mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
      } as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('mcp_servers');
  });
});

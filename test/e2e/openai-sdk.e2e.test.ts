// The official `openai` package (OpenAI and AzureOpenAI classes) against the BUILT server running
// the simulated fleet: chat, stream, tools, errors, embeddings.
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  const input = testConfigInput();
  input.deployments.push(
    simDeployment('limited', {
      simulation: {
        ttftMs: 0,
        tokensPerSecond: 1_000_000,
        failure: { kind: '429', rate: 1, retryAfterSeconds: 3 },
      },
    }),
    simDeployment('thinker', {
      capabilities: {
        tools: true,
        vision: false,
        jsonSchema: true,
        reasoning: true,
        streaming: true,
      },
      simulation: {
        ttftMs: 0,
        tokensPerSecond: 1_000_000,
        reasoningTokens: 64,
        cachedFraction: 0.5,
      },
    }),
  );
  input.deployments.push(
    simEmbeddingDeployment('embed', {
      simulation: { dimensions: 256 },
    }),
  );
  server = await spawnServer(input);
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe('openai SDK against the router', () => {
  it('chat through the router reports the served model and usage', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'model-router', messages: [{ role: 'user', content: 'Say hello' }] })
      .withResponse();
    expect(data.model).toBe('small-sim');
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-router-deployment')).toBe('small');
    expect(response.headers.get('x-router-decision-id')).toMatch(/^dec_/);
  });

  it('streams with include_usage and ends cleanly', async () => {
    const stream = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('n choices: as many streamed as answered whole (the simulated stream sent choice 0 only)', async () => {
    const ask = {
      model: 'big',
      n: 2,
      messages: [{ role: 'user' as const, content: 'Tell me a story' }],
    };
    const whole = await client.chat.completions.create(ask);
    expect(whole.choices.map((c) => c.index)).toEqual([0, 1]);
    const stream = await client.chat.completions.create({ ...ask, stream: true });
    const texts = new Map<number, string>();
    const finished = new Map<number, string>();
    for await (const chunk of stream)
      for (const c of chunk.choices) {
        texts.set(c.index, (texts.get(c.index) ?? '') + (c.delta?.content ?? ''));
        if (c.finish_reason) finished.set(c.index, c.finish_reason);
      }
    expect([...texts.keys()].sort()).toEqual([0, 1]);
    for (const c of whole.choices) {
      expect(texts.get(c.index)).toBe(c.message.content);
      expect(finished.get(c.index)).toBe(c.finish_reason);
    }
  });

  it('logprobs: served with them (JSON and streamed), never by a deployment without them', async () => {
    const { data } = await client.chat.completions
      .create({
        model: 'model-router',
        messages: [{ role: 'user', content: 'Say hello' }],
        logprobs: true,
        top_logprobs: 2,
      })
      .withResponse();
    const content = data.choices[0]!.logprobs!.content!;
    expect(content.map((t) => t.token).join('')).toBe(data.choices[0]!.message.content);
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.bytes).toEqual([...Buffer.from(t.token, 'utf8')]);
      expect(t.top_logprobs).toHaveLength(2);
      expect(t.top_logprobs[0]).toEqual({ token: t.token, logprob: t.logprob, bytes: t.bytes });
      expect(t.top_logprobs[1]!.logprob).toBeLessThan(t.logprob);
    }
    const stream = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Say hello' }],
      logprobs: true,
      stream: true,
    });
    let text = '';
    let tokens = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      tokens += (chunk.choices[0]?.logprobs?.content ?? []).map((t) => t.token).join('');
    }
    expect(tokens).toBe(text);
    expect(text).toBe(data.choices[0]!.message.content);
    // A reasoning model returns none: asked by name, it is a 400 that says so, not an answer
    // without them.
    const refused = await client.chat.completions
      .create({ model: 'thinker', messages: [{ role: 'user', content: 'hi' }], logprobs: true })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as Error).message).toContain('thinker: logprobs (does not return logprobs)');
  });

  it('passes usage details of a reasoning model and warns about dropped parameters', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'thinker',
        messages: [{ role: 'user', content: 'Think hard' }],
        temperature: 0.3,
        max_tokens: 500,
      })
      .withResponse();
    expect(data.model).toBe('thinker-sim');
    expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(64);
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-router-warnings')).toContain(
      'max_tokens mapped to max_completion_tokens',
    );
    expect(response.headers.get('x-router-warnings')).toContain('temperature ignored');
  });

  it('tools: required and named tool_choice produce tool calls', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      },
    ];
    const res = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    expect(() =>
      JSON.parse(call?.type === 'function' ? call.function.arguments : ''),
    ).not.toThrow();
  });

  it('errors come back as the SDK error classes with status and param', async () => {
    await expect(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(
      client.chat.completions.create({ model: 'model-router', messages: [] }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const limited = await client.chat.completions
      .create({ model: 'limited', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      (limited as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'),
    ).toBe('3');
  });

  it('embeddings: the SDK (which asks for base64 and decodes it) and the AzureOpenAI class get vectors', async () => {
    const texts = ['How do I reset my password?', 'Password reset steps', 'Quarterly revenue'];
    const { data, response } = await client.embeddings
      .create({ model: 'embed', input: texts })
      .withResponse();
    expect(data.model).toBe('text-embedding-3-small');
    expect(response.headers.get('x-router-deployment')).toBe('embed');
    const [a, b, c] = data.data.map((d) => d.embedding);
    expect(a).toHaveLength(256);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, a!)).toBeCloseTo(1, 5);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!));
    expect(data.usage.prompt_tokens).toBeGreaterThan(5);
    const floats = await client.embeddings.create({
      model: 'embed',
      input: texts[0]!,
      encoding_format: 'float',
    });
    expect(floats.data[0]!.embedding).toEqual(a);
    const azure = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: 'unused',
      apiVersion: '2024-10-21',
      deployment: 'embed',
      maxRetries: 0,
    });
    const viaAzure = await azure.embeddings.create({ model: 'ignored', input: texts[0]! });
    expect(viaAzure.data[0]!.embedding).toEqual(a);
    await expect(
      client.embeddings.create({ model: 'model-router', input: 'x' }),
    ).rejects.toMatchObject({ status: 400, code: 'model_not_embeddings' });
  });

  it('AzureOpenAI class: dated deployment path with api-version, and the v1 path', async () => {
    const azure = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: 'unused',
      apiVersion: '2024-10-21',
      deployment: 'big',
      maxRetries: 0,
    });
    const res = await azure.chat.completions.create({
      model: 'big',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.model).toBe('big-sim');
    // The client built with a deployment is often given `model: ''`: the path decides, as on Azure.
    const unnamed = await azure.chat.completions.create({
      model: '',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(unnamed.model).toBe('big-sim');
    const viaRouter = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: 'unused',
      apiVersion: '2024-10-21',
      deployment: 'model-router',
      maxRetries: 0,
    });
    const routed = await viaRouter.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const c of routed) text += c.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const v1 = new OpenAI({
      baseURL: `${server.baseUrl}/openai/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
    const r = await v1.chat.completions.create({
      model: 'mid',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.model).toBe('mid-sim');
    // Azure's v1 API lists and retrieves models under /openai/v1 too.
    const listed = await v1.models.list();
    expect(listed.data.map((m) => m.id)).toEqual(
      expect.arrayContaining(['model-router', 'big', 'mid', 'small']),
    );
    expect((await v1.models.retrieve('model-router')).owned_by).toBe('model-router');
    // A dated path with a version that is no api-version at all is refused, naming the parameter.
    const odd = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: 'unused',
      apiVersion: 'latest-please',
      deployment: 'big',
      maxRetries: 0,
    });
    const refused = await odd.chat.completions
      .create({ model: 'big', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(
      'api-version "latest-please" is not an API version',
    );
  });

  it('lists router deployments with their effective context window, and deployments', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['model-router', 'big', 'mid', 'small']));
    const router = list.data.find((m) => m.id === 'model-router') as unknown as {
      context_window: number;
      type: string;
    };
    expect(router.type).toBe('router');
    expect(router.context_window).toBe(128_000);
  });
});

// The Vercel AI SDK (`ai` with `@ai-sdk/openai` and `@ai-sdk/openai-compatible`) against the BUILT
// server running the simulated fleet: text and streams (Chat Completions and Responses), tool
// loops, structured outputs validated against zod schemas, embeddings, errors.
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  APICallError,
  embed,
  embedMany,
  experimental_getBatchResults,
  experimental_getBatchStatus,
  experimental_startBatch,
  generateText,
  Output,
  stepCountIs,
  streamText,
  tool,
  type LanguageModel,
} from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

let server: SpawnedServer;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  const input = testConfigInput();
  input.deployments.push(simEmbeddingDeployment('embed'));
  server = await spawnServer(input);
  openai = createOpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused' });
});

afterAll(async () => {
  await server?.stop();
});

const apis = (): Array<[string, LanguageModel]> => [
  ['chat', openai.chat('model-router')],
  ['responses', openai.responses('model-router')],
];

/** The Responses item id the SDK keeps on an assistant message's text. */
function itemIdOf(message: unknown): string {
  const part = (message as { content: { providerOptions?: { openai?: { itemId?: string } } }[] })
    .content[0];
  return part!.providerOptions!.openai!.itemId!;
}

const weather = tool({
  description: 'Get the weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe('Vercel AI SDK (@ai-sdk/openai) against the router', () => {
  it('generateText: text, the model that served, usage and finish reason', async () => {
    for (const [api, model] of apis()) {
      const r = await generateText({ model, prompt: 'Say hello' });
      expect(r.text.length, api).toBeGreaterThan(0);
      expect(r.finishReason, api).toBe('stop');
      expect(r.response.modelId, api).toBe('small-sim');
      expect(r.usage.inputTokens, api).toBeGreaterThan(0);
      expect(r.usage.outputTokens, api).toBeGreaterThan(0);
      expect(r.usage.totalTokens, api).toBe(r.usage.inputTokens! + r.usage.outputTokens!);
    }
  });

  it('streamText: full stream parts in order, usage, finish reason, response id', async () => {
    for (const [api, model] of apis()) {
      const s = streamText({ model, prompt: 'Tell me a story' });
      const kinds: string[] = [];
      let text = '';
      for await (const part of s.fullStream) {
        if (part.type === 'text-delta') text += part.text;
        if (kinds.at(-1) !== part.type) kinds.push(part.type);
      }
      expect(kinds, api).toEqual([
        'start',
        'start-step',
        'text-start',
        'text-delta',
        'text-end',
        'finish-step',
        'finish',
      ]);
      expect(text, api).toBe(await s.text);
      expect(await s.finishReason, api).toBe('stop');
      expect((await s.usage).outputTokens, api).toBeGreaterThan(0);
      expect((await s.response).modelId, api).toBe('small-sim');
    }
    const s = streamText({ model: openai.responses('model-router'), prompt: 'hi' });
    await s.consumeStream();
    expect((await s.providerMetadata)?.openai?.responseId).toMatch(/^resp_/);
  });

  it('a tool loop with stopWhen runs the tool and answers; a named tool is called', async () => {
    for (const [api, model] of apis()) {
      const r = await generateText({
        model,
        prompt: 'What is the weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(3),
      });
      expect(
        r.steps.map((s) => s.finishReason),
        api,
      ).toEqual(['tool-calls', 'stop']);
      expect(r.steps[0]!.toolResults[0]?.output, api).toEqual({
        city: 'simulated city',
        celsius: 21,
      });
      expect(r.text.length, api).toBeGreaterThan(0);
      const named = await generateText({
        model,
        prompt: 'Hello',
        tools: { weather },
        toolChoice: { type: 'tool', toolName: 'weather' },
      });
      expect(
        named.toolCalls.map((c) => c.toolName),
        api,
      ).toEqual(['weather']);
    }
  });

  it('structured outputs: objects valid for zod schemas with formats, bounds, unions, tuples', async () => {
    // Before: the simulated fleet wrote "simulated email" for an email, 1 for a number ≥ 100 and a
    // string for a union, and the SDK threw NoObjectGeneratedError ("did not match schema").
    const schema = z.object({
      email: z.email(),
      id: z.uuid(),
      day: z.iso.date(),
      sku: z.string().regex(/^[A-Z]{3}-\d{4}$/),
      code: z.string().length(6),
      count: z.number().int().min(100).max(200),
      ratio: z.number().gt(0).lt(1),
      tags: z.array(z.string()).min(2),
      shape: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('circle'), r: z.number() }),
        z.object({ kind: z.literal('square'), side: z.number() }),
      ]),
      pair: z.tuple([z.string(), z.number()]),
      note: z.string().nullable(),
    });
    for (const [api, model] of apis()) {
      const r = await generateText({ model, output: Output.object({ schema }), prompt: 'One' });
      expect(schema.safeParse(r.output).success, api).toBe(true);
      const s = streamText({ model, output: Output.object({ schema }), prompt: 'One' });
      await s.consumeStream();
      expect(schema.safeParse(await s.output).success, api).toBe(true);
    }
  });

  it('a second turn on Responses with store on: the item references it sends are looked up', async () => {
    // The SDK refers to the first turn's output by item id while `store` is on (its default):
    // before, the router answered 400.
    const sent: unknown[] = [];
    const recording = createOpenAI({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: 'unused',
      fetch: async (url, init) => {
        if (typeof init?.body === 'string') sent.push(JSON.parse(init.body));
        return fetch(url, init);
      },
    });
    const model = recording.responses('model-router');
    const first = await generateText({ model, prompt: 'Hi' });
    const messages = [
      { role: 'user' as const, content: 'Hi' },
      ...first.response.messages,
      { role: 'user' as const, content: 'And then?' },
    ];
    for (const stream of [false, true]) {
      const second = stream
        ? await (async () => {
            const s = streamText({ model, messages, maxRetries: 0 });
            await s.consumeStream();
            return { text: await s.text, response: await s.response };
          })()
        : await generateText({ model, messages, maxRetries: 0 });
      expect(second.text.length, `stream ${stream}`).toBeGreaterThan(0);
      const input = (sent.at(-1) as { input: { type?: string; id?: string }[] }).input;
      expect(input[1], `stream ${stream}`).toEqual({
        type: 'item_reference',
        id: itemIdOf(first.response.messages[0]),
      });
      // The model got the first turn's answer itself, as the second response's input lists it.
      const listed = (await (
        await fetch(`${server.baseUrl}/v1/responses/${second.response.id}/input_items?order=asc`)
      ).json()) as { data: { role: string; content: { text: string }[] }[] };
      expect(listed.data.map((i) => [i.role, i.content[0]!.text])).toEqual([
        ['user', 'Hi'],
        ['assistant', first.text],
        ['user', 'And then?'],
      ]);
    }
    // A third turn refers to both earlier answers.
    const third = await generateText({
      model,
      messages: [...messages, ...(await generateText({ model, messages })).response.messages],
      maxRetries: 0,
    });
    expect(third.text.length).toBeGreaterThan(0);
    expect(
      (sent.at(-1) as { input: { type?: string }[] }).input.filter(
        (i) => i.type === 'item_reference',
      ),
    ).toHaveLength(2);
  });

  it('embed and embedMany through openai.embedding', async () => {
    const one = await embed({ model: openai.embedding('embed'), value: 'hello world' });
    expect(one.embedding.length).toBe(1536);
    expect(one.usage.tokens).toBeGreaterThan(0);
    const many = await embedMany({
      model: openai.embedding('embed'),
      values: ['a b', 'c d', 'e f'],
      providerOptions: { openai: { dimensions: 64 } },
    });
    expect(many.embeddings.map((e) => e.length)).toEqual([64, 64, 64]);
  });

  it('errors are APICallError with the status and the router message', async () => {
    for (const model of [openai.chat('nope'), openai.responses('nope')]) {
      const err = await generateText({ model, prompt: 'x', maxRetries: 0 }).catch((e) => e);
      expect(APICallError.isInstance(err)).toBe(true);
      expect((err as APICallError).statusCode).toBe(404);
      expect((err as APICallError).message).toContain('"nope" does not exist');
    }
  });
});

describe('Vercel AI SDK (@ai-sdk/openai-compatible) against the router', () => {
  it('chat, a stream with includeUsage, and embeddings', async () => {
    const router = createOpenAICompatible({
      name: 'router',
      baseURL: `${server.baseUrl}/v1`,
      apiKey: 'unused',
      includeUsage: true,
    });
    const r = await generateText({ model: router('model-router'), prompt: 'Say hello' });
    expect(r.response.modelId).toBe('small-sim');
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    const s = streamText({ model: router('model-router'), prompt: 'Say hello' });
    await s.consumeStream();
    expect(await s.finishReason).toBe('stop');
    expect((await s.usage).outputTokens).toBeGreaterThan(0);
    const e = await embedMany({ model: router.embeddingModel('embed'), values: ['a', 'b'] });
    expect(e.embeddings).toHaveLength(2);
  });
});

describe('@ai-sdk/openai 4.0.116+: tools loaded part-way through a conversation (additional_tools)', () => {
  it("a system message's and a tool result's additionalTools offer the tool from there on (they were a 400)", async () => {
    const sent: Record<string, unknown>[] = [];
    const provider = createOpenAI({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: 'unused',
      fetch: (url, init) => {
        sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        return fetch(url, init);
      },
    });
    const cities: string[] = [];
    const tools = {
      search: tool({ description: 'Search for tools', inputSchema: z.object({}) }),
      get_weather: tool({
        description: 'Get the weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          cities.push(city);
          return { city, celsius: 21 };
        },
        providerOptions: { openai: { omitFromRequestTools: true } },
      }),
    };
    const getWeather = {
      type: 'function' as const,
      name: 'get_weather',
      description: 'Get the weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    };
    const loaded = await generateText({
      model: provider.responses('model-router'),
      tools,
      allowSystemInMessages: true,
      stopWhen: stepCountIs(3),
      messages: [
        {
          role: 'system',
          content: '',
          providerOptions: { openai: { additionalTools: [getWeather] } },
        },
        { role: 'user', content: 'What is the weather in Rome?' },
      ],
    });
    expect(sent[0]!.tools).toEqual([expect.objectContaining({ name: 'search' })]);
    expect(sent[0]!.input).toContainEqual(
      expect.objectContaining({ type: 'additional_tools', role: 'developer' }),
    );
    expect(loaded.steps[0]!.toolCalls.map((c) => c.toolName)).toEqual(['get_weather']);
    expect(cities).toHaveLength(1);
    expect(loaded.text.length).toBeGreaterThan(0);

    // After a tool result, as a search tool's own result loads what it found.
    sent.length = 0;
    const afterResult = await generateText({
      model: provider.responses('model-router'),
      tools,
      messages: [
        { role: 'user', content: 'Find a tool for the weather in Oslo.' },
        {
          role: 'assistant',
          content: [{ type: 'tool-call', toolCallId: 'search-1', toolName: 'search', input: {} }],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'search-1',
              toolName: 'search',
              output: { type: 'json', value: { found: 'get_weather' } },
              providerOptions: { openai: { additionalTools: [getWeather] } },
            },
          ],
        },
        { role: 'user', content: 'Now tell me the weather in Oslo.' },
      ],
    });
    expect(sent[0]!.input).toContainEqual(
      expect.objectContaining({ type: 'additional_tools', role: 'developer' }),
    );
    expect(afterResult.toolCalls.map((c) => c.toolName)).toEqual(['get_weather']);
  });
});

describe('the AI SDK Batch API (ai 7.0.174 output, @ai-sdk/openai 4.0.124 outputFileExpiresAfter)', () => {
  it('startBatch with a structured output and file expiries; status names the output file; results parsed', async () => {
    const sent: Record<string, unknown>[] = [];
    const provider = createOpenAI({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: 'unused',
      fetch: (url, init) => {
        if (String(url).endsWith('/batches') && init?.method === 'POST')
          sent.push(JSON.parse(String(init.body)) as Record<string, unknown>);
        return fetch(url, init);
      },
    });
    const City = z.object({ city: z.string(), country: z.string() });
    const output = Output.object({ schema: City });
    const batch = await experimental_startBatch({
      provider,
      output,
      requests: ['France', 'Japan'].map((country) => ({
        id: country,
        type: 'text' as const,
        model: 'model-router',
        prompt: `The capital of ${country}?`,
      })),
      providerOptions: { openai: { inputFileExpiresAfter: 3600, outputFileExpiresAfter: 7200 } },
    });
    expect(sent[0]).toMatchObject({
      output_expires_after: { anchor: 'created_at', seconds: 7200 },
    });
    const done = await waitFor(
      async () => {
        const status = await experimental_getBatchStatus({ provider, batch });
        expect(status.status).toBe('completed');
        return status;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(done.providerMetadata?.openai?.outputFileId).toMatch(/^file-/);
    const results = [];
    for await (const item of experimental_getBatchResults({ provider, batch, output }))
      results.push(item);
    expect(results.map((r) => r.id).sort()).toEqual(['France', 'Japan']);
    for (const r of results) {
      expect(r.status, r.id).toBe('succeeded');
      // Parsed with the output given (ai 7.0.174), from the JSON the router's model wrote.
      const parsed = (r as { output?: unknown }).output;
      expect(City.parse(parsed), r.id).toEqual(JSON.parse((r as { text: string }).text));
    }
  });
});

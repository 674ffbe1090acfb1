// The Vercel AI SDK's `@ai-sdk/azure` and `@ai-sdk/anthropic` providers against the BUILT server
// running the simulated fleet: every URL shape the Azure provider builds (deployment-based with its
// default `api-version=v1` or a date, the v1 path, a gateway `baseURL` ending in `/openai`), and
// the Messages API with tools, structured output, files and cache-control options.
import { createAnthropic } from '@ai-sdk/anthropic';
import { createAzure } from '@ai-sdk/azure';
import {
  APICallError,
  embed,
  generateText,
  Output,
  stepCountIs,
  streamText,
  tool,
  type LanguageModel,
  type ModelMessage,
} from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;

beforeAll(async () => {
  const input = testConfigInput();
  input.deployments.push(
    simEmbeddingDeployment('embed'),
    simDeployment('thinker', {
      capabilities: {
        tools: true,
        vision: true,
        jsonSchema: true,
        reasoning: true,
        streaming: true,
      },
      simulation: { ttftMs: 0, tokensPerSecond: 1_000_000, reasoningTokens: 32 },
    }),
  );
  server = await spawnServer(input);
});

afterAll(async () => {
  await server?.stop();
});

const weather = tool({
  description: 'Get the weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

/** Text, the served model and usage from a generateText and a streamText call. */
async function expectAnswers(model: LanguageModel, label: string): Promise<void> {
  const r = await generateText({ model, prompt: 'Say hello', maxRetries: 0 });
  expect(r.text.length, label).toBeGreaterThan(0);
  expect(r.response.modelId, label).toBe('small-sim');
  expect(r.usage.outputTokens, label).toBeGreaterThan(0);
  const s = streamText({ model, prompt: 'Say hello', maxRetries: 0, onError: () => {} });
  await s.consumeStream();
  expect(await s.finishReason, label).toBe('stop');
  expect((await s.text).length, label).toBeGreaterThan(0);
}

describe('Vercel AI SDK (@ai-sdk/azure) against the router', () => {
  const urls: string[] = [];
  const azure = (opts: Parameters<typeof createAzure>[0]) =>
    createAzure({
      apiKey: 'unused',
      fetch: (url, init) => {
        urls.push(String(url));
        return fetch(url, init);
      },
      ...opts,
    });

  it('deployment-based URLs with the default api-version (v1) and a dated one', async () => {
    // Before: `api-version=v1` (the provider's default) was refused on dated paths, and
    // /openai/deployments/{name}/responses (what azure(name) calls) was a 404.
    for (const apiVersion of [undefined, '2025-04-01-preview']) {
      const provider = azure({
        baseURL: `${server.baseUrl}/openai`,
        useDeploymentBasedUrls: true,
        ...(apiVersion ? { apiVersion } : {}),
      });
      await expectAnswers(provider.chat('model-router'), `chat ${apiVersion}`);
      await expectAnswers(provider('model-router'), `responses ${apiVersion}`);
      const e = await embed({ model: provider.embedding('embed'), value: 'hello', maxRetries: 0 });
      expect(e.embedding).toHaveLength(1536);
    }
    expect(urls).toContain(
      `${server.baseUrl}/openai/deployments/model-router/responses?api-version=v1`,
    );
  });

  it('the v1 path, and a gateway baseURL ending in /openai ({baseURL}{path}, no api-version)', async () => {
    for (const baseURL of [`${server.baseUrl}/openai/v1`, `${server.baseUrl}/openai`]) {
      const provider = azure({ baseURL });
      await expectAnswers(provider.chat('model-router'), `chat ${baseURL}`);
      await expectAnswers(provider('model-router'), `responses ${baseURL}`);
      const e = await embed({ model: provider.embedding('embed'), value: 'hello', maxRetries: 0 });
      expect(e.embedding).toHaveLength(1536);
    }
    expect(urls).toContain(`${server.baseUrl}/openai/chat/completions`);
  });

  it('a dated path with no API version at all is still refused, as an APICallError', async () => {
    const provider = azure({
      baseURL: `${server.baseUrl}/openai`,
      useDeploymentBasedUrls: true,
      apiVersion: 'latest-please',
    });
    const err = await generateText({
      model: provider.chat('model-router'),
      prompt: 'x',
      maxRetries: 0,
    }).catch((e) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(400);
    expect((err as APICallError).message).toContain('"latest-please" is not an API version');
  });
});

describe('@ai-sdk/azure 4.0.134: configuration updates (GPT-6 deployments) through the router', () => {
  const sent: Record<string, unknown>[] = [];
  /** A deployment named for the router, its model given so the SDK knows it takes updates. */
  const gpt6 = (deployment: string) =>
    createAzure({
      apiKey: 'unused',
      baseURL: `${server.baseUrl}/openai/v1`,
      fetch: (url, init) => {
        sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        return fetch(url, init);
      },
    }).responses(deployment, { modelId: 'gpt-6-astra' });
  const conversation = (update: Record<string, unknown>): ModelMessage[] => [
    { role: 'user', content: 'Summarize 17 red crates and 26 blue crates.' },
    { role: 'assistant', content: 'There are red and blue crates.' },
    { role: 'system', content: '', providerOptions: { azure: update as never } },
    { role: 'user', content: 'How many crates are there altogether?' },
  ];

  it('reasoningEffortUpdate and textFormatUpdate are applied from where they stand (they were a 400)', async () => {
    sent.length = 0;
    const effort = await generateText({
      model: gpt6('thinker'),
      allowSystemInMessages: true,
      messages: conversation({ reasoningEffortUpdate: 'high' }),
      maxRetries: 0,
    });
    expect(sent[0]!.input).toContainEqual({
      type: 'configuration_update',
      reasoning: { effort: 'high' },
    });
    expect(effort.response.modelId).toBe('thinker-sim');
    // The effort is the request's: `small` takes no reasoning parameters.
    const refused = await generateText({
      model: gpt6('small'),
      allowSystemInMessages: true,
      messages: conversation({ reasoningEffortUpdate: 'high' }),
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(refused)).toBe(true);
    expect((refused as APICallError).message).toMatch(/small: reasoning/);

    const Count = z.object({ totalCrates: z.number().int() });
    const json = await generateText({
      model: gpt6('model-router'),
      allowSystemInMessages: true,
      providerOptions: { azure: { textFormat: { type: 'text' } } },
      messages: conversation({
        textFormatUpdate: {
          type: 'json_schema',
          name: 'crate_count',
          strict: true,
          schema: z.toJSONSchema(Count),
        },
      }),
      maxRetries: 0,
    });
    expect(Number.isInteger(Count.parse(JSON.parse(json.text)).totalCrates)).toBe(true);
  });
});

describe('Vercel AI SDK (@ai-sdk/anthropic) against the router', () => {
  const anthropic = () => createAnthropic({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused' });

  it('text and streams: the served model, usage and end_turn', async () => {
    await expectAnswers(anthropic()('model-router'), 'messages');
    const r = await generateText({ model: anthropic()('model-router'), prompt: 'Say hello' });
    expect(r.rawFinishReason).toBe('end_turn');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
  });

  it('a tool loop, structured output, a PDF and cache-control options', async () => {
    const model = anthropic()('model-router');
    const loop = await generateText({
      model,
      prompt: 'What is the weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
    });
    expect(loop.steps.map((s) => s.finishReason)).toEqual(['tool-calls', 'stop']);
    const schema = z.object({ name: z.string(), age: z.number().int().min(18) });
    const obj = await generateText({ model, output: Output.object({ schema }), prompt: 'One' });
    expect(schema.safeParse(obj.output).success).toBe(true);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF');
    const cached = await generateText({
      model,
      instructions: {
        role: 'system',
        content: 'You summarise documents.',
        providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
      },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'file', data: pdf, mediaType: 'application/pdf', filename: 'a.pdf' },
            {
              type: 'text',
              text: 'Summarise it',
              providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
            },
          ],
        },
      ],
    });
    expect(cached.text.length).toBeGreaterThan(0);
  });

  it('midConversationSystemMessages (4.0.111): a later system message is sent in place and served', async () => {
    const bodies: Record<string, unknown>[] = [];
    const provider = createAnthropic({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: 'unused',
      fetch: (url, init) => {
        bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        return fetch(url, init);
      },
    });
    const r = await generateText({
      model: provider('model-router'),
      maxOutputTokens: 200,
      maxRetries: 0,
      allowSystemInMessages: true,
      providerOptions: { anthropic: { midConversationSystemMessages: true } },
      messages: [
        { role: 'user', content: 'Draft a migration plan.' },
        { role: 'assistant', content: 'First, inventory the public API.' },
        { role: 'system', content: 'Reminder: keep it to three steps.' },
        { role: 'user', content: 'Complete the plan.' },
      ],
    });
    expect(bodies[0]!.system).toBeUndefined();
    expect(bodies[0]!.messages).toContainEqual(expect.objectContaining({ role: 'system' }));
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.response.modelId).toBe('small-sim');
  });

  it('thinking options reach a reasoning deployment; errors are APICallError', async () => {
    const r = await generateText({
      model: anthropic()('thinker'),
      prompt: 'Prove it',
      maxOutputTokens: 4000,
      providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } },
    });
    expect(r.response.modelId).toBe('thinker-sim');
    const err = await generateText({
      model: anthropic()('nope'),
      prompt: 'x',
      maxRetries: 0,
    }).catch((e) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(404);
    expect((err as APICallError).message).toContain('"nope" does not exist');
  });

  it("an output limit above the deployment's says the numbers (the SDK guesses one by name)", async () => {
    // The provider sends 128000 for a `claude-…` id it does not know; a deployment writing 16384
    // at most cannot serve it. Before: "requested output exceeds its max output tokens" only.
    const err = await generateText({
      model: anthropic()('big'),
      prompt: 'x',
      maxOutputTokens: 128_000,
      maxRetries: 0,
    }).catch((e) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(400);
    expect((err as APICallError).message).toContain(
      "the request's max_tokens is 128000, and these deployments write at most 16384 tokens",
    );
  });
});

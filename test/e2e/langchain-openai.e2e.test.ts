// LangChain.js (`@langchain/openai`: ChatOpenAI on Chat Completions and on Responses,
// AzureChatOpenAI on the Azure deployment paths, OpenAIEmbeddings) against the BUILT server running
// the simulated fleet: invoke, stream, tool calls with a ToolMessage round trip, structured output
// in both of its methods, usage_metadata equal to what the router sent, and its error classes.
import { ContextOverflowError } from '@langchain/core/errors';
import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  type AIMessageChunk,
  type ToolMessage,
} from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import {
  AzureChatOpenAI,
  AzureOpenAIEmbeddings,
  ChatOpenAI,
  OpenAIClient,
  OpenAIEmbeddings,
  type ChatOpenAIFields,
} from '@langchain/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashApiKey } from '../../src/auth/api-key.js';
import { recordReplies } from '../helpers/record-replies.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';

const KEY = 'mr-langchain-key-0123456789';

let server: SpawnedServer;

/** What the router sent back (JSON, or a stream's `data:` events) and the paths called, in order. */
const { recordingFetch, replies, paths } = recordReplies();

beforeAll(async () => {
  const input = testConfigInput({
    auth: { mode: 'keys', keys: [{ id: 'lc', hash: hashApiKey(KEY), tenant: 'langchain' }] },
  });
  input.deployments.push(
    simDeployment('thinker', {
      capabilities: { tools: true, vision: false, jsonSchema: true, reasoning: true },
      simulation: {
        ttftMs: 0,
        tokensPerSecond: 1_000_000,
        reasoningTokens: 64,
        cachedFraction: 0.5,
      },
    }),
    simDeployment('tiny', { contextWindow: 200, maxOutputTokens: 50 }),
    simDeployment('limited', {
      simulation: {
        ttftMs: 0,
        tokensPerSecond: 1_000_000,
        failure: { kind: '429', rate: 1, retryAfterSeconds: 3 },
      },
    }),
    simEmbeddingDeployment('embed'),
  );
  server = await spawnServer(input);
});

afterAll(async () => {
  await server?.stop();
});

const chatModel = (fields: ChatOpenAIFields = {}) =>
  new ChatOpenAI({
    model: 'model-router',
    apiKey: KEY,
    maxRetries: 0,
    ...fields,
    configuration: { baseURL: `${server.baseUrl}/v1`, fetch: recordingFetch },
  });

/** Both APIs ChatOpenAI speaks: Chat Completions (its default) and Responses. */
const apis = (fields: ChatOpenAIFields = {}): Array<[string, ChatOpenAI]> => [
  ['chat', chatModel(fields)],
  ['responses', chatModel({ ...fields, useResponsesApi: true })],
];

type ChatUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
};
type ResponsesUsage = {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
};

/** The usage the router sent in the last reply (a JSON body or a stream's events), as LangChain's. */
function routerUsage() {
  const last = replies.at(-1);
  const bodies = Array.isArray(last) ? last : [last];
  for (const b of bodies.reverse()) {
    const body = b as { usage?: ChatUsage; response?: { usage?: ResponsesUsage } };
    const chat = body.usage;
    if (chat && 'prompt_tokens' in chat)
      return {
        input_tokens: chat.prompt_tokens,
        output_tokens: chat.completion_tokens,
        total_tokens: chat.total_tokens,
        cached: chat.prompt_tokens_details?.cached_tokens ?? 0,
        reasoning: chat.completion_tokens_details?.reasoning_tokens ?? 0,
      };
    const responses = (body.response?.usage ?? body.usage) as ResponsesUsage | undefined;
    if (responses && 'input_tokens' in responses)
      return {
        input_tokens: responses.input_tokens,
        output_tokens: responses.output_tokens,
        total_tokens: responses.total_tokens,
        cached: responses.input_tokens_details?.cached_tokens ?? 0,
        reasoning: responses.output_tokens_details?.reasoning_tokens ?? 0,
      };
  }
  throw new Error('no usage in the last reply');
}

/** Checks LangChain's usage_metadata against the router's last reply, token for token. */
function expectUsageAsSent(message: AIMessage, label: string) {
  const sent = routerUsage();
  expect(sent.output_tokens, label).toBeGreaterThan(0);
  expect(message.usage_metadata, label).toMatchObject({
    input_tokens: sent.input_tokens,
    output_tokens: sent.output_tokens,
    total_tokens: sent.total_tokens,
  });
  expect(message.usage_metadata?.input_token_details?.cache_read ?? 0, label).toBe(sent.cached);
  expect(message.usage_metadata?.output_token_details?.reasoning ?? 0, label).toBe(sent.reasoning);
}

const weather = tool(async ({ city }) => JSON.stringify({ city, celsius: 21 }), {
  name: 'get_weather',
  description: 'Get the weather in a city',
  schema: z.object({ city: z.string() }),
});

const localTime = tool(async ({ zone }) => `12:00 in ${zone}`, {
  name: 'get_local_time',
  description: 'Get the local time in a time zone',
  schema: z.object({ zone: z.string() }),
});

describe('LangChain ChatOpenAI against the router', () => {
  it('invoke: text, the model that served, usage_metadata as the router sent it', async () => {
    for (const [api, model] of apis()) {
      const ai = await model.invoke('Say hello');
      expect(ai.text.length, api).toBeGreaterThan(0);
      expect(ai.response_metadata.model_name, api).toBe('small-sim');
      expectUsageAsSent(ai, api);
    }
    // A reasoning deployment with cached input: the details are read too.
    for (const [api, model] of apis({ model: 'thinker' })) {
      const ai = await model.invoke('Think about it');
      expect(ai.response_metadata.model_name, api).toBe('thinker-sim');
      expectUsageAsSent(ai, api);
      expect(ai.usage_metadata?.output_token_details?.reasoning, api).toBe(64);
      expect(ai.usage_metadata?.input_token_details?.cache_read, api).toBeGreaterThan(0);
    }
  });

  it('stream: chunks concatenate to the text, with the usage the router sent', async () => {
    for (const [api, model] of apis({ model: 'thinker' })) {
      let whole: AIMessageChunk | undefined;
      let chunks = 0;
      for await (const chunk of await model.stream('Tell me a story')) {
        chunks++;
        whole = whole ? whole.concat(chunk) : chunk;
      }
      expect(chunks, api).toBeGreaterThan(2);
      expect(whole!.text.length, api).toBeGreaterThan(0);
      expect(whole!.response_metadata.model_name, api).toBe('thinker-sim');
      expectUsageAsSent(whole!, api);
    }
  });

  it('bindTools: tool_calls parsed, the tool run, a ToolMessage answered in text', async () => {
    for (const [api, model] of apis()) {
      const withTools = model.bindTools([weather]);
      const question = new HumanMessage('What is the weather in Paris?');
      const first = await withTools.invoke([question]);
      expect(first.tool_calls, api).toHaveLength(1);
      const call = first.tool_calls![0]!;
      expect(call.name, api).toBe('get_weather');
      expect(weather.schema.safeParse(call.args).success, api).toBe(true);
      expect(call.id, api).toBeTruthy();
      expect(first.response_metadata.finish_reason ?? 'tool_calls', api).toBe('tool_calls');
      const result: ToolMessage = await weather.invoke(call);
      expect(result.tool_call_id, api).toBe(call.id);
      const second = await withTools.invoke([question, first, result]);
      expect(second.tool_calls ?? [], api).toEqual([]);
      expect(second.text.length, api).toBeGreaterThan(0);
      // Streamed, the tool call arrives in chunks that LangChain joins.
      let whole: AIMessageChunk | undefined;
      for await (const chunk of await withTools.stream([question]))
        whole = whole ? whole.concat(chunk) : chunk;
      expect(
        whole!.tool_calls?.map((c) => c.name),
        api,
      ).toEqual(['get_weather']);
      expect(weather.schema.safeParse(whole!.tool_calls![0]!.args).success, api).toBe(true);
      // Two calls in one turn, each answered by its ToolMessage.
      const both = new HumanMessage('The weather and the local time, please');
      const parallel = await model.bindTools([weather, localTime]).invoke([both]);
      expect(
        parallel.tool_calls?.map((c) => [c.name, c.args]),
        api,
      ).toEqual([
        ['get_weather', { city: 'simulated city' }],
        ['get_local_time', { zone: 'simulated zone' }],
      ]);
      const answers: ToolMessage[] = [];
      for (const c of parallel.tool_calls!)
        answers.push(await (c.name === 'get_weather' ? weather.invoke(c) : localTime.invoke(c)));
      expect(
        answers.map((m) => m.tool_call_id),
        api,
      ).toEqual(parallel.tool_calls!.map((c) => c.id));
      const after = await model
        .bindTools([weather, localTime])
        .invoke([both, parallel, ...answers]);
      expect(after.text.length, api).toBeGreaterThan(0);
      // A named tool choice is honoured.
      const forced = await model
        .bindTools([weather], { tool_choice: 'get_weather' })
        .invoke('Hello');
      expect(
        forced.tool_calls?.map((c) => c.name),
        api,
      ).toEqual(['get_weather']);
    }
  });

  it('withStructuredOutput: a zod-valid object by json_schema and by function calling', async () => {
    const schema = z.object({
      name: z.string(),
      email: z.email(),
      age: z.number().int().min(18).max(99),
      tags: z.array(z.string()).min(1),
      kind: z.enum(['person', 'company']),
    });
    for (const [api, model] of apis()) {
      for (const method of ['jsonSchema', 'functionCalling'] as const) {
        const label = `${api} ${method}`;
        const structured = model.withStructuredOutput(schema, {
          method,
          name: 'contact',
          includeRaw: true,
        });
        const { parsed, raw } = await structured.invoke('Extract: Ada, 36, ada@example.com');
        expect(schema.safeParse(parsed).success, label).toBe(true);
        expect((raw as AIMessage).response_metadata.model_name, label).toBe('small-sim');
        if (method === 'functionCalling')
          expect(
            (raw as AIMessage).tool_calls?.map((c) => c.name),
            label,
          ).toEqual(['contact']);
        // Streamed: the final object is valid too. Not on Responses with function calling: there
        // LangChain's Responses stream gives chunks whose content is an array, and the tool-call
        // parser it chains throws "Cannot handle non-string output" (@langchain/openai 1.5.8, its
        // fault: the router sends OpenAI's event order, output_item.added → arguments.delta →
        // arguments.done → output_item.done, which the openai SDK and the AI SDK read).
        if (api === 'responses' && method === 'functionCalling') continue;
        let last: unknown;
        for await (const part of await model
          .withStructuredOutput(schema, { method, name: 'contact' })
          .stream('Extract: Ada'))
          last = part;
        expect(schema.safeParse(last).success, label).toBe(true);
      }
    }
  });

  it('errors: LangChain classes and codes for a bad key, an unknown model, a long prompt, a 429', async () => {
    for (const [api, model] of apis({ apiKey: 'wrong-key' })) {
      const err = await model.invoke('hi').catch((e: unknown) => e);
      expect(err, api).toBeInstanceOf(OpenAIClient.AuthenticationError);
      expect((err as { lc_error_code?: string }).lc_error_code, api).toBe('MODEL_AUTHENTICATION');
    }
    for (const [api, model] of apis({ model: 'nope' })) {
      const err = await model.invoke('hi').catch((e: unknown) => e);
      expect(err, api).toBeInstanceOf(OpenAIClient.NotFoundError);
      expect((err as { lc_error_code?: string }).lc_error_code, api).toBe('MODEL_NOT_FOUND');
      expect((err as Error).message, api).toContain('"nope" does not exist');
    }
    // A prompt past the context window: LangChain's ContextOverflowError, which it finds by OpenAI's
    // words ("maximum context length"), not the code (before, the router's text lacked them).
    for (const [api, model] of apis({ model: 'tiny' })) {
      const err = await model.invoke('word '.repeat(400)).catch((e: unknown) => e);
      expect(ContextOverflowError.isInstance(err), api).toBe(true);
    }
    for (const [api, model] of apis({ model: 'limited' })) {
      const err = await model.invoke('hi').catch((e: unknown) => e);
      expect(err, api).toBeInstanceOf(OpenAIClient.RateLimitError);
      expect((err as { lc_error_code?: string }).lc_error_code, api).toBe('MODEL_RATE_LIMIT');
    }
  });
});

describe('LangChain AzureChatOpenAI and embeddings against the router', () => {
  const azure = (deployment: string, fields: Record<string, unknown> = {}) =>
    new AzureChatOpenAI({
      azureOpenAIApiKey: KEY,
      azureOpenAIEndpoint: server.baseUrl,
      azureOpenAIApiDeploymentName: deployment,
      azureOpenAIApiVersion: '2024-10-21',
      maxRetries: 0,
      configuration: { fetch: recordingFetch },
      ...fields,
    });

  it('invoke, stream and tools on /openai/deployments/{name}, with usage as sent', async () => {
    const model = azure('model-router');
    const ai = await model.invoke('Say hello');
    expect(ai.response_metadata.model_name).toBe('small-sim');
    expect(paths.at(-1)).toBe(
      '/openai/deployments/model-router/chat/completions?api-version=2024-10-21',
    );
    expectUsageAsSent(ai, 'azure invoke');
    let whole: AIMessageChunk | undefined;
    for await (const chunk of await model.stream('Tell me a story'))
      whole = whole ? whole.concat(chunk) : chunk;
    expect(whole!.text.length).toBeGreaterThan(0);
    expectUsageAsSent(whole!, 'azure stream');
    const called = await azure('big').bindTools([weather]).invoke('Weather in Oslo?');
    expect(called.response_metadata.model_name).toBe('big-sim');
    expect(called.tool_calls?.map((c) => c.name)).toEqual(['get_weather']);
    const structured = await azure('mid')
      .withStructuredOutput(z.object({ city: z.string(), days: z.number().int().positive() }))
      .invoke('Plan a trip');
    expect(structured.days).toBeGreaterThan(0);
    // With useResponsesApi, on /openai/deployments/{name}/responses.
    const viaResponses = azure('mid', {
      useResponsesApi: true,
      azureOpenAIApiVersion: '2025-04-01-preview',
    });
    const answered = await viaResponses.invoke('Say hello');
    expect(answered.response_metadata.model_name).toBe('mid-sim');
    expect(paths.at(-1)).toBe('/openai/deployments/mid/responses?api-version=2025-04-01-preview');
    expectUsageAsSent(answered, 'azure responses');
    const err = await azure('small', { azureOpenAIApiKey: 'wrong-key' })
      .invoke('hi')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAIClient.AuthenticationError);
  });

  it('OpenAIEmbeddings and AzureOpenAIEmbeddings get unit vectors of the asked size', async () => {
    const embeddings = new OpenAIEmbeddings({
      model: 'embed',
      apiKey: KEY,
      maxRetries: 0,
      configuration: { baseURL: `${server.baseUrl}/v1` },
    });
    const one = await embeddings.embedQuery('How do I reset my password?');
    expect(one).toHaveLength(1536);
    const docs = await embeddings.embedDocuments([
      'Password reset steps',
      'Quarterly revenue',
      'How do I reset my password?',
    ]);
    expect(docs).toHaveLength(3);
    expect(docs[2]).toEqual(one);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(one, one)).toBeCloseTo(1, 5);
    const small = new OpenAIEmbeddings({
      model: 'embed',
      dimensions: 64,
      apiKey: KEY,
      maxRetries: 0,
      configuration: { baseURL: `${server.baseUrl}/v1` },
    });
    expect(await small.embedQuery('hello')).toHaveLength(64);
    const viaAzure = new AzureOpenAIEmbeddings({
      azureOpenAIApiKey: KEY,
      // AzureOpenAIEmbeddings takes no azureOpenAIEndpoint (it asks for an instance name then).
      azureOpenAIBasePath: `${server.baseUrl}/openai/deployments`,
      azureOpenAIApiDeploymentName: 'embed',
      azureOpenAIApiVersion: '2024-10-21',
      maxRetries: 0,
    });
    expect(await viaAzure.embedQuery('How do I reset my password?')).toEqual(one);
  });
});

describe('what @langchain/openai 1.5.9–1.6.0 sends', () => {
  /** A ChatOpenAI that keeps each request body it sends. */
  const watched = (fields: ChatOpenAIFields = {}) => {
    const sent: Record<string, unknown>[] = [];
    const model = new ChatOpenAI({
      apiKey: KEY,
      maxRetries: 0,
      ...fields,
      configuration: {
        baseURL: `${server.baseUrl}/v1`,
        fetch: (url, init) => {
          sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
          return fetch(url, init);
        },
      },
    });
    return { model, sent };
  };

  it('a configuration_update content block (1.5.12) sets the reasoning effort from there on (it was a 400)', async () => {
    const conversation = [
      new HumanMessage('Draft a plan.'),
      new AIMessage('First, list the steps.'),
      new HumanMessage({
        content: [
          { type: 'configuration_update', reasoning: { effort: 'high' } },
          { type: 'text', text: 'Now finish it.' },
        ],
      }),
    ];
    const { model, sent } = watched({ model: 'thinker', useResponsesApi: true });
    const ai = await model.invoke(conversation);
    expect(sent[0]!.input).toContainEqual({
      type: 'configuration_update',
      reasoning: { effort: 'high' },
    });
    expect(ai.text.length).toBeGreaterThan(0);
    expect(ai.response_metadata.model_name).toBe('thinker-sim');
    // The update's effort is the request's: a deployment that takes no reasoning parameters,
    // asked for by name, cannot serve it (and serves the same conversation without the update).
    const plain = watched({ model: 'small', useResponsesApi: true }).model;
    const err = await plain.invoke(conversation).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAIClient.BadRequestError);
    expect((err as Error).message).toMatch(/small: reasoning/);
    const served = await plain.invoke(conversation.slice(0, 2));
    expect(served.response_metadata.model_name).toBe('small-sim');
  });

  it('prompt cache options and content-block breakpoints (1.6.0), and promptCacheRetention sent as "in_memory"', async () => {
    for (const useResponsesApi of [false, true]) {
      const { model, sent } = watched({
        model: 'model-router',
        useResponsesApi,
        promptCacheKey: 'tenant:acme:support-v1',
        promptCacheRetention: 'in-memory' as 'in_memory',
        promptCacheOptions: { mode: 'explicit', ttl: '30m' },
      });
      const ai = await model.invoke([
        new SystemMessage({
          content: [
            {
              type: 'text',
              text: 'Stable instructions.',
              prompt_cache_breakpoint: { mode: 'explicit' },
            },
          ],
        }),
        new HumanMessage('Current request'),
      ]);
      const api = useResponsesApi ? 'responses' : 'chat';
      expect(ai.text.length, api).toBeGreaterThan(0);
      expect(sent[0], api).toMatchObject({
        prompt_cache_key: 'tenant:acme:support-v1',
        prompt_cache_retention: 'in_memory',
        prompt_cache_options: { mode: 'explicit', ttl: '30m' },
      });
      expect(JSON.stringify(sent[0]), api).toContain(
        '"prompt_cache_breakpoint":{"mode":"explicit"}',
      );
    }
  });
});

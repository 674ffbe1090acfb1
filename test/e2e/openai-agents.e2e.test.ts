// The OpenAI Agents SDK for JS (`@openai/agents`) against the BUILT server running the simulated
// fleet, with the router as its OpenAI client (OpenAIProvider over an `openai` client whose
// baseURL is the router; tracing off, so nothing leaves loopback), on both of its models: the
// Responses model (its default) and the Chat Completions model. An agent with a function tool,
// a handoff between two agents, a streamed run, a structured outputType, usage and errors.
import { Agent, Runner, OpenAIProvider, tool, type Usage } from '@openai/agents';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashApiKey } from '../../src/auth/api-key.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const KEY = 'mr-openai-agents-key-0123456789';

let server: SpawnedServer;

/** Every request the SDK sent (path and body) and the usage of each reply, in order. */
const sent: { path: string; body: Record<string, unknown> }[] = [];
const usages: { input: number; output: number }[] = [];

const recordingFetch: typeof fetch = async (url, init) => {
  if (typeof init?.body === 'string')
    sent.push({ path: new URL(String(url)).pathname, body: JSON.parse(init.body) });
  const res = await fetch(url, init);
  const text = await res.clone().text();
  const bodies = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
        .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>)
    : [text ? (JSON.parse(text) as Record<string, unknown>) : {}];
  for (const b of bodies) {
    const u = ((b.response as { usage?: unknown } | undefined)?.usage ?? b.usage) as
      Record<string, number> | null | undefined;
    if (u && 'input_tokens' in u) usages.push({ input: u.input_tokens!, output: u.output_tokens! });
    else if (u && 'prompt_tokens' in u)
      usages.push({ input: u.prompt_tokens!, output: u.completion_tokens! });
  }
  return res;
};

beforeAll(async () => {
  const input = testConfigInput({
    auth: { mode: 'keys', keys: [{ id: 'ag', hash: hashApiKey(KEY), tenant: 'agents' }] },
  });
  input.deployments.push(
    simDeployment('thinker', {
      capabilities: { tools: true, vision: false, jsonSchema: true, reasoning: true },
      simulation: { ttftMs: 0, tokensPerSecond: 1_000_000, reasoningTokens: 64 },
    }),
  );
  server = await spawnServer(input);
});

afterAll(async () => {
  await server?.stop();
});

/** A runner on the router: its own provider and client, tracing off (no export to OpenAI). */
function runnerFor(useResponses: boolean, apiKey = KEY): Runner {
  const client = new OpenAI({
    baseURL: `${server.baseUrl}/v1`,
    apiKey,
    maxRetries: 0,
    fetch: recordingFetch,
  });
  return new Runner({
    modelProvider: new OpenAIProvider({ openAIClient: client, useResponses }),
    tracingDisabled: true,
  });
}

const models: Array<[string, boolean, string]> = [
  ['responses', true, '/v1/responses'],
  ['chat', false, '/v1/chat/completions'],
];

const weatherCalls: string[] = [];
const getWeather = tool({
  name: 'get_weather',
  description: 'Get the weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    weatherCalls.push(city);
    return { city, celsius: 21 };
  },
});

/** The SDK's summed usage equals the router's replies since `from`, token for token. */
function expectUsageAsSent(usage: Usage, from: number, label: string) {
  const replies = usages.slice(from);
  expect(replies.length, label).toBeGreaterThan(0);
  expect(usage.requests, label).toBe(replies.length);
  expect(usage.inputTokens, label).toBe(replies.reduce((s, u) => s + u.input, 0));
  expect(usage.outputTokens, label).toBe(replies.reduce((s, u) => s + u.output, 0));
  expect(usage.totalTokens, label).toBe(usage.inputTokens + usage.outputTokens);
}

describe('OpenAI Agents SDK against the router', () => {
  it('an agent with a function tool: the tool runs, the agent answers, usage as sent', async () => {
    for (const [api, useResponses, path] of models) {
      const agent = new Agent({
        name: 'Weather',
        instructions: 'Answer weather questions with the tool.',
        model: 'model-router',
        tools: [getWeather],
      });
      weatherCalls.length = 0;
      const from = usages.length;
      const firstRequest = sent.length;
      const result = await runnerFor(useResponses).run(agent, 'What is the weather in Paris?');
      expect(weatherCalls, api).toEqual(['simulated city']);
      const kinds = result.newItems.map((i) => i.type);
      expect(kinds, api).toEqual([
        'tool_call_item',
        'tool_call_output_item',
        'message_output_item',
      ]);
      expect(typeof result.finalOutput, api).toBe('string');
      expect((result.finalOutput as string).length, api).toBeGreaterThan(0);
      expect(
        sent.slice(firstRequest).map((r) => [r.path, r.body.model]),
        api,
      ).toEqual([
        [path, 'model-router'],
        [path, 'model-router'],
      ]);
      expectUsageAsSent(result.state.usage, from, api);
    }
  });

  it('a handoff: the triage agent transfers, the second agent answers and is the last agent', async () => {
    for (const [api, useResponses] of models) {
      const billing = new Agent({
        name: 'Billing',
        instructions: 'Answer billing questions.',
        model: 'model-router',
        handoffDescription: 'Handles billing questions',
      });
      const triage = new Agent({
        name: 'Triage',
        instructions: 'Hand billing questions to Billing.',
        model: 'model-router',
        handoffs: [billing],
      });
      // The simulated fleet calls an offered tool whose name the prompt names: here
      // transfer_to_billing, the handoff the SDK offers as a function tool.
      const result = await runnerFor(useResponses).run(
        triage,
        'A billing question: why was I charged twice?',
      );
      expect(result.lastAgent?.name, api).toBe('Billing');
      expect(
        result.newItems.map((i) => i.type),
        api,
      ).toEqual(['handoff_call_item', 'handoff_output_item', 'message_output_item']);
      expect((result.finalOutput as string).length, api).toBeGreaterThan(0);
    }
  });

  it('a streamed run: text deltas add up to the final output; the tool runs mid-stream', async () => {
    for (const [api, useResponses] of models) {
      const agent = new Agent({
        name: 'Weather',
        instructions: 'Answer weather questions with the tool.',
        model: 'model-router',
        tools: [getWeather],
      });
      weatherCalls.length = 0;
      const from = usages.length;
      const stream = await runnerFor(useResponses).run(agent, 'Weather in Oslo?', { stream: true });
      const itemNames: string[] = [];
      let text = '';
      for await (const event of stream) {
        if (event.type === 'run_item_stream_event') itemNames.push(event.name);
        if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta')
          text += event.data.delta;
      }
      await stream.completed;
      expect(stream.error, api).toBeNull();
      expect(weatherCalls, api).toEqual(['simulated city']);
      expect(itemNames, api).toEqual(['tool_called', 'tool_output', 'message_output_created']);
      expect(text.length, api).toBeGreaterThan(0);
      expect(stream.finalOutput, api).toBe(text);
      expectUsageAsSent(stream.state.usage, from, api);
    }
  });

  it('a structured outputType: the final output is an object valid for the zod schema', async () => {
    const Ticket = z.object({
      title: z.string(),
      priority: z.enum(['low', 'medium', 'high']),
      estimateHours: z.number().int().min(1).max(40),
      labels: z.array(z.string()),
    });
    for (const [api, useResponses, path] of models) {
      const agent = new Agent({
        name: 'Triage',
        instructions: 'Turn the request into a ticket.',
        model: 'model-router',
        outputType: Ticket,
      });
      const firstRequest = sent.length;
      const result = await runnerFor(useResponses).run(agent, 'The login page is down');
      expect(Ticket.safeParse(result.finalOutput).success, api).toBe(true);
      // The schema went out as strict JSON-schema output in each API's own field.
      const body = sent.slice(firstRequest).find((r) => r.path === path)!.body;
      const format = useResponses
        ? (body.text as { format: { type: string; strict: boolean } }).format
        : (body.response_format as { type: string; json_schema: { strict: boolean } });
      expect(format.type, api).toBe('json_schema');
      const stream = await runnerFor(useResponses).run(agent, 'The login page is down', {
        stream: true,
      });
      await stream.completed;
      expect(Ticket.safeParse(stream.finalOutput).success, api).toBe(true);
    }
  });

  it('OpenAIProvider with baseURL: a reasoning model, a second turn from history and by response id', async () => {
    const runner = new Runner({
      modelProvider: new OpenAIProvider({
        baseURL: `${server.baseUrl}/v1`,
        apiKey: KEY,
        useResponses: true,
      }),
      tracingDisabled: true,
    });
    const agent = new Agent({
      name: 'Thinker',
      instructions: 'Be brief.',
      model: 'thinker',
      modelSettings: { reasoning: { effort: 'low', summary: 'auto' } },
    });
    const first = await runner.run(agent, 'Hi');
    expect(first.newItems.map((i) => i.type)).toEqual(['reasoning_item', 'message_output_item']);
    expect(first.lastResponseId).toMatch(/^resp_/);
    expect(first.state.usage.outputTokensDetails).toEqual([{ reasoning_tokens: 64 }]);
    // The history sends the reasoning item back; the response id continues the stored response.
    const fromHistory = await runner.run(agent, [
      ...first.history,
      { role: 'user', content: 'And more?' },
    ]);
    expect((fromHistory.finalOutput as string).length).toBeGreaterThan(0);
    const byId = await runner.run(agent, 'And more?', { previousResponseId: first.lastResponseId });
    expect((byId.finalOutput as string).length).toBeGreaterThan(0);
  });

  it('a bad key fails the run with the openai AuthenticationError; an unknown model 404', async () => {
    for (const [api, useResponses] of models) {
      const agent = new Agent({ name: 'A', instructions: 'Be brief.', model: 'model-router' });
      const denied = await runnerFor(useResponses, 'wrong-key')
        .run(agent, 'hi')
        .catch((e: unknown) => e);
      expect(denied, api).toBeInstanceOf(OpenAI.AuthenticationError);
      const nope = new Agent({ name: 'A', instructions: 'Be brief.', model: 'nope' });
      const missing = await runnerFor(useResponses)
        .run(nope, 'hi')
        .catch((e: unknown) => e);
      expect(missing, api).toBeInstanceOf(OpenAI.NotFoundError);
      expect((missing as Error).message, api).toContain('"nope" does not exist');
    }
  });
});

// LangChain.js `@langchain/anthropic` (ChatAnthropic with the router as its base URL, so on the
// router's /v1/messages) against the BUILT server running the simulated fleet: invoke, stream,
// tool calls with a ToolMessage round trip, structured output by function calling and by
// json_schema (output_config.format), usage_metadata equal to what the router sent, its errors.
import { ChatAnthropic, type AnthropicInput } from '@langchain/anthropic';
import { ContextOverflowError } from '@langchain/core/errors';
import { HumanMessage, type AIMessage, type AIMessageChunk } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashApiKey } from '../../src/auth/api-key.js';
import { recordReplies } from '../helpers/record-replies.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const KEY = 'mr-langchain-anthropic-key-0123456789';

let server: SpawnedServer;

/** What the router sent back, in order: JSON, or the `data:` events of a stream. */
const { recordingFetch, replies } = recordReplies();

beforeAll(async () => {
  const input = testConfigInput({
    auth: { mode: 'keys', keys: [{ id: 'lca', hash: hashApiKey(KEY), tenant: 'langchain' }] },
  });
  input.deployments.push(
    simDeployment('cached', {
      simulation: { ttftMs: 0, tokensPerSecond: 1_000_000, cachedFraction: 0.5 },
    }),
    simDeployment('tiny', { contextWindow: 200, maxOutputTokens: 50 }),
  );
  server = await spawnServer(input);
});

afterAll(async () => {
  await server?.stop();
});

const claude = (fields: Partial<AnthropicInput> = {}) =>
  new ChatAnthropic({
    model: 'model-router',
    apiKey: KEY,
    anthropicApiUrl: server.baseUrl,
    maxRetries: 0,
    maxTokens: 256,
    ...fields,
    clientOptions: { fetch: recordingFetch },
  });

type Usage = {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
};

/** The usage of the router's last reply: a message, or message_start's input and message_delta's output. */
function routerUsage() {
  const last = replies.at(-1);
  let usage: Usage;
  if (Array.isArray(last)) {
    const events = last as { type: string; message?: { usage: Usage }; usage?: Usage }[];
    const start = events.find((e) => e.type === 'message_start')!.message!.usage;
    const delta = events.filter((e) => e.type === 'message_delta').at(-1)!.usage!;
    usage = { ...start, output_tokens: delta.output_tokens };
  } else usage = (last as { usage: Usage }).usage;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheCreation = usage.cache_creation_input_tokens ?? 0;
  // Anthropic's input_tokens leave the cached tokens out; LangChain's input counts them all.
  const input = usage.input_tokens! + cacheRead + cacheCreation;
  return { input, output: usage.output_tokens!, cacheRead, cacheCreation };
}

function expectUsageAsSent(message: AIMessage, label: string) {
  const sent = routerUsage();
  expect(sent.output, label).toBeGreaterThan(0);
  expect(message.usage_metadata, label).toMatchObject({
    input_tokens: sent.input,
    output_tokens: sent.output,
    total_tokens: sent.input + sent.output,
  });
  expect(message.usage_metadata?.input_token_details?.cache_read ?? 0, label).toBe(sent.cacheRead);
}

const weather = tool(async ({ city }) => JSON.stringify({ city, celsius: 21 }), {
  name: 'get_weather',
  description: 'Get the weather in a city',
  schema: z.object({ city: z.string() }),
});

describe('LangChain ChatAnthropic against the router', () => {
  it('invoke: text, the model that served, usage_metadata as the router sent it', async () => {
    const ai = await claude().invoke('Say hello');
    expect(ai.text.length).toBeGreaterThan(0);
    expect(ai.response_metadata.model).toBe('small-sim');
    expect(ai.response_metadata.stop_reason).toBe('end_turn');
    expectUsageAsSent(ai, 'router');
    const cached = await claude({ model: 'cached' }).invoke('Say hello');
    expect(cached.response_metadata.model).toBe('cached-sim');
    expectUsageAsSent(cached, 'cached');
    expect(cached.usage_metadata?.input_token_details?.cache_read).toBeGreaterThan(0);
  });

  it('stream: chunks concatenate to the text, with the usage the router sent', async () => {
    for (const model of ['model-router', 'cached']) {
      let whole: AIMessageChunk | undefined;
      let chunks = 0;
      for await (const chunk of await claude({ model }).stream('Tell me a story')) {
        chunks++;
        whole = whole ? whole.concat(chunk) : chunk;
      }
      expect(chunks, model).toBeGreaterThan(2);
      expect(whole!.text.length, model).toBeGreaterThan(0);
      expectUsageAsSent(whole!, `${model} stream`);
    }
  });

  it('bindTools: tool_calls parsed, the tool run, a ToolMessage answered in text', async () => {
    const withTools = claude().bindTools([weather]);
    const question = new HumanMessage('What is the weather in Paris?');
    const first = await withTools.invoke([question]);
    expect(first.response_metadata.stop_reason).toBe('tool_use');
    expect(first.tool_calls).toHaveLength(1);
    const call = first.tool_calls![0]!;
    expect(call.name).toBe('get_weather');
    expect(weather.schema.safeParse(call.args).success).toBe(true);
    // The id the router's tool_use block carried (Anthropic's spec gives ids no pattern).
    const sent = (replies.at(-1) as { content: { type: string; id?: string }[] }).content;
    expect(call.id).toBe(sent.find((b) => b.type === 'tool_use')!.id);
    const result = await weather.invoke(call);
    expect(result.tool_call_id).toBe(call.id);
    const second = await withTools.invoke([question, first, result]);
    expect(second.tool_calls ?? []).toEqual([]);
    expect(second.text.length).toBeGreaterThan(0);
    let whole: AIMessageChunk | undefined;
    for await (const chunk of await withTools.stream([question]))
      whole = whole ? whole.concat(chunk) : chunk;
    expect(whole!.tool_calls?.map((c) => c.name)).toEqual(['get_weather']);
    expect(weather.schema.safeParse(whole!.tool_calls![0]!.args).success).toBe(true);
    const forced = await claude()
      .bindTools([weather], { tool_choice: 'get_weather' })
      .invoke('Hello');
    expect(forced.tool_calls?.map((c) => c.name)).toEqual(['get_weather']);
  });

  it('withStructuredOutput: a zod-valid object by function calling and by json_schema', async () => {
    const schema = z.object({
      name: z.string(),
      email: z.email(),
      age: z.number().int().min(18).max(99),
      tags: z.array(z.string()).min(1),
      kind: z.enum(['person', 'company']),
    });
    // For json_schema ChatAnthropic runs the schema through its @anthropic-ai/sdk 0.x's
    // transformJSONSchema, which moves the enum and the bounds into description text
    // ("{enum: [\"person\",\"company\"]}"): before, the simulated fleet did not read an enum there
    // and answered "simulated kind", so LangChain parsed null.
    for (const method of ['functionCalling', 'jsonSchema'] as const) {
      const { parsed, raw } = await claude()
        .withStructuredOutput(schema, { method, name: 'contact', includeRaw: true })
        .invoke('Extract: Ada, 36, ada@example.com');
      expect(schema.safeParse(parsed).success, method).toBe(true);
      expect((raw as AIMessage).response_metadata.model, method).toBe('small-sim');
      if (method === 'functionCalling')
        expect(
          (raw as AIMessage).tool_calls?.map((c) => c.name),
          method,
        ).toEqual(['contact']);
      else {
        // The object is the router's JSON text, parsed.
        const sent = (replies.at(-1) as { content: { type: string; text?: string }[] }).content;
        expect(parsed).toEqual(JSON.parse(sent.find((b) => b.type === 'text')!.text!));
      }
      let last: unknown;
      for await (const part of await claude()
        .withStructuredOutput(schema, { method, name: 'contact' })
        .stream('Extract: Ada'))
        last = part;
      expect(schema.safeParse(last).success, method).toBe(true);
    }
  });

  it('errors: a bad key, an unknown model and a long prompt get LangChain classes and codes', async () => {
    const denied = await claude({ apiKey: 'wrong-key' })
      .invoke('hi')
      .catch((e: unknown) => e);
    // @langchain/anthropic's own copy of @anthropic-ai/sdk threw it (not the one the tests import).
    expect((denied as Error).constructor.name).toBe('AuthenticationError');
    expect(denied).toMatchObject({ status: 401, lc_error_code: 'MODEL_AUTHENTICATION' });
    const missing = await claude({ model: 'nope' })
      .invoke('hi')
      .catch((e: unknown) => e);
    expect((missing as Error).constructor.name).toBe('NotFoundError');
    expect(missing).toMatchObject({ status: 404, lc_error_code: 'MODEL_NOT_FOUND' });
    // Past the context window: ContextOverflowError, which ChatAnthropic finds by Anthropic's words
    // "prompt is too long" (before, the router's message on /v1/messages lacked them).
    const long = await claude({ model: 'tiny', maxTokens: 16 })
      .invoke('word '.repeat(400))
      .catch((e: unknown) => e);
    expect(ContextOverflowError.isInstance(long)).toBe(true);
  });
});

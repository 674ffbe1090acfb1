// The @anthropic-ai/sdk against the BUILT router, for what an Anthropic client asks of its
// output: `output_config.effort` (Claude's own field where the deployment takes it, an OpenAI
// reasoning model's `reasoning_effort`), structured outputs (`messages.parse`, the beta's
// `beta.messages.parse`: native on a Claude that takes them, so tools and thinking keep working;
// a forced tool on one that does not; the simulated fleet too), the stop sequence an
// OpenAI-compatible server names, and Anthropic's rate-limit headers. Upstream: a loopback fake
// (test/helpers/anthropic-output-fake.ts) that refuses what Anthropic's API would.
import Anthropic from '@anthropic-ai/sdk';
import { betaZodOutputFormat } from '@anthropic-ai/sdk/helpers/beta/zod';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  OLD_CLAUDE,
  startAnthropicOutputFake,
  type AnthropicOutputFake,
} from '../helpers/anthropic-output-fake.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

let fake: AnthropicOutputFake;
let server: SpawnedServer;
let client: Anthropic;

const Person = z.object({ name: z.string(), age: z.number() });
const common = {
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200_000,
  maxOutputTokens: 16_384,
};

beforeAll(async () => {
  fake = await startAnthropicOutputFake();
  const openaiFormat = (name: string, provider: 'openai' | 'openai-compatible', extra = {}) => ({
    name,
    provider,
    model: name,
    baseUrl: `${fake.base}/v1`,
    ...common,
    ...extra,
  });
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'claude',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: fake.base,
          capabilities: { reasoning: true, effort: true, structuredOutputs: true },
          ...common,
        },
        {
          name: 'claude-old',
          provider: 'anthropic',
          model: OLD_CLAUDE,
          baseUrl: fake.base,
          capabilities: { reasoning: true },
          ...common,
        },
        openaiFormat('o4-mini', 'openai', { capabilities: { reasoning: true } }),
        openaiFormat('gpt-4.1', 'openai'),
        openaiFormat('vllm-model', 'openai-compatible'),
        openaiFormat('sglang-model', 'openai-compatible'),
        simDeployment('big'),
      ],
      routers: [
        { name: 'model-router', modelSubset: ['big'] },
        { name: 'limited', modelSubset: ['big'], rateLimit: { rpm: 1 } },
      ],
    }),
  );
  client = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

const hello = [{ role: 'user' as const, content: 'Summarise the report.' }];

describe('output_config.effort', () => {
  it("reaches Claude as Anthropic's own field, and an OpenAI reasoning model as reasoning_effort (it was ignored)", async () => {
    await client.messages.create({
      model: 'claude',
      max_tokens: 100,
      messages: hello,
      output_config: { effort: 'low' },
    });
    expect(fake.messages.at(-1)?.output_config).toEqual({ effort: 'low' });
    expect(fake.messages.at(-1)).not.toHaveProperty('thinking');
    await client.messages.create({
      model: 'o4-mini',
      max_tokens: 100,
      messages: hello,
      output_config: { effort: 'medium' },
    });
    expect(fake.chat.at(-1)?.reasoning_effort).toBe('medium');
    expect(fake.chat.at(-1)).not.toHaveProperty('x_output_effort');
  });

  it('is dropped, with a warning, for a Claude without capabilities.effort (which would answer 400)', async () => {
    const { data, response } = await client.messages
      .create({
        model: 'claude-old',
        max_tokens: 100,
        messages: hello,
        output_config: { effort: 'high' },
      })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Done.', citations: null }]);
    expect(fake.messages.at(-1)).not.toHaveProperty('output_config');
    expect(response.headers.get('x-router-warnings')).toContain('output_config.effort dropped');
  });
});

describe('structured outputs with tools and thinking', () => {
  const ask = {
    max_tokens: 4096,
    thinking: { type: 'enabled' as const, budget_tokens: 2048 },
    tools: [
      {
        name: 'search',
        description: 'Look a person up',
        input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } },
      },
    ],
    messages: [{ role: 'user' as const, content: 'Who wrote the first program? Look it up.' }],
    output_config: { format: zodOutputFormat(Person) },
  };

  it('go natively to a Claude that takes them: it can call the other tool, thinking on, then parse (a forced tool before)', async () => {
    const first = await client.messages.parse({ model: 'claude', ...ask });
    const sent = fake.messages.at(-1)!;
    expect(sent.output_config).toEqual({
      format: { type: 'json_schema', schema: expect.any(Object) },
    });
    expect((sent.tools as { name: string }[]).map((t) => t.name)).toEqual(['search']);
    expect(sent).not.toHaveProperty('tool_choice');
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const call = first.content.find((b) => b.type === 'tool_use')!;
    const answer = await client.messages.parse({
      model: 'claude',
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Ada Lovelace, 36' }],
        },
      ],
    });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.parsed_output).toEqual({ name: 'Ada', age: 36 });
    // The thinking went back with the tool call, as Anthropic needs in a tool loop.
    const loop = fake.messages.at(-1)!.messages as { content: { type: string }[] }[];
    expect(loop[1]!.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
  });

  it('stay a forced tool for a Claude without native structured outputs: JSON still parses, thinking off and said so', async () => {
    const parsed = await client.messages.parse({ model: 'claude-old', ...ask });
    const sent = fake.messages.at(-1)!;
    expect(sent).not.toHaveProperty('output_config');
    expect(sent.tool_choice).toEqual({ type: 'tool', name: 'json_output' });
    expect(sent).not.toHaveProperty('thinking');
    expect(parsed.parsed_output).toEqual({ name: 'Ada', age: 36 });
    const { response } = await client.messages
      .create({ model: 'claude-old', ...ask })
      .withResponse();
    expect(response.headers.get('x-router-warnings')).toContain(
      "reasoning_effort dropped: Anthropic's extended thinking does not work with JSON output",
    );
  });

  it("the beta's beta.messages.parse (output_format): native to Claude, and from the simulated fleet", async () => {
    const onClaude = await client.beta.messages.parse({
      model: 'claude',
      max_tokens: 200,
      messages: hello,
      output_format: betaZodOutputFormat(Person),
    });
    expect(fake.messages.at(-1)?.output_config).toMatchObject({ format: { type: 'json_schema' } });
    expect(onClaude.parsed_output).toEqual({ name: 'Ada', age: 36 });
    const simulated = await client.beta.messages.parse({
      model: 'model-router',
      max_tokens: 200,
      messages: hello,
      output_format: betaZodOutputFormat(Person),
    });
    expect(Person.safeParse(simulated.parsed_output).success).toBe(true);
  });
});

describe('stop sequences from OpenAI-format upstreams', () => {
  const ask = (model: string) => ({
    model,
    max_tokens: 100,
    stop_sequences: ['###'],
    messages: [{ role: 'user' as const, content: 'Count to three, then write ###' }],
  });

  it('are named where the server names them (vLLM, SGLang), JSON and streamed; OpenAI cannot say', async () => {
    for (const model of ['vllm-model', 'sglang-model']) {
      const msg = await client.messages.create(ask(model));
      expect([msg.stop_reason, msg.stop_sequence]).toEqual(['stop_sequence', '###']);
      const streamed = await client.messages.stream(ask(model)).finalMessage();
      expect([streamed.stop_reason, streamed.stop_sequence]).toEqual(['stop_sequence', '###']);
    }
    const openai = await client.messages.create(ask('gpt-4.1'));
    expect(fake.chat.at(-1)?.stop).toEqual(['###']);
    expect([openai.stop_reason, openai.stop_sequence]).toEqual(['end_turn', null]);
  });
});

describe("Anthropic's rate-limit headers", () => {
  it('come with the answer (reset an RFC 3339 time), and the 429 has retry-after the SDK reads', async () => {
    const before = Date.now();
    const { response } = await client.messages
      .create({ model: 'limited', max_tokens: 10, messages: hello })
      .withResponse();
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('1');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const reset = response.headers.get('anthropic-ratelimit-requests-reset')!;
    expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(reset) - before).toBeGreaterThan(50_000); // one request a minute
    expect(Date.parse(reset) - before).toBeLessThanOrEqual(62_000);
    const refused = await client.messages
      .create({ model: 'limited', max_tokens: 10, messages: hello })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    const headers = (refused as InstanceType<typeof Anthropic.RateLimitError>).headers;
    expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
    expect(headers.get('retry-after')).toMatch(/^\d+$/);
    expect(headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
  });
});

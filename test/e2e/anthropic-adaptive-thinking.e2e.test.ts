// Claude's adaptive thinking and effort through the BUILT router, asserted on the exact body a
// loopback Claude receives (test/helpers/anthropic-output-fake.ts, which refuses adaptive thinking
// from models that predate it): an Anthropic client's `thinking: {type: "adaptive"}` goes as is to a
// Claude with `capabilities.adaptiveThinking`, as enabled thinking to an older Claude (said in
// x-router-warnings), as `reasoning_effort` to an OpenAI reasoning model; `disabled` is accepted.
// A chat or Responses client's reasoning effort reaches a Claude with `capabilities.effort` as
// Anthropic's `output_config.effort` (it was not sent).
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CLAUDE,
  OLD_CLAUDE,
  startAnthropicOutputFake,
  type AnthropicOutputFake,
} from '../helpers/anthropic-output-fake.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let fake: AnthropicOutputFake;
let server: SpawnedServer;
let anthropic: Anthropic;
let openai: OpenAI;

const common = {
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200_000,
  maxOutputTokens: 16_384,
};

beforeAll(async () => {
  fake = await startAnthropicOutputFake();
  const claude = (name: string, model: string, capabilities: Record<string, boolean>) => ({
    name,
    provider: 'anthropic' as const,
    model,
    baseUrl: fake.base,
    capabilities: { reasoning: true, ...capabilities },
    ...common,
  });
  server = await spawnServer(
    testConfigInput({
      deployments: [
        claude('claude-adaptive', ADAPTIVE_CLAUDE, { effort: true, adaptiveThinking: true }),
        claude('claude', 'claude-sonnet-4-5', { effort: true }),
        claude('claude-old', OLD_CLAUDE, {}),
        {
          name: 'o4-mini',
          provider: 'openai',
          model: 'o4-mini',
          baseUrl: `${fake.base}/v1`,
          capabilities: { reasoning: true },
          ...common,
        },
      ],
      routers: [{ name: 'model-router', modelSubset: ['claude', 'o4-mini'] }],
    }),
  );
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

const prove = 'Prove that the sum of two even numbers is even.';
const hello = [{ role: 'user' as const, content: prove }];
const userTurn = [{ role: 'user', content: [{ type: 'text', text: prove }] }];

describe('adaptive thinking from an Anthropic client', () => {
  it('reaches a Claude that takes it exactly as asked, and its thinking comes back (it was dropped)', async () => {
    const msg = await anthropic.messages.create({
      model: 'claude-adaptive',
      max_tokens: 2000,
      messages: hello,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium' },
    });
    expect(fake.messages.at(-1)).toEqual({
      model: ADAPTIVE_CLAUDE,
      max_tokens: 2000,
      messages: userTurn,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium' },
    });
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    // Streamed too (the fake answers in JSON: what it was sent is the point).
    await anthropic.messages
      .stream({
        model: 'claude-adaptive',
        max_tokens: 2000,
        messages: hello,
        thinking: { type: 'adaptive' },
      })
      .finalMessage()
      .catch(() => undefined);
    expect(fake.messages.at(-1)).toEqual({
      model: ADAPTIVE_CLAUDE,
      max_tokens: 2000,
      messages: userTurn,
      thinking: { type: 'adaptive' },
      stream: true,
    });
  });

  it('is enabled thinking with the budget of its effort for a Claude without the flag (which would answer 400), said so', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: 'claude-old',
        max_tokens: 2000,
        messages: hello,
        thinking: { type: 'adaptive' },
      })
      .withResponse();
    expect(fake.messages.at(-1)).toEqual({
      model: OLD_CLAUDE,
      max_tokens: 2000,
      messages: userTurn,
      thinking: { type: 'enabled', budget_tokens: 1999 },
    });
    expect(data.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(response.headers.get('x-router-warnings')).toContain(
      'thinking.type adaptive sent as enabled thinking with budget_tokens 1999: claude-old does not take adaptive thinking',
    );
  });

  it("is an OpenAI reasoning model's reasoning_effort: the client's effort, else high", async () => {
    await anthropic.messages.create({
      model: 'o4-mini',
      max_tokens: 2000,
      messages: hello,
      thinking: { type: 'adaptive' },
    });
    expect(fake.chat.at(-1)).toEqual({
      model: 'o4-mini',
      messages: [{ role: 'user', content: prove }],
      max_completion_tokens: 2000,
      reasoning_effort: 'high',
    });
    await anthropic.messages.create({
      model: 'o4-mini',
      max_tokens: 2000,
      messages: hello,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'low' },
    });
    expect(fake.chat.at(-1)?.reasoning_effort).toBe('low');
  });

  it('disabled is accepted and sends no thinking; an unknown type is a 400 in Anthropic’s shape', async () => {
    const msg = await anthropic.messages.create({
      model: 'claude-adaptive',
      max_tokens: 100,
      messages: hello,
      thinking: { type: 'disabled' },
    });
    expect(fake.messages.at(-1)).toEqual({
      model: ADAPTIVE_CLAUDE,
      max_tokens: 100,
      messages: userTurn,
    });
    expect(msg.content).toEqual([{ type: 'text', text: 'Done.', citations: null }]);
    const refused = await anthropic.messages
      .create({
        model: 'claude-adaptive',
        max_tokens: 100,
        messages: hello,
        thinking: { type: 'sometimes' } as never,
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });
});

describe("a chat or Responses client's reasoning effort to Claude", () => {
  it('reaches a Claude with capabilities.effort as output_config.effort beside its thinking budget', async () => {
    await openai.chat.completions.create({
      model: 'claude',
      max_tokens: 4096,
      messages: [{ role: 'user', content: prove }],
      reasoning_effort: 'minimal',
    });
    expect(fake.messages.at(-1)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: userTurn,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      output_config: { effort: 'low' },
    });
    await openai.responses.create({
      model: 'claude',
      input: prove,
      reasoning: { effort: 'xhigh' },
    });
    expect(fake.messages.at(-1)).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 16_383 },
      output_config: { effort: 'high' },
    });
  });

  it('is adaptive thinking at that effort on a Claude that takes both', async () => {
    const reply = await openai.chat.completions.create({
      model: 'claude-adaptive',
      max_tokens: 4096,
      messages: [{ role: 'user', content: prove }],
      reasoning_effort: 'medium',
    });
    expect(fake.messages.at(-1)).toEqual({
      model: ADAPTIVE_CLAUDE,
      max_tokens: 4096,
      messages: userTurn,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium' },
    });
    expect(reply.choices[0]?.message.content).toBe('Done.');
  });

  it('is not sent to a Claude without capabilities.effort (as before), and none sends neither', async () => {
    await openai.chat.completions.create({
      model: 'claude-old',
      max_tokens: 4096,
      messages: [{ role: 'user', content: prove }],
      reasoning_effort: 'medium',
    });
    expect(fake.messages.at(-1)).toEqual({
      model: OLD_CLAUDE,
      max_tokens: 4096,
      messages: userTurn,
      thinking: { type: 'enabled', budget_tokens: 4095 },
    });
    await openai.chat.completions.create({
      model: 'claude',
      max_tokens: 4096,
      messages: [{ role: 'user', content: prove }],
      reasoning_effort: 'none',
    });
    expect(fake.messages.at(-1)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: userTurn,
    });
  });
});

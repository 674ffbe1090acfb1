// Claude's extended thinking and the answer cache, through the BUILT router with `cache.enabled`
// and a loopback Anthropic that enforces the thinking rules (test/helpers/anthropic-thinking-fake.ts):
// a streamed answer kept by the cache comes back on a hit (JSON or streamed, Anthropic's and
// OpenAI's clients) with its signed thinking, so the client's next tool-loop turn keeps thinking,
// with no warning, and Anthropic accepts it.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIGNATURE,
  THINKING,
  startThinkingRouter,
  type ThinkingRouter,
} from '../helpers/anthropic-thinking-fake.js';

let router: ThinkingRouter;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  router = await startThinkingRouter({
    cache: { enabled: true, ttlSeconds: 600 },
  });
  ({ anthropic, openai } = router);
});

afterAll(() => router?.stop());

const SIGNED = { type: 'thinking', thinking: THINKING, signature: SIGNATURE };

describe('a kept answer keeps its thinking', () => {
  it('Anthropic client: a streamed miss, then a streamed and a JSON hit with the signed block; the loop goes on', async () => {
    const ask = (messages: Anthropic.MessageParam[]) => ({
      model: 'claude',
      max_tokens: 8192,
      thinking: { type: 'enabled' as const, budget_tokens: 3000 },
      tools: [{ name: 'read', input_schema: { type: 'object' as const } }],
      messages,
    });
    const first: Anthropic.MessageParam = { role: 'user', content: 'Fix the bug in b.ts.' };
    await anthropic.messages.stream(ask([first])).finalMessage(); // the miss, kept
    router.fake.received.length = 0;
    const streamed = anthropic.messages.stream(ask([first]));
    const hit = await streamed.finalMessage();
    const { response } = await streamed.withResponse();
    expect(response.headers.get('x-router-cache')).toBe('hit');
    expect(hit.content[0]).toEqual(SIGNED);
    const json = await anthropic.messages.create(ask([first])).withResponse();
    expect(json.response.headers.get('x-router-cache')).toBe('hit');
    expect(json.data.content).toEqual(hit.content);
    expect(router.fake.received).toHaveLength(0);

    const toolUse = hit.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    const next = await anthropic.messages
      .create(
        ask([
          first,
          { role: 'assistant', content: hit.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'let b = 1;' }],
          },
        ]),
      )
      .withResponse();
    expect(next.response.headers.get('x-router-warnings') ?? '').not.toMatch(/thinking/);
    expect(next.data.content).toEqual([SIGNED, { type: 'text', text: 'Fixed.', citations: null }]);
    expect(router.fake.received[0]!.thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
  });

  it('OpenAI-format client: a streamed miss, then a JSON hit with reasoning_details; the loop goes on', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'read', parameters: { type: 'object' } } },
    ];
    const first = { role: 'user' as const, content: 'Fix the bug in c.ts.' };
    const miss = await openai.chat.completions.create({
      model: 'claude',
      reasoning_effort: 'medium',
      stream: true,
      tools,
      messages: [first],
    });
    for await (const chunk of miss) void chunk;
    const { data, response } = await openai.chat.completions
      .create({ model: 'claude', reasoning_effort: 'medium', tools, messages: [first] })
      .withResponse();
    expect(response.headers.get('x-router-cache')).toBe('hit');
    const message = data.choices[0]!.message as OpenAI.ChatCompletionMessage & {
      reasoning_details?: unknown[];
    };
    expect(message.reasoning_details).toEqual([{ provider: 'anthropic', ...SIGNED }]);
    const call = message.tool_calls![0]!;
    const next = await openai.chat.completions
      .create({
        model: 'claude',
        reasoning_effort: 'medium',
        tools,
        messages: [
          first,
          message as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'tool', tool_call_id: call.id, content: 'let c = 1;' },
        ],
      })
      .withResponse();
    expect(next.response.headers.get('x-router-warnings') ?? '').not.toMatch(/thinking/);
    expect(next.data.choices[0]!.message.content).toBe('Fixed.');
  });
});

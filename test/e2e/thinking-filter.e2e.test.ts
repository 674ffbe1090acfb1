// The output content filter on Claude's extended thinking, through the BUILT router and a
// loopback Anthropic that enforces the thinking rules (it refuses a thinking block whose text or
// signature changed): a rule that redacts a word of the thinking redacts it for Anthropic's and
// OpenAI's clients, JSON and streamed; the redacted block comes without its signature, so the
// tool loop's next turn is served without thinking, with a warning, instead of Anthropic's 400.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThinkingRouter, type ThinkingRouter } from '../helpers/anthropic-thinking-fake.js';

let router: ThinkingRouter;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  router = await startThinkingRouter({
    contentFilter: {
      enabled: true,
      rules: [
        {
          id: 'files',
          kind: 'keyword',
          patterns: ['file'],
          action: 'redact',
          appliesTo: 'output',
        },
      ],
    },
  });
  ({ anthropic, openai } = router);
});

afterAll(() => router?.stop());

const REDACTED = 'Read the [redacted:files] first.';
const NO_THINKING =
  /reasoning_effort dropped: the tool call being answered came without Claude's thinking/;

describe("the output filter reads Claude's thinking", () => {
  it('Anthropic client, streamed: the thinking comes redacted and unsigned; the loop goes on without thinking', async () => {
    const ask = (messages: Anthropic.MessageParam[]) => ({
      model: 'claude',
      max_tokens: 8192,
      thinking: { type: 'enabled' as const, budget_tokens: 3000 },
      tools: [{ name: 'read', input_schema: { type: 'object' as const } }],
      messages,
    });
    const first: Anthropic.MessageParam = { role: 'user', content: 'Fix the bug in a.ts.' };
    const reply = await anthropic.messages.stream(ask([first])).finalMessage();
    expect(reply.content[0]).toEqual({ type: 'thinking', thinking: REDACTED, signature: '' });
    const toolUse = reply.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    router.fake.received.length = 0;
    const next = await anthropic.messages
      .create(
        ask([
          first,
          { role: 'assistant', content: reply.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'a = 1' }],
          },
        ]),
      )
      .withResponse();
    expect(next.data.content).toEqual([{ type: 'text', text: 'Fixed.', citations: null }]);
    expect(next.response.headers.get('x-router-warnings')).toMatch(NO_THINKING);
    expect(router.fake.received[0]!.thinking).toBeUndefined();
  });

  it('OpenAI-format client, JSON: reasoning_details redacted and unsigned; the loop goes on without thinking', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'read', parameters: { type: 'object' } } },
    ];
    const first = { role: 'user' as const, content: 'Fix the bug in a.ts.' };
    const reply = await openai.chat.completions.create({
      model: 'claude',
      reasoning_effort: 'medium',
      tools,
      messages: [first],
    });
    const message = reply.choices[0]!.message as OpenAI.ChatCompletionMessage & {
      reasoning_details?: unknown[];
    };
    expect(message.reasoning_details).toEqual([
      { provider: 'anthropic', type: 'thinking', thinking: REDACTED },
    ]);
    const next = await openai.chat.completions
      .create({
        model: 'claude',
        reasoning_effort: 'medium',
        tools,
        messages: [
          first,
          message as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: 'a = 1' },
        ],
      })
      .withResponse();
    expect(next.data.choices[0]!.message.content).toBe('Fixed.');
    expect(next.response.headers.get('x-router-warnings')).toMatch(NO_THINKING);
  });
});

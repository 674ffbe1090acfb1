// Claude's extended thinking with tools through the BUILT router, as Claude Code uses it: the
// official `@anthropic-ai/sdk` asks an `anthropic` deployment (a loopback fake that enforces
// Anthropic's rules: a tool loop's last tool call must come back with its signed thinking, and
// thinking does not go with a forced tool) for a tool call with thinking on, as one Message and
// streamed, then sends the tool's result back. The thinking reaches the client as Claude's blocks
// and goes back upstream with its signature, so the loop goes on; a loop whose tool call another
// model made is served without thinking, with a warning, instead of Anthropic's 400. An
// OpenAI-format client gets the same thinking as `reasoning_details`, streamed in pieces.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIGNATURE,
  startThinkingRouter,
  type ThinkingRouter,
} from '../helpers/anthropic-thinking-fake.js';

type Json = Record<string, unknown>;
let router: ThinkingRouter;
let received: Json[];
let client: Anthropic;

beforeAll(async () => {
  router = await startThinkingRouter();
  received = router.fake.received;
  client = router.anthropic;
});

afterAll(() => router?.stop());

const TOOLS: Anthropic.Tool[] = [
  { name: 'read', description: 'Read a file', input_schema: { type: 'object' } },
];
const FIRST: Anthropic.MessageParam = { role: 'user', content: 'Fix the bug in a.ts.' };
const ask = (model: string, messages: Anthropic.MessageParam[]) => ({
  model,
  max_tokens: 8192,
  thinking: { type: 'enabled' as const, budget_tokens: 3000 },
  tools: TOOLS,
  messages,
});
const resultFor = (toolUseId: string): Anthropic.MessageParam => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: toolUseId, content: 'export const a = 1;' }],
});

describe('extended thinking in a tool loop through the router', () => {
  it('one Message at a time: the thinking comes back signed and goes up again with the result', async () => {
    received.length = 0;
    const first = await client.messages.create(ask('claude', [FIRST]));
    expect(first.content[0]).toEqual({
      type: 'thinking',
      thinking: 'Read the file first.',
      signature: SIGNATURE,
    });
    expect(first.content[1]).toMatchObject({ type: 'tool_use', name: 'read' });
    expect(received[0]!.thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
    const toolUse = first.content[1] as Anthropic.ToolUseBlock;
    const second = await client.messages.create(
      ask('claude', [FIRST, { role: 'assistant', content: first.content }, resultFor(toolUse.id)]),
    );
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'Fixed.', citations: null });
    const sentBack = (received[1]!.messages as { content: Json[] }[])[1]!.content;
    expect(sentBack[0]).toEqual({
      type: 'thinking',
      thinking: 'Read the file first.',
      signature: SIGNATURE,
    });
  });

  it('streamed: the SDK assembles the thinking block with its signature, and the loop goes on', async () => {
    received.length = 0;
    const first = await client.messages.stream(ask('claude', [FIRST])).finalMessage();
    expect(first.content[0]).toEqual({
      type: 'thinking',
      thinking: 'Read the file first.',
      signature: SIGNATURE,
    });
    const toolUse = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(toolUse.input).toEqual({ path: 'a.ts' });
    const second = await client.messages
      .stream(
        ask('claude', [
          FIRST,
          { role: 'assistant', content: first.content },
          resultFor(toolUse.id),
        ]),
      )
      .finalMessage();
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'Fixed.', citations: null });
    expect(second.stop_reason).toBe('end_turn');
  });

  it("a tool call another model made: served without thinking, and said so, not Anthropic's 400", async () => {
    received.length = 0;
    const { thinking: _off, ...plain } = ask('gpt', [FIRST]);
    const first = await client.messages.create(plain);
    const toolUse = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(first.content.some((b) => b.type === 'thinking')).toBe(false);
    const { data, response } = await client.messages
      .create(
        ask('claude', [
          FIRST,
          { role: 'assistant', content: first.content },
          resultFor(toolUse.id),
        ]),
      )
      .withResponse();
    expect(data.content.at(-1)).toEqual({ type: 'text', text: 'Fixed.', citations: null });
    expect(received[0]!.thinking).toBeUndefined();
    expect(response.headers.get('x-router-warnings')).toMatch(
      /reasoning_effort dropped: the tool call being answered came without Claude's thinking/,
    );
  });

  it("a forced tool: served without thinking, and said so, not Anthropic's 400", async () => {
    received.length = 0;
    const { data, response } = await client.messages
      .create({ ...ask('claude', [FIRST]), tool_choice: { type: 'any' } })
      .withResponse();
    expect(data.content.some((b) => b.type === 'tool_use')).toBe(true);
    expect(received[0]!.thinking).toBeUndefined();
    expect(response.headers.get('x-router-warnings')).toMatch(/forced tool_choice/);
  });

  it('an OpenAI-format client streams the same thinking as reasoning_details pieces, and the SDK copes', async () => {
    received.length = 0;
    const openai = new OpenAI({
      baseURL: `${router.server.baseUrl}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
    const stream = await openai.chat.completions.create({
      model: 'claude',
      reasoning_effort: 'medium',
      stream: true,
      tools: [{ type: 'function', function: { name: 'read', parameters: { type: 'object' } } }],
      messages: [{ role: 'user', content: 'Fix the bug in a.ts.' }],
    });
    const pieces: Record<string, unknown>[] = [];
    let calls = 0;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_details?: Record<string, unknown>[] };
      pieces.push(...(delta?.reasoning_details ?? []));
      calls += chunk.choices[0]?.delta?.tool_calls?.length ?? 0;
    }
    expect(pieces.map((p) => p.thinking ?? '').join('')).toBe('Read the file first.');
    expect(pieces.at(-1)).toMatchObject({ type: 'thinking', index: 0, signature: SIGNATURE });
    expect(calls).toBeGreaterThan(0);
    // The SDK's stream helper assembles the reply with the extra field present.
    const done = await openai.chat.completions
      .stream({
        model: 'claude',
        reasoning_effort: 'medium',
        messages: [{ role: 'user', content: 'Fix the bug in a.ts.' }],
      })
      .finalChatCompletion();
    expect(done.choices[0]!.message.content).toBe('Fixed.');
  });

  it("Anthropic's server tools get a 400 saying what to send instead", async () => {
    received.length = 0;
    const err = await client.messages
      .create({
        model: 'claude',
        max_tokens: 100,
        tools: [{ type: 'code_execution_20250522', name: 'code_execution' }],
        messages: [FIRST],
      } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toMatch(/code_execution_20250522 tool is not supported/);
    expect(received).toHaveLength(0);
  });
});

// Prompt-caching breakpoints on assistant turns: opencode (the Vercel AI SDK's Anthropic provider)
// marks the last two messages, often an assistant turn with tool_use blocks. The marks on its
// text and tool_use blocks reach Claude on the same blocks, from Anthropic clients and from
// OpenAI-format clients (text parts, tool calls), and never reach an OpenAI-format upstream.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { messagesToChat } from '../../http/anthropic/messages-convert.js';
import { sentByOpenAiAdapter } from '../../../test/helpers/fake-http.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';

const EPHEMERAL = { type: 'ephemeral' };
const claudeInput = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
};
const claude = deploymentSchema.parse(claudeInput);
const autoClaude = deploymentSchema.parse({ ...claudeInput, promptCaching: 'auto' });

type Turn = { role: string; content: Record<string, unknown>[] };

/** As opencode sends a tool loop's next turn: system marked, and its last two messages. */
const opencodeTurn = {
  model: 'model-router',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are opencode.', cache_control: EPHEMERAL }],
  tools: [{ name: 'read', input_schema: { type: 'object' } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Read a.ts.' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading it.' },
        {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'read',
          input: { path: 'a.ts' },
          cache_control: EPHEMERAL,
        },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          content: 'export {}',
          cache_control: EPHEMERAL,
        },
      ],
    },
  ],
};

describe('prompt-caching breakpoints on assistant turns', () => {
  it("an Anthropic client's mark on a tool_use block reaches Claude on that block", () => {
    const sent = chatToAnthropicRequest(messagesToChat(opencodeTurn), claude);
    const messages = sent.messages as Turn[];
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading it.' },
        {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'read',
          input: { path: 'a.ts' },
          cache_control: EPHEMERAL,
        },
      ],
    });
    expect(messages[2]!.content[0]).toMatchObject({ cache_control: EPHEMERAL });
    // Three marks, as the client set them, and none the router added.
    expect(JSON.stringify(sent).match(/cache_control/g)).toHaveLength(3);
  });

  it('a mark on an assistant text block reaches Claude on that block, the others unmarked', () => {
    const sent = chatToAnthropicRequest(
      messagesToChat({
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'Hi.' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'First.' },
              { type: 'text', text: 'Second.', cache_control: EPHEMERAL },
              { type: 'tool_use', id: 't1', name: 'read', input: {} },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
        ],
      }),
      claude,
    );
    expect((sent.messages as Turn[])[1]!.content).toEqual([
      { type: 'text', text: 'First.' },
      { type: 'text', text: 'Second.', cache_control: EPHEMERAL },
      { type: 'tool_use', id: 't1', name: 'read', input: {} },
    ]);
  });

  it('an assistant turn reaches Claude as the same blocks once its mark has moved on', () => {
    // Claude caches a prefix of the request as sent: the turn sent marked as two text blocks
    // must come back as two blocks when the next turn marks later messages instead.
    const turn = (mark: boolean) =>
      chatToAnthropicRequest(
        messagesToChat({
          model: 'm',
          max_tokens: 10,
          messages: [
            { role: 'user', content: 'Hi.' },
            {
              role: 'assistant',
              content: [
                { type: 'text', text: 'First.' },
                { type: 'text', text: 'Second.', ...(mark ? { cache_control: EPHEMERAL } : {}) },
              ],
            },
            { role: 'user', content: 'Go on.' },
          ],
        }),
        claude,
      );
    const unmarked = (r: Record<string, unknown>) =>
      (r.messages as Turn[])[1]!.content.map(({ cache_control: _mark, ...block }) => block);
    expect(unmarked(turn(true))).toEqual(unmarked(turn(false)));
    expect(unmarked(turn(false))).toEqual([
      { type: 'text', text: 'First.' },
      { type: 'text', text: 'Second.' },
    ]);
  });

  it("an OpenAI-format client's marks on assistant text parts and tool calls reach Claude", async () => {
    const chat = {
      model: 'x',
      messages: [
        { role: 'user', content: 'Read a.ts.' },
        {
          role: 'assistant',
          content: [{ type: 'text', text: 'Reading it.', cache_control: EPHEMERAL }],
          tool_calls: [
            {
              id: 'c1',
              type: 'function',
              function: { name: 'read', arguments: '{"path":"a.ts"}' },
              cache_control: EPHEMERAL,
            },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'export {}' },
      ],
    } as unknown as ChatRequest;
    expect((chatToAnthropicRequest(chat, claude).messages as Turn[])[1]!.content).toEqual([
      { type: 'text', text: 'Reading it.', cache_control: EPHEMERAL },
      {
        type: 'tool_use',
        id: 'c1',
        name: 'read',
        input: { path: 'a.ts' },
        cache_control: EPHEMERAL,
      },
    ]);

    const sent = await sentByOpenAiAdapter(chat);
    expect(sent).not.toContain('cache_control');
    // Text parts only: one string, which every OpenAI-compatible server takes from the assistant.
    expect(JSON.parse(sent).messages[1]).toEqual({
      role: 'assistant',
      content: 'Reading it.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'read', arguments: '{"path":"a.ts"}' } },
      ],
    });
    // The caller's request keeps its marks (a fallback to Claude still sends them).
    expect(JSON.stringify(chat.messages[1])).toContain('cache_control');
  });

  it("an Anthropic client's several assistant text blocks reach an OpenAI-format upstream as one string", async () => {
    const chat = messagesToChat({
      model: 'm',
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'One. ' },
            { type: 'text', text: 'Two.', cache_control: EPHEMERAL },
          ],
        },
        { role: 'user', content: 'go on' },
      ],
    });
    expect(JSON.parse(await sentByOpenAiAdapter(chat)).messages[1]).toEqual({
      role: 'assistant',
      content: 'One. Two.',
    });
  });

  it('an Anthropic client whose only mark is on a tool_use: promptCaching auto adds none', () => {
    const request = {
      ...opencodeTurn,
      system: 'You are opencode.',
      messages: [
        opencodeTurn.messages[0],
        opencodeTurn.messages[1],
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }] },
      ],
    };
    const sent = chatToAnthropicRequest(messagesToChat(request), autoClaude);
    expect(sent.system).toBe('You are opencode.');
    expect(sent.tools).toEqual([{ name: 'read', input_schema: { type: 'object' } }]);
    expect(JSON.stringify(sent).match(/cache_control/g)).toHaveLength(1);
    expect((sent.messages as Turn[])[1]!.content[1]).toMatchObject({ cache_control: EPHEMERAL });
  });

  it('more than four marks reach Claude as the client set them, as for other blocks', () => {
    // The router does not drop a client's marks: Claude answers 400 past four, as it would to the
    // client directly, and the client's own marks stay its choice.
    const sent = chatToAnthropicRequest(
      messagesToChat({
        ...opencodeTurn,
        tools: [{ name: 'read', input_schema: { type: 'object' }, cache_control: EPHEMERAL }],
        messages: [
          {
            role: 'user',
            content: [{ type: 'text', text: 'Read a.ts.', cache_control: EPHEMERAL }],
          },
          ...opencodeTurn.messages.slice(1),
        ],
      }),
      claude,
    );
    expect(JSON.stringify(sent).match(/cache_control/g)).toHaveLength(5);
  });
});

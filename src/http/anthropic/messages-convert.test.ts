// Anthropic Messages → chat: what a tool_result carries besides text.
import { describe, expect, it } from 'vitest';
import { chatToAnthropicRequest } from '../../providers/anthropic/anthropic-convert.js';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import { CLIENT_PATH } from '../../core/wire-types.js';
import { messagesToChat } from './messages-convert.js';

const PNG = 'iVBORw0KGgo=';

/** A tool loop whose tool (Claude Code's Read on a screenshot, say) returned text and an image. */
const withImageResult = {
  model: 'claude',
  max_tokens: 100,
  messages: [
    { role: 'user', content: 'What does the screenshot show?' },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'read', input: { path: 'a.png' } }],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          content: [
            { type: 'text', text: 'a.png, 1 image' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          ],
        },
        { type: 'text', text: 'Describe it.' },
      ],
    },
  ],
};

describe('messagesToChat: tool results', () => {
  it("keeps a tool_result's images (they were dropped): after the tool message, under a line naming the call", () => {
    const chat = messagesToChat(withImageResult);
    expect(chat.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_1', content: 'a.png, 1 image' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attached to the result of tool call toolu_1:' },
          {
            type: 'image_url',
            image_url: { url: `data:image/png;base64,${PNG}` },
            // Its place in the client's request, for an error about it.
            [CLIENT_PATH]: 'messages.2.content.0.content.1.source',
          },
          { type: 'text', text: 'Describe it.' },
        ],
      },
    ]);
  });

  it('reaches Claude in the same user turn, after the tool_result block', () => {
    const out = chatToAnthropicRequest(messagesToChat(withImageResult), claudeDeployment());
    const turns = out.messages as { role: string; content: Record<string, unknown>[] }[];
    expect(turns.at(-1)?.role).toBe('user');
    expect(turns.at(-1)?.content.map((b) => b.type)).toEqual([
      'tool_result',
      'text',
      'image',
      'text',
    ]);
    expect(turns.at(-1)?.content[2]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG },
    });
  });

  it('text-only tool results stay one tool message; an unknown block in one is a 400 naming it', () => {
    const chat = messagesToChat({
      ...withImageResult,
      messages: [
        ...withImageResult.messages.slice(0, 2),
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [
                { type: 'text', text: 'one' },
                { type: 'text', text: 'two' },
              ],
            },
          ],
        },
      ],
    });
    expect(chat.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_1', content: 'one\ntwo' },
    ]);
    expect(() =>
      messagesToChat({
        ...withImageResult,
        messages: [
          ...withImageResult.messages.slice(0, 2),
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'toolu_1',
                content: [{ type: 'video', source: { type: 'url', url: 'https://x/v.mp4' } }],
              },
            ],
          },
        ],
      }),
    ).toThrow(/messages\.2\.content\.0\.content\.0\.type "video" is not supported/);
  });
});

// An Anthropic client may send `tool_choice: {type: "auto" | "none"}` (with disable_parallel_tool_use)
// and no tools, which say nothing then; chat's tool_choice and parallel_tool_calls without tools are
// refused by OpenAI ("only allowed when 'tools' are specified"), so routed there it got a 400.
describe('tool_choice without tools', () => {
  const ask = (extra: Record<string, unknown>) =>
    messagesToChat({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    });
  it('auto and none with no tools (or an empty list) set neither tool_choice nor parallel_tool_calls', () => {
    for (const extra of [{}, { tools: [] }])
      for (const type of ['auto', 'none']) {
        const chat = ask({ ...extra, tool_choice: { type, disable_parallel_tool_use: true } });
        expect(chat).not.toHaveProperty('tool_choice');
        expect(chat).not.toHaveProperty('parallel_tool_calls');
      }
  });
  it('with tools they are kept', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    const chat = ask({ tools, tool_choice: { type: 'none', disable_parallel_tool_use: true } });
    expect(chat.tool_choice).toBe('none');
    expect(chat.parallel_tool_calls).toBe(false);
    expect(ask({ tools, tool_choice: { type: 'any' } }).tool_choice).toBe('required');
  });
  it('any with the web search as the only tool: the search is asked for, no tool_choice', () => {
    const search = { type: 'web_search_20250305', name: 'web_search', max_uses: 2 };
    const chat = ask({
      tools: [search],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    expect(chat.web_search_options).toBeDefined();
    expect(chat).not.toHaveProperty('tool_choice');
    expect(chat).not.toHaveProperty('parallel_tool_calls');
    // Beside a function tool, any is still required.
    const both = ask({
      tools: [search, { name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    });
    expect(both.tool_choice).toBe('required');
  });
});

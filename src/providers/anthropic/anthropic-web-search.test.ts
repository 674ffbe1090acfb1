// Claude pauses a long turn of server tools (web search) with stop_reason `pause_turn`; sent back
// as it is, it goes on. The adapter does that, so a chat client gets the whole answer: the blocks
// of every call in order, the last stop, and the usage and searches of all of them. And an
// Anthropic client's forced web search reaches Claude forced, where Anthropic allows it.
import { describe, expect, it } from 'vitest';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import { WEB_SEARCH_TOOL_FIELD, type ChatRequest } from '../../core/wire-types.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';
import { createAnthropicAdapter } from './anthropic-adapter.js';

const search = (id: string) => [
  { type: 'server_tool_use', id, name: 'web_search', input: { query: id } },
  { type: 'web_search_tool_result', tool_use_id: id, content: [] },
];
const paused = {
  id: 'msg_1',
  type: 'message',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Looking. ' }, ...search('s1')],
  stop_reason: 'pause_turn',
  usage: { input_tokens: 100, output_tokens: 10, server_tool_use: { web_search_requests: 1 } },
};
const done = {
  id: 'msg_2',
  type: 'message',
  model: 'claude-sonnet-4-5',
  content: [
    ...search('s2'),
    {
      type: 'text',
      text: 'Lyon won.',
      citations: [{ type: 'web_search_result_location', url: 'https://a.example/', title: 'A' }],
    },
  ],
  stop_reason: 'end_turn',
  usage: { input_tokens: 300, output_tokens: 20, server_tool_use: { web_search_requests: 1 } },
};

function adapterAnswering(replies: unknown[]) {
  let n = 0;
  const { http, sent } = scriptedHttp(() => ({ body: replies[Math.min(n++, replies.length - 1)] }));
  const deployment = claudeDeployment({ capabilities: { webSearch: true } });
  const adapter = createAnthropicAdapter(deployment, http, {});
  const request = {
    model: 'claude',
    messages: [{ role: 'user', content: 'Who won?' }],
    web_search_options: {},
  } as ChatRequest;
  const chat = () =>
    adapter.chat({
      deployment,
      body: request,
      signal: new AbortController().signal,
      requestId: 'req_1',
    });
  return { chat, sent };
}

describe('a paused turn (pause_turn)', () => {
  it('is sent back as it is, and the answer is the whole turn', async () => {
    const { chat, sent } = adapterAnswering([paused, done]);
    const { response } = await chat();
    expect(sent).toHaveLength(2);
    const again = JSON.parse(sent[1]!.body) as { messages: unknown[]; tools: unknown[] };
    expect(again.messages.at(-1)).toEqual({ role: 'assistant', content: paused.content });
    expect(again.tools).toEqual(JSON.parse(sent[0]!.body).tools);
    const choice = response.choices[0]!;
    expect(choice.message.content).toBe('Looking. Lyon won.');
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.annotations).toEqual([
      expect.objectContaining({
        url_citation: expect.objectContaining({ start_index: 9, end_index: 18 }),
      }),
    ]);
    expect(response.usage).toMatchObject({
      prompt_tokens: 400,
      completion_tokens: 30,
      server_tool_use: { web_search_requests: 2 },
    });
  });

  it('is sent back at most four times', async () => {
    const { chat, sent } = adapterAnswering([paused]);
    const { response } = await chat();
    expect(sent).toHaveLength(5);
    expect(response.usage?.completion_tokens).toBe(50);
  });
});

describe("an Anthropic client's forced web search", () => {
  it('reaches Claude forced, unless thinking is on (Anthropic refuses thinking beside a forced tool)', () => {
    const deployment = claudeDeployment({ capabilities: { webSearch: true, reasoning: true } });
    const tool = { type: 'web_search_20250305', name: 'web_search' };
    const body = {
      model: 'claude',
      messages: [{ role: 'user', content: 'Search.' }],
      web_search_options: {},
      [WEB_SEARCH_TOOL_FIELD]: { tool, forced: true },
    } as ChatRequest;
    const plain = chatToAnthropicRequest(body, deployment);
    expect(plain.tools).toEqual([tool]);
    expect(plain.tool_choice).toEqual({ type: 'tool', name: 'web_search' });
    const thinking = chatToAnthropicRequest({ ...body, reasoning_effort: 'high' }, deployment);
    expect(thinking.thinking).toBeDefined();
    expect(thinking.tool_choice).toBeUndefined();
  });
});

describe("the Responses API's hosted web search (the tool alone, no web_search_options)", () => {
  it('reaches only a Claude that searches', () => {
    const tool = { type: 'web_search_20250305', name: 'web_search' };
    const body = {
      model: 'claude',
      messages: [{ role: 'user', content: 'Search.' }],
      [WEB_SEARCH_TOOL_FIELD]: { tool, forced: false },
    } as ChatRequest;
    const searches = claudeDeployment({ capabilities: { webSearch: true } });
    expect(chatToAnthropicRequest(body, searches).tools).toEqual([tool]);
    expect(chatToAnthropicRequest(body, claudeDeployment()).tools).toBeUndefined();
  });
});

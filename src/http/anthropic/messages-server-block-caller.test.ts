// Claude's server tool blocks (`server_tool_use`, `web_search_tool_result`) reach an Anthropic
// client with their `caller` as Claude sent it (@anthropic-ai/sdk 1.13 `ServerToolUseBlock`,
// `WebSearchToolResultBlock`: `DirectCaller | ServerToolCaller | ServerToolCaller20260120`), in
// JSON and in a stream (in its content_block_start), neither dropped nor rewritten to the
// `{"type": "direct"}` the router puts on its own `tool_use` blocks. Through the real route and the
// official SDK, over sockets, to a loopback Anthropic API.
import { afterEach, describe, expect, it } from 'vitest';
import { startClaudeLoopback, type ClaudeLoopback } from '../../../test/helpers/claude-loopback.js';

type Json = Record<string, unknown>;

const PORTS = { from: 47100, to: 47149 };

/** A search Claude ran itself, and one its code execution ran (ServerToolCaller). */
const DIRECT = { type: 'direct' };
const FROM_CODE = { type: 'code_execution_20250825', tool_id: 'srvtoolu_code' };
const searched = [
  {
    type: 'server_tool_use',
    id: 'srvtoolu_1',
    name: 'web_search',
    input: { query: 'match' },
    caller: DIRECT,
  },
  {
    type: 'web_search_tool_result',
    tool_use_id: 'srvtoolu_1',
    content: [
      {
        type: 'web_search_result',
        url: 'https://news.example/a',
        title: 'A',
        encrypted_content: 'enc-a',
        page_age: null,
      },
    ],
    caller: DIRECT,
  },
  {
    type: 'server_tool_use',
    id: 'srvtoolu_2',
    name: 'web_search',
    input: { query: 'score' },
    caller: FROM_CODE,
  },
  {
    type: 'web_search_tool_result',
    tool_use_id: 'srvtoolu_2',
    content: [],
    caller: FROM_CODE,
  },
];
const claudeReply = {
  id: 'msg_s1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [...searched, { type: 'text', text: 'Lyon won 2-1.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 100, output_tokens: 20, server_tool_use: { web_search_requests: 2 } },
};
const ask = {
  model: 'claude',
  max_tokens: 1024,
  tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 5 }],
  messages: [{ role: 'user' as const, content: 'Who won the match last night?' }],
};

let running: ClaudeLoopback | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const searchingFleet = async () =>
  (running = await startClaudeLoopback(claudeReply, PORTS, {
    capabilities: { webSearch: true },
  }));

describe("Claude's server tool blocks keep their caller", () => {
  it('in a JSON reply, as Claude sent it', async () => {
    const { anthropic } = await searchingFleet();
    const message = await anthropic.messages.create(ask);
    expect(message.content.slice(0, 4)).toEqual(searched);
  });

  it("in a stream's content_block_start, and the SDK's accumulated message", async () => {
    const { anthropic } = await searchingFleet();
    const stream = anthropic.messages.stream(ask);
    const starts: Json[] = [];
    stream.on('streamEvent', (e) => {
      if (e.type === 'content_block_start')
        starts.push(JSON.parse(JSON.stringify(e.content_block)) as Json);
    });
    const message = await stream.finalMessage();
    expect(starts.slice(0, 4).map((b) => b.caller)).toEqual([DIRECT, DIRECT, FROM_CODE, FROM_CODE]);
    expect(message.content.slice(0, 4)).toEqual(searched);
  });

  it("go back to Claude with the client's next turn as the SDK holds them, caller and all", async () => {
    const { anthropic, received } = await searchingFleet();
    const message = await anthropic.messages.create(ask);
    const next = await anthropic.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: message.content },
        { role: 'user', content: 'And the next one?' },
      ],
    });
    expect(next.content.slice(0, 4)).toEqual(searched);
    const turn = (received[1]!.messages as { content: Json[] }[])[1]!.content;
    expect(turn.filter((b) => b.type !== 'text')).toEqual(searched);
  });
});

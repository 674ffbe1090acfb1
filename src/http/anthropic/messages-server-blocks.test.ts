// Claude's own search blocks (`server_tool_use`, `web_search_tool_result`) reach an Anthropic
// client of /v1/messages as Claude sent them, where it put them, in JSON and in a stream (Claude
// Code's WebSearch lists its links from the results), and go back to Claude with the client's next
// turn. Chat clients never see them. A paused turn (`pause_turn`) goes on in the same stream.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  appWith,
  claude,
  claudePaused,
  claudeResumed,
  claudeSearched,
  claudeSearchedStream,
  searchGpt,
  streamOf,
  TEXT1,
  type Json,
  askChatSearch,
  postMessages,
} from '../../../test/helpers/web-search-fixtures.js';

const TOOL = { type: 'web_search_20250305', name: 'web_search', max_uses: 5 };
const ask = (extra: Json = {}) => ({
  model: 'model-router',
  max_tokens: 1024,
  tools: [TOOL],
  messages: [{ role: 'user', content: 'Who won the match last night?' }],
  ...extra,
});
const post = postMessages;
const types = (content: Json[]) => content.map((b) => b.type);

describe("Claude's search blocks on /v1/messages", () => {
  it('come back in JSON where Claude put them, before the text that cites them', async () => {
    const t = await appWith([claude]);
    const res = await post(t.app, ask());
    expect(res.statusCode, res.body).toBe(200);
    const content = res.json().content as Json[];
    expect(content.slice(0, 2)).toEqual(claudeSearched.content.slice(1, 3));
    expect(types(content)).toEqual(['server_tool_use', 'web_search_tool_result', 'text', 'text']);
    expect(content[2]).toMatchObject({ text: TEXT1 });
    await t.app.close();
  });

  it("stream as Anthropic streams them, and the official SDK's accumulator reads them", async () => {
    const t = await appWith([claude], claudeSearchedStream);
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
      const stream = anthropic.messages.stream(ask() as Anthropic.MessageCreateParams);
      const starts: string[] = [];
      stream.on('streamEvent', (e) => {
        if (e.type === 'content_block_start') starts.push(e.content_block.type);
      });
      const message = await stream.finalMessage();
      expect(starts).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
      expect(message.content[0]).toEqual({
        type: 'server_tool_use',
        id: 's1',
        name: 'web_search',
        input: { query: 'match' },
      });
      expect(message.content[1]).toEqual({
        type: 'web_search_tool_result',
        tool_use_id: 's1',
        content: [],
      });
      expect(message.content[2]).toMatchObject({ type: 'text', text: `Before. ${TEXT1}` });
    } finally {
      await t.app.close();
    }
  });

  it('never reach a chat client, JSON or streamed', async () => {
    for (const [reply, stream] of [
      [JSON.stringify(claudeSearched), false],
      [claudeSearchedStream, true],
    ] as const) {
      const t = await appWith([claude], reply);
      const res = await askChatSearch(t.app, stream, 'Who won the match last night?');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toContain('url_citation');
      expect(res.body).not.toContain('"type":"server_tool_use"');
      expect(res.body).not.toContain('web_search_tool_result');
      expect(res.body).not.toContain('x_anthropic_server_blocks');
      await t.app.close();
    }
  });

  it("go back to Claude with the client's next turn where they stood, and only with the tool", async () => {
    const answered = JSON.parse(JSON.stringify(claudeSearched)) as Json;
    const turns = [
      { role: 'user', content: 'Who won the match last night?' },
      { role: 'assistant', content: answered.content },
      { role: 'user', content: 'And the next one?' },
    ];
    const t = await appWith([claude]);
    expect((await post(t.app, ask({ messages: turns }))).statusCode).toBe(200);
    expect((await post(t.app, ask({ messages: turns, tools: undefined }))).statusCode).toBe(200);
    const [withTool, without] = t.toClaude.map((s) => JSON.parse(s.body) as Json);
    const assistant = (sent: Json) => (sent.messages as Json[])[1]!.content as Json[];
    expect(types(assistant(withTool!))).toEqual([
      'server_tool_use',
      'web_search_tool_result',
      'text',
      'text',
    ]);
    expect(assistant(withTool!).slice(0, 2)).toEqual(claudeSearched.content.slice(1, 3));
    expect(types(assistant(without!))).toEqual(['text', 'text']);
    await t.app.close();
    // A chat client's message cannot carry them to Claude: the field is the bridge's own.
    const chat = await appWith([claude]);
    const res = await chat.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        web_search_options: {},
        messages: [
          { role: 'user', content: 'Who won?' },
          {
            role: 'assistant',
            content: 'Lyon.',
            x_anthropic_server_blocks: [{ at: 0, block: claudeSearched.content[1] }],
          },
          { role: 'user', content: 'And the next one?' },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(chat.toClaude[0]!.body).not.toContain('server_tool_use');
    await chat.app.close();
    // An OpenAI search model gets the text alone.
    const gpt = await appWith([searchGpt]);
    expect((await post(gpt.app, ask({ messages: turns }))).statusCode).toBe(200);
    const sent = gpt.toSearch[0]!.body;
    expect(sent).not.toContain('server_tool_use');
    expect(sent).not.toContain('x_anthropic_server_blocks');
    await gpt.app.close();
  });
});

describe('a streamed paused turn (pause_turn)', () => {
  const paused = [streamOf(claudePaused), streamOf(claudeResumed)];

  it('goes on in the same chat stream: one answer, one finish, the usage of both calls', async () => {
    const t = await appWith([claude], paused);
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = await openai.chat.completions.create({
        model: 'model-router',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Who won?' }],
        web_search_options: {},
      });
      let text = '';
      const finishes: unknown[] = [];
      let roles = 0;
      let usage: OpenAI.CompletionUsage | null | undefined;
      const annotations: unknown[] = [];
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        text += choice?.delta.content ?? '';
        if (choice?.delta.role) roles++;
        if (choice?.finish_reason) finishes.push(choice.finish_reason);
        annotations.push(
          ...(((choice?.delta as Json | undefined)?.annotations as unknown[]) ?? []),
        );
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe('Looking. Lyon won.');
      expect(roles).toBe(1);
      expect(finishes).toEqual(['stop']);
      expect(usage).toMatchObject({ prompt_tokens: 400, completion_tokens: 30 });
      expect(annotations).toEqual([
        expect.objectContaining({
          url_citation: expect.objectContaining({ start_index: 9, end_index: 18 }),
        }),
      ]);
      // The paused turn went back as Claude sent it, its search blocks whole.
      expect(t.toClaude).toHaveLength(2);
      const again = JSON.parse(t.toClaude[1]!.body) as { messages: Json[]; stream: boolean };
      expect(again.stream).toBe(true);
      expect(again.messages.at(-1)).toEqual({ role: 'assistant', content: claudePaused.content });
    } finally {
      await t.app.close();
    }
  });

  it('reaches an Anthropic client as one message with the blocks of both calls', async () => {
    const t = await appWith([claude], paused);
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
      const message = await anthropic.messages
        .stream(ask() as Anthropic.MessageCreateParams)
        .finalMessage();
      expect(types(message.content as unknown as Json[])).toEqual([
        'text',
        'server_tool_use',
        'web_search_tool_result',
        'server_tool_use',
        'web_search_tool_result',
        'text',
      ]);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage.output_tokens).toBe(30);
      expect(message.usage.server_tool_use).toEqual({ web_search_requests: 2 });
    } finally {
      await t.app.close();
    }
  });

  it('is sent back at most four times, then ends as Claude left it', async () => {
    const t = await appWith([claude], [streamOf(claudePaused)]);
    const res = await askChatSearch(t.app);
    expect(res.statusCode).toBe(200);
    expect(t.toClaude).toHaveLength(5);
    expect(res.body.match(/"finish_reason":"stop"/g)).toHaveLength(1);
    expect(res.body).toContain('data: [DONE]');
    await t.app.close();
  });

  it("ends with the API's error event when the call that goes on fails", async () => {
    const t = await appWith(
      [claude],
      [
        streamOf(claudePaused),
        {
          status: 529,
          body: JSON.stringify({
            type: 'error',
            error: { type: 'overloaded_error', message: 'Overloaded' },
          }),
        },
      ],
    );
    const res = await askChatSearch(t.app);
    expect(res.statusCode).toBe(200);
    expect(t.toClaude).toHaveLength(2);
    expect(res.body).toContain('Looking. ');
    expect(res.body).toMatch(/data: \{"error":\{[^\n]*Overloaded/);
    expect(res.body).not.toContain('"finish_reason":"stop"');
    // The server goes on.
    const next = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(next.statusCode).toBe(200);
    await t.app.close();
  });
});

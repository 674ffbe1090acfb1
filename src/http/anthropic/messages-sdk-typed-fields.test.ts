// The reply fields @anthropic-ai/sdk 1.13 types as always there (non-optional, maybe nullable)
// beyond those of messages-claude-reply-fields.test.ts: `Usage.output_tokens_details`,
// `server_tool_use` and `speed`; `MessageDeltaUsage.output_tokens_details` and `server_tool_use`;
// `TextBlock.citations`; `ToolUseBlock.caller`. Null (or `{type: "direct"}`, a plain client tool
// call's caller) where there is nothing to say; Claude's own where Claude served, in a JSON reply,
// a stream, and an answer-cache hit of either (its cached answer keeps them, JSON or streamed).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import type { SentRequest } from '../../../test/helpers/fake-http.js';
import {
  claudeDeployment,
  openaiDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import { anthropicThroughInject } from '../../../test/helpers/anthropic-through-inject.js';
import { createAnthropicAdapter } from '../../providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import type { HttpClient } from '../../providers/http-client.js';

type Json = Record<string, unknown>;

// Claude's usage with the fields of the SDK's `Usage` (`OutputTokensDetails`, `ServerToolUsage`).
const THINKING = { thinking_tokens: 9 };
const SEARCHES = { web_search_requests: 0, web_fetch_requests: 0 };
const CONTAINER = { id: 'container_hE4', expires_at: '2026-12-07T19:00:00Z', skills: null };
const CLAUDE_USAGE = {
  input_tokens: 11,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
  output_tokens: 21,
  output_tokens_details: THINKING,
  server_tool_use: SEARCHES,
  service_tier: 'standard',
  inference_geo: 'eu',
  speed: 'fast',
};
const TOOL = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } };

const claudeMessage = (stop: string, content: Json[]) => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-opus-4-8',
  content,
  stop_reason: stop,
  stop_sequence: null,
  stop_details: null,
  container: CONTAINER,
  usage: CLAUDE_USAGE,
});

/** Anthropic's stream of a text block and a tool call (CONTRACTS.md §4.4; SDK event types). */
function claudeStream(text: string): string {
  const { output_tokens_details: _d, server_tool_use: _s, ...startUsage } = CLAUDE_USAGE;
  const events: [string, Json][] = [
    [
      'message_start',
      {
        message: {
          ...claudeMessage('end_turn', []),
          stop_reason: null,
          usage: { ...startUsage, output_tokens: 1 },
        },
      },
    ],
    ['content_block_start', { index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { index: 0, delta: { type: 'text_delta', text } }],
    ['content_block_stop', { index: 0 }],
    ['content_block_start', { index: 1, content_block: { ...TOOL, input: {} } }],
    [
      'content_block_delta',
      { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":"Oslo"}' } },
    ],
    ['content_block_stop', { index: 1 }],
    [
      'message_delta',
      {
        delta: {
          stop_reason: 'tool_use',
          stop_sequence: null,
          stop_details: null,
          container: null,
        },
        usage: {
          output_tokens: CLAUDE_USAGE.output_tokens,
          output_tokens_details: THINKING,
          server_tool_use: SEARCHES,
        },
      },
    ],
    ['message_stop', {}],
  ];
  return events
    .map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    .join('');
}

/** A fake upstream answering a streamed request with `stream`, another with `json`. */
function upstream(json: (body: Json) => Json, stream: (body: Json) => string) {
  const sent: SentRequest[] = [];
  const http = {
    request: async (r: { url: URL; headers: Record<string, string>; body?: string }) => {
      sent.push({ url: r.url.toString(), headers: r.headers, body: r.body ?? '' });
      const body = JSON.parse(r.body ?? '{}') as Json;
      const reply = body.stream === true ? stream(body) : JSON.stringify(json(body));
      return {
        status: 200,
        headers: {},
        body: Readable.from([Buffer.from(reply)]) as never,
      };
    },
    close: async () => {},
  } as unknown as HttpClient;
  return { http, sent };
}

/** The last user turn's text of a Messages or chat body sent upstream. */
const lastText = (body: Json): string => {
  const last = (body.messages as Json[]).at(-1)!;
  const content = last.content;
  if (typeof content === 'string') return content;
  return (content as Json[]).map((b) => String(b.text ?? '')).join('');
};

async function fleet(cache = false) {
  const config = testConfig({
    deployments: [claudeDeployment(), openaiDeployment({ maxOutputTokens: 8192 })],
    routers: [],
    ...(cache ? { cache: { enabled: true, ttlSeconds: 60 } } : {}),
  });
  const claude = upstream(
    (b) => claudeMessage('tool_use', [{ type: 'text', text: `Re: ${lastText(b)}` }, TOOL]) as Json,
    (b) => claudeStream(`Re: ${lastText(b)}`),
  );
  const gptUsage = {
    prompt_tokens: 12,
    completion_tokens: 30,
    total_tokens: 42,
    completion_tokens_details: { reasoning_tokens: 16 },
  };
  const gpt = upstream(
    () => ({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4.1',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
    }),
    () =>
      [
        { choices: [{ index: 0, delta: { role: 'assistant', content: 'Checking.' } }] },
        {
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: 0,
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
                  },
                ],
              },
            },
          ],
        },
        { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
        { choices: [], usage: gptUsage },
      ]
        .map(
          (c) =>
            `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', ...c })}\n\n`,
        )
        .join('') + 'data: [DONE]\n\n',
  );
  const { app } = await buildTestApp(config, {
    claude: createAnthropicAdapter(config.deployments[0]!, claude.http, {}),
    gpt: createOpenAiAdapter(config.deployments[1]!, gpt.http, {}),
  });
  return { app, claudeSent: claude.sent, gptSent: gpt.sent };
}

const ask = (model: string, text = 'Weather in Oslo?') => ({
  model,
  max_tokens: 100,
  tools: [{ name: 'get_weather', input_schema: { type: 'object' as const } }],
  messages: [{ role: 'user' as const, content: text }],
});

/** The stream's events as sent, and the message the SDK accumulates from them. */
async function streamed(client: ReturnType<typeof anthropicThroughInject>, body: Json) {
  const stream = client.messages.stream(body as never);
  const events: Json[] = [];
  stream.on('streamEvent', (e) => events.push(JSON.parse(JSON.stringify(e)) as Json));
  const final = JSON.parse(JSON.stringify(await stream.finalMessage())) as Json;
  const start = (events.find((e) => e.type === 'message_start')!.message as Json).usage as Json;
  const delta = events.find((e) => e.type === 'message_delta')!.usage as Json;
  return { final, start, delta, events };
}

describe('reply fields the SDK types as always there, from another model', () => {
  it('JSON: text blocks cite nothing (null), a tool call is direct, usage has its nulls and the thinking the upstream reported', async () => {
    const { app } = await fleet();
    const client = anthropicThroughInject(app);
    const msg = JSON.parse(JSON.stringify(await client.messages.create(ask('gpt')))) as Json;
    expect(msg.content).toEqual([
      { type: 'text', text: 'Checking.', citations: null },
      { ...TOOL, id: 'call_1', caller: { type: 'direct' } },
    ]);
    expect(msg.usage).toMatchObject({
      output_tokens_details: null,
      server_tool_use: null,
      speed: null,
    });
    await app.close();
  });

  it("a stream: the blocks' citations and caller, message_start's and message_delta's usage fields", async () => {
    const { app } = await fleet();
    const client = anthropicThroughInject(app);
    const { final, start, delta } = await streamed(client, ask('gpt'));
    expect(final.content).toEqual([
      { type: 'text', text: 'Checking.', citations: null },
      { ...TOOL, id: 'call_1', caller: { type: 'direct' } },
    ]);
    expect(start).toMatchObject({
      output_tokens_details: null,
      server_tool_use: null,
      speed: null,
    });
    // The upstream's reasoning tokens, as Anthropic's thinking tokens (MessageDeltaUsage's fields).
    expect(delta).toMatchObject({
      output_tokens: 30,
      output_tokens_details: { thinking_tokens: 16 },
      server_tool_use: null,
    });
    expect(final.usage).toMatchObject({
      output_tokens_details: { thinking_tokens: 16 },
      server_tool_use: null,
      speed: null,
    });
    await app.close();
  });
});

describe("where Claude served, Claude's own", () => {
  it('JSON: its speed, thinking tokens and server tool use', async () => {
    const { app, claudeSent } = await fleet();
    const client = anthropicThroughInject(app);
    const msg = JSON.parse(
      JSON.stringify(await client.messages.create({ ...ask('claude'), speed: 'fast' } as never)),
    ) as Json;
    expect(JSON.parse(claudeSent.at(-1)!.body)).toMatchObject({ speed: 'fast' });
    expect(msg.content).toEqual([
      { type: 'text', text: 'Re: Weather in Oslo?', citations: null },
      { ...TOOL, caller: { type: 'direct' } },
    ]);
    expect(msg.usage).toMatchObject({
      output_tokens: CLAUDE_USAGE.output_tokens,
      output_tokens_details: THINKING,
      server_tool_use: SEARCHES,
      speed: 'fast',
      inference_geo: 'eu',
    });
    await app.close();
  });

  it("a stream: speed in message_start, thinking tokens and server tool use in message_delta's usage", async () => {
    const { app } = await fleet();
    const client = anthropicThroughInject(app);
    const { final, start, delta } = await streamed(client, { ...ask('claude'), speed: 'fast' });
    expect(start).toMatchObject({ speed: 'fast', inference_geo: 'eu' });
    expect(delta).toMatchObject({
      output_tokens: CLAUDE_USAGE.output_tokens,
      output_tokens_details: THINKING,
      server_tool_use: SEARCHES,
    });
    expect(final.content).toEqual([
      { type: 'text', text: 'Re: Weather in Oslo?', citations: null },
      { ...TOOL, caller: { type: 'direct' } },
    ]);
    expect(final.usage).toMatchObject({
      output_tokens_details: THINKING,
      server_tool_use: SEARCHES,
      speed: 'fast',
    });
    await app.close();
  });

  it('the SDK sends its message back in the next turn (caller, null citations) and Claude gets a valid turn', async () => {
    const { app, claudeSent } = await fleet();
    const clientSent: unknown[] = [];
    const client = anthropicThroughInject(app, { sent: clientSent });
    const first = await client.messages.create(ask('claude'));
    const next = await client.messages.create({
      ...ask('claude'),
      messages: [
        ...ask('claude').messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '3°C' }],
        },
      ],
    } as never);
    expect(next.stop_reason).toBe('tool_use');
    // As the SDK sends it back: the fields it typed as always there, as the router gave them.
    expect((clientSent.at(-1) as { messages: Json[] }).messages[1]!.content).toEqual([
      { type: 'text', text: 'Re: Weather in Oslo?', citations: null },
      { ...TOOL, caller: { type: 'direct' } },
    ]);
    const turn = (JSON.parse(claudeSent.at(-1)!.body) as { messages: Json[] }).messages[1]!;
    expect(turn.content).toMatchObject([
      { type: 'text', text: 'Re: Weather in Oslo?' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    await app.close();
  });
});

describe("a paused turn's calls, added up", () => {
  it("Claude's thinking tokens and searches are those of both calls", async () => {
    const config = testConfig({ deployments: [claudeDeployment()], routers: [] });
    const turn = (stop: string, thinking: number, text: string) => ({
      ...claudeMessage(stop, [{ type: 'text', text }]),
      usage: {
        ...CLAUDE_USAGE,
        output_tokens_details: { thinking_tokens: thinking },
        server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
      },
    });
    let calls = 0;
    const claude = upstream(
      () => (++calls === 1 ? turn('pause_turn', 4, 'Searching. ') : turn('end_turn', 5, 'Done.')),
      () => '',
    );
    const { app } = await buildTestApp(config, {
      claude: createAnthropicAdapter(config.deployments[0]!, claude.http, {}),
    });
    const msg = await anthropicThroughInject(app).messages.create(ask('claude'));
    expect(claude.sent).toHaveLength(2);
    expect(msg.usage.output_tokens).toBe(2 * CLAUDE_USAGE.output_tokens);
    expect(msg.usage.output_tokens_details).toEqual({ thinking_tokens: 9 });
    expect(msg.usage.server_tool_use).toEqual({ web_search_requests: 2, web_fetch_requests: 0 });
    await app.close();
  });
});

describe("an answer-cache hit of Claude's answer keeps Claude's fields", () => {
  const claudeFields = (msg: Json) => {
    expect(msg.container).toEqual(CONTAINER);
    expect(msg.usage).toMatchObject({
      inference_geo: 'eu',
      speed: 'fast',
      service_tier: 'standard',
      output_tokens_details: THINKING,
      server_tool_use: SEARCHES,
    });
  };

  it('a streamed answer, asked again as JSON and as a stream', async () => {
    const { app, claudeSent } = await fleet(true);
    const client = anthropicThroughInject(app);
    const body = { ...ask('claude', 'streamed first'), speed: 'fast' };
    claudeFields((await streamed(client, body)).final);
    const raw = await client.messages.create(body as never).withResponse();
    expect(raw.response.headers.get('x-router-cache')).toBe('hit');
    claudeFields(JSON.parse(JSON.stringify(raw.data)) as Json);
    claudeFields((await streamed(client, body)).final);
    expect(claudeSent).toHaveLength(1);
    await app.close();
  });

  it('a JSON answer, asked again as a stream', async () => {
    const { app, claudeSent } = await fleet(true);
    const client = anthropicThroughInject(app);
    const body = { ...ask('claude', 'JSON first'), speed: 'fast' };
    claudeFields(JSON.parse(JSON.stringify(await client.messages.create(body as never))) as Json);
    const { final, start } = await streamed(client, body);
    expect(start).toMatchObject({ speed: 'fast', inference_geo: 'eu' });
    claudeFields(final);
    expect(claudeSent).toHaveLength(1);
    await app.close();
  });
});

// Claude's citations of an Anthropic client's documents come back to it (Anthropic audit F3, its
// second half: they were dropped, and `x-router-warnings` said so whichever model served), as
// Claude sent them: cited text blocks in JSON, `citations_delta` events on their block in a
// stream (anthropic_openapi_curated.yaml `CitationCharLocation`, `CitationsBlockDelta`), read by
// @anthropic-ai/sdk. An OpenAI-format upstream has no document citations: the warning stays.
import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { anthropicThroughInject } from '../../../test/helpers/anthropic-through-inject.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { recordingHttp, sequenceHttp } from '../../../test/helpers/fake-http.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { streamOf } from '../../../test/helpers/web-search-fixtures.js';
import type { ConfigInput } from '../../config/schema.js';
import { createAnthropicAdapter } from '../../providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';

type Json = Record<string, unknown>;
type DeploymentInput = ConfigInput['deployments'][number];

const claudeInput: DeploymentInput = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
  capabilities: { files: true },
};
const gptInput: DeploymentInput = {
  name: 'gpt',
  provider: 'openai',
  model: 'gpt-4.1',
  prices: { inputPer1M: 2, outputPer1M: 8 },
  contextWindow: 1_000_000,
  maxOutputTokens: 8192,
  capabilities: { files: true },
};

const GREEN = {
  type: 'char_location',
  cited_text: 'The sky is green.',
  document_index: 0,
  document_title: 'Sky report',
  start_char_index: 0,
  end_char_index: 17,
};
const MARS = {
  type: 'page_location',
  cited_text: 'Written on Mars.',
  document_index: 1,
  document_title: 'report.pdf',
  start_page_number: 1,
  end_page_number: 2,
};
/** Claude's answer as Anthropic returns a cited one: each cited span a text block of its own. */
const cited = [
  { type: 'text', text: 'According to the report, ', citations: null },
  { type: 'text', text: 'the sky is green', citations: [GREEN] },
  { type: 'text', text: ' and ', citations: null },
  { type: 'text', text: 'it was written on Mars', citations: [GREEN, MARS] },
  { type: 'text', text: '.', citations: null },
];
const claudeReply = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: cited,
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 50, output_tokens: 20 },
};
const gptReply = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'It is green.' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
};
const ask = (model: string, extra: Json = {}) => ({
  model,
  max_tokens: 200,
  messages: [
    {
      role: 'user',
      content: [
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: 'The sky is green.' },
          title: 'Sky report',
          citations: { enabled: true },
        },
        {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' },
          title: 'report.pdf',
          citations: { enabled: true },
        },
        { type: 'text', text: 'What colour is the sky, and where was this written?' },
      ],
    },
  ],
  ...extra,
});

/** gptReply as an OpenAI-format upstream streams it. */
const gptStream = [
  { choices: [{ index: 0, delta: { role: 'assistant', content: 'It is green.' } }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
]
  .map(
    (c) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', ...c })}\n\n`,
  )
  .join('')
  .concat('data: [DONE]\n\n');

async function appWith(claudeBody: string, gptBody = JSON.stringify(gptReply)) {
  const config = testConfig({ deployments: [claudeInput, gptInput], routers: [] });
  const toClaude = sequenceHttp([claudeBody]);
  const toGpt = recordingHttp(gptBody);
  const d = (name: string) => config.deployments.find((x) => x.name === name)!;
  const { app } = await buildTestApp(config, {
    claude: createAnthropicAdapter(d('claude'), toClaude.http, {}),
    gpt: createOpenAiAdapter(d('gpt'), toGpt.http, {}),
  });
  return { app, toClaude: toClaude.sent, toGpt: toGpt.sent };
}

describe("Claude's document citations, back to an Anthropic client", () => {
  it('come back in JSON as the cited text blocks Claude sent, without the warning', async () => {
    const { app, toClaude } = await appWith(JSON.stringify(claudeReply));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: ask('claude'),
    });
    expect(res.statusCode, res.body).toBe(200);
    // Claude was asked for them (messages-to-claude.test.ts).
    const sent = JSON.parse(toClaude[0]!.body) as { messages: { content: Json[] }[] };
    expect(sent.messages[0]!.content[0]).toMatchObject({ citations: { enabled: true } });
    expect(res.json().content).toEqual(cited);
    expect(String(res.headers['x-router-warnings'] ?? '')).not.toContain('citations');
    // The router's private field never reaches the client.
    expect(res.body).not.toContain('x_anthropic');
    // The SDK reads them.
    const message = await anthropicThroughInject(app).messages.create(
      ask('claude') as unknown as Anthropic.MessageCreateParamsNonStreaming,
    );
    expect((message.content[1] as Anthropic.TextBlock).citations).toEqual([GREEN]);
    await app.close();
  });

  it("stream as citations_delta events on their block, which ends where Claude's did", async () => {
    const { app } = await appWith(streamOf(claudeReply));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: ask('claude', { stream: true }),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(String(res.headers['x-router-warnings'] ?? '')).not.toContain('citations');
    expect(res.body).not.toContain('x_anthropic');
    const deltas = res.body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Json)
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => [e.index, (e.delta as Json).type]);
    expect(deltas).toEqual([
      [0, 'text_delta'],
      [1, 'text_delta'],
      [1, 'citations_delta'],
      [2, 'text_delta'],
      [3, 'text_delta'],
      [3, 'citations_delta'],
      [3, 'citations_delta'],
      [4, 'text_delta'],
    ]);
    // The SDK's stream accumulator gathers them into the blocks Claude sent.
    const message = await anthropicThroughInject(app)
      .messages.stream(ask('claude') as unknown as Anthropic.MessageStreamParams)
      .finalMessage();
    expect(message.content).toEqual(cited);
    await app.close();
  });

  it('an OpenAI-format upstream has none: the answer is text, and the warning says so (JSON and streamed)', async () => {
    for (const stream of [false, true]) {
      const { app } = await appWith('', stream ? gptStream : undefined);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: ask('gpt', { stream }),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['x-router-warnings']).toContain('citations not returned');
      expect(res.body).not.toContain('citations_delta');
      await app.close();
    }
  });

  it('a chat client served by Claude never gets the private field', async () => {
    const { app } = await appWith(JSON.stringify(claudeReply));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'claude', messages: [{ role: 'user', content: 'Sky?' }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().choices[0].message.content).toBe(cited.map((b) => b.text).join(''));
    expect(res.body).not.toContain('x_anthropic');
    await app.close();
  });
});

/** Anthropic's search result blocks (docs "Search results"; the SDK's `SearchResultBlockParam`). */
const RESULT = {
  type: 'search_result',
  source: 'https://wiki.example/sky',
  title: 'Sky facts',
  content: [{ type: 'text', text: 'The sky is green on Tuesdays.' }],
  citations: { enabled: true },
};
const TOOL_RESULT = { ...RESULT, source: 'https://kb.example/rain', title: 'Rain' };
const FROM_RESULT = {
  type: 'search_result_location',
  cited_text: 'The sky is green on Tuesdays.',
  search_result_index: 0,
  source: 'https://wiki.example/sky',
  title: 'Sky facts',
  start_block_index: 0,
  end_block_index: 0,
};
const searchAsk = (model: string) => ({
  model,
  max_tokens: 200,
  tools: [{ name: 'search', input_schema: { type: 'object' } }],
  messages: [
    { role: 'user', content: [RESULT, { type: 'text', text: 'What colour is the sky?' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'search', input: {} }] },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 't1', content: [TOOL_RESULT] }],
    },
  ],
});

// They were a 400 "not supported" whichever model served (hE sweep, 2026-12-07).
describe('search_result blocks (RAG citations)', () => {
  it('reach Claude as sent, in the turn and after the tool result, and its citations come back', async () => {
    const reply = {
      ...claudeReply,
      content: [{ type: 'text', text: 'It is green', citations: [FROM_RESULT] }],
    };
    const { app, toClaude } = await appWith(JSON.stringify(reply));
    const message = await anthropicThroughInject(app).messages.create(
      searchAsk('claude') as unknown as Anthropic.MessageCreateParamsNonStreaming,
    );
    expect(message.content).toEqual(reply.content);
    const sent = JSON.parse(toClaude[0]!.body) as { messages: { content: Json[] }[] };
    expect(sent.messages[0]!.content[0]).toEqual(RESULT);
    const turn = sent.messages[2]!.content;
    expect(turn[0]).toMatchObject({ type: 'tool_result', tool_use_id: 't1' });
    expect(turn.at(-1)).toEqual(TOOL_RESULT);
    await app.close();
  });

  it('reach an OpenAI-format model as text with their title and source, and the warning says no citations', async () => {
    const { app, toGpt } = await appWith('');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: searchAsk('gpt'),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-router-warnings']).toContain('citations not returned');
    const sent = JSON.parse(toGpt[0]!.body) as { messages: { content: unknown }[] };
    const text = JSON.stringify(sent.messages);
    for (const words of ['Sky facts', 'https://wiki.example/sky', 'green on Tuesdays', 'Rain'])
      expect(text).toContain(words);
    expect(text).not.toContain('search_result');
    await app.close();
  });

  it('are checked as Anthropic checks them', async () => {
    const { app } = await appWith('');
    for (const [block, message] of [
      [{ ...RESULT, title: undefined }, 'messages.0.content.0.title: Field required'],
      [
        { ...RESULT, content: [] },
        'messages.0.content.0.content: Input should be a non-empty list',
      ],
      [{ ...RESULT, content: [{ type: 'text', text: '' }] }, 'content.0.text: text content blocks'],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: { model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: [block] }] },
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.message).toContain(message);
    }
    await app.close();
  });
});

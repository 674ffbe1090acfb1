// Web search fixtures: deployments that search (Claude with Anthropic's web search, an OpenAI
// search model) and one that does not, Claude's answers after a search (JSON and streamed, with
// its search blocks and cited text), and an app over them whose upstreams record what they got.
import { buildTestApp } from './build-test-app.js';
import { recordingHttp, sequenceHttp } from './fake-http.js';
import { testConfig } from './test-config.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';

type DeploymentInput = ConfigInput['deployments'][number];
export type Json = Record<string, unknown>;

export const claude: DeploymentInput = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15, perWebSearch: 0.01 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
  capabilities: { webSearch: true },
};
export const searchGpt: DeploymentInput = {
  name: 'search-gpt',
  provider: 'openai',
  model: 'gpt-4o-mini-search-preview',
  prices: { inputPer1M: 0.15, outputPer1M: 0.6, perWebSearch: 0.0275 },
  contextWindow: 128000,
  maxOutputTokens: 16384,
  capabilities: { webSearch: true },
};
export const plainGpt: DeploymentInput = { ...searchGpt, name: 'gpt', model: 'gpt-4.1-nano' };
plainGpt.capabilities = {};
plainGpt.prices = { inputPer1M: 0.1, outputPer1M: 0.4 };

export const TEXT1 = 'The match ended 2-1. ';
export const TEXT2 = 'Tickets sold out.';
/** Claude's answer after one search: the search's blocks, then two cited text blocks. */
export const claudeSearched = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'text', text: '' },
    { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'match' } },
    {
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_1',
      content: [{ type: 'web_search_result', url: 'https://news.example/a', title: 'A' }],
    },
    {
      type: 'text',
      text: TEXT1,
      citations: [
        { type: 'web_search_result_location', url: 'https://news.example/a', title: 'A' },
        { type: 'web_search_result_location', url: 'https://news.example/a', title: 'A' },
      ],
    },
    {
      type: 'text',
      text: TEXT2,
      citations: [{ type: 'web_search_result_location', url: 'https://b.example/', title: 'B' }],
    },
  ],
  stop_reason: 'end_turn',
  usage: { input_tokens: 1000, output_tokens: 100, server_tool_use: { web_search_requests: 2 } },
};

export const sse = (events: Json[]) =>
  events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
/** The same answer streamed, as Anthropic streams search and citations. */
export const claudeSearchedStream = sse([
  {
    type: 'message_start',
    message: { id: 'msg_2', model: 'claude-sonnet-4-5', usage: { input_tokens: 1000 } },
  },
  {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'server_tool_use', id: 's1', name: 'web_search', input: {} },
  },
  {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'input_json_delta', partial_json: '{"query": "match"}' },
  },
  { type: 'content_block_stop', index: 0 },
  {
    type: 'content_block_start',
    index: 1,
    content_block: { type: 'web_search_tool_result', tool_use_id: 's1', content: [] },
  },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Before. ' } },
  { type: 'content_block_stop', index: 2 },
  {
    type: 'content_block_start',
    index: 3,
    content_block: { type: 'text', text: '', citations: [] },
  },
  {
    type: 'content_block_delta',
    index: 3,
    delta: {
      type: 'citations_delta',
      citation: { type: 'web_search_result_location', url: 'https://news.example/a', title: 'A' },
    },
  },
  { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: TEXT1 } },
  { type: 'content_block_stop', index: 3 },
  {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn' },
    usage: { output_tokens: 100, server_tool_use: { web_search_requests: 1 } },
  },
  { type: 'message_stop' },
]);

export const gptReply = (model: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
});

export async function appWith(
  deployments: DeploymentInput[],
  claudeReply: string | (string | { status: number; body: string })[] = JSON.stringify(
    claudeSearched,
  ),
  searchReply: Json = gptReply(searchGpt.model),
  appOptions: Parameters<typeof buildTestApp>[2] = {},
  configExtra: Partial<ConfigInput> = {},
) {
  const config = testConfig({
    deployments,
    routers: [{ name: 'model-router', modelSubset: deployments.map((d) => d.name) }],
    ...configExtra,
  });
  const toClaude = sequenceHttp(Array.isArray(claudeReply) ? claudeReply : [claudeReply]);
  const toSearch = recordingHttp(JSON.stringify(searchReply));
  const toGpt = recordingHttp(JSON.stringify(gptReply(plainGpt.model)));
  const d = (name: string) => config.deployments.find((x) => x.name === name)!;
  const adapters: Record<string, ReturnType<typeof createOpenAiAdapter>> = {};
  if (d('claude')) adapters.claude = createAnthropicAdapter(d('claude'), toClaude.http, {});
  if (d('search-gpt'))
    adapters['search-gpt'] = createOpenAiAdapter(d('search-gpt'), toSearch.http, {});
  if (d('gpt')) adapters.gpt = createOpenAiAdapter(d('gpt'), toGpt.http, {});
  const test = await buildTestApp(config, adapters, appOptions);
  return { ...test, toClaude: toClaude.sent, toSearch: toSearch.sent, toGpt: toGpt.sent };
}

/**
 * A Message as Anthropic streams it: text as a `text_delta` after its `citations_delta` events,
 * a server tool use's input as one `input_json_delta`, other blocks whole in their start.
 */
export function streamOf(message: Json): string {
  const events: Json[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { ...(message.usage as Json), output_tokens: 1 },
      },
    },
  ];
  (message.content as Json[]).forEach((block, index) => {
    if (block.type === 'text') {
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      for (const citation of (block.citations as Json[] | undefined) ?? [])
        events.push({
          type: 'content_block_delta',
          index,
          delta: { type: 'citations_delta', citation },
        });
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: block.text },
      });
    } else if (block.type === 'server_tool_use') {
      events.push({ type: 'content_block_start', index, content_block: { ...block, input: {} } });
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    } else events.push({ type: 'content_block_start', index, content_block: block });
    events.push({ type: 'content_block_stop', index });
  });
  const usage = message.usage as Json;
  events.push({
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens, server_tool_use: usage.server_tool_use },
  });
  events.push({ type: 'message_stop' });
  return sse(events);
}

const searchBlocks = (id: string) => [
  { type: 'server_tool_use', id, name: 'web_search', input: { query: id } },
  {
    type: 'web_search_tool_result',
    tool_use_id: id,
    content: [
      {
        type: 'web_search_result',
        url: `https://${id}.example/`,
        title: id,
        encrypted_content: `enc-${id}`,
      },
    ],
  },
];
/** Claude pausing a long turn of searches (`pause_turn`) after one search... */
export const claudePaused = {
  id: 'msg_p1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Looking. ' }, ...searchBlocks('s1')],
  stop_reason: 'pause_turn',
  usage: { input_tokens: 100, output_tokens: 10, server_tool_use: { web_search_requests: 1 } },
};
/** ...and going on when the paused turn is sent back: one more search, then the cited answer. */
export const claudeResumed = {
  id: 'msg_p2',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    ...searchBlocks('s2'),
    {
      type: 'text',
      text: 'Lyon won.',
      citations: [{ type: 'web_search_result_location', url: 'https://s2.example/', title: 's2' }],
    },
  ],
  stop_reason: 'end_turn',
  usage: { input_tokens: 300, output_tokens: 20, server_tool_use: { web_search_requests: 1 } },
};

type TestApp = Awaited<ReturnType<typeof appWith>>;

/** POST /v1/messages as an Anthropic client sends it. */
export const postMessages = (app: TestApp['app'], payload: Json) =>
  app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    payload,
  });

/** A chat client's search question (`web_search_options`), streamed unless told. */
export const askChatSearch = (app: TestApp['app'], stream = true, content = 'Who won?') =>
  app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: {
      model: 'model-router',
      stream,
      messages: [{ role: 'user', content }],
      web_search_options: {},
    },
  });

// Anthropic's web search tool on /v1/messages (Claude Code's WebSearch sends it): served as web
// search, routed only to deployments that search. Claude gets the client's tool whole; an OpenAI
// search model gets web_search_options, with a warning for what it cannot apply. The answer's
// citations come back as Anthropic's cited text blocks, in JSON and in a stream.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import {
  appWith,
  claude,
  claudeSearchedStream,
  gptReply,
  plainGpt,
  searchGpt,
  TEXT1,
  TEXT2,
  type Json,
  postMessages,
} from '../../../test/helpers/web-search-fixtures.js';

const TOOL = {
  type: 'web_search_20250305',
  name: 'web_search',
  max_uses: 5,
  allowed_domains: ['news.example'],
  user_location: { type: 'approximate', city: 'Lyon', country: 'FR' },
};
const ask = (extra: Json = {}) => ({
  model: 'model-router',
  max_tokens: 1024,
  tools: [TOOL],
  messages: [{ role: 'user', content: 'Who won the match last night?' }],
  ...extra,
});
const post = postMessages;

describe("Anthropic's web search tool on /v1/messages", () => {
  it('reaches Claude whole, and its cited text comes back as cited text blocks', async () => {
    const t = await appWith([claude, plainGpt]);
    const res = await post(t.app, ask());
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toClaude[0]!.body) as Json;
    expect(sent.tools).toEqual([TOOL]);
    expect(t.toGpt).toHaveLength(0);
    const body = res.json();
    // Claude's search blocks first, as Claude put them (messages-server-blocks.test.ts).
    expect(body.content.slice(2)).toEqual([
      {
        type: 'text',
        text: TEXT1,
        citations: [
          {
            type: 'web_search_result_location',
            url: 'https://news.example/a',
            title: 'A',
            cited_text: TEXT1,
            encrypted_index: '',
          },
        ],
      },
      {
        type: 'text',
        text: TEXT2,
        citations: [
          {
            type: 'web_search_result_location',
            url: 'https://b.example/',
            title: 'B',
            cited_text: TEXT2,
            encrypted_index: '',
          },
        ],
      },
    ]);
    expect(body.usage.server_tool_use).toEqual({ web_search_requests: 2 });
    await t.app.close();
  });

  it('reaches an OpenAI search model as web_search_options, naming what it cannot apply', async () => {
    const answer = 'Lyon won. Details follow.';
    const reply = gptReply(searchGpt.model) as { choices: { message: Json }[] };
    reply.choices[0]!.message = {
      role: 'assistant',
      content: answer,
      annotations: [
        {
          type: 'url_citation',
          url_citation: { start_index: 0, end_index: 9, url: 'https://news.example/', title: 'N' },
        },
      ],
    };
    const t = await appWith([searchGpt, plainGpt], undefined, reply);
    // Naming the tool in tool_choice asks for a search: no function of that name is sent.
    const res = await post(t.app, ask({ tool_choice: { type: 'tool', name: 'web_search' } }));
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toSearch[0]!.body) as Json;
    expect(sent.web_search_options).toEqual({
      user_location: { type: 'approximate', approximate: { city: 'Lyon', country: 'FR' } },
    });
    expect(sent).not.toHaveProperty('tools');
    expect(sent).not.toHaveProperty('tool_choice');
    expect(sent).not.toHaveProperty('x_anthropic_web_search');
    const warnings = String(res.headers['x-router-warnings']);
    expect(warnings).toContain('web search max_uses not applied');
    expect(warnings).toContain('web search allowed_domains not applied');
    expect(res.json().content).toEqual([
      {
        type: 'text',
        text: 'Lyon won.',
        citations: [
          expect.objectContaining({ url: 'https://news.example/', cited_text: 'Lyon won.' }),
        ],
      },
      { type: 'text', text: ' Details follow.', citations: null },
    ]);
    await t.app.close();
  });

  it("serves Claude Code's WebSearch request: streamed, the tool forced, an empty domain list beside the other", async () => {
    const t = await appWith([claude, plainGpt], claudeSearchedStream);
    const res = await post(t.app, {
      model: 'model-router',
      max_tokens: 8000,
      stream: true,
      system: [{ type: 'text', text: 'You are an assistant for performing a web search tool use' }],
      tools: [
        {
          type: 'web_search_20250305',
          name: 'web_search',
          allowed_domains: ['news.example'],
          blocked_domains: [],
          max_uses: 8,
        },
      ],
      tool_choice: { type: 'tool', name: 'web_search' },
      messages: [{ role: 'user', content: 'Perform a web search for the query: match results' }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toClaude[0]!.body) as Json;
    // The empty list filters nothing: Claude is not sent it; the forced choice is kept.
    expect(sent.tools).toEqual([
      {
        type: 'web_search_20250305',
        name: 'web_search',
        allowed_domains: ['news.example'],
        max_uses: 8,
      },
    ]);
    expect(sent.tool_choice).toEqual({ type: 'tool', name: 'web_search' });
    expect(res.body).toContain('"type":"citations_delta"');
    expect(res.body).toContain('https://news.example/a');
    await t.app.close();
  });

  it('is a 400 when no deployment searches, and when the tool is malformed', async () => {
    const t = await appWith([plainGpt]);
    const none = await post(t.app, ask());
    expect(none.statusCode).toBe(400);
    expect(none.json().error.message).toContain('web_search');
    for (const [tool, where] of [
      [{ ...TOOL, name: 'search' }, 'tools.0.name'],
      [{ ...TOOL, blocked_domains: ['x.example'] }, 'allowed_domains and blocked_domains'],
      [{ ...TOOL, max_uses: 0 }, 'tools.0.max_uses'],
    ] as const) {
      const res = await post(t.app, ask({ tools: [tool] }));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(where);
    }
    expect(t.toGpt).toHaveLength(0);
    await t.app.close();
  });

  it('streams the citations as citations_delta events of the text block they quote', async () => {
    const config = testConfig({
      deployments: [simDeployment('sim', { capabilities: { webSearch: true } })],
      routers: [{ name: 'model-router', modelSubset: ['sim'] }],
    });
    const { app } = await buildTestApp(config, simulatedAdapters(config));
    const res = await post(app as never, ask({ stream: true }));
    const events = res.body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Json);
    const text = events.map((e) => (e.delta as Json | undefined)?.text ?? '').join('');
    const cited = events.filter((e) => (e.delta as Json | undefined)?.type === 'citations_delta');
    expect(cited).toHaveLength(1);
    const citation = (cited[0]!.delta as Json).citation as Json;
    expect(citation.type).toBe('web_search_result_location');
    expect(citation.cited_text).toBe(text.slice(0, 150));
    expect(cited[0]!.index).toBe(0);
    await app.close();
  });

  it("the official SDKs read the citations: Anthropic's stream accumulator, OpenAI's annotations", async () => {
    const config = testConfig({
      deployments: [simDeployment('sim', { capabilities: { webSearch: true } })],
      routers: [{ name: 'model-router', modelSubset: ['sim'] }],
    });
    const { app } = await buildTestApp(config, simulatedAdapters(config));
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
      const message = await anthropic.messages
        .stream({
          model: 'model-router',
          max_tokens: 1024,
          tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }],
          messages: [{ role: 'user', content: 'Who won the match last night?' }],
        })
        .finalMessage();
      const block = message.content[0] as Anthropic.TextBlock;
      expect(block.citations).toEqual([
        expect.objectContaining({
          type: 'web_search_result_location',
          cited_text: block.text.slice(0, 150),
        }),
      ]);
      const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
      const completion = await openai.chat.completions.create({
        model: 'model-router',
        messages: [{ role: 'user', content: 'Who won the match last night?' }],
        web_search_options: { search_context_size: 'low' },
      });
      expect(completion.choices[0]!.message.annotations?.[0]?.url_citation.url).toMatch(
        /^https:\/\/example\.com\//,
      );
    } finally {
      await app.close();
    }
  });
});

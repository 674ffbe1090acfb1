// The Responses API's hosted web search tool, bridged to chat: a Claude deployment that searches
// (`capabilities.webSearch`) gets it as Anthropic's web search tool, which Claude may call; its
// searches come back as `web_search_call` items and its citations as `url_citation` annotations,
// JSON and streamed. Elsewhere it is left out with a warning, as before. It is not a need to search:
// routing is as without it. `web_search_call` items sent back are left out of the chat request.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createResponseStore } from '../../store/response-store.js';
import { urlCitationAnnotations } from './responses-reply.js';
import {
  appWith,
  claude,
  claudeSearched,
  claudeSearchedStream,
  plainGpt,
  searchGpt,
  type Json,
} from '../../../test/helpers/web-search-fixtures.js';

const SEARCH = {
  type: 'web_search',
  user_location: { type: 'approximate', city: 'Lyon', country: 'FR' },
  filters: { allowed_domains: ['news.example'] },
  search_context_size: 'low',
};
const app = (reply: string, deployment = claude) =>
  appWith([deployment], reply, undefined, { responses: createResponseStore(10) });
const post = (t: Awaited<ReturnType<typeof app>>, payload: Json) =>
  t.app.inject({ method: 'POST', url: '/v1/responses', payload });

describe("the Responses API's hosted web search, bridged", () => {
  it("reaches a Claude that searches as Anthropic's tool; its searches and citations come back", async () => {
    const t = await app(JSON.stringify(claudeSearched));
    const res = await post(t, {
      model: 'model-router',
      input: 'Who won the match last night?',
      tools: [SEARCH],
      include: ['web_search_call.action.sources'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toClaude[0]!.body) as Json;
    expect(sent.tools).toEqual([
      {
        type: 'web_search_20250305',
        name: 'web_search',
        user_location: { type: 'approximate', city: 'Lyon', country: 'FR' },
        allowed_domains: ['news.example'],
      },
    ]);
    expect(sent).not.toHaveProperty('tool_choice');
    expect(res.headers['x-router-warnings']).toBeUndefined();
    const output = res.json().output as Json[];
    expect(output.map((o) => o.type)).toEqual(['web_search_call', 'message']);
    expect(output[0]).toEqual({
      type: 'web_search_call',
      id: expect.stringMatching(/^ws_/),
      status: 'completed',
      action: {
        type: 'search',
        query: 'match',
        queries: ['match'],
        sources: [{ type: 'url', url: 'https://news.example/a' }],
      },
    });
    const part = (output[1]!.content as Json[])[0]!;
    expect(part.annotations).toEqual([
      expect.objectContaining({ type: 'url_citation', url: 'https://news.example/a' }),
      expect.objectContaining({ type: 'url_citation', url: 'https://b.example/' }),
    ]);
    await t.app.close();
  });

  it('streams the search as OpenAI does, and the official SDK gathers it', async () => {
    const t = await app(claudeSearchedStream);
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = openai.responses.stream({
        model: 'model-router',
        input: 'Who won the match last night?',
        tools: [{ type: 'web_search' }],
      });
      const all: string[] = [];
      stream.on('event', (e) => all.push(e.type));
      const final = await stream.finalResponse();
      const types = all.filter((e) => e.startsWith('response.web_search_call.'));
      // Done when its results come, before the text that follows them.
      expect(all.indexOf('response.web_search_call.completed')).toBeLessThan(
        all.indexOf('response.output_text.delta'),
      );
      expect(types).toEqual([
        'response.web_search_call.in_progress',
        'response.web_search_call.searching',
        'response.web_search_call.completed',
      ]);
      expect(final.output.map((o) => o.type)).toEqual(['web_search_call', 'message']);
      expect(final.output[0]).toMatchObject({
        type: 'web_search_call',
        status: 'completed',
        action: { type: 'search', query: 'match' },
      });
      expect(final.output_text).toContain('The match ended');
    } finally {
      await t.app.close();
    }
  });

  it('is neither answered from the answer cache nor kept in it (a search asks what the web says now)', async () => {
    const t = await appWith(
      [claude],
      JSON.stringify(claudeSearched),
      undefined,
      { responses: createResponseStore(10) },
      { cache: { enabled: true } },
    );
    const ask = { model: 'model-router', input: 'Who won?', tools: [SEARCH], store: false };
    const first = await post(t, ask);
    const again = await post(t, ask);
    expect(first.statusCode, first.body).toBe(200);
    expect([first.headers['x-router-cache'], again.headers['x-router-cache']]).toEqual([
      'bypass',
      'bypass',
    ]);
    expect(t.toClaude).toHaveLength(2);
    await t.app.close();
  });

  it('is left out with a warning where the deployment does not search', async () => {
    const t = await app(JSON.stringify(claudeSearched), { ...claude, capabilities: {} });
    const res = await post(t, { model: 'model-router', input: 'Hi', tools: [SEARCH] });
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.parse(t.toClaude[0]!.body)).not.toHaveProperty('tools');
    expect(String(res.headers['x-router-warnings'])).toContain('hosted tools dropped (web_search)');
    await t.app.close();
  });

  it('leaves the web_search_call items a client sends back out of the chat request', async () => {
    const t = await app(JSON.stringify(claudeSearched));
    const res = await post(t, {
      model: 'model-router',
      tools: [SEARCH],
      input: [
        { role: 'user', content: 'Who won the match last night?' },
        {
          type: 'web_search_call',
          id: 'ws_1',
          status: 'completed',
          action: { type: 'search', query: 'match' },
        },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Lyon won.', annotations: [] }],
        },
        { role: 'user', content: 'And the next one?' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toClaude[0]!.body) as { messages: Json[] };
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    await t.app.close();
  });

  it('forced (tool_choice web_search), is a need to search: only deployments that search serve it', async () => {
    const forced = { tools: [SEARCH], tool_choice: { type: 'web_search' } };
    const t = await appWith([claude, plainGpt], JSON.stringify(claudeSearched), undefined, {
      responses: createResponseStore(10),
    });
    const res = await post(t, { model: 'model-router', input: 'Who won?', ...forced });
    expect(res.statusCode, res.body).toBe(200);
    expect(t.toGpt).toHaveLength(0);
    expect(JSON.parse(t.toClaude[0]!.body).tool_choice).toEqual({
      type: 'tool',
      name: 'web_search',
    });
    await t.app.close();
    // An OpenAI search model gets web_search_options, with what it cannot apply named.
    const gpt = await appWith([searchGpt, plainGpt], undefined, undefined, {
      responses: createResponseStore(10),
    });
    const viaGpt = await post(gpt, { model: 'model-router', input: 'Who won?', ...forced });
    expect(viaGpt.statusCode, viaGpt.body).toBe(200);
    expect(gpt.toGpt).toHaveLength(0);
    const sent = JSON.parse(gpt.toSearch[0]!.body) as Json;
    expect(sent.web_search_options).toEqual({
      user_location: { type: 'approximate', approximate: { city: 'Lyon', country: 'FR' } },
      search_context_size: 'low',
    });
    expect(sent).not.toHaveProperty('tool_choice');
    const warnings = String(viaGpt.headers['x-router-warnings']);
    expect(warnings).not.toContain('hosted tools dropped');
    expect(warnings).toContain('web search allowed_domains not applied');
    await gpt.app.close();
    // Nothing that searches: the usual 400 naming the rule; a forced tool not in tools: a 400.
    const none = await appWith([plainGpt], undefined, undefined, {
      responses: createResponseStore(10),
    });
    const refused = await post(none, { model: 'model-router', input: 'Who won?', ...forced });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('web_search');
    const missing = await post(none, {
      model: 'model-router',
      input: 'Who won?',
      tool_choice: { type: 'web_search_preview' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.param).toBe('tool_choice');
    expect(none.toGpt).toHaveLength(0);
    await none.app.close();
  });
});

describe("chat's url_citation annotations on the Responses API", () => {
  it('are flat, with their span kept', () => {
    const cited = { start_index: 4, end_index: 9, url: 'https://a.example/', title: 'A' };
    expect(
      urlCitationAnnotations([
        { type: 'url_citation', url_citation: cited },
        { type: 'file_citation', file_citation: {} },
      ]),
    ).toEqual([{ type: 'url_citation', ...cited }]);
  });
});

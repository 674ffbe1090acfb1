// Chat's `web_search_options`: routed only to deployments that search (`capabilities.webSearch`),
// sent as is to an OpenAI-format search model and as Claude's web search tool to Anthropic, the
// citations coming back as `url_citation` annotations (JSON and stream), each search priced by
// `prices.perWebSearch`; a malformed value is a 400 naming it.
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import {
  appWith,
  claude,
  claudeSearchedStream,
  plainGpt,
  searchGpt,
  TEXT1,
  TEXT2,
  type Json,
} from '../../test/helpers/web-search-fixtures.js';

const ask = (extra: Json = {}) => ({
  model: 'model-router',
  messages: [{ role: 'user', content: 'Who won the match last night?' }],
  web_search_options: {
    user_location: { type: 'approximate', approximate: { city: 'Lyon', country: 'FR' } },
  },
  ...extra,
});

describe('web_search_options', () => {
  it('is routed only to deployments that search, and sent as is to an OpenAI search model', async () => {
    const t = await appWith([plainGpt, searchGpt]);
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: ask() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('search-gpt');
    expect(t.toGpt).toHaveLength(0);
    expect(JSON.parse(t.toSearch[0]!.body).web_search_options).toEqual(ask().web_search_options);
    // It searches on every request that asks: one search at its price, beside the tokens.
    expect(t.records[0]!.costUsd).toBeCloseTo((1000 * 0.15 + 100 * 0.6) / 1e6 + 0.0275, 9);
    // Without it, the cheaper model that does not search serves.
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask({ web_search_options: undefined }),
    });
    expect(plain.headers['x-router-deployment']).toBe('gpt');
    expect(t.records[1]!.costUsd).toBeCloseTo((1000 * 0.1 + 100 * 0.4) / 1e6, 9);
    await t.app.close();
  });

  it('is a 400 naming web_search when no deployment of the router searches', async () => {
    const t = await appWith([plainGpt]);
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: ask() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('no_eligible_deployment');
    expect(res.json().error.exclusions).toEqual([{ deployment: 'gpt', failed: ['web_search'] }]);
    expect(t.toGpt).toHaveLength(0);
    await t.app.close();
  });

  it('reaches Claude as its web search tool, its citations coming back as url_citation annotations', async () => {
    const t = await appWith([claude, plainGpt]);
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: ask() });
    expect(res.statusCode).toBe(200);
    const sent = JSON.parse(t.toClaude[0]!.body) as Json;
    expect(sent.tools).toEqual([
      {
        type: 'web_search_20250305',
        name: 'web_search',
        user_location: { type: 'approximate', city: 'Lyon', country: 'FR' },
      },
    ]);
    expect(sent).not.toHaveProperty('web_search_options');
    const message = res.json().choices[0].message;
    // The search's own blocks are not part of the message; no tool call is made up from them.
    expect(message.content).toBe(TEXT1 + TEXT2);
    expect(message).not.toHaveProperty('tool_calls');
    expect(message.annotations).toEqual([
      {
        type: 'url_citation',
        url_citation: {
          start_index: 0,
          end_index: TEXT1.length,
          url: 'https://news.example/a',
          title: 'A',
        },
      },
      {
        type: 'url_citation',
        url_citation: {
          start_index: TEXT1.length,
          end_index: TEXT1.length + TEXT2.length,
          url: 'https://b.example/',
          title: 'B',
        },
      },
    ]);
    // Anthropic's count of searches, in the usage and in the cost.
    expect(res.json().usage.server_tool_use).toEqual({ web_search_requests: 2 });
    expect(t.records[0]!.costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6 + 2 * 0.01, 9);
    await t.app.close();
  });

  it('streams from Claude with the citations as annotations, and no search input as a tool call', async () => {
    const t = await appWith([claude], claudeSearchedStream);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask({ stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.statusCode).toBe(200);
    const chunks = res.body
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as Json);
    const deltas = chunks.flatMap((c) => (c.choices as { delta: Json }[]).map((ch) => ch.delta));
    expect(deltas.some((d) => d.tool_calls)).toBe(false);
    expect(deltas.map((d) => d.content ?? '').join('')).toBe(`Before. ${TEXT1}`);
    expect(deltas.flatMap((d) => (d.annotations as unknown[]) ?? [])).toEqual([
      {
        type: 'url_citation',
        url_citation: {
          start_index: 'Before. '.length,
          end_index: 'Before. '.length + TEXT1.length,
          url: 'https://news.example/a',
          title: 'A',
        },
      },
    ]);
    expect(t.records[0]!.costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6 + 0.01, 9);
    await t.app.close();
  });

  it.each([
    [{ web_search_options: 'yes' }, 'web_search_options'],
    [
      { web_search_options: { search_context_size: 'huge' } },
      'web_search_options.search_context_size',
    ],
    [
      { web_search_options: { user_location: { city: 'Lyon' } } },
      'web_search_options.user_location',
    ],
    [
      { web_search_options: { user_location: { type: 'approximate', approximate: { city: 5 } } } },
      'web_search_options.user_location.approximate.city',
    ],
  ])('%j is a 400 naming %s', async (extra, param) => {
    const t = await appWith([searchGpt]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask(extra),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
    expect(t.toSearch).toHaveLength(0);
    await t.app.close();
  });
});

describe('the simulated fleet', () => {
  it('answers a search with a url_citation over its text, in JSON and in a stream', async () => {
    const config = testConfig({
      deployments: [simDeployment('sim', { capabilities: { webSearch: true } })],
      routers: [{ name: 'model-router', modelSubset: ['sim'] }],
      cache: { enabled: true },
    });
    const t = await buildTestApp(config, simulatedAdapters(config));
    const json = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask(),
    });
    const message = json.json().choices[0].message;
    expect(message.annotations).toEqual([
      expect.objectContaining({
        type: 'url_citation',
        url_citation: expect.objectContaining({
          start_index: 0,
          end_index: message.content.length,
        }),
      }),
    ]);
    // A search asks what the web says now: the answer cache neither serves nor keeps it.
    expect(json.headers['x-router-cache']).toBe('bypass');
    const stream = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask({ stream: true }),
    });
    expect(stream.body).toContain('"annotations":[{"type":"url_citation"');
    expect(stream.headers['x-router-cache']).toBe('bypass');
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask(),
    });
    expect(again.headers['x-router-cache']).toBe('bypass');
    // The same question without a search is cached as before.
    const plain = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: ask({ web_search_options: undefined }),
      });
    expect((await plain()).headers['x-router-cache']).toBe('miss');
    expect((await plain()).headers['x-router-cache']).toBe('hit');
    await t.app.close();
  });
});

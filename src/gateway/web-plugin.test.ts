// OpenRouter's web plugin (`plugins: [{"id": "web"}]`) is served as chat's web search: routed only
// to deployments that search, whose answer cites its pages; what OpenRouter's own search engine
// would have done besides is named in x-router-warnings.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

async function fleet(withResponses = false) {
  const config = testConfig({
    deployments: [
      simDeployment('searcher', {
        prices: { inputPer1M: 3, outputPer1M: 15, perWebSearch: 0.01 },
        capabilities: { webSearch: true },
      }),
      simDeployment('cheap', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['searcher', 'cheap'] }],
  });
  return buildTestApp(
    config,
    simulatedAdapters(config),
    withResponses ? { responses: createResponseStore(10) } : {},
  );
}

const ask = (plugins: unknown) => ({
  model: 'model-router',
  messages: [{ role: 'user', content: 'What is the weather in Lyon?' }],
  plugins,
});

describe("OpenRouter's web plugin", () => {
  it('routes to a deployment that searches, and its answer cites a page', async () => {
    const { app, records } = await fleet();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask([{ id: 'web' }]),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('searcher');
    expect(res.json().choices[0].message.annotations[0].type).toBe('url_citation');
    // Nothing to say: the plugin was applied as asked.
    expect(res.headers['x-router-warnings']).toBeUndefined();
    expect(records[0]!.costUsd).toBeGreaterThan(0.01);
    await app.close();
  });

  it("names OpenRouter's engine options it does not apply", async () => {
    const { app } = await fleet();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask([{ id: 'web', engine: 'exa', max_results: 3 }, { id: 'context-compression' }]),
    });
    expect(res.headers['x-router-deployment']).toBe('searcher');
    const warnings = String(res.headers['x-router-warnings']);
    expect(warnings).toContain('plugins[0].engine "exa" not applied');
    expect(warnings).toContain('plugins[0].max_results not applied');
    expect(warnings).not.toContain('"web" not applied');
    await app.close();
  });

  it('asks nothing when disabled, and keeps the request its own web_search_options', async () => {
    const { app } = await fleet();
    const off = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask([{ id: 'web', enabled: false }]),
    });
    expect(off.headers['x-router-deployment']).toBe('cheap');
    const own = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        ...ask([{ id: 'web' }]),
        web_search_options: {
          user_location: { type: 'approximate', approximate: { city: 'Lyon' } },
        },
      },
    });
    expect(own.json().choices[0].message.annotations[0].url_citation.title).toContain('Lyon');
    await app.close();
  });

  it("cites its pages on the Responses API too: output_text's url_citation annotations, JSON and streamed", async () => {
    const { app } = await fleet(true);
    const json = await app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'model-router',
        input: 'What is the weather in Lyon?',
        plugins: [{ id: 'web' }],
      },
    });
    expect(json.statusCode, json.body).toBe(200);
    const part = json.json().output.at(-1).content[0];
    const [annotation] = part.annotations;
    expect(annotation).toEqual({
      type: 'url_citation',
      start_index: expect.any(Number),
      end_index: expect.any(Number),
      url: expect.stringMatching(/^https:\/\/example\.com\//),
      title: expect.any(String),
    });
    // The chat answer's citation of the same prompt, flat.
    const chat = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask([{ id: 'web' }]),
    });
    const [cited] = chat.json().choices[0].message.annotations;
    expect(annotation).toEqual({ type: 'url_citation', ...cited.url_citation });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = openai.responses.stream({
        model: 'model-router',
        input: 'What is the weather in Lyon?',
        plugins: [{ id: 'web' }],
      } as never);
      const added: unknown[] = [];
      stream.on('response.output_text.annotation.added', (e) => added.push(e.annotation));
      const final = await stream.finalResponse();
      expect(added).toEqual([annotation]);
      const message = final.output.find((o) => o.type === 'message');
      expect(message?.type === 'message' && message.content[0]).toMatchObject({
        type: 'output_text',
        annotations: [annotation],
      });
    } finally {
      await app.close();
    }
  });
});

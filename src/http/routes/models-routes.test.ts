// `GET /v1/models/{id}` (and Azure's `/openai/v1/models/{id}`) answers with the very entry the list
// holds for that id, and an unknown id gets OpenAI's 404 (`model_not_found`, param `model`).
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ConfigInput } from '../../config/schema.js';

async function app() {
  const config = testConfig({
    deployments: [
      simDeployment('big', { prices: { inputPer1M: 10, outputPer1M: 30 } }),
      simDeployment('small', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
      simDeployment('org/llama-3', { region: 'swedencentral', dataZone: 'eu' }),
    ] as ConfigInput['deployments'],
    routers: [{ name: 'model-router', modelSubset: ['big', 'small'] }],
    pools: [{ name: 'gpt-pool', deployments: ['big', 'small'], strategy: 'priority' }],
  });
  return (await buildTestApp(config, {})).app;
}

describe('GET /v1/models/{id}', () => {
  it.each(['/v1', '/openai/v1'])(
    '%s: a router, a pool and a deployment each answer with their full list entry',
    async (prefix) => {
      const a = await app();
      const list = (await a.inject({ method: 'GET', url: `${prefix}/models` })).json() as {
        data: { id: string; type: string }[];
      };
      expect(list.data.map((m) => m.type)).toEqual([
        'router',
        'pool',
        'deployment',
        'deployment',
        'deployment',
      ]);
      for (const entry of list.data) {
        const one = await a.inject({
          method: 'GET',
          url: `${prefix}/models/${encodeURIComponent(entry.id)}`,
        });
        expect(one.statusCode).toBe(200);
        expect(one.json()).toEqual(entry);
      }
      const router = await a.inject({ method: 'GET', url: `${prefix}/models/model-router` });
      expect(router.json()).toMatchObject({
        id: 'model-router',
        object: 'model',
        type: 'router',
        model_subset: ['big', 'small'],
      });
      const deployment = await a.inject({ method: 'GET', url: `${prefix}/models/big` });
      expect(deployment.json()).toMatchObject({
        type: 'deployment',
        prices_per_1m_usd: { inputPer1M: 10, outputPer1M: 30 },
        capabilities: { tools: true },
      });
    },
  );

  it('finds a name with a slash, sent encoded (as the openai SDK sends it) or raw', async () => {
    const a = await app();
    for (const url of ['/v1/models/org%2Fllama-3', '/v1/models/org/llama-3']) {
      const one = await a.inject({ method: 'GET', url });
      expect(one.statusCode, url).toBe(200);
      expect(one.json()).toMatchObject({ id: 'org/llama-3', data_zone: 'eu' });
    }
  });

  it.each(['/v1', '/openai/v1'])('%s: an unknown id is a 404 model_not_found', async (prefix) => {
    const a = await app();
    const res = await a.inject({ method: 'GET', url: `${prefix}/models/gpt-9` });
    expect(res.statusCode).toBe(404);
    const { error } = res.json() as { error: Record<string, unknown> };
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
    expect(error.message).toMatch(/^The model 'gpt-9' does not exist\. GET \/v1\/models lists/);
  });

  it("an Anthropic client gets Anthropic's model object, and its 404 shape", async () => {
    const a = await app();
    const headers = { 'anthropic-version': '2023-06-01' };
    const one = await a.inject({ method: 'GET', url: '/v1/models/big', headers });
    expect(one.json()).toEqual({
      type: 'model',
      id: 'big',
      display_name: 'big',
      created_at: '2025-01-01T00:00:00.000Z',
    });
    const missing = await a.inject({ method: 'GET', url: '/v1/models/gpt-9', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringMatching(/^The model 'gpt-9'/) },
    });
  });
});

// Azure's deployment paths (`/openai/deployments/{name}/…`), where the URL names the deployment:
// errors about that name say it came from the URL (not a `model` the client never sent), and
// the retired On Your Data path (`…/extensions/chat/completions`) says where its requests go now.
// The router sends no `x-ms-region` of its own (docs/concepts.md "Data zones and deployment types").
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { OPENAI_REPLY, upstreamDeployment } from '../../test/helpers/recorded-upstreams.js';
import type { HttpClient } from '../providers/http-client.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import {
  simEmbeddingDeployment,
  testConfig,
  testConfigInput,
} from '../../test/helpers/test-config.js';

async function app() {
  const config = testConfig({
    deployments: [...testConfigInput().deployments, simEmbeddingDeployment('embed')],
  });
  return buildTestApp(config, {});
}

const ask = { messages: [{ role: 'user', content: 'Hi' }] };

describe('Azure deployment paths', () => {
  it("the retired extensions path is a 404 in Azure's shape naming the path and data_sources to use", async () => {
    const t = await app();
    const res = await t.app.inject({
      method: 'POST',
      url: '/openai/deployments/model-router/extensions/chat/completions?api-version=2023-12-01-preview',
      payload: { ...ask, dataSources: [{ type: 'AzureCognitiveSearch', parameters: {} }] },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['apim-request-id']).toBe(res.headers['x-request-id']);
    const error = res.json().error;
    expect(error).toMatchObject({ code: '404', param: null, type: 'invalid_request_error' });
    expect(error.message).toContain('POST /openai/deployments/model-router/chat/completions');
    expect(error.message).toContain('data_sources');
    await t.app.close();
  });

  it('a deployment of the wrong kind named in the path is a 400 saying so, with no model param', async () => {
    const t = await app();
    const chat = await t.app.inject({
      method: 'POST',
      url: '/openai/deployments/embed/chat/completions?api-version=2024-10-21',
      payload: ask,
    });
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toMatchObject({ code: 'model_not_chat', param: null });
    expect(chat.json().error.message).toContain('"embed", the deployment named in the URL');
    expect(chat.json().error.message).toContain('POST /openai/deployments/embed/embeddings');

    const embeddings = await t.app.inject({
      method: 'POST',
      url: '/openai/v1/deployments/small/embeddings',
      payload: { input: 'Hi' },
    });
    expect(embeddings.statusCode).toBe(400);
    expect(embeddings.json().error).toMatchObject({ code: 'model_not_embeddings', param: null });
    expect(embeddings.json().error.message).toContain('"small", the deployment named in the URL');
    expect(embeddings.json().error.message).toContain(
      'POST /openai/deployments/small/chat/completions',
    );

    // A router named in the path: routers route chat.
    const router = await t.app.inject({
      method: 'POST',
      url: '/openai/deployments/model-router/embeddings?api-version=2024-10-21',
      payload: { input: 'Hi' },
    });
    expect(router.statusCode).toBe(400);
    expect(router.json().error).toMatchObject({ code: 'model_not_embeddings', param: null });
    expect(router.json().error.message).toContain('in the URL');

    // The body's `model` on the plain paths is still named as `model`.
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'small', input: 'Hi' },
    });
    expect(plain.json().error).toMatchObject({ code: 'model_not_embeddings', param: 'model' });
    await t.app.close();
  });

  it("an Azure upstream's x-ms-region comes through as x-upstream-x-ms-region; the router sends none of its own", async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ ...OPENAI_REPLY, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], usage: undefined })}\n\n`;
    const http = {
      request: async (r: { body?: string }) => ({
        status: 200,
        headers: { 'x-ms-region': 'Sweden Central' },
        body: (async function* () {
          yield Buffer.from(
            JSON.parse(r.body ?? '{}').stream
              ? `${chunk({ role: 'assistant', content: 'four' })}${chunk({}, 'stop')}data: [DONE]\n\n`
              : JSON.stringify(OPENAI_REPLY),
          );
        })(),
      }),
      close: async () => {},
    } as unknown as HttpClient;
    const az = upstreamDeployment('az', 'azure', {
      baseUrl: 'https://r.openai.azure.com',
      apiVersion: '2024-10-21',
      region: 'swedencentral',
    });
    const config = testConfig({ deployments: [az], routers: [] });
    const t = await buildTestApp(config, {
      az: createOpenAiAdapter(config.deployments[0]!, http, {}),
    });
    for (const stream of [true, false]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/openai/deployments/az/chat/completions?api-version=2024-10-21',
        payload: { ...ask, stream },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-upstream-x-ms-region'], `stream: ${stream}`).toBe('Sweden Central');
      expect(res.headers['x-router-region']).toBe('swedencentral');
      expect(res.headers['x-ms-region']).toBeUndefined();
    }
    await t.app.close();
  });
});

// A realtime model named where another kind is asked for is a 400 telling the client how a
// realtime model is reached: a WebSocket, opened with a GET upgrade naming it in the query
// (`/v1/realtime?model=`, Azure's dated `/openai/realtime?…&deployment=`), the only way this router
// serves realtime. Before 2026-12-07 the message said `POST /v1/realtime`, which is no route.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  testConfig,
  testConfigInput,
} from '../../test/helpers/test-config.js';

async function app() {
  const config = testConfig({
    deployments: [
      ...testConfigInput().deployments,
      simEmbeddingDeployment('embed'),
      simDeployment('rt voice', { kind: 'realtime', maxOutputTokens: undefined }),
    ],
  });
  return buildTestApp(config, {});
}

const ask = { messages: [{ role: 'user', content: 'Hi' }] };

describe('a realtime model named for another kind of request', () => {
  it('says to open a WebSocket on /v1/realtime?model=, not a POST', async () => {
    const t = await app();
    const chat = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...ask, model: 'rt voice' },
    });
    expect(chat.statusCode).toBe(400);
    const error = chat.json().error;
    expect(error).toMatchObject({ code: 'model_not_chat', param: 'model' });
    expect(error.message).toContain('a WebSocket: GET /v1/realtime?model=rt%20voice');
    expect(error.message).not.toContain('POST /v1/realtime');

    const embeddings = await t.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'rt voice', input: 'Hi' },
    });
    expect(embeddings.statusCode).toBe(400);
    expect(embeddings.json().error).toMatchObject({ code: 'model_not_embeddings', param: 'model' });
    expect(embeddings.json().error.message).toContain(
      'a WebSocket: GET /v1/realtime?model=rt%20voice',
    );
    await t.app.close();
  });

  it("named in an Azure deployment path: Azure's realtime WebSocket path with it as deployment", async () => {
    const t = await app();
    const chat = await t.app.inject({
      method: 'POST',
      url: '/openai/deployments/rt%20voice/chat/completions?api-version=2024-10-21',
      payload: ask,
    });
    expect(chat.statusCode).toBe(400);
    const error = chat.json().error;
    expect(error).toMatchObject({ code: 'model_not_chat', param: null });
    expect(error.message).toContain('"rt voice", the deployment named in the URL');
    expect(error.message).toContain(
      'a WebSocket: GET /openai/realtime?api-version=…&deployment=rt%20voice',
    );
    await t.app.close();
  });
});

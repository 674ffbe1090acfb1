// The official `openai` package's AzureOpenAI class set up for Azure's v1 API (`baseURL` ending in
// `/openai/v1`, `apiVersion: 'v1'`), and the plain OpenAI class on the same baseURL as Microsoft's
// v1 docs show, against the in-process router on a loopback port: JSON and streamed chat, with the
// SDK's `deployment` option and without, and embeddings. AzureOpenAI puts the deployment (the
// option, else the body's `model`) into the path: `/openai/v1/deployments/{name}/chat/completions`
// (chat-routes.ts AZURE_DEPLOYMENT_PATHS); the plain client calls `/openai/v1/chat/completions`.
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { listenInRange } from '../helpers/listen-in-range.js';
import { simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';

let rt: Runtime;
let base = '';
/** Every request the SDK clients sent: method and URL path with query. */
const sent: string[] = [];

/** Notes each request's method and path before sending it as the SDK would. */
const noting: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  sent.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
  return fetch(input, init);
};

beforeAll(async () => {
  const input = testConfigInput();
  input.deployments.push(simEmbeddingDeployment('emb'));
  rt = await createRuntime(parseConfig(input, {}).config);
  const port = await listenInRange(
    (p) => rt.app.listen({ host: '127.0.0.1', port: p }),
    19_450,
    19_499,
  );
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => rt?.close());

const azure = (deployment?: string) =>
  new AzureOpenAI({
    baseURL: `${base}/openai/v1`,
    apiVersion: 'v1',
    apiKey: 'unused',
    maxRetries: 0,
    fetch: noting,
    ...(deployment ? { deployment } : {}),
  });

const hi = [{ role: 'user' as const, content: 'hi' }];

async function streamedText(
  stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>,
): Promise<{ text: string; models: Set<string> }> {
  let text = '';
  const models = new Set<string>();
  for await (const c of stream) {
    models.add(c.model);
    text += c.choices[0]?.delta?.content ?? '';
  }
  return { text, models };
}

describe('AzureOpenAI on the v1 API (baseURL …/openai/v1, apiVersion v1)', () => {
  it('with the deployment option: JSON and streamed chat on /openai/v1/deployments/{deployment}/…', async () => {
    const client = azure('big');
    sent.length = 0;
    // The path names the deployment, as on Azure's deployment paths: `model` does not decide.
    const res = await client.chat.completions.create({ model: 'small', messages: hi });
    expect(res.model).toBe('big-sim');
    expect(res.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({
      model: 'small',
      messages: hi,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, models } = await streamedText(stream);
    expect(text.length).toBeGreaterThan(0);
    expect([...models]).toEqual(['big-sim']);
    expect(sent).toEqual([
      'POST /openai/v1/deployments/big/chat/completions?api-version=v1',
      'POST /openai/v1/deployments/big/chat/completions?api-version=v1',
    ]);
  });

  it('without it: the body’s model goes into the path; a router deployment routes', async () => {
    const client = azure();
    sent.length = 0;
    const res = await client.chat.completions.create({ model: 'mid', messages: hi });
    expect(res.model).toBe('mid-sim');
    const routed = await client.chat.completions.create({
      model: 'model-router',
      messages: hi,
      stream: true,
    });
    const { text, models } = await streamedText(routed);
    expect(text.length).toBeGreaterThan(0);
    expect(models.size).toBe(1);
    expect(['big-sim', 'mid-sim', 'small-sim']).toContain([...models][0]);
    expect(sent).toEqual([
      'POST /openai/v1/deployments/mid/chat/completions?api-version=v1',
      'POST /openai/v1/deployments/model-router/chat/completions?api-version=v1',
    ]);
  });

  it('embeddings go the same way', async () => {
    sent.length = 0;
    const res = await azure('emb').embeddings.create({ model: 'emb', input: 'hello' });
    expect(res.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(sent).toEqual(['POST /openai/v1/deployments/emb/embeddings?api-version=v1']);
  });

  it('an unknown deployment in the path is Azure’s DeploymentNotFound 404, not a missing route', async () => {
    const err = await azure('nope')
      .chat.completions.create({ model: 'nope', messages: hi })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('DeploymentNotFound');
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).message).toContain('nope');
  });

  it('api-version may be left out on the v1 path (as on the v1 API), but not be wrong', async () => {
    const path = `${base}/openai/v1/deployments/big/chat/completions`;
    const body = JSON.stringify({ messages: hi });
    const post = (url: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const plain = await post(path);
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { model: string }).model).toBe('big-sim');
    const wrong = await post(`${path}?api-version=banana`);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { param: string } }).error.param).toBe('api-version');
    // The dated path still requires it.
    const dated = await post(`${base}/openai/deployments/big/chat/completions`);
    expect(dated.status).toBe(400);
  });
});

describe('the plain OpenAI client on Azure’s v1 baseURL (Microsoft’s v1 docs)', () => {
  it('JSON and streamed chat on /openai/v1/chat/completions, the deployment in `model`', async () => {
    const client = new OpenAI({
      baseURL: `${base}/openai/v1/`,
      apiKey: 'unused',
      maxRetries: 0,
      fetch: noting,
    });
    sent.length = 0;
    const res = await client.chat.completions.create({ model: 'small', messages: hi });
    expect(res.model).toBe('small-sim');
    const { text, models } = await streamedText(
      await client.chat.completions.create({ model: 'small', messages: hi, stream: true }),
    );
    expect(text.length).toBeGreaterThan(0);
    expect([...models]).toEqual(['small-sim']);
    expect(sent).toEqual(['POST /openai/v1/chat/completions', 'POST /openai/v1/chat/completions']);
  });
});

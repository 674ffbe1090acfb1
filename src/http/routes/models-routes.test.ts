// `GET /v1/models/{id}` (and Azure's `/openai/v1/models/{id}` and `/openai/models/{id}`) answers
// with the very entry the list holds for that id, and an unknown id gets OpenAI's 404
// (`model_not_found`, param `model`). Each entry's capabilities and limits are those of its kind.
import { describe, expect, it } from 'vitest';
import { anthropicThroughInject } from '../../../test/helpers/anthropic-through-inject.js';
import { buildTestApp, simulatedAdapters } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import {
  simEmbeddingDeployment,
  simDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import { loadConfigFile } from '../../config/load-config.js';
import type { ConfigInput } from '../../config/schema.js';
import { ANONYMOUS, type AuthContext } from '../../gateway/gateway-types.js';
import type { Authenticator } from '../auth-hook.js';

/** Keys by their Bearer value: one scoped to the router, one whose subset is `small` only. */
const KEYS: Record<string, AuthContext> = {
  'Bearer router-only': { keyId: 'r', tenant: 't', admin: false, scopes: ['model-router'] },
  'Bearer small-only': {
    keyId: 's',
    tenant: 't',
    admin: false,
    scopes: ['*'],
    modelSubset: ['small'],
  },
};
const byKey: Authenticator = {
  authenticate: (headers) => KEYS[String(headers.authorization)] ?? ANONYMOUS,
};

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
  const adapters = Object.fromEntries(
    ['big', 'small', 'org/llama-3'].map((n) => [n, fakeAdapter(`${n}-model`, [{ reply: 'ok' }])]),
  );
  return (await buildTestApp(config, adapters, { authenticator: byKey })).app;
}

describe('GET /v1/models/{id}', () => {
  it.each(['/v1', '/openai/v1', '/openai'])(
    '%s: a router, a pool and a deployment each answer with their full list entry',
    async (prefix) => {
      const a = await app();
      const list = (
        await a.inject({ method: 'GET', url: `${prefix}/models?api-version=2024-10-21` })
      ).json() as {
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

  it("Azure's dated path takes no api-version or a real one, and names a wrong one", async () => {
    const a = await app();
    expect((await a.inject({ method: 'GET', url: '/openai/models' })).statusCode).toBe(200);
    const bad = await a.inject({ method: 'GET', url: '/openai/models?api-version=yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toContain('api-version');
  });

  it.each(['/v1', '/openai/v1', '/openai'])(
    '%s: an unknown id is a 404 model_not_found',
    async (prefix) => {
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
    },
  );

  it("an Anthropic client gets Anthropic's model object, and its 404 shape", async () => {
    const a = await app();
    const headers = { 'anthropic-version': '2023-06-01' };
    const one = await a.inject({ method: 'GET', url: '/v1/models/big', headers });
    expect(one.json()).toEqual({
      type: 'model',
      id: 'big',
      display_name: 'big',
      created_at: '2025-01-01T00:00:00.000Z',
      max_input_tokens: 128_000,
      max_tokens: 16_384,
      capabilities: null,
      lifecycle: 'active',
      deprecated_at: null,
      retires_at: null,
      line: null,
    });
    // Its list holds what /v1/messages can serve: no embedding model, nor a pool of them.
    const withEmbeddings = testConfig({
      deployments: [
        simDeployment('big'),
        simEmbeddingDeployment('embed'),
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['big'] }],
      pools: [
        { name: 'chat-pool', deployments: ['big'], strategy: 'priority' },
        { name: 'embed-pool', deployments: ['embed'], strategy: 'priority' },
      ],
    });
    const e = (
      await buildTestApp(withEmbeddings, {
        big: fakeAdapter('big-model', [{ reply: 'ok' }]),
        embed: fakeAdapter('embed-model', [{ reply: 'ok' }]),
      })
    ).app;
    const listed = async (h: Record<string, string>) =>
      (
        (await e.inject({ method: 'GET', url: '/v1/models', headers: h })).json() as {
          data: { id: string }[];
        }
      ).data.map((m) => m.id);
    expect(await listed(headers)).toEqual(['model-router', 'chat-pool', 'big']);
    expect(await listed({})).toEqual(['model-router', 'chat-pool', 'embed-pool', 'big', 'embed']);
    // `/{id}` agrees with the list: what it leaves out is not found (Anthropic audit F1), for an
    // OpenAI client it is there.
    for (const id of ['embed', 'embed-pool']) {
      const hidden = await e.inject({ method: 'GET', url: `/v1/models/${id}`, headers });
      expect(hidden.statusCode, id).toBe(404);
      expect(hidden.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      expect((await e.inject({ method: 'GET', url: `/v1/models/${id}` })).statusCode).toBe(200);
    }
    const pool = await e.inject({ method: 'GET', url: '/v1/models/chat-pool', headers });
    expect(pool.json()).toMatchObject({ type: 'model', id: 'chat-pool' });
    await e.close();
    const missing = await a.inject({ method: 'GET', url: '/v1/models/gpt-9', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringMatching(/^The model 'gpt-9'/) },
    });
  });
});

describe("GET /v1/models: Anthropic's limits for an Anthropic client", () => {
  // The SDK's `ModelInfo` has `max_input_tokens` and `max_tokens`; the router sent neither (hE
  // sweep, 2026-12-07), so a client sizing its requests from them had nothing to go on.
  it("states each model's context window and largest max_tokens; a router's and pool's any member serves", async () => {
    const config = testConfig({
      deployments: [
        simDeployment('big', { contextWindow: 1_000_000, maxOutputTokens: 32_768 }),
        simDeployment('small', { contextWindow: 100_000, maxOutputTokens: 8_192 }),
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['big', 'small'] }],
      pools: [{ name: 'pool', deployments: ['big', 'small'], strategy: 'priority' }],
    });
    const adapters = Object.fromEntries(
      ['big', 'small'].map((n) => [n, fakeAdapter(`${n}-model`, [{ reply: 'ok' }])]),
    );
    const a = (await buildTestApp(config, adapters, { authenticator: byKey })).app;
    const sdk = anthropicThroughInject(a);
    const limits = (m: { max_input_tokens: number | null; max_tokens: number | null }) => [
      m.max_input_tokens,
      m.max_tokens,
    ];
    expect(limits(await sdk.models.retrieve('big'))).toEqual([1_000_000, 32_768]);
    expect(limits(await sdk.models.retrieve('model-router'))).toEqual([100_000, 8_192]);
    expect(limits(await sdk.models.retrieve('pool'))).toEqual([100_000, 8_192]);
    const listed = [];
    for await (const m of sdk.models.list({ limit: 2 })) listed.push([m.id, ...limits(m)]);
    expect(listed).toEqual([
      ['model-router', 100_000, 8_192],
      ['pool', 100_000, 8_192],
      ['big', 1_000_000, 32_768],
      ['small', 100_000, 8_192],
    ]);
    // A key that may use only `small`: the router's limits are small's.
    const scoped = await a.inject({
      method: 'GET',
      url: '/v1/models/model-router',
      headers: { 'anthropic-version': '2023-06-01', authorization: 'Bearer small-only' },
    });
    expect(scoped.json()).toMatchObject({ max_input_tokens: 100_000, max_tokens: 8_192 });
    await a.close();
  });
});

describe('GET /v1/models for a key whose scopes allow only some models', () => {
  const ids = async (a: Awaited<ReturnType<typeof app>>, key: string, prefix = '/v1') =>
    (
      (
        await a.inject({ method: 'GET', url: `${prefix}/models`, headers: { authorization: key } })
      ).json() as { data: { id: string }[] }
    ).data.map((m) => m.id);

  it.each(['/v1', '/openai/v1'])(
    '%s: lists only what the key may use; another model is a 404 as an unknown one',
    async (prefix) => {
      const a = await app();
      expect(await ids(a, 'Bearer router-only', prefix)).toEqual(['model-router']);
      // Its subset narrows a router's and a pool's members: each is listed while one is left.
      expect(await ids(a, 'Bearer small-only', prefix)).toEqual([
        'model-router',
        'gpt-pool',
        'small',
      ]);
      const other = await a.inject({
        method: 'GET',
        url: `${prefix}/models/big`,
        headers: { authorization: 'Bearer router-only' },
      });
      expect(other.statusCode).toBe(404);
      expect(other.json()).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
      const own = await a.inject({
        method: 'GET',
        url: `${prefix}/models/model-router`,
        headers: { authorization: 'Bearer router-only' },
      });
      expect(own.statusCode).toBe(200);
    },
  );

  it('agrees with the chat path: a listed model serves the key, one left out is refused', async () => {
    const a = await app();
    const chat = (model: string) =>
      a.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: 'Bearer router-only' },
        payload: { model, messages: [{ role: 'user', content: 'hi' }] },
      });
    expect((await chat('model-router')).statusCode).toBe(200);
    expect((await chat('big')).statusCode).toBe(403);
  });

  it("a router's subset and context window are what this key, in the router's zone, can be served by", async () => {
    // Routing audit (2026-12-06): a key with a narrower subset saw every member, and an EU router
    // the window of a US member it never serves.
    const config = testConfig({
      deployments: [
        simDeployment('big', { contextWindow: 1_000_000 }),
        simDeployment('small', { contextWindow: 100_000 }),
        simDeployment('eu-big', {
          region: 'swedencentral',
          dataZone: 'eu',
          contextWindow: 900_000,
        }),
      ] as ConfigInput['deployments'],
      routers: [
        { name: 'model-router', modelSubset: ['big', 'small'] },
        {
          name: 'model-router-eu',
          modelSubset: ['eu-big', 'small'],
          deploymentType: 'DataZoneStandard',
          dataZone: 'eu',
        },
      ],
    });
    const adapters = Object.fromEntries(
      ['big', 'small', 'eu-big'].map((n) => [n, fakeAdapter(`${n}-model`, [{ reply: 'ok' }])]),
    );
    const a = (await buildTestApp(config, adapters, { authenticator: byKey })).app;
    const entry = async (id: string, key?: string) =>
      (
        await a.inject({
          method: 'GET',
          url: `/v1/models/${id}`,
          headers: key ? { authorization: key } : {},
        })
      ).json() as { model_subset: string[]; context_window: number };
    expect(await entry('model-router')).toMatchObject({
      model_subset: ['big', 'small'],
      context_window: 100_000,
    });
    expect(await entry('model-router', 'Bearer small-only')).toMatchObject({
      model_subset: ['small'],
      context_window: 100_000,
    });
    expect(await entry('model-router-eu')).toMatchObject({
      model_subset: ['eu-big'],
      context_window: 900_000,
    });
  });

  it("an Anthropic client's list and model are filtered the same way", async () => {
    const a = await app();
    const headers = { 'anthropic-version': '2023-06-01', authorization: 'Bearer router-only' };
    const list = await a.inject({ method: 'GET', url: '/v1/models', headers });
    expect((list.json() as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([
      'model-router',
    ]);
    const other = await a.inject({ method: 'GET', url: '/v1/models/big', headers });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('GET /v1/models on the default config: what each kind of model can do', () => {
  // Walk of the tour (2026-12-07): every embedding, moderation, image, speech, transcription,
  // rerank and realtime deployment was listed with the schema's chat defaults (`tools: true`,
  // `streaming: true`, …) and a context window its endpoint never reads, so a client picking
  // models by `capabilities.tools` picked a speech model.
  type Entry = {
    id: string;
    type: string;
    kind?: string;
    capabilities?: Record<string, unknown> | null;
    context_window?: number | null;
    max_output_tokens?: number | null;
  };
  const defaultApp = async (pools: Record<string, string[]> = {}) => {
    const loaded = loadConfigFile('config/default.yaml', {}).config;
    const config = {
      ...loaded,
      pools: Object.entries(pools).map(([name, deployments]) => ({
        name,
        deployments,
        strategy: 'priority' as const,
        latencyTolerance: 0.1,
        cache: true,
      })),
    };
    return (await buildTestApp(config, simulatedAdapters(config))).app;
  };
  const listOf = async (a: Awaited<ReturnType<typeof defaultApp>>, url = '/v1/models') =>
    ((await a.inject({ method: 'GET', url })).json() as { data: Entry[] }).data;

  it('lists chat capabilities for chat models only; another kind what its endpoint checks, or null', async () => {
    const a = await defaultApp();
    const data = await listOf(a);
    const others = data
      .filter((m) => m.type === 'deployment' && m.kind !== 'chat')
      .map((m) => [m.id, m.kind, m.capabilities, m.context_window, m.max_output_tokens]);
    expect(others).toEqual([
      // An input over its window is a 400 (embedding-window.ts): the limit is true.
      ['text-embedding-3-small', 'embeddings', null, 8191, null],
      // Image inputs go only to a moderation model with vision (moderations-gateway.ts).
      ['omni-moderation-latest', 'moderation', { vision: true }, 32768, null],
      // Their inputs are prompts, text and audio, not tokens in a window.
      ['gpt-image-1', 'images', null, null, null],
      ['tts-1', 'speech', null, null, null],
      ['whisper-1', 'transcription', null, null, null],
      // The model's own token window (a query and document; a conversation), as configured.
      ['rerank-v3.5', 'rerank', null, 4096, null],
      ['gpt-realtime', 'realtime', null, 32000, null],
    ]);
    // A chat deployment is listed as before: the effective answers, its window and output.
    const gpt41 = data.find((m) => m.id === 'gpt-4.1');
    expect(gpt41).toMatchObject({
      kind: 'chat',
      context_window: 1_047_576,
      max_output_tokens: 32_768,
      capabilities: { tools: true, vision: true, streaming: true, logprobs: true, files: true },
    });
    // A tool that picks models by `capabilities.tools` gets chat models only.
    const withTools = data.filter((m) => m.capabilities?.tools === true).map((m) => m.kind);
    expect(withTools.length).toBeGreaterThan(0);
    expect(new Set(withTools)).toEqual(new Set(['chat']));
    // `/{id}` answers with the list's entry, on the OpenAI and Azure paths alike.
    for (const prefix of ['/v1', '/openai/v1']) {
      expect(await listOf(a, `${prefix}/models`)).toEqual(data);
      for (const entry of data) {
        const one = await a.inject({ method: 'GET', url: `${prefix}/models/${entry.id}` });
        expect(one.json(), entry.id).toEqual(entry);
      }
    }
    await a.close();
  });

  it("a pool states its kind, and its members' window where that kind has one", async () => {
    const a = await defaultApp({
      'embed-pool': ['text-embedding-3-small'],
      'image-pool': ['gpt-image-1'],
      'chat-pool': ['gpt-4.1', 'gpt-4.1-mini'],
    });
    const pools = (await listOf(a))
      .filter((m) => m.type === 'pool')
      .map((m) => [m.id, m.kind, m.context_window]);
    expect(pools).toEqual([
      ['embed-pool', 'embeddings', 8191],
      ['image-pool', 'images', null],
      ['chat-pool', 'chat', 1_047_576],
    ]);
    // An Anthropic client sees the chat pool with its limits, and no other kind.
    const headers = { 'anthropic-version': '2023-06-01' };
    const anthropic = (
      (await a.inject({ method: 'GET', url: '/v1/models?limit=100', headers })).json() as {
        data: { id: string; max_input_tokens: number | null; max_tokens: number | null }[];
      }
    ).data;
    expect(anthropic.find((m) => m.id === 'chat-pool')).toMatchObject({
      max_input_tokens: 1_047_576,
      max_tokens: 32_768,
    });
    expect(anthropic.map((m) => m.id)).not.toContain('image-pool');
    expect(anthropic.map((m) => m.id)).not.toContain('tts-1');
    await a.close();
  });
});

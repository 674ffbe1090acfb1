// OpenRouter's `models` fallbacks through the app: two OpenAI deployments behind undici's
// MockAgent (what each upstream received is asserted) and the simulated test fleet. The next
// entry serves when one fails retryably before the first byte (JSON and streaming) or has
// nothing eligible; a 4xx is the answer; each entry is checked as `model` is; the headers, the
// request log and the receipt say which target served and what was tried; no OpenRouter field
// goes upstream, on Chat Completions, Completions and Responses (bridged and native).
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Authenticator } from '../http/auth-hook.js';
import { createHttpClient } from '../providers/http-client.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createResponseStore } from '../store/response-store.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../test/helpers/fake-http.js';
import {
  nativeCodexDeployment,
  testConfig,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import type { ConfigInput } from '../config/schema.js';

let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

const openai = (name: string, model: string, host: string) => ({
  name,
  provider: 'openai' as const,
  model,
  baseUrl: `https://${host}/v1`,
  apiKeyEnv: 'UPSTREAM_KEY',
  prices: { inputPer1M: 2, outputPer1M: 8 },
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
});

const completion = (model: string, text: string) =>
  JSON.stringify({
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  });

const sse = (model: string, parts: string[]) =>
  [
    ...parts.map((p) => ({ choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })),
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } },
  ]
    .map(
      (c) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, ...c })}\n\n`,
    )
    .join('') + 'data: [DONE]\n\n';

type Answer = { status: number; body: string; stream?: boolean };

/**
 * The test fleet plus `gpt-a` (pool `pool-a`) and `gpt-b` (pool `pool-b`), each OpenAI upstream
 * answering from its script; `sent` keeps every body an upstream received.
 */
async function setup(
  scripts: { a: Answer[]; b: Answer[] },
  opts: { authenticator?: Authenticator; overrides?: Partial<ConfigInput> } = {},
) {
  agent = new MockAgent();
  agent.disableNetConnect();
  const base = testConfigInput();
  const config = testConfig({
    deployments: [
      ...base.deployments,
      openai('gpt-a', 'gpt-4.1', 'a.example'),
      openai('gpt-b', 'gpt-4.1-mini', 'b.example'),
    ],
    pools: [
      { name: 'pool-a', deployments: ['gpt-a'] },
      { name: 'pool-b', deployments: ['gpt-b'] },
    ],
    ...opts.overrides,
  });
  const sent: { a: Record<string, unknown>[]; b: Record<string, unknown>[] } = { a: [], b: [] };
  for (const key of ['a', 'b'] as const) {
    const script = [...scripts[key]];
    agent
      .get(`https://${key}.example`)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply((req) => {
        sent[key].push(JSON.parse(String(req.body)) as Record<string, unknown>);
        const answer = script.length > 1 ? script.shift()! : script[0]!;
        return {
          statusCode: answer.status,
          data: answer.body,
          responseOptions: {
            headers: { 'content-type': answer.stream ? 'text/event-stream' : 'application/json' },
          },
        };
      })
      .persist();
  }
  const http = createHttpClient({ dispatcher: agent });
  const env = { UPSTREAM_KEY: 'sk-test' };
  const fakes = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(`${n}-model`, [{ reply: 'sim' }])]),
  );
  const adapters = {
    ...fakes,
    ...Object.fromEntries(
      ['gpt-a', 'gpt-b'].map((n) => [
        n,
        createOpenAiAdapter(
          config.deployments.find((d) => d.name === n)!,
          http,
          env,
        ),
      ]),
    ),
  };
  const t = await buildTestApp(config, adapters, {
    ...(opts.authenticator ? { authenticator: opts.authenticator } : {}),
    responses: createResponseStore(1_000),
  });
  return { t, sent, fakes };
}

const failure = (status: number): Answer => ({
  status,
  body: JSON.stringify({ error: { message: `upstream ${status}`, type: 'server_error' } }),
});
const ROUTER_FIELDS = ['models', 'route', 'provider', 'usage'];
const messages = [{ role: 'user', content: 'Say hi.' }];

describe('models fallbacks', () => {
  for (const status of [500, 429]) {
    it(`the next entry serves when the first's only deployment answers ${status}`, async () => {
      const { t, sent } = await setup({
        a: [failure(status)],
        b: [{ status: 200, body: completion('gpt-4.1-mini-2025-04-14', 'hi from b') }],
      });
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        // No `model`: the first of `models` is the one asked for.
        payload: {
          models: ['pool-a', 'pool-b'],
          route: 'fallback',
          provider: { sort: 'price', allow_fallbacks: true },
          usage: { include: true },
          messages,
        },
      });
      expect(r.statusCode).toBe(200);
      const body = r.json();
      expect(body.model).toBe('gpt-4.1-mini-2025-04-14');
      expect(body.choices[0].message.content).toBe('hi from b');
      expect(r.headers['x-router-deployment']).toBe('gpt-b');
      expect(r.headers['x-router-target']).toBe('pool-b');
      expect(r.headers['x-router-targets-tried']).toBe(`pool-a (upstream_${status})`);
      expect(r.headers['x-router-attempts']).toBe('2');
      // Each upstream got its own model name and none of OpenRouter's fields.
      expect(sent.a).toHaveLength(1);
      expect(sent.b).toHaveLength(1);
      expect(sent.a[0]!.model).toBe('gpt-4.1');
      expect(sent.b[0]!.model).toBe('gpt-4.1-mini');
      for (const received of [...sent.a, ...sent.b])
        for (const field of ROUTER_FIELDS) expect(received).not.toHaveProperty(field);
      // The log: the target that served, and the attempt made for the one before it.
      const rec = t.records.at(-1)!;
      expect(rec).toMatchObject({ router: 'pool-b', deployment: 'gpt-b', status: 200 });
      expect(rec.attempts.map((a) => [a.target, a.deployment, a.outcome, a.httpStatus])).toEqual([
        ['pool-a', 'gpt-a', 'error', status],
        ['pool-b', 'gpt-b', 'ok', undefined],
      ]);
      // usage.include: the cost as the router computed it (1000 × $2 + 500 × $8 per 1M).
      expect(body.usage.cost).toBeCloseTo(0.006, 9);
      expect(body.usage.cost).toBe(rec.costUsd);
    });
  }

  it('streams from the next entry when the first fails before its first byte', async () => {
    const { t, sent } = await setup({
      a: [failure(503)],
      b: [{ status: 200, body: sse('gpt-4.1-mini-x', ['Hel', 'lo']), stream: true }],
    });
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'pool-a', models: ['pool-b'], stream: true, messages },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-router-target']).toBe('pool-b');
    const chunks = r.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map(
        (e) =>
          JSON.parse(e.slice(6)) as { model: string; choices: { delta: { content?: string } }[] },
      );
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['gpt-4.1-mini-x']));
    expect(r.body.trim().endsWith('data: [DONE]')).toBe(true);
    for (const field of ROUTER_FIELDS) expect(sent.b[0]).not.toHaveProperty(field);
  });

  it('usage.include on a stream: the usage chunk is sent with its cost, as the log records it', async () => {
    const { t, sent } = await setup({
      a: [{ status: 200, body: sse('gpt-4.1', ['Hi']), stream: true }],
      b: [],
    });
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'pool-a', stream: true, usage: { include: true }, messages },
    });
    expect(r.statusCode).toBe(200);
    const usage = r.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => (JSON.parse(e.slice(6)) as { usage?: { cost?: number } }).usage)
      .filter((u) => u !== undefined && u !== null);
    // The client asked no stream_options.include_usage: usage.include brings the chunk anyway.
    expect(usage).toHaveLength(1);
    // 10 × $2 + 2 × $8 per 1M.
    expect(usage[0]!.cost).toBeCloseTo(0.000036, 12);
    await vi.waitFor(() => expect(t.records.at(-1)?.costUsd).toBe(usage[0]!.cost));
    expect(sent.a[0]).not.toHaveProperty('usage');
  });

  it('an entry with nothing eligible is skipped, named in the log; a router entry has its receipt', async () => {
    const { t, sent } = await setup({
      a: [{ status: 200, body: completion('gpt-4.1', 'from a') }],
      b: [failure(500)],
    });
    // `ignore` by provider kind leaves model-router (the simulated fleet) nothing: pool-a serves.
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        models: ['model-router', 'pool-a'],
        provider: { ignore: ['simulated'] },
        messages,
      },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().model).toBe('gpt-4.1');
    expect(r.headers['x-router-targets-tried']).toBe('model-router (no_eligible_deployment)');
    const rec = t.records.at(-1)!;
    expect(rec.attempts.map((a) => [a.target, a.deployment, a.outcome, a.errorCode])).toEqual([
      ['model-router', 'model-router', 'skipped', 'no_eligible_deployment'],
      ['pool-a', 'gpt-a', 'ok', undefined],
    ]);
    expect(sent.a).toHaveLength(1);

    // A router that serves after a failed pool: its receipt lists the earlier attempt too.
    const later = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'pool-b', models: ['model-router'], messages },
    });
    expect(later.statusCode).toBe(200);
    expect(later.json().model).toMatch(/^(big|mid|small)-model$/);
    const receipt = t.gateway.receipt(later.headers['x-router-decision-id'] as string)!;
    expect(receipt.attempts.map((a) => [a.target, a.deployment, a.outcome])).toEqual([
      ['pool-b', 'gpt-b', 'error'],
      ['model-router', receipt.servedBy, 'ok'],
    ]);
  });

  it('when no entry serves, the error names the entries tried and the router decision made', async () => {
    const { t } = await setup(
      { a: [failure(500)], b: [failure(503)] },
      { overrides: { routers: [{ name: 'router-a', modelSubset: ['gpt-a'] }] } },
    );
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'router-a', models: ['pool-b'], messages },
    });
    expect(r.statusCode).toBe(503);
    expect(r.headers['x-router-targets-tried']).toBe(
      'router-a (upstream_500), pool-b (upstream_503)',
    );
    // The router's decision, though a pool was the last entry (fault audit F7).
    const decision = r.headers['x-router-decision-id'] as string;
    expect(decision).toMatch(/^dec_/);
    expect(t.gateway.receipt(decision)!.attempts.map((a) => a.deployment)).toEqual(['gpt-a']);
    expect(t.records.at(-1)!.decisionId).toBe(decision);
  });

  it('a failure that is not retryable is the answer: no fallback is called', async () => {
    const { t, sent } = await setup({
      a: [
        {
          status: 400,
          body: JSON.stringify({ error: { message: 'bad', type: 'invalid_request_error' } }),
        },
      ],
      b: [{ status: 200, body: completion('gpt-4.1-mini', 'b') }],
    });
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'pool-a', models: ['pool-b'], messages },
    });
    expect(r.statusCode).toBe(400);
    expect(sent.b).toHaveLength(0);
  });

  it('each entry is checked as model is: unknown, not chat, outside the key, too many', async () => {
    const keys: Authenticator = {
      authenticate(headers) {
        if (headers.authorization === 'Bearer scoped')
          return { keyId: 'k1', tenant: 't', admin: false, scopes: ['pool-a', 'model-router'] };
        if (headers.authorization === 'Bearer subset')
          return {
            keyId: 'k2',
            tenant: 't',
            admin: false,
            scopes: ['*'],
            modelSubset: ['gpt-a', 'small'],
          };
        return { keyId: 'k0', tenant: 't', admin: false, scopes: ['*'] };
      },
    };
    const { t, sent, fakes } = await setup(
      { a: [failure(500)], b: [{ status: 200, body: completion('gpt-4.1-mini', 'b') }] },
      {
        authenticator: keys,
        overrides: {
          deployments: [
            ...testConfigInput().deployments,
            openai('gpt-a', 'gpt-4.1', 'a.example'),
            openai('gpt-b', 'gpt-4.1-mini', 'b.example'),
            { ...openai('embed', 'text-embedding-3-small', 'b.example'), kind: 'embeddings' },
          ],
        },
      },
    );
    const send = (authorization: string, models: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization },
        payload: { model: 'pool-a', models, messages },
      });
    const cases: [string, unknown, number, string][] = [
      ['Bearer any', ['pool-a', 'nope'], 404, 'models[1]'],
      ['Bearer any', ['embed'], 400, 'models[0]'],
      // Not in the key's scopes, by name or through a pool.
      ['Bearer scoped', ['pool-b'], 403, 'models[0]'],
      ['Bearer scoped', ['gpt-b'], 403, 'models[0]'],
      // In scope, but none of its deployments in the key's subset: never widened.
      ['Bearer subset', ['pool-a', 'pool-b'], 403, 'models[1]'],
      ['Bearer any', ['a', 'b', 'c', 'd', 'e', 'f'], 400, 'models'],
      ['Bearer any', 'pool-b', 400, 'models'],
    ];
    for (const [auth, models, status, param] of cases) {
      const r = await send(auth, models);
      expect(r.statusCode, JSON.stringify(models)).toBe(status);
      expect(r.json().error.param, JSON.stringify(models)).toBe(param);
    }
    // Refused before any call.
    expect(sent.a).toHaveLength(0);
    expect(sent.b).toHaveLength(0);
    for (const fake of Object.values(fakes)) expect(fake.calls).toHaveLength(0);
    // A router entry the subset narrows still serves from what the subset keeps.
    const narrowed = await send('Bearer subset', ['model-router']);
    expect(narrowed.statusCode).toBe(200);
    expect(narrowed.json().model).toBe('small-model');
    const badRoute = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { models: ['pool-b'], route: 'cheapest', messages },
    });
    expect(badRoute.json().error.param).toBe('route');
  });

  it('each error names the field the client wrote: models[i] (models[0] when model is left out), model, or models', async () => {
    const keys: Authenticator = {
      authenticate(headers) {
        if (headers.authorization === 'Bearer scoped')
          return { keyId: 'k1', tenant: 't', admin: false, scopes: ['pool-a'] };
        return { keyId: 'k0', tenant: 't', admin: false, scopes: ['*'] };
      },
    };
    const { t, sent, fakes } = await setup(
      { a: [failure(500)], b: [failure(500)] },
      {
        authenticator: keys,
        overrides: {
          deployments: [
            ...testConfigInput().deployments,
            openai('gpt-a', 'gpt-4.1', 'a.example'),
            openai('gpt-b', 'gpt-4.1-mini', 'b.example'),
            { ...openai('embed', 'text-embedding-3-small', 'b.example'), kind: 'embeddings' },
          ],
        },
      },
    );
    const cases: [Record<string, unknown>, number, string | null, string, RegExp][] = [
      // `model` left out: models[0] is the one asked for, and named as such.
      [
        { models: ['nope', 'pool-b'] },
        404,
        'models[0]',
        'model_not_found',
        /^models\[0\]: the model or deployment "nope" does not exist/,
      ],
      [{ model: null, models: ['nope'] }, 404, 'models[0]', 'model_not_found', /^models\[0\]: /],
      [{ models: ['embed'] }, 400, 'models[0]', 'model_not_chat', /"embed" is an embedding model/],
      [
        { models: ['pool-b'], auth: 'scoped' },
        403,
        'models[0]',
        'permission_denied',
        /may not use "pool-b" \(models\[0\]\)/,
      ],
      // Named in model: the 403 says what the key's scopes are.
      [
        { model: 'pool-b', auth: 'scoped' },
        403,
        null,
        'permission_denied',
        /^This API key may not use "pool-b": its scopes are pool-a \(GET \/v1\/models lists what it may use\)\.$/,
      ],
      // Both sent: each names its own field.
      [
        { model: 'nope', models: ['pool-b'] },
        404,
        'model',
        'model_not_found',
        /^The model or deployment "nope"/,
      ],
      [
        { model: 'pool-a', models: ['nope'] },
        404,
        'models[0]',
        'model_not_found',
        /^models\[0\]: /,
      ],
      [
        { model: 'pool-a', models: ['pool-a', 'nope'] },
        404,
        'models[1]',
        'model_not_found',
        /^models\[1\]: /,
      ],
      // Malformed: the list, or the entry at fault.
      [
        { models: 'pool-b' },
        400,
        'models',
        'invalid_type',
        /^models must be an array of 1 to 5 .*; got "pool-b"\.$/,
      ],
      [{ models: { a: 1 } }, 400, 'models', 'invalid_type', /got \{"a":1\}/],
      [
        { models: [] },
        400,
        'models',
        'invalid_value',
        /^models must hold 1 to 5 .*; it holds 0\.$/,
      ],
      [
        { models: ['pool-a', 3] },
        400,
        'models[1]',
        'invalid_type',
        /^models\[1\] must be the name of .*; got 3\.$/,
      ],
      [{ models: ['pool-a', ''] }, 400, 'models[1]', 'invalid_value', /got ""/],
      [{ models: [null] }, 400, 'models[0]', 'invalid_type', /got null/],
    ];
    for (const [{ auth, ...fields }, status, param, code, message] of cases) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${String(auth ?? 'any')}` },
        payload: { ...fields, messages },
      });
      const what = JSON.stringify(fields);
      expect(r.statusCode, what).toBe(status);
      expect(r.json().error, what).toMatchObject({ param, code });
      expect(r.json().error.message, what).toMatch(message);
    }
    // Legacy Completions and Responses name models[0] alike.
    for (const [url, body] of [
      ['/v1/completions', { prompt: 'hi' }],
      ['/v1/responses', { input: 'hi' }],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url,
        payload: { ...body, models: ['nope', 'pool-b'] },
      });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.param, url).toBe('models[0]');
    }
    // Refused before any call.
    expect(sent.a).toHaveLength(0);
    expect(sent.b).toHaveLength(0);
    for (const fake of Object.values(fakes)) expect(fake.calls).toHaveLength(0);
  });

  it('legacy Completions and Responses take the same fields and send none upstream', async () => {
    const { t, sent } = await setup({
      a: [failure(500)],
      b: [{ status: 200, body: completion('gpt-4.1-mini', 'done') }],
    });
    const legacy = await t.app.inject({
      method: 'POST',
      url: '/v1/completions',
      payload: { models: ['pool-a', 'pool-b'], prompt: 'Say hi.', provider: { zdr: false } },
    });
    expect(legacy.statusCode).toBe(200);
    expect(legacy.json()).toMatchObject({ object: 'text_completion', model: 'gpt-4.1-mini' });
    expect(legacy.json().choices[0].text).toBe('done');
    const responses = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        models: ['pool-a', 'pool-b'],
        input: 'Say hi.',
        provider: { data_collection: 'allow' },
        usage: { include: true },
      },
    });
    expect(responses.statusCode).toBe(200);
    expect(responses.json()).toMatchObject({ object: 'response', model: 'gpt-4.1-mini' });
    expect(responses.headers['x-router-target']).toBe('pool-b');
    expect(sent.b).toHaveLength(2);
    for (const received of [...sent.a, ...sent.b])
      for (const field of ROUTER_FIELDS) expect(received).not.toHaveProperty(field);
  });
});

describe('models on a native Responses upstream', () => {
  it('the body the upstream gets is the client’s without OpenRouter’s fields', async () => {
    const config = testConfig({ deployments: [nativeCodexDeployment()], routers: [] });
    const { http, sent } = scriptedHttp(() => ({
      body: {
        id: 'resp_up',
        object: 'response',
        status: 'completed',
        model: 'gpt-5.1-codex',
        output: [],
        usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      },
    }));
    const { app } = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { responses: createResponseStore(1_000) },
    );
    const r = await app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        models: ['codex'],
        route: 'fallback',
        provider: { only: ['openai'] },
        usage: { include: true },
        input: 'hi',
      },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-router-target']).toBe('codex');
    const body = JSON.parse(sent[0]!.body) as Record<string, unknown>;
    expect(body.model).toBe('gpt-5.1-codex');
    for (const field of ROUTER_FIELDS) expect(body).not.toHaveProperty(field);
  });
});

// OpenRouter's `models` fallbacks through the app: two OpenAI deployments behind undici's
// MockAgent (what each upstream received is asserted) and the simulated test fleet. The next
// entry serves when one fails retryably before the first byte (JSON and streaming) or has
// nothing eligible; a 4xx is the answer; the headers, the request log and the receipt say which
// target served and what was tried; no OpenRouter field goes upstream, on Chat Completions,
// Completions and Responses (bridged and native). How each entry is checked:
// model-fallbacks-validation.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createResponseStore } from '../store/response-store.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { scriptedHttp } from '../../test/helpers/fake-http.js';
import { nativeCodexDeployment, testConfig } from '../../test/helpers/test-config.js';
import {
  closeFallbackUpstreams,
  completionBody as completion,
  fallbacksApp as setup,
  ROUTER_FIELDS,
  sayHi as messages,
  streamBody as sse,
  upstreamFailure as failure,
} from '../../test/helpers/fallback-upstreams.js';
import { waitFor } from '../../test/helpers/wait-for.js';

afterEach(closeFallbackUpstreams);

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
    await waitFor(() => expect(t.records.at(-1)?.costUsd).toBe(usage[0]!.cost));
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

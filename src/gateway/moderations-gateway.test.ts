import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig, type ConfigError } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import type { ConfigInput } from '../config/schema.js';
import { deploymentSchema } from '../config/deployment-schema.js';
import { MODERATION_CATEGORIES } from '../core/moderation-input.js';
import { unauthorized } from '../core/errors.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { Authenticator } from '../http/auth-hook.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { RequestRecord } from '../store/request-record.js';
import type { ConfigHolder } from '../config/runtime-config.js';
import { createContentFilter } from '../policy/content-filter.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { recordingHttp } from '../../test/helpers/fake-http.js';
import {
  simEmbeddingDeployment,
  simModerationDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';

// `Bearer <scope>` names the one router or deployment the key may use; `Bearer any` all.
const scopedAuth: Authenticator = {
  authenticate(headers) {
    const token = String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (!token) throw unauthorized('Incorrect API key provided.');
    return { keyId: token, tenant: 't', admin: false, scopes: [token === 'any' ? '*' : token] };
  },
};

const textOnly = {
  tools: false,
  vision: false,
  jsonSchema: false,
  reasoning: false,
  streaming: false,
};

async function setup(
  overrides: Partial<ConfigInput> = {},
  more: ConfigInput['deployments'] = [],
  opts: { breaker?: CircuitBreakerOptions } = {},
) {
  const input = testConfigInput(overrides);
  input.deployments.push(
    simModerationDeployment('omni-moderation-latest'),
    simModerationDeployment('text-mod', {
      model: 'text-moderation-latest',
      capabilities: textOnly,
    }),
    simEmbeddingDeployment('embed'),
    ...more,
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {
    big: fakeAdapter('big-sim', [{ reply: 'chat' }]),
    mid: fakeAdapter('mid-sim', [{ reply: 'chat' }]),
    small: fakeAdapter('small-sim', [{ reply: 'chat' }]),
  };
  const sent: Record<string, unknown[]> = {};
  for (const d of config.deployments.filter((d) => d.kind !== 'chat')) {
    const sim = createSimulatedAdapter(d);
    sent[d.name] = [];
    adapters[d.name] = {
      ...sim,
      moderate: (req) => (sent[d.name]!.push(req.body), sim.moderate!(req)),
    };
  }
  const holder = { current: { config } } as unknown as ConfigHolder;
  const policies = createGovernancePolicies({
    config: holder,
    contentFilter: () => createContentFilter(config.contentFilter),
  });
  const t = await buildTestApp(config, adapters, {
    authenticator: scopedAuth,
    policies,
    ...(opts.breaker ? { breaker: opts.breaker } : {}),
  });
  return { ...t, input, sent };
}

const post = (payload: unknown, url = '/v1/moderations', key = 'any') => ({
  method: 'POST' as const,
  url,
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  payload: payload as Record<string, unknown>,
});

type Result = {
  flagged: boolean;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  category_applied_input_types: Record<string, string[]>;
};
const flaggedOf = (r: Result) =>
  Object.entries(r.categories)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .sort();

describe('moderations (/v1/moderations)', () => {
  it("classifies a string in OpenAI's full result shape, served by the model named, recorded at no cost", async () => {
    const t = await setup();
    const r = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'I want to kill them.' }),
    );
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.id).toMatch(/^modr-/);
    expect(body.model).toBe('omni-moderation-latest');
    expect(body.results).toHaveLength(1);
    const res = body.results[0] as Result;
    expect(res.flagged).toBe(true);
    // OpenAI's own example flags these three for this sentence.
    expect(flaggedOf(res)).toEqual(['harassment', 'harassment/threatening', 'violence']);
    for (const part of [res.categories, res.category_scores, res.category_applied_input_types])
      expect(Object.keys(part).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    expect(res.category_scores.violence).toBeGreaterThanOrEqual(0.5);
    expect(res.category_scores.sexual).toBeLessThan(0.01);
    expect(res.category_applied_input_types.violence).toEqual(['text']);
    expect(r.headers['x-router-deployment']).toBe('omni-moderation-latest');
    expect(r.headers['x-router-attempts']).toBe('1');
    const rec = t.records.at(-1)!;
    expect(rec).toMatchObject({
      endpoint: 'moderations',
      deployment: 'omni-moderation-latest',
      servedModel: 'omni-moderation-latest',
      status: 200,
      costUsd: 0,
      baselineCostUsd: 0,
    });
    expect(rec.promptTokens).toBe(Math.ceil('I want to kill them.'.length / 4));
    // Moderation replies report no usage: the tokens are the router's estimate, and say so.
    expect(rec.usageEstimated).toBe(true);
    // The same text gets the same scores: the simulated model is deterministic.
    const again = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'I want to kill them.' }),
    );
    expect(again.json().results).toEqual(body.results);
  });

  it('answers an array of strings with one result each, in order', async () => {
    const t = await setup();
    const r = await t.app.inject(
      post({
        model: 'omni-moderation-latest',
        input: ['Have a lovely day.', 'You worthless idiot.', 'How do I shoplift a watch?'],
      }),
    );
    expect(r.statusCode).toBe(200);
    const results = r.json().results as Result[];
    expect(results.map((x) => x.flagged)).toEqual([false, true, true]);
    expect(flaggedOf(results[1]!)).toEqual(['harassment']);
    expect(flaggedOf(results[2]!)).toEqual(['illicit']);
    // A word inside another word is not the word: "skill" is not "kill".
    const skill = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'Practise the skill daily.' }),
    );
    expect(skill.json().results[0].flagged).toBe(false);
  });

  it('reads a multi-modal array as one input: text and images, with the input types each category applied to', async () => {
    const t = await setup();
    const r = await t.app.inject(
      post({
        model: 'omni-moderation-latest',
        input: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: 'https://example.com/graphic-violence.png' } },
        ],
      }),
    );
    expect(r.statusCode).toBe(200);
    const results = r.json().results as Result[];
    expect(results).toHaveLength(1);
    expect(flaggedOf(results[0]!)).toEqual(['violence', 'violence/graphic']);
    // A parent category scores at least what its flagged subcategory does.
    const scores = results[0]!.category_scores;
    expect(scores.violence).toBeGreaterThanOrEqual(scores['violence/graphic']!);
    const applied = results[0]!.category_applied_input_types;
    expect(applied['violence/graphic']).toEqual(['text', 'image']);
    expect(applied.sexual).toEqual(['text', 'image']);
    expect(applied.hate).toEqual(['text']);
    const imageOnly = await t.app.inject(
      post({
        model: 'omni-moderation-latest',
        input: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }],
      }),
    );
    const only = imageOnly.json().results[0] as Result;
    expect(only.flagged).toBe(false);
    expect(only.category_applied_input_types.hate).toEqual([]);
    expect(only.category_applied_input_types.violence).toEqual(['image']);
    // A text-only model refuses images, saying which part and what to send instead.
    const noImages = await t.app.inject(
      post({
        model: 'text-mod',
        input: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
      }),
    );
    expect(noImages.statusCode).toBe(400);
    expect(noImages.json().error).toMatchObject({ param: 'input', code: 'model_not_vision' });
    expect(t.sent['text-mod']).toEqual([]);
  });

  it('serves the configured default model when the request names none (omni-moderation-latest unless set)', async () => {
    const t = await setup();
    const r = await t.app.inject(post({ input: 'hello' }));
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-router-deployment']).toBe('omni-moderation-latest');
    const pooled = await setup({
      moderations: { defaultModel: 'mods' },
      pools: [{ name: 'mods', deployments: ['text-mod'], strategy: 'priority' }],
    });
    const viaPool = await pooled.app.inject(post({ input: 'hello' }));
    expect(viaPool.statusCode).toBe(200);
    expect(viaPool.headers['x-router-deployment']).toBe('text-mod');
    expect(pooled.records.at(-1)).toMatchObject({ router: 'mods', deployment: 'text-mod' });
    // Another path for clients whose base URL is Azure's v1.
    const v1 = await t.app.inject(post({ input: 'hello' }, '/openai/v1/moderations'));
    expect(v1.statusCode).toBe(200);
  });

  it('says what to fix, in OpenAI error shape with param', async () => {
    const t = await setup();
    const cases: [unknown, number, string | null, string?][] = [
      [{ model: 'omni-moderation-latest' }, 400, 'input'],
      [{ input: 5 }, 400, 'input'],
      [{ input: [] }, 400, 'input'],
      [{ input: ['ok', 7] }, 400, 'input'],
      [{ input: ['ok', { type: 'text', text: 'mixed' }] }, 400, 'input'],
      [{ input: [{ type: 'audio', audio: 'x' }] }, 400, 'input[0].type'],
      [{ input: [{ type: 'text' }] }, 400, 'input[0].text'],
      [
        { input: [{ type: 'text', text: 'a' }, { type: 'image_url' }] },
        400,
        'input[1].image_url.url',
      ],
      [
        { input: [{ type: 'image_url', image_url: { url: 'not a url' } }] },
        400,
        'input[0].image_url.url',
      ],
      [{ input: 'x', model: 7 }, 400, 'model'],
      [{ input: 'x', model: 'model-router' }, 400, 'model', 'model_not_moderation'],
      [{ input: 'x', model: 'big' }, 400, 'model', 'model_not_moderation'],
      [{ input: 'x', model: 'embed' }, 400, 'model', 'model_not_moderation'],
      [{ input: 'x', model: 'nope' }, 404, 'model'],
    ];
    for (const [payload, status, param, code] of cases) {
      const r = await t.app.inject(post(payload));
      expect([JSON.stringify(payload), r.statusCode]).toEqual([JSON.stringify(payload), status]);
      const error = r.json().error;
      expect([JSON.stringify(payload), error.param]).toEqual([JSON.stringify(payload), param]);
      expect(typeof error.message).toBe('string');
      if (code) expect(error.code).toBe(code);
    }
    const notJson = await t.app.inject({ ...post({}), payload: '[1]' });
    expect(notJson.statusCode).toBe(400);
    // A chat request naming a moderation model is told where to send it.
    const chat = await t.app.inject(
      post(
        { model: 'omni-moderation-latest', messages: [{ role: 'user', content: 'hi' }] },
        '/v1/chat/completions',
      ),
    );
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toMatchObject({ code: 'model_not_chat', param: 'model' });
    expect(chat.json().error.message).toContain('POST /v1/moderations');
    // An embeddings request naming one too.
    const emb = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'x' }, '/v1/embeddings'),
    );
    expect(emb.statusCode).toBe(400);
    expect(emb.json().error.message).toContain('POST /v1/moderations');
    // With no model named and no deployment of the default name: 400 on model.
    const none = await buildTestApp(parseConfig(testConfigInput(), {}).config, {});
    const missing = await none.app.inject(post({ input: 'x' }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.param).toBe('model');
    expect(missing.json().error.message).toContain('omni-moderation-latest');
  });

  it('keeps to the key’s scope: a key for the router alone is refused, one for the model served', async () => {
    const t = await setup();
    const refused = await t.app.inject(post({ input: 'x' }, undefined, 'model-router'));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('omni-moderation-latest');
    expect(t.records.at(-1)).toMatchObject({ endpoint: 'moderations', status: 403 });
    const allowed = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'x' }, undefined, 'omni-moderation-latest'),
    );
    expect(allowed.statusCode).toBe(200);
    expect(t.sent['omni-moderation-latest']).toHaveLength(1);
  });

  it('fails over within a pool before answering, and the breaker then skips the failing member', async () => {
    const t = await setup(
      { pools: [{ name: 'mods', deployments: ['mod-down', 'mod-up'], strategy: 'priority' }] },
      [
        simModerationDeployment('mod-down', {
          simulation: { failure: { kind: '500', rate: 1 } },
        }),
        simModerationDeployment('mod-up'),
      ],
      { breaker: { failureThreshold: 2, windowMs: 60_000, openMs: 60_000 } },
    );
    const first = await t.app.inject(post({ model: 'mods', input: 'I will kill you' }));
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-router-deployment']).toBe('mod-up');
    expect(first.headers['x-router-attempts']).toBe('2');
    expect(first.json().results[0].flagged).toBe(true);
    expect(t.records.at(-1)!.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod-down', 'error'],
      ['mod-up', 'ok'],
    ]);
    await t.app.inject(post({ model: 'mods', input: 'second' }));
    // Two failures opened mod-down's circuit: the third request goes straight to mod-up.
    const third = await t.app.inject(post({ model: 'mods', input: 'third' }));
    expect(third.headers['x-router-attempts']).toBe('1');
    expect(t.records.at(-1)!.attempts.map((a) => a.deployment)).toEqual(['mod-up']);
    // Called by its own name, a member whose circuit is open is refused with a 503, recorded.
    const alone = await t.app.inject(post({ model: 'mod-down', input: 'x' }));
    expect(alone.statusCode).toBe(503);
    expect(t.records.at(-1)).toMatchObject({ endpoint: 'moderations', status: 503 });
  });

  it('refuses configs that put a moderation model where it cannot serve', () => {
    const bad = (input: ConfigInput) => {
      try {
        parseConfig(input, {});
        return '';
      } catch (err) {
        return (err as ConfigError).issues.join('\n');
      }
    };
    const base = testConfigInput();
    const mod = simModerationDeployment('mod');
    expect(
      bad({
        ...base,
        deployments: [
          ...base.deployments,
          { ...mod, provider: 'azure', baseUrl: 'https://r.openai.azure.com', apiVersion: 'v1' },
        ],
      }),
    ).toMatch(/deployments\[3\]\.kind: provider "azure" has no moderation API/);
    expect(
      bad({ ...base, deployments: [...base.deployments, { ...mod, provider: 'anthropic' }] }),
    ).toMatch(/provider "anthropic" has no moderation API/);
    expect(
      bad({
        ...base,
        deployments: [...base.deployments, mod],
        routers: [{ name: 'r', modelSubset: ['big', 'mod'] }],
      }),
    ).toMatch(
      /routers\[0\]\.modelSubset\[1\]: "mod" is a moderation deployment.*\/v1\/moderations/,
    );
    expect(
      bad({
        ...base,
        deployments: [...base.deployments, mod],
        pools: [{ name: 'p', deployments: ['big', 'mod'] }],
      }),
    ).toMatch(/pools\[0\]\.deployments: mixes chat and moderation deployments/);
    expect(bad({ ...base, moderations: { defaultModel: 'big' } })).toMatch(
      /moderations\.defaultModel: "big" is not a moderation deployment/,
    );
    expect(
      bad({
        ...base,
        deployments: [
          ...base.deployments,
          simModerationDeployment('m2', { simulation: { flagWords: { violent: ['x'] } } }),
        ],
      }),
    ).toMatch(/simulation\.flagWords\.violent: not a moderation category/);
    expect(bad({ ...base, deployments: [...base.deployments, mod] })).toBe('');
  });

  it('a simulated model with its own flagWords flags those words instead of the built-in ones', async () => {
    const t = await setup({}, [
      simModerationDeployment('strict', {
        simulation: { flagWords: { hate: ['pineapple pizza'] } },
      }),
    ]);
    const r = await t.app.inject(
      post({ model: 'strict', input: ['Pineapple pizza is great', 'kill', 'flag:sexual'] }),
    );
    const results = r.json().results as Result[];
    expect(results.map(flaggedOf)).toEqual([['hate'], [], ['sexual']]);
  });
});

describe('moderations governed as the other endpoints (createRuntime)', () => {
  const KEY = 'mr-moderation-key-0123456789';
  const CHAT_KEY = 'mr-chat-only-key-0123456789';

  it('keys and scopes, the deployment’s and the key’s rate limits, a price and the key’s budget', async () => {
    const input = testConfigInput({
      auth: {
        mode: 'keys',
        keys: [
          {
            id: 'team-m',
            hash: hashApiKey(KEY),
            tenant: 'team-m',
            scopes: ['omni-moderation-latest', 'paid-mod'],
            rateLimit: { rpm: 4 },
          },
          { id: 'chat', hash: hashApiKey(CHAT_KEY), tenant: 'team-c', scopes: ['model-router'] },
          {
            id: 'thrifty',
            hash: hashApiKey(`${KEY}-thrifty`),
            tenant: 'team-t',
            scopes: ['paid-mod'],
            budget: { dailyUsd: 0.05 },
          },
        ],
      },
    });
    input.deployments.push(
      simModerationDeployment('omni-moderation-latest', { rateLimit: { rpm: 2 } }),
      simModerationDeployment('paid-mod', { prices: { inputPer1M: 1_000, outputPer1M: 0 } }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const moderate = (key: string, payload: Record<string, unknown>) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/moderations',
          headers: { authorization: `Bearer ${key}` },
          payload,
        });
      expect((await moderate('', { input: 'x' })).statusCode).toBe(401);
      const chatOnly = await moderate(CHAT_KEY, { input: 'x' });
      expect(chatOnly.statusCode).toBe(403);
      expect(chatOnly.json().error.message).toContain('omni-moderation-latest');
      expect((await moderate(KEY, { input: 'one' })).statusCode).toBe(200);
      expect((await moderate(KEY, { input: 'two' })).statusCode).toBe(200);
      // The deployment's 2 requests a minute are used; the key still has 2 of its 4.
      const deploymentLimited = await moderate(KEY, { input: 'three' });
      expect(deploymentLimited.statusCode).toBe(429);
      expect(deploymentLimited.json().error.message).toContain('deployment omni-moderation-latest');
      // A priced moderation model costs what its prices say (100 tokens by the estimate).
      const paid = await moderate(KEY, { model: 'paid-mod', input: 'a'.repeat(400) });
      expect(paid.statusCode).toBe(200);
      const keyLimited = await moderate(KEY, { model: 'paid-mod', input: 'b' });
      expect(keyLimited.statusCode).toBe(429);
      expect(keyLimited.json().error.message).toContain('API key team-m');
      expect(keyLimited.headers['retry-after']).toBeDefined();
      // A key's budget: 0.1 USD spent of 0.05, the next request is refused.
      const thrifty = `${KEY}-thrifty`;
      expect(
        (await moderate(thrifty, { model: 'paid-mod', input: 'a'.repeat(400) })).statusCode,
      ).toBe(200);
      const broke = await moderate(thrifty, { model: 'paid-mod', input: 'c' });
      expect(broke.statusCode).toBe(429);
      expect(broke.json().error.code).toBe('budget_exceeded');
    } finally {
      await rt.close();
    }
  });
});

describe('the content filter’s moderation plug-in on the router’s own moderation model', () => {
  it('blocks a prompt the model flags, passes others, and lets a failing model not block', async () => {
    const input = testConfigInput({
      contentFilter: { enabled: true, moderationDeployment: 'mods' },
      pools: [{ name: 'mods', deployments: ['omni-moderation-latest'], strategy: 'priority' }],
    });
    input.deployments.push(simModerationDeployment('omni-moderation-latest'));
    const records: RequestRecord[] = [];
    const rt = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => records.push(r) },
    });
    try {
      const chat = (content: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'model-router', messages: [{ role: 'user', content }] },
        });
      const blocked = await chat('I want to kill them.');
      expect(blocked.statusCode).toBe(400);
      const error = blocked.json().error;
      expect(error.code).toBe('content_filter');
      expect(error.message).toContain('violence');
      expect(error.innererror.content_filter_result.violence).toMatchObject({ filtered: true });
      const fine = await chat('What is the capital of France?');
      expect(fine.statusCode).toBe(200);
      // The filter's own calls are the router's: no request-log record of their own.
      expect(records.map((r) => [r.endpoint, r.status])).toEqual([
        ['chat', 400],
        ['chat', 200],
      ]);
      const failing = testConfigInput({
        contentFilter: { enabled: true, moderationDeployment: 'omni-moderation-latest' },
      });
      failing.deployments.push(
        simModerationDeployment('omni-moderation-latest', {
          simulation: { failure: { kind: '500', rate: 1 } },
        }),
      );
      const rt2 = await createRuntime(parseConfig(failing, {}).config);
      try {
        const r = await rt2.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'model-router', messages: [{ role: 'user', content: 'kill' }] },
        });
        expect(r.statusCode).toBe(200);
      } finally {
        await rt2.close();
      }
    } finally {
      await rt.close();
    }
  });

  it('refuses a moderationDeployment that is not a moderation model, or set beside moderationUrl', () => {
    const issues = (contentFilter: ConfigInput['contentFilter']) => {
      try {
        parseConfig(testConfigInput({ contentFilter }), {});
        return '';
      } catch (err) {
        return (err as ConfigError).issues.join('\n');
      }
    };
    expect(issues({ enabled: true, moderationDeployment: 'big' })).toMatch(
      /contentFilter\.moderationDeployment: "big" is not a moderation deployment/,
    );
    expect(
      issues({ enabled: true, moderationDeployment: 'x', moderationUrl: 'http://127.0.0.1:1/m' }),
    ).toMatch(/contentFilter\.moderationDeployment: set it or moderationUrl, not both/);
  });
});

describe('OpenAI-format moderation upstreams', () => {
  it('POST {base}/moderations with the upstream model name and Bearer key, and read the results', async () => {
    const d = deploymentSchema.parse({
      name: 'mod',
      provider: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'omni-moderation-2024-09-26',
      kind: 'moderation',
      prices: { inputPer1M: 0, outputPer1M: 0 },
      contextWindow: 32_768,
      apiKeyEnv: 'K',
    });
    const reply = {
      id: 'modr-1',
      model: 'omni-moderation-2024-09-26',
      results: [{ flagged: false, categories: {}, category_scores: {} }],
    };
    const { http, sent } = recordingHttp(JSON.stringify(reply));
    const out = await createOpenAiAdapter(d, http, { K: 'secret' }).moderate!({
      deployment: d,
      body: { model: d.model, input: ['a', 'b'] },
      signal: new AbortController().signal,
      requestId: 'r',
    });
    expect(sent[0]!.url).toBe('http://127.0.0.1:9/v1/moderations');
    expect(sent[0]!.headers.authorization).toBe('Bearer secret');
    expect(JSON.parse(sent[0]!.body)).toEqual({
      model: 'omni-moderation-2024-09-26',
      input: ['a', 'b'],
    });
    expect(out.response).toEqual(reply);
    const { http: bad } = recordingHttp('{"object":"list"}');
    await expect(
      createOpenAiAdapter(d, bad, {}).moderate!({
        deployment: d,
        body: { model: d.model, input: 'a' },
        signal: new AbortController().signal,
        requestId: 'r',
      }),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_malformed_response' });
  });
});

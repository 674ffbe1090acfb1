// Governance through the whole router (createRuntime + app.inject): API keys and scopes, the
// router's own rate limit with Azure's headers (not hidden by failover), budgets, the content
// filter on input and output, and the config file reloading while serving.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { parseConfig } from '../src/config/load-config.js';
import { createRuntime } from '../src/runtime.js';
import { simDeployment, simEmbeddingDeployment, testConfigInput } from './helpers/test-config.js';

const KEY = 'mr-team-a-key-0123456789';
const chat = (content = 'hello', model = 'model-router') => ({
  model,
  messages: [{ role: 'user', content }],
});

describe('governance through the router', () => {
  it('keys, scopes, router rate limit with retry-after and x-ratelimit headers, budget refusal', async () => {
    const config = parseConfig(
      testConfigInput({
        auth: {
          mode: 'keys',
          keys: [
            {
              id: 'team-a',
              hash: hashApiKey(KEY),
              tenant: 'team-a',
              scopes: ['model-router'],
              budget: { dailyUsd: 0.0000005 },
            },
          ],
        },
        routers: [
          {
            name: 'model-router',
            modelSubset: ['big', 'mid', 'small'],
            rateLimit: { rpm: 3, tpm: 100_000 },
          },
        ],
      }),
      {},
    ).config;
    const rt = await createRuntime(config);
    try {
      const auth = { authorization: `Bearer ${KEY}` };
      expect(
        (await rt.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat() }))
          .statusCode,
      ).toBe(401);
      const wrongScope = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: auth,
        payload: chat('x', 'big'),
      });
      expect(wrongScope.statusCode).toBe(403);
      const ok = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: auth,
        payload: chat(),
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-ratelimit-limit-requests']).toBe('3');
      expect(ok.headers['x-ratelimit-remaining-requests']).toBe('2');
      // The tiny daily budget is spent by the first answer: the next request is refused clearly.
      const refused = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: auth,
        payload: chat(),
      });
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('budget_exceeded');
    } finally {
      await rt.close();
    }
  });

  it('end-user budgets: a user past their daily limit is refused, others and requests naming none are served', async () => {
    const config = parseConfig(
      testConfigInput({
        budgets: { shiftToCostAt: 0.8, tenants: {}, endUser: { dailyUsd: 0.0000005 } },
      }),
      {},
    ).config;
    const rt = await createRuntime(config);
    try {
      const send = (payload: object, url = '/v1/chat/completions', headers = {}) =>
        rt.app.inject({ method: 'POST', url, payload, headers });
      expect((await send({ ...chat(), user: 'alice' })).statusCode).toBe(200);
      // Her first answer spent the tiny budget: refused, naming her and when it resets.
      const refused = await send({ ...chat(), user: 'alice' });
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error).toMatchObject({
        code: 'budget_exceeded',
        budget: { scope: 'user', id: 'alice', tenant: 'default', period: 'day' },
      });
      expect(refused.headers['retry-after']).toBeDefined();
      // The same end user through an Anthropic client, refused in Anthropic's shape.
      const claude = await send(
        {
          model: 'model-router',
          max_tokens: 20,
          messages: [{ role: 'user', content: 'hi' }],
          metadata: { user_id: 'alice' },
        },
        '/v1/messages',
        { 'anthropic-version': '2023-06-01' },
      );
      expect(claude.statusCode).toBe(429);
      expect(claude.json().type).toBe('error');
      expect(claude.json().error.message).toContain('end user alice');
      expect((await send({ ...chat(), safety_identifier: 'bob' })).statusCode).toBe(200);
      expect((await send(chat())).statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('a tag budget: the requests carrying the tag are refused once it is spent, the others go on', async () => {
    const config = parseConfig(
      testConfigInput({
        budgets: {
          shiftToCostAt: 0.8,
          tenants: {},
          tags: { 'nightly-batch': { dailyUsd: 0.0000005 } },
        },
      }),
      {},
    ).config;
    const rt = await createRuntime(config);
    try {
      const send = (headers: Record<string, string>) =>
        rt.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat(), headers });
      const batch = { 'x-router-tags': 'nightly-batch,team-a' };
      expect((await send(batch)).statusCode).toBe(200);
      const refused = await send(batch);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error).toMatchObject({
        code: 'budget_exceeded',
        budget: { scope: 'tag', id: 'nightly-batch', tenant: 'default' },
      });
      expect((await send({ 'x-router-tags': 'team-a' })).statusCode).toBe(200);
      expect((await send({})).statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('end-user rate limits: one user past their RPM gets 429 naming them; others, and requests naming none, go on', async () => {
    const config = parseConfig(testConfigInput({ rateLimits: { endUser: { rpm: 2 } } }), {}).config;
    const rt = await createRuntime(config);
    try {
      const send = (payload: object) =>
        rt.app.inject({ method: 'POST', url: '/v1/chat/completions', payload });
      expect((await send({ ...chat(), user: 'alice' })).statusCode).toBe(200);
      const second = await send({ ...chat(), user: 'alice' });
      expect(second.statusCode).toBe(200);
      expect(second.headers['x-ratelimit-remaining-requests']).toBe('0');
      const third = await send({ ...chat(), user: 'alice' });
      expect(third.statusCode).toBe(429);
      expect(third.json().error.message).toMatch(
        /^Rate limit reached for end user alice \(tenant default\) on requests per min \(RPM\): Limit 2, Used 2, Requested 1\./,
      );
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect((await send({ ...chat(), user: 'bob' })).statusCode).toBe(200);
      for (let i = 0; i < 3; i++) expect((await send(chat())).statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('the router limit is not hidden by failover: its 429 reaches the client with retry-after', async () => {
    const config = parseConfig(
      testConfigInput({
        routers: [
          {
            name: 'model-router',
            modelSubset: ['big', 'mid', 'small'],
            rateLimit: { rpm: 2, tpm: 100_000 },
          },
        ],
      }),
      {},
    ).config;
    const rt = await createRuntime(config);
    try {
      const codes: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: chat(`q${i}`),
        });
        codes.push(last.statusCode);
      }
      expect(codes).toEqual([200, 200, 429, 429]);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      expect(last!.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(last!.json().error.type).toBe('rate_limit_error');
    } finally {
      await rt.close();
    }
  });

  it('content filter: blocks a prompt with Azure’s content_filter error, redacts PII in answers, reports results', async () => {
    const input = testConfigInput({
      contentFilter: {
        enabled: true,
        rules: [
          {
            id: 'no-secrets',
            kind: 'keyword',
            patterns: ['project-x'],
            action: 'block',
            appliesTo: 'input',
          },
          { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'output' },
        ],
      },
    });
    input.deployments = [
      simDeployment('echo', {
        simulation: { ttftMs: 0, tokensPerSecond: 1_000_000, style: 'echo', answerTokens: 50 },
      }),
    ];
    input.routers = [{ name: 'model-router', modelSubset: ['echo'] }];
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const blocked = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: chat('tell me about project-x'),
      });
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().error.code).toBe('content_filter');
      const redacted = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: chat('write to alice@example.com please'),
      });
      expect(redacted.statusCode).toBe(200);
      const body = redacted.json();
      expect(body.choices[0].message.content).not.toContain('alice@example.com');
      expect(body.prompt_filter_results).toBeDefined();
      expect(body.choices[0].content_filter_results).toBeDefined();
      const stream = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { ...chat('write to alice@example.com please'), stream: true },
      });
      expect(stream.payload).not.toContain('alice@example.com');
      expect(stream.payload).toContain('[DONE]');
    } finally {
      await rt.close();
    }
  });

  it('embeddings keep the same rules: key and deployment rate limits, the content filter on inputs', async () => {
    const input = testConfigInput({
      auth: {
        mode: 'keys',
        keys: [
          {
            id: 'team-e',
            hash: hashApiKey(KEY),
            tenant: 'team-e',
            scopes: ['embed'],
            rateLimit: { rpm: 4, tpm: 1_000_000 },
          },
        ],
      },
      contentFilter: {
        enabled: true,
        rules: [
          { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'input' },
          {
            id: 'no-secrets',
            kind: 'keyword',
            patterns: ['project-x'],
            action: 'block',
            appliesTo: 'input',
          },
        ],
      },
    });
    input.deployments.push(
      simEmbeddingDeployment('embed', {
        simulation: { dimensions: 32 },
        rateLimit: { rpm: 2, tpm: 1_000_000 },
      }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const embed = (text: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/embeddings',
          headers: { authorization: `Bearer ${KEY}` },
          payload: { model: 'embed', input: [text] },
        });
      const vector = async (text: string) => (await embed(text)).json().data[0].embedding;
      const blocked = await embed('notes on project-x');
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().error.code).toBe('content_filter');
      // Addresses are redacted before embedding: two texts that differ only there embed alike.
      expect(await vector('write to ann@example.com today')).toEqual(
        await vector('write to bob@example.org today'),
      );
      // The deployment's 2 requests a minute went to the two embeddings (the blocked request
      // never reached it); then the key's 4 (the blocked one counted).
      const deploymentLimited = await embed('one more');
      expect(deploymentLimited.statusCode).toBe(429);
      expect(deploymentLimited.json().error.message).toContain('deployment embed');
      const keyLimited = await embed('and another');
      expect(keyLimited.statusCode).toBe(429);
      expect(keyLimited.json().error.message).toContain('API key team-e');
      expect(keyLimited.headers['retry-after']).toBeDefined();
    } finally {
      await rt.close();
    }
  });

  it('the config file reloads while serving; a broken edit is refused and the running config stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-reload-'));
    const file = join(dir, 'router.json');
    const input = testConfigInput();
    writeFileSync(file, JSON.stringify(input));
    const rt = await createRuntime(parseConfig(input, {}).config, { configPath: file });
    try {
      const mode = async () =>
        (await rt.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat() }))
          .headers['x-router-mode'];
      expect(await mode()).toBe('balanced');
      input.routers = [
        { name: 'model-router', modelSubset: ['big', 'mid', 'small'], routingMode: 'cost' },
      ];
      writeFileSync(file, JSON.stringify(input));
      await expect.poll(mode, { interval: 100 }).toBe('cost');
      writeFileSync(file, '{"deployments": [oops');
      await new Promise((r) => setTimeout(r, 600));
      expect(await mode()).toBe('cost');
    } finally {
      await rt.close();
    }
  });
});

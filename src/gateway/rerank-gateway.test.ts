// `/v1/rerank` and its twins through app.inject(): the simulated reranker, an OpenAI-compatible
// (Cohere-shaped) upstream through the real adapter over a scripted HTTP client, errors in the
// OpenAI envelope, a pool failing over, bad input, cost in the request log, and (createRuntime)
// keys, scopes, rate limits, a budget and the content filter.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig, type ConfigError } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../providers/types.js';
import { createRuntime } from '../runtime.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { scriptedHttp } from '../../test/helpers/fake-http.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { MAX_RERANK_DOCUMENTS } from '../http/routes/rerank-routes.js';

type DeploymentInput = ConfigInput['deployments'][number];

const reranker = (name: string, overrides: Partial<DeploymentInput> = {}) =>
  simDeployment(name, {
    kind: 'rerank',
    model: `${name}-model`,
    maxOutputTokens: undefined,
    contextWindow: 4096,
    prices: { inputPer1M: 0, outputPer1M: 0, perSearchUnit: 0.002 },
    ...overrides,
  });
const upstreamReranker = (name: string, path: string, overrides: Partial<DeploymentInput> = {}) =>
  reranker(name, {
    provider: 'openai-compatible',
    baseUrl: `http://up.test/${path}`,
    apiKeyEnv: 'UP_KEY',
    simulation: undefined,
    ...overrides,
  });

/** Cohere v2's reply (docs.cohere.com/reference/rerank), results out of order on purpose. */
const COHERE_REPLY = {
  id: 'cohere-1',
  results: [
    { index: 0, relevance_score: 0.1 },
    { index: 2, relevance_score: 0.9 },
    { index: 1, relevance_score: 0.5 },
  ],
  meta: { api_version: { version: '2' }, billed_units: { search_units: 3 } },
};

async function setup() {
  const { http, sent } = scriptedHttp((url) => {
    if (url.pathname.startsWith('/down/'))
      return { status: 503, body: { error: { message: 'overloaded', type: 'server_error' } } };
    // Cohere's error body is flat: `{message}`.
    if (url.pathname.startsWith('/reject/'))
      return { status: 400, body: { message: 'invalid request: too many tokens in query' } };
    if (url.pathname.startsWith('/bad/'))
      return { body: { results: [{ index: 7, relevance_score: 0.4 }] } };
    return { body: COHERE_REPLY };
  });
  const input = testConfigInput({
    pools: [
      { name: 'rerank-pool', deployments: ['down', 'cohere'], strategy: 'priority' },
      { name: 'bad-pool', deployments: ['bad', 'sim'], strategy: 'priority' },
    ],
  });
  input.deployments.push(
    reranker('sim', { prices: { inputPer1M: 1, outputPer1M: 0, perSearchUnit: 0.002 } }),
    upstreamReranker('cohere', 'cohere', { model: 'rerank-v3.5', rerankPath: 'v2/rerank' }),
    upstreamReranker('vllm', 'vllm/v1'),
    upstreamReranker('down', 'down/v1'),
    upstreamReranker('reject', 'reject/v1'),
    upstreamReranker('bad', 'bad/v1'),
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {};
  for (const d of config.deployments)
    adapters[d.name] =
      d.provider === 'simulated'
        ? createSimulatedAdapter(d)
        : createOpenAiAdapter(d, http, { UP_KEY: 'sk-up' });
  const t = await buildTestApp(config, adapters);
  return { ...t, sent };
}

const DOCS = [
  'Berlin is the capital of Germany.',
  'Paris is the capital and largest city of France.',
  { text: 'Cats sleep all day.' },
];
const rerank = (payload: Record<string, unknown>, url = '/v1/rerank') => ({
  method: 'POST' as const,
  url,
  payload,
});

describe('rerank on the simulated reranker', () => {
  it('scores every document by BM25, best first, on every path; top_n and return_documents', async () => {
    const t = await setup();
    const body = { model: 'sim', query: 'capital of France', documents: DOCS };
    const replies = [];
    for (const url of ['/v1/rerank', '/v2/rerank', '/rerank', '/openai/v1/rerank']) {
      const res = await t.app.inject(rerank(body, url));
      expect(res.statusCode).toBe(200);
      replies.push(res.json());
    }
    const first = replies[0];
    // The same request, the same scores, whichever path.
    for (const r of replies) expect(r.results).toEqual(first.results);
    expect(first.results.map((r: { index: number }) => r.index)).toEqual([1, 0, 2]);
    const scores = first.results.map((r: { relevance_score: number }) => r.relevance_score);
    expect(scores[0]).toBeGreaterThan(scores[1]);
    expect(scores[1]).toBeGreaterThan(0);
    expect(scores[2]).toBe(0); // shares no word with the query
    expect(scores[0]).toBeLessThan(1);
    expect(first.results[0].document).toBeUndefined();
    expect(first).toMatchObject({
      model: 'sim-model',
      meta: { billed_units: { search_units: 1 } },
      usage: { total_tokens: expect.any(Number) },
    });
    expect(first.id).toMatch(/^rerank-sim/);

    const top = await t.app.inject(rerank({ ...body, top_n: 1, return_documents: true }));
    expect(top.json().results).toEqual([
      { index: 1, relevance_score: scores[0], document: { text: DOCS[1] } },
    ]);
    // One search unit at 0.002 plus the reported tokens at 1 USD per 1M.
    const record = t.records[t.records.length - 1]!;
    expect(record).toMatchObject({ endpoint: 'rerank', deployment: 'sim', status: 200 });
    expect(record.promptTokens).toBe(top.json().usage.total_tokens);
    // The tokens are the upstream's, its search units (priced here) the router's count.
    expect(record.usageEstimated).toBe(true);
    expect(record.costUsd).toBeCloseTo(0.002 + record.promptTokens / 1e6, 12);
    await t.app.close();
  });

  it('bills a search unit per 100 documents, long documents counting once per 500 tokens', async () => {
    const t = await setup();
    const documents = Array.from({ length: 150 }, (_, i) => `document ${i}`);
    documents.push('x'.repeat(4 * 1200)); // 1,200 tokens with the query: three chunks
    const res = await t.app.inject(rerank({ model: 'sim', query: 'document', documents }));
    expect(res.statusCode).toBe(200);
    // 150 + 3 chunks: two search units.
    expect(res.json().meta.billed_units.search_units).toBe(2);
    expect(res.json().results).toHaveLength(151);
    await t.app.close();
  });
});

describe('rerank on an OpenAI-compatible upstream', () => {
  it("sends Cohere's body to baseUrl + rerankPath; sorts the reply; bills its search units", async () => {
    const t = await setup();
    const res = await t.app.inject(
      rerank(
        { model: 'cohere', query: 'q', documents: DOCS, top_n: 2, return_documents: true },
        '/v2/rerank',
      ),
    );
    expect(res.statusCode).toBe(200);
    const sent = t.sent[t.sent.length - 1]!;
    expect(sent.url).toBe('http://up.test/cohere/v2/rerank');
    expect(sent.headers.authorization).toBe('Bearer sk-up');
    // Documents go as strings, the model as the upstream names it; the rest as the client sent.
    expect(JSON.parse(sent.body)).toEqual({
      model: 'rerank-v3.5',
      query: 'q',
      documents: [DOCS[0], DOCS[1], 'Cats sleep all day.'],
      top_n: 2,
      return_documents: true,
    });
    expect(res.json()).toEqual({
      id: 'cohere-1',
      results: [
        { index: 2, relevance_score: 0.9, document: { text: 'Cats sleep all day.' } },
        { index: 1, relevance_score: 0.5, document: { text: DOCS[1] } },
      ],
      model: 'rerank-v3.5',
      meta: { api_version: { version: '2' }, billed_units: { search_units: 3 } },
      usage: { total_tokens: expect.any(Number) },
    });
    expect(res.headers['x-router-deployment']).toBe('cohere');
    expect(t.records[t.records.length - 1]!.costUsd).toBeCloseTo(3 * 0.002, 12);
    // Cohere reported its search units but no tokens: those are the router's estimate.
    expect(t.records[t.records.length - 1]!.usageEstimated).toBe(true);

    // The default path: `rerank` under a baseUrl ending in /v1 (vLLM's /v1/rerank).
    await t.app.inject(rerank({ model: 'vllm', query: 'q', documents: ['a', 'b', 'c'] }));
    expect(t.sent[t.sent.length - 1]!.url).toBe('http://up.test/vllm/v1/rerank');
    await t.app.close();
  });

  it("an upstream's 400 reaches the client in the OpenAI envelope with its message", async () => {
    const t = await setup();
    const res = await t.app.inject(rerank({ model: 'reject', query: 'q', documents: ['a'] }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('too many tokens in query'),
    });
    expect(t.records[t.records.length - 1]).toMatchObject({ endpoint: 'rerank', status: 400 });
    await t.app.close();
  });

  it('a pool fails over: a 503, or a reply naming a document not sent, tries the next member', async () => {
    const t = await setup();
    const res = await t.app.inject(
      rerank({ model: 'rerank-pool', query: 'q', documents: ['a', 'b', 'c'] }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('cohere');
    expect(res.headers['x-router-attempts']).toBe('2');
    const record = t.records[t.records.length - 1]!;
    expect(record.router).toBe('rerank-pool');
    expect(record.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['down', expect.not.stringMatching(/^ok$/)],
      ['cohere', 'ok'],
    ]);
    const bad = await t.app.inject(rerank({ model: 'bad-pool', query: 'q', documents: ['a'] }));
    expect(bad.statusCode).toBe(200);
    expect(bad.headers['x-router-deployment']).toBe('sim');
    const alone = await t.app.inject(rerank({ model: 'bad', query: 'q', documents: ['a'] }));
    expect(alone.statusCode).toBe(502);
    expect(alone.json().error.code).toBe('upstream_malformed_response');
    expect(alone.json().error.message).toContain('names document 7 of 1');
    await t.app.close();
  });
});

describe('rerank input', () => {
  it.each([
    [{ query: 'q', documents: ['a'] }, 'model'],
    [{ model: 'sim', documents: ['a'] }, 'query'],
    [{ model: 'sim', query: 3, documents: ['a'] }, 'query'],
    [{ model: 'sim', query: 'q', documents: [] }, 'documents'],
    [{ model: 'sim', query: 'q', documents: 'a' }, 'documents'],
    [
      { model: 'sim', query: 'q', documents: Array(MAX_RERANK_DOCUMENTS + 1).fill('a') },
      'documents',
    ],
    [{ model: 'sim', query: 'q', documents: ['a', 7] }, 'documents[1]'],
    [{ model: 'sim', query: 'q', documents: [{ title: 'no text' }] }, 'documents[0]'],
    [{ model: 'sim', query: 'q', documents: ['a'], top_n: 0 }, 'top_n'],
    [{ model: 'sim', query: 'q', documents: ['a'], top_n: 1.5 }, 'top_n'],
    [{ model: 'sim', query: 'q', documents: ['a'], max_tokens_per_doc: -1 }, 'max_tokens_per_doc'],
    [{ model: 'sim', query: 'q', documents: ['a'], return_documents: 'yes' }, 'return_documents'],
  ])('bad input %# is a 400 naming %1$s', async (payload, param) => {
    const t = await setup();
    const res = await t.app.inject(rerank(payload));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
    await t.app.close();
  });

  it('a chat model or router named on /v1/rerank, and a reranker on chat, say where to go', async () => {
    const t = await setup();
    const chat = await t.app.inject(rerank({ model: 'big', query: 'q', documents: ['a'] }));
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error.code).toBe('model_not_rerank');
    const router = await t.app.inject(
      rerank({ model: 'model-router', query: 'q', documents: ['a'] }),
    );
    expect(router.json().error.message).toContain('routers route chat');
    const back = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'sim', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(back.statusCode).toBe(400);
    expect(back.json().error.message).toContain('POST /v1/rerank');
    await t.app.close();
  });

  it('a rerank deployment on a provider without a rerank API is a config error', () => {
    for (const provider of ['openai', 'azure', 'anthropic'] as const) {
      const input = testConfigInput();
      input.deployments.push(
        reranker('r', {
          provider,
          baseUrl: 'https://x.test',
          apiVersion: '2024-10-21',
          simulation: undefined,
        }),
      );
      let error: ConfigError | undefined;
      try {
        parseConfig(input, {});
      } catch (e) {
        error = e as ConfigError;
      }
      expect(error?.message).toContain(`provider "${provider}" has no rerank API`);
    }
  });
});

describe('rerank governed as the other named kinds (createRuntime)', () => {
  const KEY = 'mr-rerank-key-0123456789';
  const CHAT_KEY = 'mr-rerank-chat-only-0123456789';

  it('scopes, the deployment’s and the key’s limits (TPM by the documents), a budget', async () => {
    const input = testConfigInput({
      auth: {
        mode: 'keys',
        keys: [
          {
            id: 'team-r',
            hash: hashApiKey(KEY),
            tenant: 'team-r',
            scopes: ['rr', 'paid-rr'],
            rateLimit: { tpm: 2_000 },
          },
          { id: 'chat', hash: hashApiKey(CHAT_KEY), tenant: 'team-c', scopes: ['model-router'] },
          {
            id: 'thrifty',
            hash: hashApiKey(`${KEY}-thrifty`),
            tenant: 'team-t',
            scopes: ['paid-rr'],
            budget: { dailyUsd: 0.5 },
          },
        ],
      },
    });
    input.deployments.push(
      reranker('rr', { rateLimit: { rpm: 2 } }),
      reranker('paid-rr', { prices: { inputPer1M: 0, outputPer1M: 0, perSearchUnit: 1 } }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const post = (key: string, payload: Record<string, unknown>) =>
        rt.app.inject({
          method: 'POST',
          url: '/v2/rerank',
          headers: { authorization: `Bearer ${key}` },
          payload,
        });
      const one = { model: 'rr', query: 'q', documents: ['a'] };
      expect((await post('', one)).statusCode).toBe(401);
      const chatOnly = await post(CHAT_KEY, one);
      expect(chatOnly.statusCode).toBe(403);
      expect(chatOnly.json().error.message).toContain('"rr"');
      expect((await post(KEY, one)).statusCode).toBe(200);
      expect((await post(KEY, one)).statusCode).toBe(200);
      const deploymentLimited = await post(KEY, one);
      expect(deploymentLimited.statusCode).toBe(429);
      expect(deploymentLimited.json().error.message).toContain('deployment rr');
      // 6,000 characters of documents: 1,500 tokens of the key's 2,000 a minute, then no more.
      const big = {
        model: 'paid-rr',
        query: 'q',
        documents: ['d'.repeat(3_000), 'e'.repeat(3_000)],
      };
      expect((await post(KEY, big)).statusCode).toBe(200);
      const keyLimited = await post(KEY, big);
      expect(keyLimited.statusCode).toBe(429);
      expect(keyLimited.json().error.message).toContain('API key team-r');
      // A search unit costs 1 USD here; the key's 0.5 a day is spent by the first.
      const thrifty = `${KEY}-thrifty`;
      expect((await post(thrifty, { ...one, model: 'paid-rr' })).statusCode).toBe(200);
      const broke = await post(thrifty, { ...one, model: 'paid-rr' });
      expect(broke.statusCode).toBe(429);
      expect(broke.json().error.code).toBe('budget_exceeded');
    } finally {
      await rt.close();
    }
  });

  it('the content filter blocks on the query or any document and redacts what it reads', async () => {
    const input = testConfigInput({
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
    input.deployments.push(reranker('rr'));
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const post = (payload: Record<string, unknown>) =>
        rt.app.inject({ method: 'POST', url: '/v1/rerank', payload: { model: 'rr', ...payload } });
      const inQuery = await post({ query: 'project-x', documents: ['a'] });
      expect(inQuery.statusCode).toBe(400);
      expect(inQuery.json().error.code).toBe('content_filter');
      const inDocument = await post({
        query: 'q',
        documents: ['a', { text: 'the project-x plan' }],
      });
      expect(inDocument.statusCode).toBe(400);
      expect(inDocument.json().error.code).toBe('content_filter');
      // The reranker reads the redacted document: the address's words no longer match the query.
      const redacted = await post({
        query: 'example',
        documents: ['write to ann@example.com', 'an example'],
        return_documents: true,
      });
      expect(redacted.statusCode).toBe(200);
      const results = redacted.json().results;
      expect(results[0]).toMatchObject({ index: 1, document: { text: 'an example' } });
      expect(results[1]).toMatchObject({ index: 0, relevance_score: 0 });
      // The client gets its own text back, as Cohere returns it.
      expect(results[1].document.text).toBe('write to ann@example.com');
    } finally {
      await rt.close();
    }
  });
});

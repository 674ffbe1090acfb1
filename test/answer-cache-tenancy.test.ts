// The answer cache and the semantic cache keep tenants apart (docs/concepts.md "Answer cache",
// docs/operations.md "Security model"): an answer kept for team-a is a hit for team-a only, never
// for team-b, nor for a team-a key with a narrower model subset, nor for a request in another
// data zone; on every API that reads the cache (Chat Completions, Responses, Messages,
// embeddings), streamed or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import type { Runtime } from '../src/runtime.js';
import { ANTHROPIC, KEY, bearer, startAccessRuntime } from './helpers/access-runtime.js';
import { simDeployment } from './helpers/test-config.js';
import {
  cleanupPrefix,
  redisAvailable,
  redisStateInput,
  uniquePrefix,
} from './redis/redis-helpers.js';

const PREFIX = uniquePrefix('hsec-cache');
// In the process, and in Redis (where the answers are shared by replicas and the semantic index
// is fed from a stream).
const STATES: [string, () => Promise<Partial<ConfigInput> | undefined>][] = [
  ['memory', async () => ({})],
  [
    'Redis',
    async () => ((await redisAvailable()) ? { state: redisStateInput(PREFIX) } : undefined),
  ],
];

describe.each(STATES)('with the state in %s', (state, stateInput) => {
  let rt: Runtime | undefined;

  beforeAll(async () => {
    const input = await stateInput();
    if (!input) return;
    rt = await startAccessRuntime({
      ...input,
      // `mid` alone is in the EU: a request asking for the EU zone is served there.
      deployments: [
        simDeployment('big', { prices: { inputPer1M: 10, outputPer1M: 30 } }),
        simDeployment('mid', { prices: { inputPer1M: 1, outputPer1M: 4 }, dataZone: 'eu' }),
        simDeployment('small', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
      ],
    });
  });

  afterAll(async () => {
    await rt?.close();
    if (state === 'Redis' && rt) await cleanupPrefix(PREFIX);
  });

  /** `x-router-cache` of a request as `key`, with its answer's deployment. */
  async function ask(
    url: string,
    key: string,
    payload: unknown,
    headers: Record<string, string> = {},
  ) {
    if (!rt) throw new Error('no router');
    const res = await rt.app.inject({
      method: 'POST',
      url,
      headers: { ...bearer(key), ...headers },
      payload: payload as string,
    });
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return String(res.headers['x-router-cache']);
  }

  const APIS: [string, (text: string) => unknown, Record<string, string>][] = [
    [
      '/v1/chat/completions',
      (text) => ({ model: 'model-router', messages: [{ role: 'user', content: text }] }),
      {},
    ],
    ['/v1/responses', (text) => ({ model: 'model-router', input: text }), {}],
    [
      '/v1/messages',
      (text) => ({
        model: 'model-router',
        max_tokens: 64,
        messages: [{ role: 'user', content: text }],
      }),
      ANTHROPIC,
    ],
  ];

  describe('the exact answer cache', () => {
    for (const [url, body, headers] of APIS)
      it(`${url}: team-a's answer is a hit for team-a only`, async (ctx) => {
        if (!rt) return ctx.skip();
        const q = body(`What is the capital of France? (${url})`);
        expect(await ask(url, KEY.a, q, headers)).toBe('miss');
        expect(await ask(url, KEY.a, q, headers)).toBe('hit');
        // Streamed or not (a stream is answered from a kept JSON answer too).
        expect(await ask(url, KEY.b, { ...(q as object), stream: true }, headers)).toBe('miss');
        expect(await ask(url, KEY.b, q, headers)).toBe('hit'); // team-b's own, kept just now
        expect(await ask(url, KEY.subset, q, headers)).toBe('miss');
        expect(await ask(url, KEY.a, q, { ...headers, 'x-router-data-zone': 'eu' })).toBe('miss');
      });

    it("embeddings: team-a's vectors are a hit for team-a only", async (ctx) => {
      if (!rt) return ctx.skip();
      const q = { model: 'emb', input: 'team-a embeds this' };
      expect(await ask('/v1/embeddings', KEY.a, q)).toBe('miss');
      expect(await ask('/v1/embeddings', KEY.a, q)).toBe('hit');
      expect(await ask('/v1/embeddings', KEY.b, q)).toBe('miss');
      // A batch with team-a's input in it is not answered in part from team-a's vectors.
      const batch = { model: 'emb', input: ['team-a embeds that', 'and team-b this'] };
      expect(await ask('/v1/embeddings', KEY.a, { ...batch, input: [batch.input[0]] })).toBe(
        'miss',
      );
      expect(await ask('/v1/embeddings', KEY.b, batch)).toBe('miss');
      expect(await ask('/v1/embeddings', KEY.a, batch)).toBe('partial');
    });
  });

  describe('the semantic cache', () => {
    for (const [url, body, headers] of APIS)
      it(`${url}: team-a's answer to a near question is not another tenant's or key subset's`, async (ctx) => {
        if (!rt) return ctx.skip();
        const text = `Plan a two week trip to Portugal with a budget of two thousand euros (${url})`;
        expect(await ask(url, KEY.a, body(text), headers)).toBe('miss');
        // The same words but one: team-a's own near question is a semantic hit (the check below
        // can see a leak).
        const near = body(`${text}, please`);
        expect(await ask(url, KEY.b, near, headers)).toBe('miss');
        expect(await ask(url, KEY.subset, near, headers)).toBe('miss');
        expect(await ask(url, KEY.a, near, { ...headers, 'x-router-data-zone': 'eu' })).toBe(
          'miss',
        );
        expect(await ask(url, KEY.a, near, headers)).toBe('semantic');
      });
  });
});

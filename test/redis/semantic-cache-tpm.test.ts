// A semantic-cache lookup embeds the conversation on an embedding deployment, charging that
// deployment's TPM with the router's estimate of the text's tokens before the call. The
// upstream's reported usage then corrects the charge, as a chat attempt's is corrected when its
// request settles: in process (state.kind memory) and in Redis (state.kind redis) alike.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigHolder, compileConfig } from '../../src/config/runtime-config.js';
import { createManualClock } from '../../src/core/clock.js';
import { createGovernancePolicies } from '../../src/policy/governance-policies.js';
import { RateLimiter } from '../../src/policy/rate-limit.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { MemoryState } from '../../src/store/memory/memory-state.js';
import type { SharedState } from '../../src/store/shared-state.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { fakeAdapter } from '../helpers/fake-adapter.js';
import { simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';
import { redisSuite } from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const suite = await redisSuite();

const TRIP =
  'I am planning a two week trip to Portugal in the spring with my partner and we enjoy hiking good food and small towns away from the crowds so please suggest an itinerary that balances Lisbon Porto and the Douro valley with a few quiet days near the coast';
// One token a millisecond: the bucket level is whole milliseconds, free of float error.
const TPM = 60_000;
const BUCKET = { key: 'rl:deployment:embed:tpm', limit: TPM, windowMs: 60_000, cost: 0 };

async function lookupOnce(state: SharedState) {
  const input = testConfigInput({
    cache: { enabled: true, ttlSeconds: 600, semantic: { enabled: true, embeddings: 'embed' } },
  });
  input.deployments.push(simEmbeddingDeployment('embed', { rateLimit: { tpm: TPM } }));
  const config = parseConfig(input, {}).config;
  // The limiter's clock stands still: no bucket refills between the charge and the read.
  const limiterClock = createManualClock();
  const limiter = new RateLimiter({ state, clock: limiterClock });
  const sim = createSimulatedAdapter(config.deployments.find((d) => d.name === 'embed')!);
  const reported: number[] = [];
  const embed: ProviderAdapter = {
    ...sim,
    async embed(req) {
      const reply = await sim.embed!(req);
      reported.push(reply.response.usage.prompt_tokens);
      return reply;
    },
  };
  const policies = createGovernancePolicies({
    config: new ConfigHolder(compileConfig(config)),
    limiter,
  });
  const script = [{ reply: 'first' }];
  const t = await buildTestApp(
    config,
    {
      big: fakeAdapter('big-sim', script),
      mid: fakeAdapter('mid-sim', script),
      small: fakeAdapter('small-sim', script),
      embed,
    },
    { policies },
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model: 'model-router', messages: [{ role: 'user', content: TRIP }] },
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['x-router-cache']).toBe('miss');
  expect(reported).toHaveLength(1);
  const text = `user: ${TRIP}\n`;
  const estimate = Math.ceil(text.length / 4);
  // Otherwise the correction could not be seen.
  expect(reported[0]).not.toBe(estimate);
  return {
    reported: reported[0]!,
    remaining: () =>
      state.consume([BUCKET], limiterClock.now()).then((r) => r.buckets[0]!.remaining),
  };
}

describe('semantic-cache lookups settle the embedding deployment TPM with reported usage', () => {
  it('in memory', async () => {
    const state = new MemoryState(createManualClock());
    const { reported, remaining } = await lookupOnce(state);
    await waitFor(async () => expect(await remaining()).toBe(TPM - reported));
  });

  describe.skipIf(!suite.available)('in Redis', () => {
    it('the shared bucket holds the reported tokens, not the estimate', async () => {
      const state = await suite.state(suite.prefix('semantic-tpm'));
      const { reported, remaining } = await lookupOnce(state);
      await waitFor(async () => expect(await remaining()).toBe(TPM - reported));
    });
  });
});

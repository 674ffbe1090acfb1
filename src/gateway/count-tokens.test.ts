// countTokens and the shutdown drain: a provider's count still running at the drain deadline is
// stopped and the router's own count answers, with a warning saying why.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS_CONTEXT } from '../auth/authenticate.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import type { ProviderAdapter } from '../providers/types.js';
import { simEmbeddingDeployment, testConfig } from '../../test/helpers/test-config.js';
import { CallDrain } from './call-drain.js';
import { countTokens } from './count-tokens.js';

describe('countTokens and the shutdown drain', () => {
  it("a provider's count running at the deadline gives way to the router's own", async () => {
    const drain = new CallDrain();
    let asked = 0;
    // A provider that counts only when aborted, and then fails as an adapter does.
    const adapter = {
      countTokens: ({ signal }: { signal: AbortSignal }) => {
        asked++;
        return new Promise<number>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      },
    } as unknown as ProviderAdapter;
    const counting = countTokens(
      {
        config: new ConfigHolder(compileConfig(testConfig())),
        adapters: { adapterFor: () => adapter },
        drain,
      },
      {
        request: { model: 'big', messages: [{ role: 'user', content: 'Hello there' }] },
        auth: ANONYMOUS_CONTEXT,
      },
    );
    await Promise.resolve();
    expect(asked).toBe(1);
    expect(drain.stopAll()).toBe(1);
    const counted = await counting;
    expect(counted.countedBy).toBe('router');
    expect(counted.inputTokens).toBeGreaterThan(0);
    expect(counted.warning).toBe(
      "big could not count (the router is shutting down); this is the router's own count",
    );
    expect(drain.size).toBe(0);
  });
});

/** The test config's deployments, each counting 7 tokens; `asked()` is how often one was asked. */
function countingSeven(policies?: Parameters<typeof countTokens>[0]['policies']) {
  let asked = 0;
  const adapter = {
    countTokens: () => {
      asked++;
      return Promise.resolve(7);
    },
  } as unknown as ProviderAdapter;
  return {
    deps: {
      config: new ConfigHolder(compileConfig(testConfig())),
      adapters: { adapterFor: () => adapter },
      policies,
    },
    asked: () => asked,
  };
}

describe("countTokens and the key's model subset", () => {
  it("a model the request's route does not serve (an embedding model) is its 400, not a count", async () => {
    const config = testConfig({
      deployments: [...testConfig().deployments, simEmbeddingDeployment('embed')] as never,
    });
    const err = await countTokens(
      {
        config: new ConfigHolder(compileConfig(config)),
        adapters: { adapterFor: () => ({}) as ProviderAdapter },
      },
      {
        request: { model: 'embed', messages: [{ role: 'user', content: 'Hello there' }] },
        auth: ANONYMOUS_CONTEXT,
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'model_not_chat' });
  });

  it('a deployment outside the subset is a 403, its provider never asked', async () => {
    // Security audit F3 (2026-12-06): 200 here while every other route said 403.
    const { deps, asked } = countingSeven();
    const auth = { ...ANONYMOUS_CONTEXT, modelSubset: ['small'] };
    const request = (model: string) => ({
      model,
      messages: [{ role: 'user' as const, content: 'Hello there' }],
    });
    await expect(countTokens(deps, { request: request('big'), auth })).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('model subset'),
    });
    expect(asked()).toBe(0);
    expect((await countTokens(deps, { request: request('small'), auth })).inputTokens).toBe(7);
  });
});

describe("countTokens and the key's rate limit", () => {
  it('is charged before counting; a refusal stops the count', async () => {
    let charged = 0;
    const refusal = Object.assign(new Error('rpm'), { status: 429 });
    const { deps, asked } = countingSeven({
      chargeKeyRequest: () => (++charged > 1 ? Promise.reject(refusal) : Promise.resolve()),
    });
    const call = {
      request: { model: 'small', messages: [{ role: 'user' as const, content: 'Hi' }] },
      auth: ANONYMOUS_CONTEXT,
    };
    expect((await countTokens(deps, call)).inputTokens).toBe(7);
    await expect(countTokens(deps, call)).rejects.toBe(refusal);
    expect([charged, asked()]).toEqual([2, 1]);
  });
});

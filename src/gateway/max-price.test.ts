// Price ceilings through the gateway (scripted adapters, in process): a router and a pool keep to
// deployments priced within the request's max_price, from OpenRouter's body field or the header;
// the receipt names the rule; `provider` never reaches the upstream; bad values get a 400.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';

// The test fleet: big $10/$30, mid $1/$4, small $0.1/$0.4 per 1M tokens.
async function setup() {
  const adapters = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(`${n}-model`, [{ reply: 'ok' }])]),
  );
  const t = await buildTestApp(
    testConfig({ pools: [{ name: 'spread', deployments: ['big', 'mid'], strategy: 'priority' }] }),
    adapters,
  );
  return { t, adapters };
}
const ask = (model: string, extra: object = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Prove that there are infinitely many primes.' }],
  ...extra,
});

describe('max_price', () => {
  it('keeps a router to deployments within the ceiling, says why in the receipt, and sends nothing of it upstream', async () => {
    const { t, adapters } = await setup();
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask('model-router', {
        provider: { max_price: { prompt: 2, completion: '5' }, order: ['mid'] },
      }),
      headers: { 'x-router-mode': 'quality' },
    });
    expect(r.statusCode).toBe(200);
    expect(['mid', 'small']).toContain(r.headers['x-router-deployment']);
    const receipt = t.gateway.receipt(r.headers['x-router-decision-id'] as string)!;
    const big = receipt.candidates.find((c) => c.deployment === 'big')!;
    expect(big.failedRules.map((f) => f.rule)).toEqual(['max_price']);
    const served = adapters[r.headers['x-router-deployment'] as string]!;
    // `provider` is the router's (provider-preferences.ts): none of it goes upstream, and an
    // order a router deployment does not follow is named in the warnings.
    expect(served.calls.at(-1)!.body).not.toHaveProperty('provider');
    expect(r.headers['x-router-warnings']).toContain('provider.order not applied');
  });

  it('the header does the same on any target, the lower of the two wins, and nothing within it is a 400', async () => {
    const { t } = await setup();
    const send = (model: string, header: string, extra: object = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: ask(model, extra),
        headers: { 'x-router-max-price': header },
      });
    // The pool spills from big to mid without calling big.
    const pooled = await send('spread', 'completion=5');
    expect(pooled.headers['x-router-deployment']).toBe('mid');
    expect(pooled.headers['x-router-attempts']).toBe('1');
    // Body 50, header 0.5: only small is within both.
    const lower = await send('model-router', 'prompt=0.5', {
      provider: { max_price: { prompt: 50 } },
    });
    expect(lower.headers['x-router-deployment']).toBe('small');
    // Big by name, above the ceiling: a 400 that names the rule.
    const direct = await send('big', 'prompt=1,completion=1');
    expect(direct.statusCode).toBe(400);
    expect(direct.json().error.code).toBe('no_eligible_deployment');
    expect(direct.json().error.message).toContain('max_price');
  });

  it('a malformed ceiling gets a 400 naming the header or field', async () => {
    const { t } = await setup();
    for (const [headers, provider, param] of [
      [{ 'x-router-max-price': 'cheap' }, undefined, 'x-router-max-price'],
      [{ 'x-router-max-price': 'prompt=-1' }, undefined, 'x-router-max-price'],
      [{}, { max_price: 3 }, 'provider.max_price'],
      [{}, { max_price: { completion: 'lots' } }, 'provider.max_price.completion'],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: ask('model-router', provider ? { provider } : {}),
        headers,
      });
      expect(r.statusCode, param).toBe(400);
      expect(r.json().error.param).toBe(param);
    }
  });
});

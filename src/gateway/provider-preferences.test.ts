// OpenRouter's provider preferences through the gateway (scripted adapters, in process): `only`
// and `ignore` narrow eligibility with the rule in the receipt, `order` and `sort` set a pool's
// order, `allow_fallbacks: false` stops at the first choice, the data promises route only to
// deployments that declare them, what is not applied is a warning, and bad values a 400.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { testConfig, testConfigInput } from '../../test/helpers/test-config.js';

// The test fleet: big $10/$30, mid $1/$4, small $0.1/$0.4 per 1M tokens; `pricey-first` lists
// them most expensive first, tried in that order.
async function setup(scripts: Record<string, Step[]> = {}, dataPolicy?: object) {
  const adapters = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [
      n,
      fakeAdapter(`${n}-model`, scripts[n] ?? [{ reply: 'ok' }]),
    ]),
  );
  const deployments = testConfigInput().deployments.map((d) =>
    d.name === 'mid' && dataPolicy ? { ...d, dataPolicy } : d,
  );
  const t = await buildTestApp(
    testConfig({
      deployments,
      pools: [{ name: 'pricey-first', deployments: ['big', 'mid', 'small'], strategy: 'priority' }],
    }),
    adapters,
  );
  const send = (model: string, provider: unknown, extra: object = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model, messages: [{ role: 'user', content: 'Hi there.' }], provider, ...extra },
    });
  return { t, adapters, send };
}

const failedRules = (
  t: Awaited<ReturnType<typeof setup>>['t'],
  id: string,
): Record<string, string[]> =>
  Object.fromEntries(
    t.gateway.receipt(id)!.candidates.map((c) => [c.deployment, c.failedRules.map((f) => f.rule)]),
  );

describe('provider preferences', () => {
  it('only and ignore narrow a router, by name or provider kind; the receipt names the rule', async () => {
    const { t, send, adapters } = await setup();
    const only = await send('model-router', { only: ['mid', 'big'] });
    expect(only.statusCode).toBe(200);
    expect(['big', 'mid']).toContain(only.headers['x-router-deployment']);
    expect(failedRules(t, only.headers['x-router-decision-id'] as string)).toEqual({
      big: [],
      mid: [],
      small: ['provider_only'],
    });
    const ignore = await send('model-router', { ignore: ['small'] });
    expect(failedRules(t, ignore.headers['x-router-decision-id'] as string).small).toEqual([
      'provider_ignore',
    ]);
    // A provider kind names all its deployments: nothing is left, a 400 naming the field.
    const none = await send('model-router', { ignore: ['Simulated'] });
    expect(none.statusCode).toBe(400);
    expect(none.json().error).toMatchObject({
      code: 'no_eligible_deployment',
      param: 'provider.ignore',
    });
    expect(none.json().error.message).toContain('provider_ignore');
    // Nothing of `provider` reaches an upstream.
    for (const a of Object.values(adapters))
      for (const call of a.calls) expect(call.body).not.toHaveProperty('provider');
  });

  it('order and sort set a pool order; allow_fallbacks: false stops at the first choice', async () => {
    // small answers once, then fails with a 500.
    const { t, send, adapters } = await setup({
      small: [{ reply: 'ok' }, { error: { status: 500 } }],
    });
    expect((await send('pricey-first', undefined)).headers['x-router-deployment']).toBe('big');
    expect((await send('pricey-first', { sort: 'price' })).headers['x-router-deployment']).toBe(
      'small',
    );
    // small fails: the next cheapest serves, unless fallbacks are off.
    const fellBack = await send('pricey-first', { sort: { by: 'price' } });
    expect(fellBack.headers['x-router-deployment']).toBe('mid');
    expect(fellBack.headers['x-router-attempts']).toBe('2');
    const calledMid = adapters.mid!.calls.length;
    const stopped = await send('pricey-first', { sort: 'price', allow_fallbacks: false });
    expect(stopped.statusCode).toBe(500);
    expect(t.records.at(-1)!.attempts.map((a) => a.deployment)).toEqual(['small']);
    expect(adapters.mid!.calls.length).toBe(calledMid);
    // order: the named first, in its order; with allow_fallbacks false, only those.
    expect(
      (await send('pricey-first', { order: ['mid', 'big'] })).headers['x-router-deployment'],
    ).toBe('mid');
    const onlyOrdered = await send('pricey-first', {
      order: ['small', 'mid'],
      allow_fallbacks: false,
    });
    expect(onlyOrdered.headers['x-router-deployment']).toBe('mid');
    expect(t.records.at(-1)!.attempts.map((a) => a.deployment)).toEqual(['small', 'mid']);
    const namesNone = await send('pricey-first', { order: ['elsewhere'], allow_fallbacks: false });
    expect(namesNone.statusCode).toBe(400);
    expect(namesNone.json().error.param).toBe('provider.order');
  });

  it('allow_fallbacks: false on a router keeps the pick only, and its receipt says so', async () => {
    const { t, send, adapters } = await setup({
      big: [{ error: { status: 503 } }],
      mid: [{ error: { status: 503 } }],
      small: [{ error: { status: 503 } }],
    });
    const r = await send('model-router', { allow_fallbacks: false });
    expect(r.statusCode).toBe(503);
    const calls = ['big', 'mid', 'small'].map((n) => adapters[n]!.calls.length);
    expect(calls.reduce((a, b) => a + b)).toBe(1);
    const receipt = t.gateway.receipt(t.records.at(-1)!.decisionId!)!;
    expect(receipt.fallbacks).toEqual([]);
    expect(receipt.summary).toContain('No fallback.');
  });

  it('sort latency orders a pool by what the latency strategy measures', async () => {
    const { t, send } = await setup();
    t.gateway.load.observe('big', 'answer', 900);
    t.gateway.load.observe('mid', 'answer', 40);
    t.gateway.load.observe('small', 'answer', 300);
    expect((await send('pricey-first', { sort: 'latency' })).headers['x-router-deployment']).toBe(
      'mid',
    );
  });

  it('data_collection deny and zdr route only to deployments that declare them', async () => {
    const undeclared = await setup();
    const refused = await undeclared.send('model-router', { data_collection: 'deny' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.param).toBe('provider.data_collection');
    expect(refused.json().error.message).toContain('dataPolicy.noTraining');
    const zdr = await undeclared.send('pricey-first', { zdr: true });
    expect(zdr.json().error.param).toBe('provider.zdr');

    const { t, send } = await setup({}, { zeroRetention: true });
    for (const provider of [{ data_collection: 'deny' }, { zdr: true }]) {
      const r = await send('model-router', provider, { temperature: 0 });
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-router-deployment']).toBe('mid');
      const rules = failedRules(t, r.headers['x-router-decision-id'] as string);
      expect(rules.big).toEqual([Object.keys(provider)[0] === 'zdr' ? 'zdr' : 'data_collection']);
    }
  });

  it('what is accepted but not applied is a warning; require_parameters is how routing works', async () => {
    const { send } = await setup();
    const r = await send('pricey-first', {
      sort: 'throughput',
      quantizations: ['fp8'],
      require_parameters: true,
      preferred_min_throughput: 50,
    });
    expect(r.statusCode).toBe(200);
    const warnings = r.headers['x-router-warnings'] as string;
    expect(warnings).toContain('provider.sort throughput not applied');
    expect(warnings).toContain('provider.quantizations not applied');
    expect(warnings).toContain('provider.preferred_min_throughput not applied');
    expect(warnings).not.toContain('require_parameters');
  });

  it('an unknown key the warning names is header-safe: no 500 for a line break or a CJK name', async () => {
    const { send } = await setup();
    const r = await send('pricey-first', { 'a\r\nx-injected: yes': 1, 中: 2 });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-injected']).toBeUndefined();
    expect(r.headers['x-router-warnings']).toBe(
      'provider.a??x-injected: yes not applied: the router does not read it; provider.? not applied: the router does not read it',
    );
  });

  it('a malformed preference is a 400 naming provider.<field>', async () => {
    const { send } = await setup();
    for (const [provider, param] of [
      [5, 'provider'],
      [{ only: 'mid' }, 'provider.only'],
      [{ ignore: [''] }, 'provider.ignore'],
      [{ order: [1] }, 'provider.order'],
      [{ allow_fallbacks: 'no' }, 'provider.allow_fallbacks'],
      [{ sort: 'cheapest' }, 'provider.sort'],
      [{ data_collection: 'never' }, 'provider.data_collection'],
      [{ zdr: 1 }, 'provider.zdr'],
      [{ quantizations: 'fp8' }, 'provider.quantizations'],
      [{ require_parameters: 'yes' }, 'provider.require_parameters'],
    ] as const) {
      const r = await send('model-router', provider);
      expect(r.statusCode, param).toBe(400);
      expect(r.json().error.param).toBe(param);
    }
    const usage = await send('model-router', undefined, { usage: { include: 'yes' } });
    expect(usage.json().error.param).toBe('usage.include');
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { AdmitContext, AuthContext } from '../gateway/gateway-types.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { BudgetTracker } from './budget.js';
import { DeploymentBudgets } from './deployment-budget.js';
import { createContentFilter } from './content-filter.js';
import { createGovernancePolicies } from './governance-policies.js';
import { RateLimiter } from './rate-limit.js';

const config = parseConfig({
  deployments: [
    {
      name: 'small',
      provider: 'simulated',
      model: 'small',
      prices: { inputPer1M: 1, outputPer1M: 2 },
      contextWindow: 100_000,
      maxOutputTokens: 1000,
      rateLimit: { tpm: 10_000 },
    },
  ],
  routers: [{ name: 'r', modelSubset: ['small'], rateLimit: { rpm: 100, tpm: 1000 } }],
  budgets: { shiftToCostAt: 0.5, tenants: { acme: { dailyUsd: 1 } } },
  contentFilter: {
    enabled: true,
    rules: [{ id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact' }],
  },
}).config;

function setup() {
  const clock = createManualClock();
  const state = new MemoryState(clock);
  const holder = new ConfigHolder(compileConfig(config));
  const limiter = new RateLimiter({ state, clock });
  const budgets = new BudgetTracker({ state, clock, budgets: () => holder.current.config.budgets });
  const filter = createContentFilter(config.contentFilter);
  const policies = createGovernancePolicies({
    config: holder,
    limiter,
    budgets,
    contentFilter: () => filter,
  });
  const ctx = (promptTokens: number, tenant = 'acme', tags?: string[]): AdmitContext => ({
    promptTokens,
    target: { kind: 'router', router: holder.current.routers.get('r')! },
    call: {
      request: { model: 'r', messages: [] } as unknown as ChatRequest,
      endpoint: 'chat',
      auth: { keyId: 'k1', tenant, admin: false, scopes: ['*'] },
      headers: {},
      signal: new AbortController().signal,
      requestId: 'req',
      ...(tags ? { attribution: { tags } } : {}),
    },
  });
  return { policies, ctx, budgets, state, clock, holder };
}

describe('governance policies', () => {
  it('admits with rate-limit headers, corrects TPM and records spend on settle', async () => {
    const { policies, ctx, budgets } = setup();
    const c1 = ctx(100);
    const r1 = await policies.admit!(c1);
    expect(r1.headers).toMatchObject({
      'x-ratelimit-remaining-tokens': '900',
      'x-router-budget-used': '0.000',
    });
    policies.settle!(c1, {
      usage: { prompt_tokens: 100, completion_tokens: 300, total_tokens: 400 },
      costUsd: 0.3,
      status: 200,
    });
    await new Promise((r) => setImmediate(r)); // settle is fire-and-forget
    const r2 = await policies.admit!(ctx(0));
    expect(r2.headers!['x-ratelimit-remaining-tokens']).toBe('600');
    expect((await budgets.budgetState({ tenant: 'acme' })).lines[0]!.spentUsd).toBeCloseTo(0.3, 9);
    expect(r2.modeOverride).toBeUndefined();
  });

  it('shifts to cost mode near the budget and refuses (refunding tokens) when it is spent', async () => {
    const { policies, ctx, budgets, holder } = setup();
    await budgets.recordSpend({ tenant: 'acme' }, 0.6);
    const near = await policies.admit!(ctx(10));
    expect(near.modeOverride).toBe('cost');
    expect(near.warnings).toEqual(['budget 60% used: routing in cost mode']);
    await budgets.recordSpend({ tenant: 'acme' }, 0.4);
    const err = await Promise.resolve(policies.admit!(ctx(500))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('budget_exceeded');
    // The refused request's 500 tokens were refunded: the router's bucket, which another tenant
    // reads with `rateLimits.headers: shared`, still has 990 left.
    holder.apply(parseConfig({ ...config, rateLimits: { headers: 'shared' } }).config);
    const other = await policies.admit!(ctx(0, 'beta'));
    expect(other.headers!['x-ratelimit-remaining-tokens']).toBe('990');
  });

  it('charges limited tags in the round trip of the router limit; config reloads apply', async () => {
    const { policies, ctx, state, holder } = setup();
    holder.apply(
      parseConfig({ ...config, rateLimits: { tags: { 'nightly-batch': { rpm: 1 } } } }).config,
    );
    const rounds: string[][] = [];
    const consume = state.consume.bind(state);
    state.consume = (buckets, ...rest) => {
      rounds.push(buckets.map((b) => b.key));
      return consume(buckets, ...rest);
    };
    await policies.admit!(ctx(10, 'acme', ['nightly-batch', 'team=search']));
    expect(rounds).toEqual([
      [
        'rl:router:r:rpm',
        'rl:router:r:tpm',
        // The tenant's own use of the router's limit, for its headers (rateLimits.headers).
        'rl:tenant:acme/r:rpm',
        'rl:tenant:acme/r:tpm',
        'rl:tag:acme/nightly-batch:rpm',
      ],
    ]);
    const err = await Promise.resolve(policies.admit!(ctx(10, 'acme', ['nightly-batch']))).catch(
      (e: unknown) => e,
    );
    expect((err as GatewayError).message).toContain('tag nightly-batch (tenant acme)');
    // Untagged requests and unlimited tags pay for no tag bucket.
    rounds.length = 0;
    await policies.admit!(ctx(10, 'acme'));
    await policies.admit!(ctx(10, 'acme', ['team=search']));
    expect(rounds.flat().filter((k) => k.startsWith('rl:tag:'))).toEqual([]);
    // A reload that lifts the limit serves the tag at once; one that sets another applies too.
    holder.apply(config);
    await policies.admit!(ctx(10, 'acme', ['nightly-batch']));
    holder.apply(
      parseConfig({ ...config, rateLimits: { tags: { 'team=search': { rpm: 1 } } } }).config,
    );
    await policies.admit!(ctx(10, 'acme', ['team=search']));
    await expect(policies.admit!(ctx(10, 'acme', ['team=search']))).rejects.toThrow(
      /Rate limit reached for tag team=search \(tenant acme\)/,
    );
  });

  it('runs the content filter hooks', async () => {
    const { policies, ctx } = setup();
    const request = {
      model: 'r',
      messages: [{ role: 'user', content: 'mail x@y.com' }],
    } as ChatRequest;
    const out = await policies.filterInput!(request, ctx(1));
    expect(out.request.messages[0]).toEqual({ role: 'user', content: 'mail [redacted:email]' });
  });
});

describe('settle and deployment budgets', () => {
  it('counts attempts charged though they gave no answer against their own deployment', async () => {
    const budgeted = parseConfig({
      deployments: ['slow', 'fast'].map((name) => ({
        name,
        provider: 'simulated',
        model: name,
        prices: { inputPer1M: 1, outputPer1M: 2 },
        contextWindow: 100_000,
        maxOutputTokens: 1000,
        budget: { dailyUsd: 1 },
      })),
      routers: [{ name: 'r', modelSubset: ['slow', 'fast'] }],
    }).config;
    const clock = createManualClock();
    const state = new MemoryState(clock);
    const holder = new ConfigHolder(compileConfig(budgeted));
    const deploymentBudgets = new DeploymentBudgets({
      state,
      clock,
      deployments: () => holder.current.config.deployments,
    });
    const policies = createGovernancePolicies({ config: holder, deploymentBudgets });
    const [slow, fast] = ['slow', 'fast'].map((n) => holder.current.deployments.get(n)!);
    const ctx = {
      promptTokens: 10,
      target: { kind: 'router', router: holder.current.routers.get('r')! },
      call: { request: { model: 'r', messages: [] }, auth: { tenant: 't' } },
    } as unknown as AdmitContext;
    policies.settle!(ctx, {
      deployment: fast,
      costUsd: 0.5,
      status: 200,
      attempts: [
        { deployment: 'slow', model: 'slow', outcome: 'error', latencyMs: 1, costUsd: 0.2 },
        { deployment: 'fast', model: 'fast', outcome: 'ok', latencyMs: 1 },
      ],
    });
    await new Promise((r) => setImmediate(r)); // settle is fire-and-forget
    const spent = (d: typeof slow) => deploymentBudgets.lines(d!)[0]!.spentUsd;
    expect(spent(slow)).toBeCloseTo(0.2, 9);
    expect(spent(fast)).toBeCloseTo(0.3, 9);
  });
});

describe('chargeKeyRequest (the token-count routes)', () => {
  // Security audit F2 (2026-12-06): counts were never limited, though an exact count of a few
  // MB costs a core for seconds and the docs point to key rate limits against that.
  it("takes one request from the key's RPM and no tokens; a spent RPM is the 429", async () => {
    const { policies } = setup();
    const auth = {
      keyId: 'k1',
      tenant: 'acme',
      admin: false,
      scopes: ['*'],
      overrides: { rateLimit: { rpm: 2, tpm: 10 } },
    } as AuthContext;
    await policies.chargeKeyRequest!(auth);
    await policies.chargeKeyRequest!(auth);
    const err = await policies.chargeKeyRequest!(auth).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    // A key without a limit, or no key, is not charged.
    const free = { keyId: 'k2', tenant: 'acme', admin: false, scopes: ['*'] };
    for (let i = 0; i < 5; i++) await policies.chargeKeyRequest!(free);
  });
});

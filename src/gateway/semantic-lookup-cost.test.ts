// A semantic-cache lookup's embedding call is paid whatever becomes of the request, and counts at
// the embedding deployment that made it, the same in the request log's usage summary by
// deployment, the metrics, the live deployment budgets and the tenant's budget: after a request
// that fails, one answered upstream, and one answered from the cache. Before, a failed request's
// log put it at the last chat deployment tried and no deployment budget counted it; a served one
// put it at the chat deployment that served, in the log and its budget; a semantic hit at the
// deployment that wrote the kept answer in the log, and no deployment budget counted it.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../providers/types.js';
import { summarizeRecords } from '../store/request-summary.js';
import { recordRequestMetrics, registry } from '../telemetry/metrics.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { simEmbeddingDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { inputCostUsd } from './cost.js';
import { memoryBudgets } from '../../test/helpers/memory-budgets.js';

// semantic-cache.test.ts: a one-word change the simulated embeddings put at 0.9764.
const TRIP =
  'I am planning a two week trip to Portugal in the spring with my partner and we enjoy hiking good food and small towns away from the crowds so please suggest an itinerary that balances Lisbon Porto and the Douro valley with a few quiet days near the coast';
const PARAPHRASE = TRIP.replace('suggest', 'propose');

const DEPLOYMENTS = ['big', 'mid', 'small', 'embed'];

async function setup(script: Step[], opts: { unusableVector?: boolean } = {}) {
  const input: ConfigInput = testConfigInput({
    cache: { enabled: true, ttlSeconds: 600, semantic: { enabled: true, embeddings: 'embed' } },
    budgets: { tenants: { default: { dailyUsd: 100 } } },
  });
  input.deployments.push(simEmbeddingDeployment('embed'));
  for (const d of input.deployments) d.budget = { dailyUsd: 100 };
  const config = parseConfig(input, {}).config;
  const holder = new ConfigHolder(compileConfig(config));
  const { deploymentBudgets, tenantBudgets: budgets } = memoryBudgets(holder);
  const policies = createGovernancePolicies({ config: holder, deploymentBudgets, budgets });
  const sim = createSimulatedAdapter(config.deployments.find((d) => d.name === 'embed')!);
  /** The tokens the embedding model charged for each call. */
  const embedTokens: number[] = [];
  const embed: ProviderAdapter = {
    ...sim,
    async embed(req) {
      const reply = await sim.embed!(req);
      embedTokens.push(reply.response.usage.prompt_tokens);
      // An answer that holds no vector the cache can read (a string that is no base64 floats).
      if (opts.unusableVector) reply.response.data[0]!.embedding = 'no vector' as never;
      return reply;
    },
  };
  const chat = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(`${n}-sim`, script)]),
  );
  const t = await buildTestApp(config, { ...chat, embed }, { policies });
  const ask = (content: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content }] },
    });
  const embedCost = (i: number) =>
    inputCostUsd(holder.current.deployments.get('embed')!, embedTokens[i]!);
  /** Live spend: each deployment's budget, and the tenant's. */
  const live = async () => {
    await new Promise((r) => setImmediate(r)); // settle is fire-and-forget
    const byDeployment = Object.fromEntries(
      DEPLOYMENTS.map((n) => [
        n,
        deploymentBudgets.lines(holder.current.deployments.get(n)!)[0]!.spentUsd,
      ]),
    );
    const tenant = (await budgets.budgetState({ tenant: 'default' })).lines[0]!.spentUsd;
    return { byDeployment, tenant };
  };
  /** The request log's spend by deployment (the usage summary in memory). */
  const logged = () =>
    Object.fromEntries(
      summarizeRecords(t.records, 'deployment', 0, Number.MAX_SAFE_INTEGER).groups.map((g) => [
        g.key,
        g.costUsd,
      ]),
    );
  return { t, ask, embedCost, live, logged };
}

/** model_router_cost_usd_total summed by deployment. */
async function metricCost(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const metric = (await registry.getSingleMetric('model_router_cost_usd_total')!.get()).values;
  for (const v of metric) {
    const d = String(v.labels.deployment);
    out[d] = (out[d] ?? 0) + v.value;
  }
  return out;
}

function expectAt(spend: Record<string, number>, want: Record<string, number>): void {
  for (const n of DEPLOYMENTS) expect(spend[n] ?? 0, n).toBeCloseTo(want[n] ?? 0, 12);
}

describe("a semantic lookup's embedding call", () => {
  it('counts at the embedding deployment when the request then fails', async () => {
    const s = await setup([{ error: { status: 500 } }]);
    const before = await metricCost();
    const res = await s.ask(TRIP);
    expect(res.statusCode).toBe(500);
    const [record] = s.t.records;
    const cost = s.embedCost(0);
    expect(cost).toBeGreaterThan(0);
    expect(record!.costUsd).toBeCloseTo(cost, 15);
    // The failed request still names the last chat deployment it tried.
    expect(record!.deployment).not.toBe('embed');
    expectAt(s.logged(), { embed: cost });
    const live = await s.live();
    expectAt(live.byDeployment, { embed: cost });
    expect(live.tenant).toBeCloseTo(cost, 12);
    recordRequestMetrics(record!);
    const after = await metricCost();
    expect((after.embed ?? 0) - (before.embed ?? 0)).toBeCloseTo(cost, 12);
  });

  it('counts at the embedding deployment on a miss answered upstream, and on a semantic hit', async () => {
    const s = await setup([{ reply: 'first' }]);
    const before = await metricCost();
    const miss = await s.ask(TRIP);
    expect(miss.headers['x-router-cache']).toBe('miss');
    const hit = await s.ask(PARAPHRASE);
    expect(hit.headers['x-router-cache']).toBe('semantic');
    const [missRecord, hitRecord] = s.t.records;
    const served = missRecord!.deployment!;
    expect(served).not.toBe('embed');
    const embedded = s.embedCost(0) + s.embedCost(1);
    const answer = missRecord!.costUsd - s.embedCost(0);
    expect(answer).toBeGreaterThan(0);
    expect(hitRecord!.costUsd).toBeCloseTo(s.embedCost(1), 15);
    // Neither the served deployment nor the one the kept answer came from paid for embeddings.
    const want = { embed: embedded, [served]: answer };
    expectAt(s.logged(), want);
    const live = await s.live();
    expectAt(live.byDeployment, want);
    expect(live.tenant).toBeCloseTo(embedded + answer, 12);
    for (const r of s.t.records) recordRequestMetrics(r);
    const after = await metricCost();
    expect((after.embed ?? 0) - (before.embed ?? 0)).toBeCloseTo(embedded, 12);
    expect((after[served] ?? 0) - (before[served] ?? 0)).toBeCloseTo(answer, 12);
    // The routing headers count chat attempts only.
    expect(miss.headers['x-router-attempts']).toBe('1');
    expect(hit.headers['x-router-attempts']).toBe('0');
  });

  it('counts when its answer held no usable vector: a miss, the call paid all the same', async () => {
    const s = await setup([{ reply: 'first' }], { unusableVector: true });
    const res = await s.ask(TRIP);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-cache']).toBe('miss');
    const [record] = s.t.records;
    const cost = s.embedCost(0);
    expect(cost).toBeGreaterThan(0);
    const served = record!.deployment!;
    const answer = record!.costUsd - cost;
    expect(answer).toBeGreaterThan(0);
    const want = { embed: cost, [served]: answer };
    expectAt(s.logged(), want);
    const live = await s.live();
    expectAt(live.byDeployment, want);
    expect(live.tenant).toBeCloseTo(cost + answer, 12);
  });
});

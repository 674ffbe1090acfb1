// `model-router simulate --since 7d --mode cost|balanced|quality [--subset a,b] [--router <name>]
// [--config <file>]`: replays logged requests whose text was kept through the current routing
// model in another mode or subset, and compares predicted cost, predicted quality and the
// distribution with what happened.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import type { DeploymentConfig, RoutingMode } from '../config/schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import { DEFAULT_CONFIG_PATH } from '../main.js';
import { DEFAULT_MODELS_DIR, createRouterFactory } from '../routing/router-factory.js';
import { openRequestStore } from '../store/open-request-store.js';
import { parseDuration } from './report.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string', default: '7d' },
      mode: { type: 'string', default: 'balanced' },
      subset: { type: 'string' },
      router: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const mode = values.mode as RoutingMode;
  if (!['cost', 'balanced', 'quality'].includes(mode)) {
    process.stderr.write('--mode must be cost, balanced or quality\n');
    return 2;
  }
  try {
    const { config } = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    const deployments = new Map(config.deployments.map((d) => [d.name, d]));
    const routerFor = createRouterFactory(config.routing.modelsDir ?? DEFAULT_MODELS_DIR, (m) =>
      process.stderr.write(`warning: ${m}\n`),
    );
    const store = await openRequestStore(config.requestLog);
    await store.migrate();
    const records = (await store.query(Date.now() - parseDuration(values.since!))).filter(
      (r) =>
        r.promptText &&
        r.router &&
        r.status === 200 &&
        (!values.router || r.router === values.router),
    );
    await store.close();
    const subsetArg = values.subset
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = subsetArg?.filter((n) => !deployments.has(n)) ?? [];
    if (unknown.length) {
      process.stderr.write(`--subset names unknown deployments: ${unknown.join(', ')}\n`);
      return 2;
    }
    const actual = { cost: 0, predictedCost: 0, quality: 0, share: {} as Record<string, number> };
    const simulated = { cost: 0, quality: 0, share: {} as Record<string, number> };
    let n = 0;
    for (const r of records) {
      const routerCfg = config.routers.find((x) => x.name === r.router);
      if (!routerCfg) continue;
      const candidates = (subsetArg ?? routerCfg.modelSubset)
        .map((name) => deployments.get(name))
        .filter((d): d is DeploymentConfig => d !== undefined);
      if (candidates.length === 0) continue;
      const request = {
        model: r.router,
        messages: [{ role: 'user', content: r.promptText }],
      } as ChatRequest;
      const decision = routerFor(routerCfg).decide({
        request,
        router: routerCfg,
        mode,
        candidates,
        promptTokens: r.promptTokens,
      });
      const pick = decision.scores.find((s) => s.deployment === decision.ordered[0])!;
      // What happened, scored by the same model where the served deployment is a candidate.
      const served = decision.scores.find((s) => s.deployment === r.deployment);
      const servedDeployment = r.deployment ? deployments.get(r.deployment) : undefined;
      n++;
      simulated.cost += pick.predictedCostUsd;
      simulated.quality += pick.predictedQuality;
      simulated.share[pick.deployment] = (simulated.share[pick.deployment] ?? 0) + 1;
      actual.cost += r.costUsd;
      actual.quality += served?.predictedQuality ?? 0;
      actual.predictedCost += servedDeployment
        ? (r.promptTokens * servedDeployment.prices.inputPer1M +
            (served?.expectedOutputTokens ?? r.completionTokens) *
              servedDeployment.prices.outputPer1M) /
          1e6
        : r.costUsd;
      const key = r.deployment ?? '(none)';
      actual.share[key] = (actual.share[key] ?? 0) + 1;
    }
    const norm = (share: Record<string, number>) =>
      Object.fromEntries(Object.entries(share).map(([k, v]) => [k, v / Math.max(1, n)]));
    const result = {
      requests: n,
      mode,
      subset: subsetArg ?? null,
      happened: {
        cost_usd: actual.cost,
        predicted_cost_usd: actual.predictedCost,
        predicted_quality: n ? actual.quality / n : 0,
        share: norm(actual.share),
      },
      simulated: {
        predicted_cost_usd: simulated.cost,
        predicted_quality: n ? simulated.quality / n : 0,
        share: norm(simulated.share),
      },
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const fmtShare = (s: Record<string, number>) =>
        Object.entries(s)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
          .join(', ');
      process.stdout.write(
        [
          `${n} logged requests with text replayed in ${mode} mode${subsetArg ? ` over subset ${subsetArg.join(', ')}` : ''}`,
          `happened:  cost $${actual.cost.toFixed(6)} (predicted $${actual.predictedCost.toFixed(6)}), predicted quality ${result.happened.predicted_quality.toFixed(3)}; ${fmtShare(result.happened.share)}`,
          `simulated: predicted cost $${simulated.cost.toFixed(6)}, predicted quality ${result.simulated.predicted_quality.toFixed(3)}; ${fmtShare(result.simulated.share)}`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

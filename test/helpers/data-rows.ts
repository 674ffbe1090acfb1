// Data rows for training tests (one model `m` scored, in group `g.jsonl`), and deployments for
// the models of a test's price list.
import { deploymentSchema, type DeploymentConfig } from '../../src/config/deployment-schema.js';
import type { DataRow } from '../../training/load-rows.js';
import type { Price } from '../../training/load-prices.js';

/** Row `i` of `source`, model `m` scored `score` (spread it and override fields as a test needs). */
export function dataRow(i: number, source: string, score: number): DataRow {
  return {
    id: `r${i}`,
    source,
    prompt: `prompt ${i}`,
    scores: { m: score },
    contaminated: false,
    group: 'g.jsonl',
  };
}

/** A simulated deployment per model of `prices`, named as the model, at its price. */
export function deploymentsAt(prices: Map<string, Price>): DeploymentConfig[] {
  return [...prices].map(([name, p]) =>
    deploymentSchema.parse({
      name,
      model: name,
      provider: 'simulated',
      contextWindow: 1000,
      maxOutputTokens: 100,
      prices: { inputPer1M: p.inputPer1M, outputPer1M: p.outputPer1M },
    }),
  );
}

/** Two models, `strong` (dear) and `weak` (a hundredth of its price). */
export function strongWeakPrices(): Map<string, Price> {
  return new Map<string, Price>([
    ['strong', { inputPer1M: 10, outputPer1M: 30 }],
    ['weak', { inputPer1M: 0.1, outputPer1M: 0.3 }],
  ]);
}

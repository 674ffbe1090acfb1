// Simulated deployments like the routing fixtures' models (test/fixtures/routing/prices.json):
// `big` (like strong, dear), `small` (like weak, cheap) and `stranger` (a model no artefact knows,
// cheapest of all), for trained-router tests.
import { deploymentSchema } from '../../src/config/deployment-schema.js';

export const simulatedBase = {
  provider: 'simulated',
  contextWindow: 1000,
  maxOutputTokens: 100,
} as const;

export const big = deploymentSchema.parse({
  ...simulatedBase,
  name: 'big',
  model: 'x',
  like: 'strong',
  prices: { inputPer1M: 5, outputPer1M: 5 },
});

export const small = deploymentSchema.parse({
  ...simulatedBase,
  name: 'small',
  model: 'y',
  like: 'weak',
  prices: { inputPer1M: 0.1, outputPer1M: 0.1 },
});

export const stranger = deploymentSchema.parse({
  ...simulatedBase,
  name: 'stranger',
  model: 'unknown-model',
  prices: { inputPer1M: 0.01, outputPer1M: 0.01 },
});

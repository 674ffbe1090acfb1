// A small simulated fleet for tests: instant answers unless a test asks for latency or faults.
import { parseConfig } from '../../src/config/load-config.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { deploymentSchema, type DeploymentConfig } from '../../src/config/deployment-schema.js';

type DeploymentInput = ConfigInput['deployments'][number];

export function simDeployment(
  name: string,
  overrides: Partial<DeploymentInput> = {},
): DeploymentInput {
  return {
    name,
    provider: 'simulated',
    model: `${name}-sim`,
    prices: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: {
      tools: true,
      vision: true,
      jsonSchema: true,
      reasoning: false,
      streaming: true,
    },
    region: 'eastus',
    dataZone: 'us',
    simulation: { ttftMs: 0, tokensPerSecond: 1_000_000, answerTokens: 20 },
    ...overrides,
  };
}

/** A simulated embedding model (`kind: embeddings`), priced as text-embedding-3-small. */
export function simEmbeddingDeployment(
  name: string,
  overrides: Partial<DeploymentInput> = {},
): DeploymentInput {
  return simDeployment(name, {
    kind: 'embeddings',
    model: 'text-embedding-3-small',
    prices: { inputPer1M: 0.02, outputPer1M: 0 },
    contextWindow: 8191,
    ...overrides,
  });
}

/** A simulated moderation model (`kind: moderation`): omni-moderation, free, reads images. */
export function simModerationDeployment(
  name: string,
  overrides: Partial<DeploymentInput> = {},
): DeploymentInput {
  return simDeployment(name, {
    kind: 'moderation',
    model: 'omni-moderation-latest',
    prices: { inputPer1M: 0, outputPer1M: 0 },
    contextWindow: 32_768,
    maxOutputTokens: undefined,
    ...overrides,
  });
}

/** The default test fleet: a pricey top model, a mid model and a cheap one behind `model-router`. */
/**
 * A simulated deployment that fails every call before its first byte (a 500) and is the cheapest
 * (0.01 / 0.02 per 1M): a cost router picks it first and fails over from it.
 */
export function failingCheapDeployment(name: string): DeploymentInput {
  return simDeployment(name, {
    prices: { inputPer1M: 0.01, outputPer1M: 0.02 },
    simulation: {
      ttftMs: 0,
      tokensPerSecond: 1_000_000,
      answerTokens: 20,
      failure: { kind: '500', rate: 1 },
    },
  });
}

export function testConfigInput(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'silent' },
    deployments: [
      simDeployment('big', { prices: { inputPer1M: 10, outputPer1M: 30 } }),
      simDeployment('mid', { prices: { inputPer1M: 1, outputPer1M: 4 } }),
      simDeployment('small', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['big', 'mid', 'small'] }],
    requestLog: { kind: 'none' },
    ...overrides,
  };
}

export function testConfig(overrides: Partial<ConfigInput> = {}): Config {
  return parseConfig(testConfigInput(overrides), {}).config;
}

/** An `anthropic` deployment (Claude Sonnet 4.5's prices and limits) for conversion tests. */
export function claudeDeployment(overrides: Partial<DeploymentInput> = {}): DeploymentConfig {
  return deploymentSchema.parse({
    name: 'claude',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    prices: { inputPer1M: 3, outputPer1M: 15 },
    contextWindow: 200000,
    maxOutputTokens: 8192,
    ...overrides,
  });
}

/** An `openai` deployment (GPT-4.1's prices and limits) for conversion and adaptation tests. */
export function openaiDeployment(overrides: Partial<DeploymentInput> = {}): DeploymentConfig {
  return deploymentSchema.parse({
    name: 'gpt',
    provider: 'openai',
    model: 'gpt-4.1',
    prices: { inputPer1M: 2, outputPer1M: 8 },
    contextWindow: 1_000_000,
    ...overrides,
  });
}

/** An `openai` deployment of GPT-5.1-Codex that takes the Responses API natively, at a port
 * nothing listens on (tests give it a scripted HTTP client). */
export function nativeCodexDeployment(): DeploymentInput {
  return {
    name: 'codex',
    provider: 'openai',
    model: 'gpt-5.1-codex',
    baseUrl: 'http://127.0.0.1:9/v1',
    prices: { inputPer1M: 1.25, outputPer1M: 10 },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    capabilities: { reasoning: true, responsesApi: true },
  };
}

import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../config/schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import { adaptRequestForDeployment } from './reasoning-params.js';

const base = {
  provider: 'simulated',
  prices: { inputPer1M: 1, outputPer1M: 2 },
  contextWindow: 1000,
  maxOutputTokens: 100,
} as const;
const reasoning = deploymentSchema.parse({
  ...base,
  name: 'o-mini',
  model: 'o4-mini',
  capabilities: { reasoning: true },
});
const plain = deploymentSchema.parse({ ...base, name: 'mini', model: 'gpt-4o-mini' });

describe('adaptRequestForDeployment', () => {
  const request = {
    model: 'model-router',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0.2,
    top_p: 1,
    stop: ['x'],
    presence_penalty: 0.1,
    logit_bias: { '1': 2 },
    max_tokens: 50,
    reasoning_effort: 'low',
    seed: 7,
  } as ChatRequest;

  it('drops and maps what a reasoning model rejects, and says so', () => {
    const { body, warnings } = adaptRequestForDeployment(request, reasoning);
    expect(body.model).toBe('o4-mini');
    expect(body.temperature).toBeUndefined();
    expect(body.top_p).toBeUndefined();
    expect(body.stop).toBeUndefined();
    expect(body.presence_penalty).toBeUndefined();
    expect(body.logit_bias).toBeUndefined();
    expect(body.max_tokens).toBeUndefined();
    expect(body.max_completion_tokens).toBe(50);
    expect(body.reasoning_effort).toBe('low');
    expect(body.seed).toBe(7);
    expect(warnings).toEqual([
      'temperature ignored: o-mini is a reasoning model',
      'stop dropped: not supported by reasoning model o-mini',
      'presence_penalty dropped: not supported by reasoning model o-mini',
      'logit_bias dropped: not supported by reasoning model o-mini',
      'max_tokens mapped to max_completion_tokens',
    ]);
    expect(request.temperature).toBe(0.2);
  });

  it('passes sampling parameters through to a plain model and drops reasoning_effort', () => {
    const { body, warnings } = adaptRequestForDeployment(request, plain);
    expect(body.temperature).toBe(0.2);
    expect(body.stop).toEqual(['x']);
    expect(body.max_tokens).toBe(50);
    expect(body.reasoning_effort).toBeUndefined();
    expect(warnings).toEqual(['reasoning_effort dropped: mini is not a reasoning model']);
  });
});

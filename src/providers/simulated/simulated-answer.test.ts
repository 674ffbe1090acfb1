// The simulated fleet's answers stop where a real model's would: at the request's limit, else at
// the deployment's own maximum output.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { buildAnswer } from './simulated-answer.js';

describe('simulated answers', () => {
  it('stop at max_tokens, else at the deployment maxOutputTokens, with finish_reason length', () => {
    const d = deploymentSchema.parse({
      name: 'tiny',
      provider: 'simulated',
      model: 'tiny-1',
      prices: { inputPer1M: 1, outputPer1M: 1 },
      contextWindow: 1000,
      maxOutputTokens: 5,
      simulation: { answerTokens: 100 },
    });
    const body = (extra: Record<string, unknown> = {}) =>
      ({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], ...extra }) as ChatRequest;
    const own = buildAnswer(body(), d.simulation!, 1, d);
    expect(own.completionTokens).toBe(5);
    expect(own.finishReason).toBe('length');
    const asked = buildAnswer(body({ max_tokens: 3 }), d.simulation!, 1, d);
    expect(asked.completionTokens).toBe(3);
    const roomy = deploymentSchema.parse({ ...d, maxOutputTokens: 10_000 });
    const free = buildAnswer(body(), roomy.simulation!, 1, roomy);
    expect(free.finishReason).toBe('stop');
    expect(free.completionTokens).toBeGreaterThan(5);
  });
});

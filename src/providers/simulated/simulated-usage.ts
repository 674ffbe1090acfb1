// The usage a simulated chat answer reports, in OpenAI's shape.
import type { SimulationConfig } from '../../config/deployment-parts.js';
import type { SimAnswer } from './simulated-answer.js';

/** How many choices a chat request asks for (`n`, 1 when absent). */
export function choiceCount(n: unknown): number {
  return typeof n === 'number' && n > 1 ? n : 1;
}

/**
 * Usage of an answer given `choices` times: completion (and reasoning) tokens are every choice's,
 * as OpenAI bills `n` choices; the prompt is counted once.
 */
export function simulatedUsage(
  promptTokens: number,
  answer: SimAnswer,
  sim: SimulationConfig,
  choices: number,
) {
  const completion = (answer.completionTokens + answer.reasoningTokens) * choices;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
    prompt_tokens_details: {
      cached_tokens: Math.floor(promptTokens * sim.cachedFraction),
      audio_tokens: 0,
    },
    completion_tokens_details: {
      reasoning_tokens: answer.reasoningTokens * choices,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

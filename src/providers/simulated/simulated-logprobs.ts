// Log-probabilities for the simulated fleet's answers, in OpenAI's shape (`logprobs`,
// `top_logprobs`): deterministic for a request's seed, like everything simulated.
import { prng } from '../../core/prng.js';
import type { ChatRequest } from '../../core/wire-types.js';

interface SimLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/**
 * Log-probabilities in OpenAI's shape for an answer's pieces (each ≈ a token), when the request
 * asks for them (`logprobs: true`, `top_logprobs` alternatives each); deterministic for a seed. The
 * alternatives are other pieces of the same answer, less likely than the chosen one.
 */
export function simulatedLogprobs(
  pieces: string[],
  seed: number,
  body: ChatRequest,
): SimLogprob[] | null {
  if (body.logprobs !== true) return null;
  const top =
    typeof body.top_logprobs === 'number' ? Math.max(0, Math.min(20, body.top_logprobs)) : 0;
  // Separate streams, so a token's own log-probability does not depend on how many
  // alternatives were asked for.
  const rand = prng(seed ^ 0x10b9);
  const randAlt = prng(seed ^ 0x2c4f);
  const entry = (token: string, logprob: number) => ({
    token,
    logprob,
    bytes: [...Buffer.from(token, 'utf8')],
  });
  return pieces.map((token, i) => {
    const logprob = -Math.round(rand() * 1500) / 1000;
    const alternatives = [];
    let next = logprob;
    for (let k = 1; k < top && k < pieces.length; k++) {
      next -= 0.5 + Math.round(randAlt() * 1500) / 1000;
      alternatives.push(
        entry(pieces[(i + k * 7) % pieces.length]!, Math.round(next * 1000) / 1000),
      );
    }
    return {
      ...entry(token, logprob),
      top_logprobs: top ? [entry(token, logprob), ...alternatives] : [],
    };
  });
}

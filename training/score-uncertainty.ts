// How well a mean of a few scores on the 0–1 scale is known (`calibrate`'s level for a new model):
// the sample's own spread says nothing from two prompts that agree, so it is blended with the
// widest spread a 0–1 score can have at the mean, as if two more prompts had been seen.

/** Pseudo-prompts of the prior: one scored 0 and one scored 1 (Laplace's rule of succession). */
const PRIOR_PROMPTS = 2;

/**
 * The standard error of the mean of `scores` (each in [0, 1]), never taken as 0 from a few
 * answers that agree. The variance is the sample's ((n − 1) s²) pooled with `PRIOR_PROMPTS`
 * prompts' worth of p̃(1 − p̃), where p̃ = (Σ + 1) / (n + 2) is Laplace's estimate of the mean and
 * p̃(1 − p̃) the largest variance a score in [0, 1] can have at it (Bhatia–Davis); over n. From
 * 200 prompts it is within a few percent of the sample's; from 2 that agree, 0.25 instead of 0.
 * Undefined (NaN) for no scores.
 */
export function boundedStandardError(scores: readonly number[]): number {
  const n = scores.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (const s of scores) sum += s;
  const mean = sum / n;
  let squares = 0;
  for (const s of scores) squares += (s - mean) ** 2;
  const laplace = (sum + 1) / (n + 2);
  const prior = laplace * (1 - laplace);
  const variance = (squares + PRIOR_PROMPTS * prior) / (n - 1 + PRIOR_PROMPTS);
  return Math.sqrt(variance / n);
}

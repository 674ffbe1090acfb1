// What each deployment really writes. The routing artefact's expected output tokens come from the
// training data (one figure per model), but a deployment's real answers can be much longer or
// shorter (reasoning models bill hidden reasoning tokens as output). Every successful answer is
// observed here; the expectation used for expected cost moves from the artefact's prior to the
// observed running mean as answers accumulate, so Cost and Balanced modes rank by what deployments
// actually cost. Per process: each replica learns from its own traffic within a few dozen answers.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { requestedOutputTokens } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';

/** Answers after which the observed mean and the prior weigh the same. */
export const PRIOR_WEIGHT = 20;
/** Running mean over roughly the last 1 / ALPHA answers. */
const ALPHA = 0.02;

interface Entry {
  mean: number;
  n: number;
}

export class OutputTokenStats {
  private readonly entries = new Map<string, Entry>();

  /** One finished answer: its completion tokens (reasoning included). */
  observe(deployment: string, completionTokens: number): void {
    if (!(completionTokens >= 0) || !Number.isFinite(completionTokens)) return;
    const e = this.entries.get(deployment);
    if (!e) {
      this.entries.set(deployment, { mean: completionTokens, n: 1 });
      return;
    }
    e.n++;
    // Exact mean while few, then an exponential running mean (follows a model's changes).
    const rate = Math.max(ALPHA, 1 / e.n);
    e.mean += rate * (completionTokens - e.mean);
  }

  /** The expectation for a deployment: the prior, pulled toward what it has been writing. */
  expected(deployment: string, prior: number): number {
    const e = this.entries.get(deployment);
    if (!e) return prior;
    const w = e.n / (e.n + PRIOR_WEIGHT);
    return Math.round(w * e.mean + (1 - w) * prior);
  }

  observed(deployment: string): { mean: number; answers: number } | undefined {
    const e = this.entries.get(deployment);
    return e ? { mean: Math.round(e.mean), answers: e.n } : undefined;
  }

  /** Forget a deployment (its config changed: a new model may write differently). */
  forget(deployment: string): void {
    this.entries.delete(deployment);
  }
}

/**
 * The deployment's own prior for its answer length: declared in config, or what a simulated
 * deployment is configured to write (answer plus reasoning tokens).
 */
export function declaredOutputTokens(d: DeploymentConfig): number | undefined {
  if (d.expectedOutputTokens !== undefined) return d.expectedOutputTokens;
  if (d.provider === 'simulated' && d.simulation)
    return d.simulation.answerTokens + d.simulation.reasoningTokens;
  return undefined;
}

/**
 * Output tokens a deployment is expected to bill for this request: its usual answer (the prior,
 * pulled toward what it has been writing) capped at the request's `max_completion_tokens` /
 * `max_tokens`, which bound every answer (reasoning included), times the `n` answers asked for.
 */
export function expectedAnswerTokens(
  request: ChatRequest,
  usual: number,
): { tokens: number; capped: boolean } {
  const cap = requestedOutputTokens(request);
  const capped = cap > 0 && cap < usual;
  return { tokens: (capped ? cap : usual) * answersAskedFor(request), capped };
}

/** The request's `n`: how many answers each call writes (and bills). */
export function answersAskedFor(request: ChatRequest): number {
  const n = request.n;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
}

/** The receipt's words for how the request bounded the expected answers, if it did. */
export function answerBoundNote(request: ChatRequest, capped: boolean): string | undefined {
  const n = answersAskedFor(request);
  const parts: string[] = [];
  if (capped)
    parts.push(
      `capped at the request's ${request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens'} (${requestedOutputTokens(request)})`,
    );
  if (n > 1) parts.push(`times the ${n} answers it asks for (n)`);
  return parts.length ? `expected output tokens ${parts.join(' and ')}` : undefined;
}

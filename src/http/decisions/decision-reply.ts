// The Decision (openai-node 7.60 `Decision`) built from the bridged chat answer (decision-chat.ts):
// answers in question order, each named (null where unnamed) or a refusal where the model declined
// or answered invalidly. The probabilities are the ones the model stated, normalised, not token
// probabilities. A choice is the most probable value (typed: `true` and `"true"` are distinct; a
// tie goes to the model's pick) and `confidence` its probability. A score's level `value` is the
// level's 0-based index (lowest first), `score` the expected value of that index under the
// probabilities (0 … levels − 1) and `confidence` the probability of the most probable level.
import type { Decision } from 'openai/resources/decisions';
import { isObject } from '../../core/is-object.js';
import { cacheWriteTokens, type ChatResponse, type ChatUsage } from '../../core/wire-types.js';
import { answerKey, optionKey } from './decision-chat.js';
import type { DecisionQuestion } from './decision-request.js';

type Answer = Decision['answers'][number];

/** The Decision for the chat answer to the bridged request; `model` is the model that served. */
export function chatToDecision(
  response: ChatResponse,
  questions: readonly DecisionQuestion[],
): Decision {
  const stated = statedAnswers(response);
  return {
    answers: questions.map((q, i) => answerOf(q, stated?.[answerKey(i)]) ?? refusal(q)),
    model: response.model,
    usage: decisionUsage(response.usage),
  };
}

/** The model's JSON object, or undefined where it refused, was cut short or wrote no object. */
function statedAnswers(response: ChatResponse): Record<string, unknown> | undefined {
  const message = response.choices[0]?.message;
  if (!message || message.refusal || typeof message.content !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(message.content);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const refusal = (q: DecisionQuestion): Answer => ({ type: 'refusal', name: q.name });

const isProbability = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;

/** One probability per option (in order), normalised to sum 1; undefined if any is invalid. */
function distribution(stated: unknown, count: number): number[] | undefined {
  if (!isObject(stated)) return undefined;
  const ps: number[] = [];
  for (let j = 0; j < count; j++) {
    const p = stated[optionKey(j)];
    if (!isProbability(p)) return undefined;
    ps.push(p);
  }
  const sum = ps.reduce((a, b) => a + b, 0);
  return sum > 0 ? ps.map((p) => p / sum) : undefined;
}

/** The index of the largest probability; a tie goes to `preferred` when it is among the largest. */
function mostProbable(ps: readonly number[], preferred: number): number {
  const top = Math.max(...ps);
  return ps[preferred] === top ? preferred : ps.indexOf(top);
}

/** The question's answer from what the model stated for it, or undefined for a refusal. */
function answerOf(q: DecisionQuestion, stated: unknown): Answer | undefined {
  if (!isObject(stated)) return undefined;
  if (q.type === 'predicate')
    return isProbability(stated.probability)
      ? { type: 'predicate', name: q.name, probability: stated.probability }
      : undefined;
  if (q.type === 'choice') {
    const picked = q.choices.findIndex((c) => c.value === stated.choice);
    const ps = distribution(stated.probabilities, q.choices.length);
    if (picked < 0 || !ps) return undefined;
    const best = mostProbable(ps, picked);
    return {
      type: 'choice',
      name: q.name,
      choice: q.choices[best]!.value,
      confidence: ps[best]!,
      probabilities: q.choices.map((c, j) => ({ value: c.value, probability: ps[j]! })),
    };
  }
  const ps = distribution(stated.probabilities, q.levels.length);
  if (!ps) return undefined;
  return {
    type: 'score',
    name: q.name,
    score: ps.reduce((sum, p, j) => sum + p * j, 0),
    confidence: Math.max(...ps),
    probabilities: q.levels.map((l, j) => ({ label: l.label, value: j, probability: ps[j]! })),
  };
}

/** Chat usage in the Decision's shape (zeros where the upstream reported none). */
export function decisionUsage(usage: ChatUsage | null | undefined): Decision.Usage {
  const input = usage?.prompt_tokens ?? 0;
  const output = usage?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      cache_write_tokens: cacheWriteTokens(usage),
    },
    output_tokens: output,
    output_tokens_details: {
      reasoning_tokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    },
    total_tokens: usage?.total_tokens ?? input + output,
  };
}

// OpenRouter's unified reasoning parameter on Chat Completions (`reasoning: {effort | max_tokens,
// enabled, exclude}`), which code written for OpenRouter sends instead of OpenAI's
// `reasoning_effort`: turned into the router's own reasoning fields before anything reads the
// request, so eligibility (models that reason), routing and every adapter see it as they see
// `reasoning_effort` and Claude's thinking budget, and never sent upstream (no provider's chat API
// has such a field; OpenAI answers 400 to unknown ones). `effort` is `reasoning_effort`;
// `max_tokens` is the thinking budget (exact for Claude, an effort for others: ≥ 16,000 high,
// ≥ 4,000 medium, else low, as the Messages bridge maps Claude's budget); `enabled: true` alone is
// medium effort, `enabled: false` no reasoning. `exclude: true` (reasoning used, not returned)
// takes the reasoning out of the answer (gateway/exclude-reasoning.ts).
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import {
  REASONING_EXCLUDE_FIELD,
  THINKING_BUDGET_FIELD,
  type ChatRequest,
} from '../core/wire-types.js';
import { checkReasoningEffort } from './check-fields.js';
import { describeValue } from '../core/describe-value.js';

/** The effort a thinking budget stands for (as messages-convert.ts maps Claude's budget). */
export function effortOfBudget(budget: number): ChatRequest['reasoning_effort'] {
  return budget >= 16_000 ? 'high' : budget >= 4_000 ? 'medium' : 'low';
}

/** Applies `body.reasoning` (checked; a 400 naming the field at fault) and removes it. */
export function applyOpenRouterReasoning(body: Record<string, unknown>): void {
  const r = body.reasoning;
  if (r === undefined || r === null) {
    delete body.reasoning;
    return;
  }
  if (!isObject(r))
    throw invalidRequest(
      `'reasoning' must be an object such as {"effort": "high"} or {"max_tokens": 8000}; got ${describeValue(r)}.`,
      'reasoning',
      'invalid_type',
    );
  checkReasoningEffort(r.effort, 'reasoning.effort');
  for (const key of ['enabled', 'exclude'] as const)
    if (r[key] !== undefined && r[key] !== null && typeof r[key] !== 'boolean')
      throw invalidRequest(
        `'reasoning.${key}' must be true or false.`,
        `reasoning.${key}`,
        'invalid_type',
      );
  const budget = r.max_tokens;
  if (
    budget !== undefined &&
    budget !== null &&
    !(Number.isInteger(budget) && (budget as number) > 0)
  )
    throw invalidRequest(
      "'reasoning.max_tokens' must be a positive whole number of tokens.",
      'reasoning.max_tokens',
      'invalid_type',
    );
  const effort = typeof r.effort === 'string' ? r.effort : undefined;
  const tokens = typeof budget === 'number' ? budget : undefined;
  if (effort !== undefined && tokens !== undefined)
    throw invalidRequest(
      "Send 'reasoning.effort' or 'reasoning.max_tokens', not both.",
      'reasoning.max_tokens',
      'invalid_value',
    );
  const asked =
    r.enabled === false
      ? undefined
      : (effort ??
        (tokens !== undefined
          ? effortOfBudget(tokens)
          : r.enabled === true
            ? 'medium'
            : undefined));
  const given = body.reasoning_effort;
  if (asked !== undefined && given !== undefined && given !== null && given !== asked)
    throw invalidRequest(
      `'reasoning_effort' (${String(given)}) and 'reasoning' (${asked}) ask for different efforts: send one.`,
      'reasoning',
      'invalid_value',
    );
  if (asked !== undefined) body.reasoning_effort = asked;
  if (tokens !== undefined && r.enabled !== false) body[THINKING_BUDGET_FIELD] = tokens;
  if (r.exclude === true) body[REASONING_EXCLUDE_FIELD] = true;
  delete body.reasoning;
}

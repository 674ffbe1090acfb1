// An Anthropic client's `fallbacks` (Claude's server-side fallback: the models Claude tries, in
// order, when the requested one declines): checked here as the SDK types them, because the router
// sends them to Claude as they are (policy/claude-only-params.ts). Anthropic's spec in
// ../shared/specs has no such field; @anthropic-ai/sdk 1.13 `BetaFallbacksParam` and
// `BetaFallbackParam` define it: the string "default", or a list of entries, each a `model` and
// per-attempt overrides (`max_tokens`, `output_config`, `speed`, `thinking`), "any other key is
// rejected at parse time".
import { z } from 'zod';
import { describeValue } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';

/** Every key an entry takes (SDK `BetaFallbackParam`). */
const ENTRY_KEYS = ['model', 'max_tokens', 'output_config', 'speed', 'thinking'] as const;

/** Thinking types a fallback attempt takes (SDK `BetaFallbackParam.thinking`). */
const THINKING_TYPES = ['enabled', 'adaptive', 'disabled', 'between_tools'] as const;

const THINKING_HINT =
  'must be {"type": "enabled", "budget_tokens": …}, {"type": "adaptive"}, {"type": "disabled"}, {"type": "between_tools"} or null';

/** One entry, with the message each field's fault gets (what to send instead). */
const FALLBACK_ENTRY = z.strictObject(
  {
    model: z
      .string({
        error: (i) =>
          i.input === undefined
            ? 'Field required: name the Claude model to try, e.g. {"model": "claude-haiku-4-5"}'
            : 'Input should be a valid string: a Claude model id, e.g. "claude-haiku-4-5"',
      })
      .min(
        1,
        'String should have at least 1 character: a Claude model id, e.g. "claude-haiku-4-5"',
      ),
    max_tokens: z
      .number({ error: 'Input should be a valid integer of at least 1, or null' })
      .int('Input should be a valid integer of at least 1, or null')
      .min(1, 'Input should be greater than or equal to 1')
      .nullish(),
    output_config: z
      .record(z.string(), z.unknown(), {
        error: "Input should be a valid dictionary (as the request's output_config), or null",
      })
      .nullish(),
    speed: z
      .enum(['standard', 'fast'], { error: "Input should be 'standard', 'fast' or null" })
      .nullish(),
    thinking: z
      .looseObject(
        {
          type: z.enum(THINKING_TYPES, { error: THINKING_HINT }),
          budget_tokens: z
            .number({ error: 'Input should be a valid integer of at least 1024' })
            .int('Input should be a valid integer of at least 1024')
            .min(1024, 'Input should be greater than or equal to 1024')
            .optional(),
        },
        { error: THINKING_HINT },
      )
      .refine((t) => t.type !== 'enabled' || t.budget_tokens !== undefined, {
        message: 'Field required for type "enabled": the thinking budget (at least 1024)',
        path: ['budget_tokens'],
      })
      .nullish(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? `Extra inputs are not permitted: an entry takes ${ENTRY_KEYS.join(', ')}`
        : 'Input should be a valid dictionary: {"model": "claude-…"} and, if needed, max_tokens, output_config, speed, thinking',
  },
);

/**
 * Throws Anthropic's 400 (invalid_request_error) naming the first fault's path in `fallbacks`
 * (`fallbacks.0.model`, as Anthropic's API names it) and what to send; null and absent pass.
 */
export function checkFallbacks(fallbacks: unknown): void {
  if (fallbacks === undefined || fallbacks === null || fallbacks === 'default') return;
  if (!Array.isArray(fallbacks))
    throw invalidRequest(
      `fallbacks: Input should be "default" or a list of entries such as [{"model": "claude-haiku-4-5"}] (got ${describeValue(fallbacks)})`,
      'fallbacks',
    );
  fallbacks.forEach((entry, i) => {
    const parsed = FALLBACK_ENTRY.safeParse(entry);
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    if (!issue) return;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = ['fallbacks', i, ...issue.path, ...keys.slice(0, 1)].join('.');
    const named = keys.length > 1 ? ` (${keys.join(', ')})` : '';
    throw invalidRequest(`${path}: ${issue.message}${named}`, path);
  });
}

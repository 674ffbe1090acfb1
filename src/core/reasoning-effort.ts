// OpenAI's `reasoning_effort` levels, and the nearest of a model's own levels to the one a request
// asked (`capabilities.reasoningEfforts`): o3 and o4-mini take low to high, gpt-5 adds minimal,
// gpt-5.1 has none instead of minimal; each refuses the others with a 400.

/**
 * The levels, lowest first: openapi.yaml `ReasoningEffort` (none, minimal, low, medium, high,
 * xhigh, max). Any other value is refused by OpenAI with a 400 whatever the model, and so by the
 * router before routing (check-fields.ts `checkReasoningEffort`).
 */
export const REASONING_EFFORTS = [
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
] as const;

export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

const rank = (level: string) => (REASONING_EFFORTS as readonly string[]).indexOf(level);

/**
 * The level of `levels` to send for `asked`: `asked` itself when the model has it (or when it is no
 * level we know, which the upstream judges: a native Responses body's), else the nearest, the
 * higher of two as near.
 */
export function nearestEffort(levels: readonly ReasoningEffort[], asked: string): string {
  const at = rank(asked);
  if (at < 0 || levels.includes(asked as ReasoningEffort)) return asked;
  let best: ReasoningEffort = levels[0]!;
  for (const level of levels) {
    const d = Math.abs(rank(level) - at);
    const bestD = Math.abs(rank(best) - at);
    if (d < bestD || (d === bestD && rank(level) > rank(best))) best = level;
  }
  return best;
}

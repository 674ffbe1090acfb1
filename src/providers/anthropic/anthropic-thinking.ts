// Extended thinking for Claude (Anthropic docs: "Extended thinking", "Adaptive thinking",
// "Effort"): whether a chat request's `reasoning_effort` (or an Anthropic client's own thinking)
// turns it on, in which form, and with what budget. Read by the conversion (anthropic-convert.ts)
// and by the parameter policy that warns about what it changes (policy/reasoning-params.ts).
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import {
  ADAPTIVE_THINKING_FIELD,
  EFFORT_FIELD,
  THINKING_BUDGET_FIELD,
  type ChatRequest,
} from '../../core/wire-types.js';

/** Thinking budgets per reasoning_effort (1024 ≤ budget < max_tokens, per Anthropic's docs). */
export const THINKING_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 32000,
  max: 32000,
};

/**
 * A chat client's `reasoning_effort` as Anthropic's effort (`output_config.effort`; docs:
 * "Effort"), for a deployment with `capabilities.effort`. `minimal` is Anthropic's lowest, `low`;
 * `xhigh` and `max` are `high`, which every model with effort takes (Anthropic's own `xhigh` and
 * `max` are only on the newest, and older ones refuse them); `none` asks for no reasoning: no
 * effort is sent, and thinking stays off.
 */
export const ANTHROPIC_EFFORT: Record<string, string> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

/** Whether the conversion turns `reasoning_effort` into extended thinking (which takes no temperature). */
export function usesThinking(body: ChatRequest, deployment: DeploymentConfig): boolean {
  const effort = body.reasoning_effort;
  return typeof effort === 'string' && effort !== 'none' && deployment.capabilities.reasoning;
}

/**
 * Whether the thinking goes as Anthropic's adaptive thinking (`capabilities.adaptiveThinking`):
 * an Anthropic client's adaptive thinking; or a chat or Responses client's `reasoning_effort`
 * (no budget of an Anthropic client's) where the effort goes as Anthropic's own field, which then
 * says how much to think (docs: "Adaptive thinking" recommends it over a fixed budget).
 */
export function usesAdaptiveThinking(body: ChatRequest, deployment: DeploymentConfig): boolean {
  if (!deployment.capabilities.adaptiveThinking) return false;
  if (body[ADAPTIVE_THINKING_FIELD] === true) return true;
  return (
    body[THINKING_BUDGET_FIELD] === undefined &&
    deployment.capabilities.effort &&
    typeof body[EFFORT_FIELD] === 'string'
  );
}

/**
 * The enabled-thinking budget for the request and the max_tokens to send with it: an Anthropic
 * client's own budget where it fits, else its `reasoning_effort`'s (1024 ≤ budget < max_tokens).
 */
export function thinkingBudget(
  body: ChatRequest,
  deployment: DeploymentConfig,
): { budget: number; maxTokens: number } {
  const maxTokens =
    body.max_completion_tokens ?? body.max_tokens ?? deployment.maxOutputTokens ?? 4096;
  const asked = body[THINKING_BUDGET_FIELD];
  const budget =
    typeof asked === 'number' && asked >= 1024 && asked < maxTokens
      ? asked
      : Math.min(
          THINKING_BUDGET[body.reasoning_effort as string] ?? 4096,
          Math.max(1024, maxTokens - 1),
        );
  return { budget, maxTokens: maxTokens <= budget ? budget + 1024 : maxTokens };
}

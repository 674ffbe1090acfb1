// OpenAI's `verbosity` (chat; Responses' `text.verbosity`, which the bridge sends as it) and
// `service_tier` (openapi.yaml `Verbosity`, `ServiceTier`): sent on as they came to deployments
// that speak OpenAI's API (OpenAI, Azure OpenAI, OpenAI-compatible servers: pass-through, which
// servers that copy the API take or ignore), dropped with a warning where the API has no such
// parameter.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';

/**
 * Providers whose request has neither field as OpenAI has them: Anthropic's Messages API has no
 * verbosity, and its `service_tier` is `auto | standard_only`, which its adapter maps chat's tiers
 * to (providers/anthropic/anthropic-convert.ts `claudeServiceTier`; OpenAI's `flex`, which Claude
 * has not, is sent as `standard_only` and said so here). The simulated fleet is a stand-in for
 * OpenAI-format models: it takes both (and ignores them).
 */
const WITHOUT_TIER_AND_VERBOSITY: readonly DeploymentConfig['provider'][] = ['anthropic'];

/** Chat's tiers a Claude deployment takes as one of its own (the rest: said, and standard). */
const TIERS_CLAUDE_HAS: ReadonlySet<string> = new Set(['auto', 'default', 'priority']);

/**
 * Removes `verbosity` and `service_tier` from `body` for a deployment whose API has no such
 * parameter, saying so in `warnings` (a `service_tier` of `auto`, OpenAI's default and what such an
 * upstream does anyway, silently).
 */
export function adaptTierAndVerbosity(
  body: ChatRequest,
  deployment: DeploymentConfig,
  warnings: string[],
): void {
  if (!WITHOUT_TIER_AND_VERBOSITY.includes(deployment.provider)) return;
  if (body.verbosity != null)
    warnings.push(
      `verbosity dropped: ${deployment.name}'s API (${deployment.provider}) has no such parameter`,
    );
  if (body.service_tier != null && !TIERS_CLAUDE_HAS.has(body.service_tier))
    warnings.push(
      `service_tier ${body.service_tier} sent as standard_only: ${deployment.name}'s API (${deployment.provider}) has no such tier`,
    );
  delete body.verbosity;
}

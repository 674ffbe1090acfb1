// OpenAI's `verbosity` (chat; Responses' `text.verbosity`, which the bridge sends as it) and
// `service_tier` (openapi.yaml `Verbosity`, `ServiceTier`): sent on as they came to deployments
// that speak OpenAI's API (OpenAI, Azure OpenAI, OpenAI-compatible servers: pass-through, which
// servers that copy the API take or ignore), dropped with a warning where the API has no such
// parameter.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';

/**
 * Providers whose request has neither field: Anthropic's Messages API (its `service_tier` is
 * `auto | standard_only`, not OpenAI's tiers, and it has no verbosity). The simulated fleet is a
 * stand-in for OpenAI-format models: it takes both (and ignores them).
 */
const WITHOUT_TIER_AND_VERBOSITY: readonly DeploymentConfig['provider'][] = ['anthropic'];

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
  if (body.service_tier != null && body.service_tier !== 'auto')
    warnings.push(
      `service_tier ${body.service_tier} dropped: ${deployment.name}'s API (${deployment.provider}) has no such tier; served at its own`,
    );
  delete body.verbosity;
  delete body.service_tier;
}

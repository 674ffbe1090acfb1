// What the process's environment leaves out or open, said as load warnings (check-config,
// start-up): parseConfig (load-config.ts) adds them to the config's own.
import type { Config } from './schema.js';

/** Providers that call a service on the network with a key of the operator's. */
const KEYED_PROVIDERS = new Set(['openai', 'azure', 'anthropic']);

/**
 * What the process's environment leaves out or open (tour audit, 2026-12-06): a deployment's
 * `apiKeyEnv` that is not set (F2: its calls went upstream with no key, and the client was told
 * the upstream's "provide an API key"), and a config with keyed providers that takes requests
 * without a key (F5: `auth.mode: none`, the default, in front of the operator's provider keys).
 */
export function environmentWarnings(config: Config, env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  config.deployments.forEach((d, i) => {
    if (d.apiKeyEnv && !env[d.apiKeyEnv])
      warnings.push(
        `deployments[${i}].apiKeyEnv: ${d.apiKeyEnv} is not set in the environment: ${d.name}'s upstream will refuse its calls (set it, or correct the name)`,
      );
  });
  if (
    config.auth.mode === 'none' &&
    config.deployments.some((d) => KEYED_PROVIDERS.has(d.provider))
  )
    warnings.push(
      "auth.mode is none: anyone who reaches this port is served with the configured providers' keys; set auth.mode: keys (and issue keys) unless the port is reachable only by trusted clients",
    );
  return warnings;
}

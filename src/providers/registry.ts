// Deployment → adapter, one per provider kind. Adapters are cached per deployment and rebuilt when
// that deployment's config changes (hot reload); the kinds are a factory table so a provider folder
// registers itself without shared code naming it.
import type { ProviderKind } from '../config/deployment-kinds.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { createAnthropicAdapter } from './anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from './openai/openai-adapter.js';
import { createSimulatedAdapter, type Sleep } from './simulated/simulated-adapter.js';
import type { ProviderAdapter } from './types.js';

export interface AdapterDeps {
  http: HttpClient;
  clock?: Clock;
  sleep?: Sleep;
  env?: NodeJS.ProcessEnv;
}

export type AdapterFactoryFn = (deployment: DeploymentConfig, deps: AdapterDeps) => ProviderAdapter;

const FACTORIES = new Map<ProviderKind, AdapterFactoryFn>([
  ['openai', (d, deps) => createOpenAiAdapter(d, deps.http, deps.env)],
  ['azure', (d, deps) => createOpenAiAdapter(d, deps.http, deps.env)],
  ['openai-compatible', (d, deps) => createOpenAiAdapter(d, deps.http, deps.env)],
  ['anthropic', (d, deps) => createAnthropicAdapter(d, deps.http, deps.env)],
  [
    'simulated',
    (d, deps) =>
      createSimulatedAdapter(d, {
        sleep: deps.sleep,
        now: deps.clock ? () => deps.clock!.now() : undefined,
      }),
  ],
]);

/** A provider folder registers its kind here (e.g. providers/anthropic). */
export function registerAdapterFactory(kind: ProviderKind, factory: AdapterFactoryFn): void {
  FACTORIES.set(kind, factory);
}

export interface ProviderRegistry {
  adapterFor(deployment: DeploymentConfig): ProviderAdapter;
  /**
   * An adapter for a config that is not (or no longer) the deployment's current one, kept out of
   * the cache: the batch forwarder reads upstream batches submitted under it.
   */
  buildAdapter(deployment: DeploymentConfig): ProviderAdapter;
  close(): Promise<void>;
}

export function createProviderRegistry(opts: Partial<AdapterDeps> = {}): ProviderRegistry {
  const deps: AdapterDeps = {
    http: opts.http ?? createHttpClient(),
    clock: opts.clock,
    sleep: opts.sleep,
    env: opts.env,
  };
  const cache = new Map<string, { config: DeploymentConfig; adapter: ProviderAdapter }>();
  const build = (deployment: DeploymentConfig): ProviderAdapter => {
    const factory = FACTORIES.get(deployment.provider);
    if (!factory)
      throw new GatewayError({
        status: 500,
        type: 'server_error',
        code: 'provider_unavailable',
        message: `No adapter for provider "${deployment.provider}" (deployment ${deployment.name}).`,
      });
    return factory(deployment, deps);
  };
  return {
    adapterFor(deployment) {
      const hit = cache.get(deployment.name);
      // Config snapshots are immutable: identity says whether this deployment changed.
      if (hit && hit.config === deployment) return hit.adapter;
      const adapter = build(deployment);
      cache.set(deployment.name, { config: deployment, adapter });
      return adapter;
    },
    buildAdapter: build,
    async close() {
      await Promise.all([...cache.values()].map((e) => e.adapter.close?.()));
      await deps.http.close();
    },
  };
}

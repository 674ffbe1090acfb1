// The live config: an immutable snapshot with lookup maps, swapped atomically on reload so a
// request in flight keeps the snapshot it started with.
import type { Config, PoolConfig, RouterConfig } from './schema.js';
import type { DeploymentConfig } from './deployment-schema.js';

export interface RuntimeConfig {
  readonly config: Config;
  /** Increments on every applied change. */
  readonly revision: number;
  readonly deployments: ReadonlyMap<string, DeploymentConfig>;
  readonly routers: ReadonlyMap<string, RouterConfig>;
  readonly pools: ReadonlyMap<string, PoolConfig>;
}

export function compileConfig(config: Config, revision = 1): RuntimeConfig {
  return {
    config,
    revision,
    deployments: new Map(config.deployments.map((d) => [d.name, d])),
    routers: new Map(config.routers.map((r) => [r.name, r])),
    pools: new Map(config.pools.map((p) => [p.name, p])),
  };
}

export type ConfigListener = (next: RuntimeConfig, previous: RuntimeConfig) => void;

/** Holds the current snapshot; listeners hear about every swap. */
export class ConfigHolder {
  private snapshot: RuntimeConfig;
  private readonly listeners = new Set<ConfigListener>();

  constructor(initial: RuntimeConfig) {
    this.snapshot = initial;
  }

  get current(): RuntimeConfig {
    return this.snapshot;
  }

  /** Replace the whole config (already validated); returns the new snapshot. */
  apply(config: Config, revision = this.snapshot.revision + 1): RuntimeConfig {
    const previous = this.snapshot;
    this.snapshot = compileConfig(config, revision);
    for (const l of this.listeners) l(this.snapshot, previous);
    return this.snapshot;
  }

  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

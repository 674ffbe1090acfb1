// Live configuration changes: every change (admin API, file reload, another replica) is validated
// as a whole config before it is applied, so nothing is ever half-applied; each applied change is
// versioned (who, when, what) and can be rolled back; replicas hear about it through pub/sub.
import type { ConfigHolder, RuntimeConfig } from './runtime-config.js';
import { ConfigError, parseConfig } from './load-config.js';
import type { Config } from './schema.js';

export interface ConfigVersion {
  revision: number;
  at: string;
  actor: string;
  summary: string;
  config: Config;
}

/** Where versions live (memory for one process; shared when replicas must agree on history). */
export interface ConfigVersionLog {
  append(version: ConfigVersion): Promise<void> | void;
  list(limit?: number): Promise<ConfigVersion[]> | ConfigVersion[];
  get(revision: number): Promise<ConfigVersion | undefined> | ConfigVersion | undefined;
}

export function createMemoryVersionLog(capacity = 200): ConfigVersionLog {
  const versions: ConfigVersion[] = [];
  return {
    append(v) {
      versions.push(v);
      if (versions.length > capacity) versions.shift();
    },
    list(limit = 50) {
      return versions.slice(-limit).reverse();
    },
    get(revision) {
      return versions.find((v) => v.revision === revision);
    },
  };
}

/** Pub/sub used to tell other replicas about a change (Redis in a fleet; absent for one process). */
export interface ConfigBus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
}

export const CONFIG_CHANNEL = 'model-router:config';

interface BusMessage {
  origin: string;
  version: ConfigVersion;
}

export class ConfigService {
  private unsubscribe?: () => Promise<void>;

  constructor(
    private readonly holder: ConfigHolder,
    private readonly versions: ConfigVersionLog,
    private readonly opts: { replicaId: string; bus?: ConfigBus; now?: () => number; log?: (msg: string) => void } = {
      replicaId: 'local',
    },
  ) {}

  get current(): RuntimeConfig {
    return this.holder.current;
  }

  /** Records the starting config as revision 1 and starts listening to other replicas. */
  async start(actor = 'startup'): Promise<void> {
    await this.versions.append(this.version(this.holder.current.config, actor, 'initial config', this.holder.current.revision));
    if (this.opts.bus) {
      this.unsubscribe = await this.opts.bus.subscribe(CONFIG_CHANNEL, (raw) => this.onRemote(raw));
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  /**
   * Applies a change: `mutate` edits a deep copy; the result is validated whole. Throws
   * ConfigError (nothing applied) when the result is invalid. Returns the new version.
   */
  async change(actor: string, summary: string, mutate: (draft: Config) => void): Promise<ConfigVersion> {
    const draft = structuredClone(this.holder.current.config);
    mutate(draft);
    return this.replace(actor, summary, draft);
  }

  /** Validates and applies a whole config (file reload, rollback). */
  async replace(actor: string, summary: string, next: unknown): Promise<ConfigVersion> {
    const { config, warnings } = parseConfig(next, {});
    for (const w of warnings) this.opts.log?.(`config: ${w}`);
    const snapshot = this.holder.apply(config);
    const version = this.version(config, actor, summary, snapshot.revision);
    await this.versions.append(version);
    if (this.opts.bus) {
      const message: BusMessage = { origin: this.opts.replicaId, version };
      await this.opts.bus.publish(CONFIG_CHANNEL, JSON.stringify(message)).catch((err: Error) => {
        this.opts.log?.(`config: could not publish change to other replicas: ${err.message}`);
      });
    }
    return version;
  }

  async rollback(actor: string, revision: number): Promise<ConfigVersion> {
    const target = await this.versions.get(revision);
    if (!target) throw new ConfigError(`No config revision ${revision} in the version log.`, [`revision ${revision} not found`]);
    return this.replace(actor, `rollback to revision ${revision}`, target.config);
  }

  list(limit?: number): Promise<ConfigVersion[]> | ConfigVersion[] {
    return this.versions.list(limit);
  }

  private version(config: Config, actor: string, summary: string, revision: number): ConfigVersion {
    return { revision, at: new Date(this.opts.now?.() ?? Date.now()).toISOString(), actor, summary, config };
  }

  /** Another replica changed the config: validate and apply its snapshot (never trust it blindly). */
  private onRemote(raw: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(raw) as BusMessage;
    } catch {
      this.opts.log?.('config: ignored an unparseable change message');
      return;
    }
    if (message.origin === this.opts.replicaId) return;
    try {
      const { config } = parseConfig(message.version.config, {});
      this.holder.apply(config);
      void this.versions.append({ ...message.version, revision: this.holder.current.revision });
      this.opts.log?.(`config: applied change from replica ${message.origin}: ${message.version.summary}`);
    } catch (err) {
      this.opts.log?.(`config: rejected change from replica ${message.origin}: ${(err as Error).message}`);
    }
  }
}

// Live configuration changes: every change (admin API, file reload, another replica) is validated
// as a whole config before it is applied, so nothing is ever half-applied. Each applied change is
// a version in the ConfigVersionStore (who, when, what changed; Redis-shared in a fleet), which
// also tells the other replicas, who validate and apply the same snapshot.
import type {
  ConfigChangedMessage,
  ConfigVersion,
  ConfigVersionStore,
  ConfigVersionSummary,
} from '../store/config-versions.js';
import { ConfigError, parseConfig } from './load-config.js';
import type { ConfigHolder, RuntimeConfig } from './runtime-config.js';
import type { Config } from './schema.js';

export class ConfigService {
  private unsubscribe?: () => Promise<void>;

  /**
   * `check` adds what the schema cannot see (whether each router's artefact version loads here):
   * a config with issues is refused like an invalid one.
   */
  constructor(
    private readonly holder: ConfigHolder,
    private readonly versions: ConfigVersionStore,
    private readonly log: (msg: string) => void = () => {},
    private readonly check: (config: Config) => string[] = () => [],
  ) {}

  private validate(raw: unknown): Config {
    const { config, warnings } = parseConfig(raw, {});
    const issues = this.check(config);
    if (issues.length) throw ConfigError.of(issues);
    for (const w of warnings) this.log(`config: ${w}`);
    return config;
  }

  get current(): RuntimeConfig {
    return this.holder.current;
  }

  /**
   * Records the starting config as a version when it differs from the newest one (the first
   * replica, or a changed file), then follows changes made by other replicas.
   */
  async start(who = 'startup'): Promise<void> {
    const latest = await this.versions.latest();
    const mine = this.holder.current.config;
    if (!latest || JSON.stringify(latest.config) !== JSON.stringify(mine)) {
      const v = await this.versions.record({ config: mine, who, reason: 'config at startup' });
      this.holder.apply(mine, v.version);
    } else {
      this.holder.apply(mine, latest.version);
    }
    this.unsubscribe = await this.versions.onChange((m) => void this.onRemote(m));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  /**
   * `mutate` edits a deep copy; the result is validated whole and applied, or a ConfigError is
   * thrown and nothing changes.
   */
  async change(
    who: string,
    reason: string,
    mutate: (draft: Config) => void,
  ): Promise<ConfigVersion> {
    const draft = structuredClone(this.holder.current.config);
    mutate(draft);
    return this.replace(who, reason, draft);
  }

  /** Validates and applies a whole config (file reload, PUT of everything). */
  async replace(
    who: string,
    reason: string,
    next: unknown,
    rollbackOf?: number,
  ): Promise<ConfigVersion> {
    const config = this.validate(next);
    const version = await this.versions.record({ config, who, reason, rollbackOf });
    this.holder.apply(config, version.version);
    return version;
  }

  async rollback(who: string, version: number): Promise<ConfigVersion> {
    const target = await this.versions.get(version);
    if (!target)
      throw new ConfigError(`No config revision ${version} in the version log.`, [
        `revision: no config revision ${version} in the version log`,
      ]);
    return this.replace(who, `rollback to revision ${version}`, target.config, version);
  }

  list(limit?: number): Promise<ConfigVersionSummary[]> {
    return this.versions.list(limit);
  }

  get(version: number): Promise<ConfigVersion | undefined> {
    return this.versions.get(version);
  }

  /**
   * Catches up after this replica lost the shared store: change messages published while its
   * connection was down were never delivered, so the newest version is read and applied if it is
   * newer than the one in force. Called when the shared state comes back.
   */
  async resync(): Promise<void> {
    try {
      const latest = await this.versions.latest();
      if (latest && latest.version > this.holder.current.revision)
        await this.onRemote({ version: latest.version, origin: '' });
    } catch (err) {
      this.log(`config: could not resync with the shared store: ${(err as Error).message}`);
    }
  }

  /** Another replica recorded a version: validate its snapshot and apply it (never blindly). */
  private async onRemote(message: Pick<ConfigChangedMessage, 'version' | 'origin'>): Promise<void> {
    if (message.origin === this.versions.origin || message.version <= this.holder.current.revision)
      return;
    try {
      const v = await this.versions.get(message.version);
      if (!v) return;
      const config = this.validate(v.config);
      this.holder.apply(config, v.version);
      this.log(
        `config: applied version ${v.version} from another replica (${v.who}: ${v.reason ?? ''})`,
      );
    } catch (err) {
      this.log(
        `config: rejected version ${message.version} from another replica: ${(err as Error).message}`,
      );
    }
  }
}

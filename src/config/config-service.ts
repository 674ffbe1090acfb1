// Live configuration changes: every change (admin API, file reload, another replica) is validated
// as a whole config before it is applied, so nothing is ever half-applied. Each applied change is
// a version in the ConfigVersionStore (who, when, what changed; Redis-shared in a fleet), which
// also tells the other replicas, who validate and apply the same snapshot.
// The config file replaces the live config only when the file itself changed since a replica last
// loaded it (recorded in the same store), so restarting a replica keeps the admin API's changes.
// Replicas compare and record a file one at a time (a lock in the store), so a changed file that
// several replicas load at once is recorded as one version.
// If the store loses its data, the highest revision any replica ran is recorded again, with the
// changes made meanwhile on a replica behind's older config applied on top (reconcile).
import {
  describeChange,
  diffConfig,
  type ConfigChangedMessage,
  type ConfigFileRecord,
  type ConfigVersion,
  type ConfigVersionStore,
  type ConfigVersionSummary,
} from '../store/config-versions.js';
import { GatewayError } from '../core/errors.js';
import { ConfigError, parseConfig } from './load-config.js';
import { mergeConfigChanges } from './merge-config-changes.js';
import {
  configFingerprint,
  perProcessOf,
  sharedPart,
  withPerProcess,
  type PerProcessConfig,
} from './per-process-config.js';
import type { ConfigHolder, RuntimeConfig } from './runtime-config.js';
import type { Config } from './schema.js';

export class ConfigService {
  private unsubscribe?: () => Promise<void>;
  /** Where this process listens: kept whatever snapshot it applies. */
  private readonly local: PerProcessConfig;
  /** The config file this replica started on while the shared store was unreachable. */
  /** A config file read while the shared store was unreachable (at start, or a reload). */
  private fileNotCompared: { config: Config; who: string; reason: string } | undefined;
  /** Whether the revision in force is a version of the shared store (not the file's placeholder). */
  private runsStoredVersion = false;
  /**
   * The stored snapshot in force here; undefined while the file's placeholder runs, or the file in
   * place of a version refused here (then there is nothing of the fleet's to record again).
   */
  private runningSnapshot: Config | undefined;
  /** The config file record last read or written here: written back if the store loses it. */
  private knownFile: Omit<ConfigFileRecord, 'at'> | undefined;

  /**
   * `check` adds what the schema cannot see (whether each router's artefact version loads here):
   * a config with issues is refused like an invalid one.
   */
  constructor(
    private readonly holder: ConfigHolder,
    private readonly versions: ConfigVersionStore,
    private readonly log: (msg: string, level?: 'info' | 'warn') => void = () => {},
    private readonly check: (config: Config) => string[] = () => [],
  ) {
    this.local = perProcessOf(holder.current.config);
  }

  private validate(raw: unknown): Config {
    // The live config holds values, not `${env:…}`: one in a change came through the admin API.
    const { config, warnings } = parseConfig(raw, null);
    const issues = this.check(config);
    if (issues.length) throw ConfigError.of(issues);
    for (const w of warnings) this.log(`config: ${w}`);
    return config;
  }

  get current(): RuntimeConfig {
    return this.holder.current;
  }

  /**
   * The holder's config is what the config file says. It becomes the live config only when no
   * version exists yet or the file changed since it was last loaded (see loadFile); otherwise the
   * newest version stays live, with the admin changes made since. Then follows other replicas.
   */
  async start(who = 'startup'): Promise<void> {
    const fromFile = this.holder.current.config;
    try {
      await this.compareFile(fromFile, who, 'config at startup');
    } catch (err) {
      if (!storeUnreachable(err)) throw err;
      // Redis is away: the file serves (state.onFailure says how) until Redis answers; resync
      // then compares it with the shared store as a start-up would have.
      this.fileNotCompared = { config: fromFile, who, reason: 'config at startup' };
      this.log(
        'config: the shared store (Redis) is unreachable: running the config file until it answers, then the live config',
        'warn',
      );
    }
    this.unsubscribe = await this.versions.onChange((m) => void this.onRemote(m));
  }

  /** Records the file as a version if it changed since last loaded, else runs the newest one. */
  private async compareFile(fromFile: Config, who: string, reason: string): Promise<void> {
    // One replica at a time: two starting on a changed file must not both record it.
    await this.versions.exclusively(async () => {
      const seen = await this.fileState(fromFile);
      const recorded = await this.fromFile(seen, who, reason);
      if (!recorded) this.adoptLatest(fromFile, seen);
    });
  }

  /**
   * The config file changed on disk (hot reload). Validated, then applied as a version only if it
   * says something else than the config last loaded from a file; `undefined` when it does not (a
   * comment edited, or another replica already loaded it), and the live config is kept.
   */
  async loadFile(raw: unknown, who: string, reason: string): Promise<ConfigVersion | undefined> {
    const config = this.validate(raw);
    try {
      // One replica at a time: replicas reloading the same changed file record it once.
      return await this.versions.exclusively(async () => {
        await this.reconcileLocked(false);
        return this.fromFile(await this.fileState(config), who, reason);
      });
    } catch (err) {
      if (!storeUnreachable(err)) throw err;
      // Kept for when Redis answers (resync), not lost: the file was edited once, not again.
      this.fileNotCompared = { config: withPerProcess(config, this.local), who, reason };
      throw new Error(
        'the shared store (Redis) is unreachable: the file is compared with the live config, and applied if it changed, when Redis answers',
        { cause: err },
      );
    }
  }

  /** The file's config (with this process's port and host) beside the newest version and record. */
  private async fileState(fileConfig: Config): Promise<FileState> {
    const config = withPerProcess(fileConfig, this.local);
    const [latest, last] = await Promise.all([this.versions.latest(), this.versions.lastFile()]);
    if (last) this.knownFile = last;
    const fingerprint = configFingerprint(config);
    return {
      config,
      fingerprint,
      latest,
      last,
      isLive: latest !== undefined && configFingerprint(latest.config) === fingerprint,
    };
  }

  private async fromFile(
    { config, fingerprint, latest, last, isLive }: FileState,
    who: string,
    reason: string,
  ): Promise<ConfigVersion | undefined> {
    if (latest && (last?.fingerprint === fingerprint || isLive)) {
      // The file is unchanged, or says what is live already (then it is the file's from now on).
      if (last?.fingerprint !== fingerprint)
        await this.recordFile({ fingerprint, version: latest.version, config });
      return undefined;
    }
    // The file changed since it was last loaded: it wins over live changes made since, which the
    // new version's reason and a warning name, so an operator sees what was undone.
    const overridden = latest && last ? overriddenChanges(last.config, latest.config, config) : [];
    const since = last ? `version ${last.version} was loaded from it` : 'the live config was made';
    const undone = overridden.length
      ? `; it overrides live changes to ${overridden.join(', ')}`
      : '';
    const why = latest ? `${reason}: the config file changed since ${since}${undone}` : reason;
    const v = await this.versions.record({
      config,
      who,
      reason: why,
      after: this.storedRevision(),
    });
    await this.recordFile({ fingerprint, version: v.version, config });
    this.apply(config, v.version);
    if (overridden.length)
      this.log(
        `config: the config file changed since ${since}, so it replaced the live config (version ` +
          `${v.version}) and undid changes made since through the admin API: ` +
          `${overridden.join(', ')}. Make them in the file to keep them.`,
        'warn',
      );
    return v;
  }

  /** The file is unchanged: the newest version is live (with this process's own port and host). */
  private adoptLatest(fromFile: Config, { latest, isLive }: FileState): void {
    if (!latest) return;
    // The file says what is live: its config object stays (listeners compare by identity).
    if (isLive) {
      this.apply(fromFile, latest.version);
      return;
    }
    try {
      const config = withPerProcess(this.validate(latest.config), this.local);
      this.apply(config, latest.version, latest.config);
    } catch (err) {
      this.apply(fromFile, latest.version, undefined);
      this.log(
        `config: the live config (version ${latest.version}) is refused here, running the config file instead: ${(err as Error).message}`,
        'warn',
      );
    }
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
    // Built on the newest version, under the fleet's config lock: a change made meanwhile through
    // another replica is kept, not overwritten with what this replica had before it arrived. A
    // store that lost its data gets the revision in force here first (reconcile), so a replica
    // ahead can tell this change from its own history and apply it on top of its revision.
    return this.versions.exclusively(async () => {
      await this.reconcileLocked(false);
      const draft = structuredClone(await this.newest());
      mutate(draft);
      return this.recordAndApply(withPerProcess(this.validate(draft), this.local), {
        who,
        reason,
      });
    });
  }

  /** Validates and applies a whole config (file reload, PUT of everything). */
  async replace(
    who: string,
    reason: string,
    next: unknown,
    rollbackOf?: number,
  ): Promise<ConfigVersion> {
    const config = withPerProcess(this.validate(next), this.local);
    return this.versions.exclusively(async () => {
      await this.reconcileLocked(false);
      return this.recordAndApply(config, { who, reason, rollbackOf });
    });
  }

  /**
   * The newest version's config (with this process's port and host) when another replica has
   * recorded one this replica has not applied yet, else the live config.
   */
  private async newest(): Promise<Config> {
    const latest = await this.versions.latest();
    if (!latest || latest.version <= this.holder.current.revision)
      return this.holder.current.config;
    return withPerProcess(latest.config, this.local);
  }

  /** Records a version (under the config lock) and applies it, unless a newer one is live. */
  private async recordAndApply(
    config: Config,
    entry: { who: string; reason: string; rollbackOf?: number },
  ): Promise<ConfigVersion> {
    const version = await this.versions.record({
      config,
      ...entry,
      after: this.storedRevision(),
    });
    if (version.version > this.holder.current.revision) this.apply(config, version.version);
    return version;
  }

  /** Applies a version of the shared store (`stored`: its snapshot, when it is what runs). */
  private apply(config: Config, version: number, stored: Config | undefined = config): void {
    this.holder.apply(config, version);
    this.runsStoredVersion = true;
    this.runningSnapshot = stored;
  }

  /** The revision in force when it came from the shared store, else 0 (the file's placeholder). */
  private storedRevision(): number {
    return this.runsStoredVersion ? this.holder.current.revision : 0;
  }

  private async recordFile(record: Omit<ConfigFileRecord, 'at'>): Promise<void> {
    await this.versions.recordFile(record);
    this.knownFile = record;
  }

  /**
   * Compares the newest stored version with the revision in force, under the config lock. A newer
   * one is applied. One not above it that is not the config in force means the store lost its
   * data (Redis restarted without persistence, flushed, failed over to a replica behind), and
   * maybe a replica that ran an older revision (it missed the last change: partitioned, slow)
   * recorded that again first: the revision in force here is recorded again (`who: resync`,
   * numbered after both, with the config file's record if that went too), so the highest
   * revision any replica ran wins, every replica takes it, and a replica started later adopts it
   * rather than its file. A replica never records again a revision below one already recorded.
   */
  private async reconcile(): Promise<void> {
    await this.versions.exclusively(() => this.reconcileLocked(true));
  }

  /**
   * reconcile's work, under the config lock. Changes recorded since on the lineage of a replica
   * behind (an admin's through it, a file it loaded) are applied on top of the revision recorded
   * again, not dropped, nor taken in its place (lineageBehind). `applyNewer` false (before a
   * change here): a newer version on this replica's own lineage is left to the change to build on.
   */
  private async reconcileLocked(applyNewer: boolean): Promise<void> {
    const running = this.holder.current;
    const history = await this.versions.history();
    const latest = history[0];
    const behind = this.lineageBehind(history);
    if (latest && latest.version > running.revision && !behind) {
      if (applyNewer) this.applyVersion(latest);
      return;
    }
    const snapshot = this.runningSnapshot;
    if (!snapshot) return;
    if (
      !behind &&
      latest?.version === running.revision &&
      configFingerprint(latest.config) === configFingerprint(snapshot)
    )
      return;
    const stored = await this.versions.lastFile();
    if (this.knownFile && (!stored || stored.version < this.knownFile.version))
      await this.versions.recordFile(this.knownFile);
    const newest = latest
      ? `version ${latest.version}${latest.resyncOf !== undefined ? `, recorded again from revision ${latest.resyncOf} by a replica behind` : ''}`
      : 'none';
    const v = await this.versions.record({
      config: running.config,
      who: 'resync',
      reason: `the shared store lost its data (newest there: ${newest}) while revision ${running.revision} was in force here: recorded again from it`,
      resyncOf: running.revision,
      after: Math.max(running.revision, latest?.version ?? 0),
    });
    this.apply(running.config, v.version);
    this.log(
      `config: the shared store (Redis) had lost the config versions (newest there: ${newest}; revision ${running.revision} in force here): recorded the live config again as version ${v.version}`,
      'warn',
    );
    if (behind && latest && latest !== behind) await this.recordChangesSince(behind, latest, v);
  }

  /**
   * The version heading the store's versions (recorded again by a replica, `resyncOf`) when they
   * descend from a revision below the one in force here that this replica never ran: the store
   * lost its data and a replica behind recorded its older config again, maybe with changes on
   * it since. Undefined when the store holds the revision in force here as it runs.
   */
  private lineageBehind(history: ConfigVersion[]): ConfigVersion | undefined {
    const snapshot = this.runningSnapshot;
    if (!snapshot) return undefined;
    const revision = this.holder.current.revision;
    const here = history.find((v) => v.version === revision);
    if (here && configFingerprint(here.config) === configFingerprint(snapshot)) return undefined;
    const head = history.find((v) => v.resyncOf !== undefined);
    return head && head.resyncOf! < revision ? head : undefined;
  }

  /**
   * Records (and applies) `own`, this replica's revision just recorded again, with what `head` (a
   * replica behind's older config recorded again) to `latest` changed on top: where both changed
   * a value otherwise, the later change, theirs, wins. A version of its own after `own`, so a
   * replica further ahead still finds `own` heading the store's versions and merges those
   * changes too. If the two together are refused, `own` stays and a warning names the changes
   * undone (to make again).
   */
  private async recordChangesSince(
    head: ConfigVersion,
    latest: ConfigVersion,
    own: ConfigVersion,
  ): Promise<void> {
    // Paths, and for a list of names the names added and removed (the merge takes those alone).
    const changed = diffConfig(sharedPart(head.config), sharedPart(latest.config)).map(
      describeChange,
    );
    if (!changed.length) return;
    const span =
      head.version + 1 === latest.version
        ? `version ${latest.version}`
        : `versions ${head.version + 1}–${latest.version}`;
    const made = `the changes of ${span}, made on revision ${head.resyncOf} recorded again by a replica behind`;
    const { merged, conflicts, reordered } = mergeConfigChanges(
      head.config,
      own.config,
      latest.config,
    );
    let config: Config;
    try {
      config = withPerProcess(this.validate(merged), this.local);
    } catch (err) {
      this.log(
        `config: ${made} (${changed.join(', ')}) cannot be applied on top of version ${own.version}, so they are undone: make them again. ${(err as Error).message}`,
        'warn',
      );
      return;
    }
    // A list of names both reordered: only its order is theirs (the names of both are merged).
    const stand = conflicts.map((c) => (reordered?.includes(c) ? `${c} (order)` : c));
    const over = conflicts.length
      ? `; where version ${own.version} had changed them too, theirs stand: ${stand.join(', ')}`
      : '';
    const reason = `${made}, applied on top of version ${own.version}: ${changed.join(', ')}${over}`;
    const v = await this.versions.record({ config, who: 'resync', reason, after: own.version });
    this.apply(config, v.version);
    this.log(`config: ${reason} (version ${v.version})`, 'warn');
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
   * newer than the one in force, or, if the store lost its data meanwhile, the highest revision is
   * recorded again (reconcile). Called when the shared state comes back. A replica that started
   * without it compares its config file with the store now, as start() would have.
   */
  async resync(): Promise<void> {
    try {
      const file = this.fileNotCompared;
      if (file) {
        await this.compareFile(file.config, file.who, file.reason);
        this.fileNotCompared = undefined;
        this.log(
          `config: the shared store answers: running config revision ${this.current.revision}`,
        );
        return;
      }
      await this.reconcile();
    } catch (err) {
      this.log(`config: could not resync with the shared store: ${(err as Error).message}`);
    }
  }

  /**
   * Another replica recorded a version: validate its snapshot and apply it (never blindly). One
   * numbered at or below the revision in force here, or on the lineage of a replica behind, comes
   * from a store that lost its data (a replica behind recorded what it ran again, or changed it):
   * reconcile keeps the highest, with the changes made on the one behind on top.
   */
  private async onRemote(message: Pick<ConfigChangedMessage, 'version' | 'origin'>): Promise<void> {
    if (message.origin === this.versions.origin) return;
    const reconcile = () =>
      this.reconcile().catch((err: Error) =>
        this.log(`config: could not compare with the shared store: ${err.message}`),
      );
    if (message.version <= this.holder.current.revision) {
      if (this.runningSnapshot) await reconcile();
      return;
    }
    try {
      const history = await this.versions.history();
      // Numbered above the revision here, but on the lineage of a replica behind: merged.
      if (this.lineageBehind(history)) return void (await reconcile());
      const v = history.find((x) => x.version === message.version);
      // Read while a newer one was applied here (this replica's own, or one heard meanwhile).
      if (!v || v.version <= this.holder.current.revision) return;
      this.applyVersion(v);
    } catch (err) {
      this.log(
        `config: rejected version ${message.version} from another replica: ${(err as Error).message}`,
      );
    }
  }

  /** Validates another replica's version and applies it (throws a ConfigError if refused). */
  private applyVersion(v: ConfigVersion): void {
    const config = withPerProcess(this.validate(v.config), this.local);
    this.apply(config, v.version, v.config);
    this.log(
      `config: applied version ${v.version} from another replica (${v.who}: ${v.reason ?? ''})`,
    );
  }
}

/** The shared store (Redis) did not answer: ResilientState's refusal. */
function storeUnreachable(err: unknown): boolean {
  return err instanceof GatewayError && err.code === 'state_unavailable';
}

/**
 * The live changes made since `fromFile` was loaded (paths as diffConfig names them) that `next`
 * sets otherwise: what loading `next` undoes.
 */
function overriddenChanges(fromFile: Config, live: Config, next: Config): string[] {
  const made = diffConfig(sharedPart(fromFile), sharedPart(live)).map((c) => c.path);
  const undone = diffConfig(sharedPart(live), sharedPart(next)).map((c) => c.path);
  const within = (a: string, b: string) =>
    a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return made.filter((p) => undone.some((q) => within(p, q) || within(q, p)));
}

/** A config file's settings beside what the shared state holds (ConfigService.fileState). */
interface FileState {
  config: Config;
  fingerprint: string;
  latest: ConfigVersion | undefined;
  last: Awaited<ReturnType<ConfigVersionStore['lastFile']>>;
  /** The newest version says what the file says (port and host aside). */
  isLive: boolean;
}

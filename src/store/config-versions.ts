// Versions of the live config: who changed it, when, what changed (paths with before/after; a list
// of names also with the names added and removed) and the full snapshot, kept in the SharedState
// (memory, or Redis so every replica sees them). Each new version is published on a channel so
// other replicas reload within moments; rollback is "record the snapshot of an older version
// again".
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { configFingerprint, sharedPart } from '../config/per-process-config.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { SharedState } from './shared-state.js';
import { whileLocked } from './shared-lock.js';
import { isObject } from '../core/is-object.js';
import { lockBusy } from '../core/errors.js';

export interface ConfigChange {
  /** e.g. `routers[model-router].routingMode`, `deployments[gpt-4o].rateLimit.tpm`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /**
   * A list of names before and after (isNameSet: a router's modelSubset, a key's scopes, a pool's
   * deployments), which mergeConfigChanges merges as a set: the names it gained, in after's order.
   */
  added?: string[];
  /** The names it lost, in before's order (with `added`; both there, maybe empty). */
  removed?: string[];
  /** The names before and after share stand in another order (a priority pool's order). */
  reordered?: true;
}

export interface ConfigVersionSummary {
  version: number;
  /** ISO time of the change. */
  at: string;
  /** Key id (or `file`, `cli`) that made the change. */
  who: string;
  reason?: string;
  /** The version this one rolled back to, if it is a rollback. */
  rollbackOf?: number;
  /**
   * The revision a replica ran and recorded again (`who: resync`) after the store lost its data:
   * the highest one any replica ran wins (ConfigService.reconcile).
   */
  resyncOf?: number;
  changes: ConfigChange[];
}

export interface ConfigVersion extends ConfigVersionSummary {
  config: Config;
}

export interface ConfigChangedMessage {
  version: number;
  who: string;
  /** Instance that published it, so it can ignore its own message. */
  origin: string;
}

/**
 * The config last loaded from a config file (at start-up or by a reload), whichever replica
 * loaded it: a file that still says this has not changed, so it must not replace the live config.
 */
export interface ConfigFileRecord {
  /** configFingerprint() of what the file said. */
  fingerprint: string;
  /** The version it was applied as (or found already in force as). */
  version: number;
  at: string;
  /** What the file said, to tell which live changes a changed file overrides. */
  config: Config;
}

const VERSIONS_HASH = 'config:versions';
const FILE_HASH = 'config:file';
const FILE_FIELD = 'last';
const SEQUENCE = 'config:version-seq';
/** Held while a replica records a version (and compares a config file with the shared record);
 * named before it had its wider use, which replicas of earlier builds then share. */
const CONFIG_LOCK = 'config:file-lock';
/** Far beyond what comparing and recording takes; a replica that dies holding it blocks no longer. */
const CONFIG_LOCK_TTL_MS = 30_000;
const CONFIG_LOCK_POLL_MS = 25;
export const CONFIG_CHANNEL = 'config:changed';
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

export interface ConfigVersionStoreOptions {
  state: SharedState;
  clock: Clock;
  /** Versions kept; older ones are deleted (default 200). */
  keep?: number;
}

export class ConfigVersionStore {
  /** This process's id in change messages. */
  readonly origin = randomBytes(6).toString('hex');

  constructor(private readonly options: ConfigVersionStoreOptions) {}

  /**
   * Store a new version (diffed against the latest) and tell every replica. Its number follows the
   * newest version stored and `after` (the revision the recording replica runs), whatever the
   * sequence says: a Redis that lost its data (restarted without persistence, flushed, the
   * sequence evicted) would otherwise number it 1 again, and every replica, running a higher
   * revision, would ignore it. Called under the config lock (`exclusively`).
   */
  async record(input: {
    config: Config;
    who: string;
    reason?: string;
    rollbackOf?: number;
    resyncOf?: number;
    after?: number;
  }): Promise<ConfigVersion> {
    const previous = await this.latest();
    const [counted] = await this.options.state.incrementCounters([
      { key: SEQUENCE, by: 1, ttlMs: TEN_YEARS_MS },
    ]);
    const floor = Math.max(previous?.version ?? 0, input.after ?? 0);
    const version =
      counted! > floor
        ? counted!
        : (
            await this.options.state.incrementCounters([
              { key: SEQUENCE, by: floor + 1 - counted!, ttlMs: TEN_YEARS_MS },
            ])
          )[0]!;
    const entry: ConfigVersion = {
      version,
      at: new Date(this.options.clock.now()).toISOString(),
      who: input.who,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.rollbackOf !== undefined ? { rollbackOf: input.rollbackOf } : {}),
      ...(input.resyncOf !== undefined ? { resyncOf: input.resyncOf } : {}),
      // Replicas listen on their own ports: that is not a change of the shared config.
      changes: diffConfig(
        previous ? sharedPart(previous.config) : undefined,
        sharedPart(input.config),
      ),
      config: input.config,
    };
    await this.options.state.hashSet(VERSIONS_HASH, String(entry.version), JSON.stringify(entry));
    await this.prune(entry.version);
    const message: ConfigChangedMessage = {
      version: entry.version,
      who: entry.who,
      origin: this.origin,
    };
    await this.options.state.publish(CONFIG_CHANNEL, JSON.stringify(message));
    return entry;
  }

  /** Re-apply an older snapshot as a new version. */
  async rollback(version: number, who: string): Promise<ConfigVersion | undefined> {
    const old = await this.get(version);
    if (!old) return undefined;
    return this.record({
      config: old.config,
      who,
      reason: `rollback to version ${version}`,
      rollbackOf: version,
    });
  }

  /** Newest first, without snapshots. */
  async list(limit = 50): Promise<ConfigVersionSummary[]> {
    const all = await this.all();
    return all.slice(0, limit).map(({ config: _config, ...rest }) => rest);
  }

  async get(version: number): Promise<ConfigVersion | undefined> {
    return (await this.all()).find((v) => v.version === version);
  }

  async latest(): Promise<ConfigVersion | undefined> {
    return (await this.all())[0];
  }

  /** Every version kept, with its snapshot, newest first (one read of the store). */
  history(): Promise<ConfigVersion[]> {
    return this.all();
  }

  /**
   * The config last loaded from a config file by any replica. A store written before this record
   * existed has none: the newest version a start-up or file reload made stands in for it.
   */
  async lastFile(): Promise<ConfigFileRecord | undefined> {
    const raw = (await this.options.state.hashGetAll(FILE_HASH))[FILE_FIELD];
    if (raw !== undefined) {
      try {
        return JSON.parse(raw) as ConfigFileRecord;
      } catch {
        // corrupt: fall back to the log
      }
    }
    const fromFile = (await this.all()).find((v) => v.who === 'startup' || v.who === 'file');
    return fromFile && { ...fromFile, fingerprint: configFingerprint(fromFile.config) };
  }

  /**
   * Runs `step` while no other replica runs its own: every change to the config (an admin change,
   * a rollback, a file compared and maybe recorded) reads the newest version and records the next
   * under this lock, so none is built on a config another replica has changed meanwhile (two
   * admin changes through two replicas both kept, in order), and replicas starting together on a
   * changed file record it once. Waits for the lock as long as it can be held; throws if it is
   * still held after that.
   */
  exclusively<T>(step: () => Promise<T>): Promise<T> {
    return whileLocked(
      this.options.state,
      CONFIG_LOCK,
      {
        ttlMs: CONFIG_LOCK_TTL_MS,
        pollMs: CONFIG_LOCK_POLL_MS,
        waitMs: CONFIG_LOCK_TTL_MS * 1.5,
        busy: () =>
          lockBusy(
            'Another replica has held the config lock for too long (it may have died holding it: the lock frees itself 30 s after it was taken); try again.',
            CONFIG_LOCK_TTL_MS / 1000,
          ),
      },
      step,
    );
  }

  async recordFile(record: Omit<ConfigFileRecord, 'at'>): Promise<void> {
    const entry: ConfigFileRecord = {
      ...record,
      at: new Date(this.options.clock.now()).toISOString(),
    };
    await this.options.state.hashSet(FILE_HASH, FILE_FIELD, JSON.stringify(entry));
  }

  /** Hear about versions recorded by any replica (including this one; compare `origin`). */
  onChange(handler: (message: ConfigChangedMessage) => void): Promise<() => Promise<void>> {
    return this.options.state.subscribe(CONFIG_CHANNEL, (raw) => {
      try {
        handler(JSON.parse(raw) as ConfigChangedMessage);
      } catch {
        // Not ours or corrupt: ignore.
      }
    });
  }

  private async all(): Promise<ConfigVersion[]> {
    const raw = await this.options.state.hashGetAll(VERSIONS_HASH);
    const out: ConfigVersion[] = [];
    for (const json of Object.values(raw)) {
      try {
        out.push(JSON.parse(json) as ConfigVersion);
      } catch {
        // Skip a corrupt entry.
      }
    }
    return out.sort((a, b) => b.version - a.version);
  }

  private async prune(newest: number): Promise<void> {
    const keep = this.options.keep ?? 200;
    const oldest = newest - keep;
    if (oldest < 1) return;
    const raw = await this.options.state.hashGetAll(VERSIONS_HASH);
    for (const field of Object.keys(raw))
      if (Number(field) <= oldest) await this.options.state.hashDelete(VERSIONS_HASH, field);
  }
}

/**
 * Paths that differ between two configs. Arrays of objects with a `name` (or `id`) are matched by
 * it, so reordering deployments is not a change and paths read `deployments[gpt-4o].rateLimit`;
 * other arrays (listKeyOf) are one value, and a list of names also says which names it gained and
 * lost (`added`, `removed`, `reordered`), as mergeConfigChanges merges it.
 */
export function diffConfig(before: unknown, after: unknown, path = ''): ConfigChange[] {
  if (deepEqual(before, after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const key = listKeyOf(before, after);
    if (key) {
      const a = new Map(before.map((x) => [String((x as Record<string, unknown>)[key]), x]));
      const b = new Map(after.map((x) => [String((x as Record<string, unknown>)[key]), x]));
      const out: ConfigChange[] = [];
      for (const name of new Set([...a.keys(), ...b.keys()]))
        out.push(...diffConfig(a.get(name), b.get(name), `${path}[${name}]`));
      return out;
    }
    if (isNameSet(before) && isNameSet(after)) {
      const [was, is] = [new Set(before), new Set(after)];
      return [
        {
          path: path || '<root>',
          before,
          after,
          added: after.filter((x) => !was.has(x)),
          removed: before.filter((x) => !is.has(x)),
          ...(sameOrder(before, after) ? {} : { reordered: true as const }),
        },
      ];
    }
    return [{ path: path || '<root>', before, after }];
  }
  if (isObject(before) && isObject(after)) {
    const out: ConfigChange[] = [];
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)]))
      out.push(...diffConfig(before[k], after[k], path ? `${path}.${k}` : k));
    return out;
  }
  return [
    {
      path: path || '<root>',
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    },
  ];
}

/**
 * A change as a version's reason names it: its path, and for a list of names the names it gained
 * (`+small`) and lost (`-big`), and `reordered` if the names it kept moved.
 */
export function describeChange(change: ConfigChange): string {
  const what = [
    [
      ...(change.added ?? []).map((x) => `+${x}`),
      ...(change.removed ?? []).map((x) => `-${x}`),
    ].join(' '),
    change.reordered ? 'reordered' : '',
  ].filter(Boolean);
  return what.length ? `${change.path} (${what.join(', ')})` : change.path;
}

/** A list of names: every item a string, none twice. */
export const isNameSet = (list: unknown): list is string[] =>
  Array.isArray(list) &&
  list.every((x) => typeof x === 'string') &&
  new Set(list).size === list.length;

/** The names two lists share stand in the same order in both. */
export function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  const [inA, inB] = [new Set(a), new Set(b)];
  return isDeepStrictEqual(
    a.filter((x) => inB.has(x)),
    b.filter((x) => inA.has(x)),
  );
}

/**
 * What the items of lists (diffConfig's two, mergeConfigChanges' three) are matched by: `name`
 * (or `id`) when every item of every non-empty list has one of its own (a string, no other item
 * of its list has it); else undefined, and the lists are compared whole. An item without it, or
 * a name twice (an invalid config), would otherwise be matched with another and its change lost.
 */
export function listKeyOf(...lists: unknown[]): 'name' | 'id' | undefined {
  const filled = lists.filter((l): l is unknown[] => Array.isArray(l) && l.length > 0);
  if (!filled.length) return undefined;
  const keyed = (key: string) =>
    filled.every((list) => {
      const seen = list.map((x) => (isObject(x) ? x[key] : undefined));
      return seen.every((v) => typeof v === 'string') && new Set(seen).size === seen.length;
    });
  return keyed('name') ? 'name' : keyed('id') ? 'id' : undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

// API keys from three sources, merged: the config file (`auth.keys`), the bootstrap admin key in an
// env var, and keys issued at run time. Runtime keys, their rotations and revocations live in the
// SharedState (a Redis hash when state is Redis), and a pub/sub message makes every replica reload
// at once. A rotated key keeps its id (so spend, limits and budgets) and, until its grace period
// ends, also answers to its earlier secrets (`previousHashes`).
// A replica writes back what a store that lost its data lacks; a revocation names the key it
// revoked, so it never lands on the id issued again since, nor a key on another issue of its id.
// Lookups on the hot path are synchronous against the local cache, and a key's address allowlist
// is compiled here, when keys are loaded, never per request.
import { whileLocked } from '../store/shared-lock.js';
import type { BlockList } from 'node:net';
import type { ApiKeyConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError, invalidRequest, lockBusy } from '../core/errors.js';
import type { SharedState } from '../store/shared-state.js';
import { digestsEqual, generateApiKey, generateKeyId, hashApiKey } from './api-key.js';
import { compileAllowlist } from './ip-allowlist.js';

export type KeySource = 'config' | 'env' | 'runtime';

export interface ApiKeyRecord extends ApiKeyConfig {
  source: KeySource;
  createdAt?: string;
  createdBy?: string;
  /** When its current secret was issued by a rotation. */
  rotatedAt?: string;
  /**
   * How many times its secret was rotated: of two records of a key, the one with more is the
   * newer, so a replica writing back what it knew never puts an older secret over a rotation.
   */
  rotations?: number;
}

/** What an admin may set when issuing a key; the key itself is generated. */
export type IssueKeyInput = Omit<
  ApiKeyConfig,
  'hash' | 'id' | 'admin' | 'scopes' | 'previousHashes'
> & {
  id?: string;
  admin?: boolean;
  scopes?: string[];
  createdBy?: string;
};

/**
 * A record as shown by list APIs: everything but hashes; a key in its grace period says when the
 * last of its earlier secrets stops working.
 */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash' | 'previousHashes' | 'rotations'> & {
  revoked?: boolean;
  oldSecretExpiresAt?: string;
};

/** How long a rotated key's earlier secret keeps working unless the rotation says otherwise. */
export const DEFAULT_GRACE_SECONDS = 86_400;
export const MAX_GRACE_SECONDS = 30 * 86_400;

/** An earlier secret of a rotated key, found by its hash until `until` (epoch ms). */
interface OldSecret {
  record: ApiKeyRecord;
  hash: string;
  until: number;
}

const KEYS_HASH = 'auth:keys';
const REVOKED_HASH = 'auth:revoked';
const CHANNEL = 'auth:keys:changed';
/** Held while a replica issues, rotates or revokes a key, or writes back what the store lost. */
const KEYS_LOCK = 'auth:keys:lock';
/** How long the key lock holds without its holder. */
const KEYS_LOCK_TTL_MS = 10_000;
export const ENV_ADMIN_KEY_ID = 'admin-env';

/** What a key id may be: letters, digits, _ . - (at most 64). */
export const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export interface KeyStoreOptions {
  state: SharedState;
  clock: Clock;
  /** The live `auth.keys` from config. */
  configKeys: () => readonly ApiKeyConfig[];
  /** Plain bootstrap admin key (from the env var named by auth.adminKeyEnv). */
  adminKey?: string;
  /**
   * Told when the shared store had lost keys or revocations and this replica wrote them back, or
   * an id it knew was issued again meanwhile.
   */
  warn?: (message: string) => void;
  /** How long an admin change waits while another replica holds the key lock (default 15 s). */
  lockWaitMs?: number;
}

export class KeyStore {
  private runtime = new Map<string, ApiKeyRecord>();
  private revoked = new Map<string, string>();
  private byHash = new Map<string, ApiKeyRecord>();
  private byOldHash = new Map<string, OldSecret>();
  /** Compiled `allowedIps` of the keys that have one, by record. */
  private allowlists = new WeakMap<ApiKeyRecord, BlockList>();
  private unsubscribe: (() => Promise<void>) | undefined;
  /** This replica's reloads and changes, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: KeyStoreOptions) {
    this.rebuild();
  }

  /** Load runtime keys and listen for changes made by other replicas. */
  async start(): Promise<void> {
    this.unsubscribe = await this.options.state.subscribe(
      CHANNEL,
      () => void this.refresh().catch(() => {}),
    );
    await this.refresh().catch(() => {
      // Redis down at start: config and env keys still work; the next change message reloads.
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  /**
   * Reload runtime keys and revocations from the shared state. A store that lacks a revocation, a
   * key or a rotation this replica knows lost its data (Redis restarted without persistence,
   * flushed, failed over to a replica behind: the API never deletes a revocation, deletes a key
   * only when it revokes it, and counts rotations up), so what it lacks is written back rather
   * than forgotten: a key revoked through the API (a leaked config key among them) would
   * otherwise work again, and a rotated key's old secret come back.
   */
  refresh(): Promise<void> {
    return this.serially(async () => {
      const stored = await this.read();
      if (this.knowsMore(stored)) await this.locked(() => this.sync());
      else this.adopt(stored);
    });
  }

  /** One at a time here: a reload must not replace what a change or write-back is writing. */
  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * One replica at a time: issues, rotations, revocations and write-backs, each judged on the store
   * as it is then, so a write-back never lands between another replica's read and write.
   */
  private locked<T>(step: () => Promise<T>): Promise<T> {
    return whileLocked(
      this.options.state,
      KEYS_LOCK,
      {
        ttlMs: KEYS_LOCK_TTL_MS,
        pollMs: 10,
        waitMs: this.options.lockWaitMs ?? 15_000,
        busy: () =>
          lockBusy(
            'Another replica has held the API key lock too long (it may have died holding it: the lock frees itself 10 s after it was taken); try again.',
            KEYS_LOCK_TTL_MS / 1000,
          ),
      },
      step,
    );
  }

  private async read(): Promise<StoredKeys> {
    const [keys, revoked] = await Promise.all([
      this.options.state.hashGetAll(KEYS_HASH),
      this.options.state.hashGetAll(REVOKED_HASH),
    ]);
    const runtime = new Map<string, ApiKeyRecord>();
    for (const [id, json] of Object.entries(keys)) {
      try {
        runtime.set(id, JSON.parse(json) as ApiKeyRecord);
      } catch {
        // A corrupt entry is skipped, never fatal.
      }
    }
    return { keys: runtime, revoked: new Map(Object.entries(revoked)) };
  }

  /** Whether this replica knows a revocation, a key or a rotation that `stored` lacks. */
  private knowsMore(stored: StoredKeys): boolean {
    for (const [id, revocation] of this.revoked)
      if (!stored.revoked.has(id) && !issuedAgain(revocation, stored.keys.get(id))) return true;
    for (const [id, rec] of this.runtime) {
      if (stored.revoked.has(id)) continue;
      const there = stored.keys.get(id);
      if (!there || newerRecord(rec, there)) return true;
    }
    return false;
  }

  /**
   * Under the key lock: reads the store, writes back what it lost that this replica knows
   * (revocations first: a replica reading meanwhile refuses a key a moment, never lets one in),
   * never a key revoked there nor a record older than the one there, and runs what results.
   * A revocation goes back over the key it revoked only, not over its id issued again since
   * through a replica that never knew it; a key never over another issue of its id.
   */
  private async sync(): Promise<void> {
    const stored = await this.read();
    let revocations = 0;
    let keys = 0;
    for (const [id, revocation] of this.revoked) {
      if (stored.revoked.has(id) || issuedAgain(revocation, stored.keys.get(id))) continue;
      await this.options.state.hashSet(REVOKED_HASH, id, revocation);
      stored.revoked.set(id, revocation);
      revocations++;
    }
    for (const [id, rec] of this.runtime) {
      const there = stored.keys.get(id);
      if (stored.revoked.has(id) || (there && !newerRecord(rec, there))) continue;
      await this.options.state.hashSet(KEYS_HASH, id, JSON.stringify(rec));
      stored.keys.set(id, rec);
      keys++;
    }
    // A record written back by an earlier build over a revocation made meanwhile: revoked wins.
    for (const id of stored.keys.keys())
      if (stored.revoked.has(id)) {
        await this.options.state.hashDelete(KEYS_HASH, id);
        stored.keys.delete(id);
      }
    this.adopt(stored);
    if (revocations + keys === 0) return;
    this.options.warn?.(
      `auth: the shared store (Redis) lacked ${keys} API keys (or their newest secrets) and ${revocations} revocations made through the admin API that this replica knew (it lost its data: restarted without persistence, flushed, or failed over): wrote them back`,
    );
    await this.announce();
  }

  private adopt(stored: StoredKeys): void {
    // Only after a loss can an id's record change issue: its ids are never issued twice otherwise.
    for (const [id, rec] of this.runtime)
      if (stored.keys.has(id) && stored.keys.get(id)!.createdAt !== rec.createdAt)
        this.options.warn?.(
          `auth: API key "${id}" was issued again through another replica after the shared store (Redis) lost it (restarted without persistence, flushed, or failed over): the key issued there stands, and the secrets of the one issued at ${rec.createdAt ?? 'an unknown time'} no longer work`,
        );
    this.runtime = stored.keys;
    this.revoked = stored.revoked;
    this.rebuild();
  }

  /** Rebuild the hash index (call after a config reload). */
  rebuild(): void {
    const byHash = new Map<string, ApiKeyRecord>();
    for (const k of this.options.configKeys()) byHash.set(k.hash, { ...k, source: 'config' });
    for (const k of this.runtime.values()) byHash.set(k.hash, k);
    if (this.options.adminKey) {
      const hash = hashApiKey(this.options.adminKey);
      byHash.set(hash, {
        id: ENV_ADMIN_KEY_ID,
        hash,
        tenant: 'admin',
        admin: true,
        scopes: ['*'],
        source: 'env',
      });
    }
    const allowlists = new WeakMap<ApiKeyRecord, BlockList>();
    const byOldHash = new Map<string, OldSecret>();
    for (const [hash, rec] of byHash) {
      if (this.revoked.has(rec.id) && rec.source !== 'env') {
        byHash.delete(hash);
        continue;
      }
      if (rec.allowedIps) allowlists.set(rec, compileAllowlist(rec.allowedIps));
      for (const old of rec.previousHashes ?? [])
        byOldHash.set(old.hash, { record: rec, hash: old.hash, until: Date.parse(old.expiresAt) });
    }
    // A current secret always wins over someone's earlier one.
    for (const hash of byHash.keys()) byOldHash.delete(hash);
    this.allowlists = allowlists;
    this.byOldHash = byOldHash;
    this.byHash = byHash;
  }

  /** The compiled address allowlist of a record found here (undefined: it has none). */
  allowlistFor(record: ApiKeyRecord): BlockList | undefined {
    return this.allowlists.get(record);
  }

  /**
   * The record for a presented key, or undefined. Revoked keys are not found, nor a rotated key's
   * earlier secret once its grace period is over (it is then just an unknown key).
   */
  findByKey(key: string): ApiKeyRecord | undefined {
    const hash = hashApiKey(key);
    const rec = this.byHash.get(hash);
    // The map lookup is on the digest, not the key; confirm with a constant-time compare.
    if (rec) return digestsEqual(rec.hash, hash) ? rec : undefined;
    // Only a current secret's miss gets here, so keys never rotated pay nothing for it.
    const old = this.byOldHash.get(hash);
    return old && old.until > this.options.clock.now() && digestsEqual(old.hash, hash)
      ? old.record
      : undefined;
  }

  get(id: string): ApiKeyRecord | undefined {
    for (const rec of this.byHash.values()) if (rec.id === id) return rec;
    return undefined;
  }

  list(): ApiKeyView[] {
    const out: ApiKeyView[] = [];
    const seen = new Set<string>();
    const now = this.options.clock.now();
    for (const rec of this.byHash.values()) {
      seen.add(rec.id);
      out.push(view(rec, now));
    }
    // Revoked runtime keys are deleted; revoked config keys stay listed as revoked.
    for (const k of this.options.configKeys()) {
      if (!seen.has(k.id) && this.revoked.has(k.id))
        out.push({ ...view({ ...k, source: 'config' }, now), revoked: true });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Create a key; the plain key is returned once and never stored. */
  async issue(input: IssueKeyInput): Promise<{ key: string; record: ApiKeyView }> {
    const id = input.id ?? generateKeyId();
    if (!KEY_ID.test(id))
      throw invalidRequest('Key id may use letters, digits, _ . - (max 64).', 'id');
    if (input.expiresAt !== undefined && Number.isNaN(Date.parse(input.expiresAt)))
      throw invalidRequest('expiresAt must be an ISO 8601 date-time.', 'expiresAt');
    if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= this.options.clock.now())
      throw invalidRequest(
        `expiresAt ${input.expiresAt} is in the past: the key would never work. Give a time to come.`,
        'expiresAt',
      );
    // Judged on the store as it is under the fleet's key lock, as rotations, revocations and
    // write-backs are: an id issued, revoked or written back through another replica meanwhile is a
    // 409 here, not a 201 for a key that is overwritten or revoked a moment later.
    return this.serially(() =>
      this.locked(async () => {
        await this.sync();
        return this.issueAs(id, input);
      }),
    );
  }

  private async issueAs(
    id: string,
    input: IssueKeyInput,
  ): Promise<{ key: string; record: ApiKeyView }> {
    const taken =
      this.runtime.has(id) ||
      this.revoked.has(id) ||
      this.options.configKeys().some((k) => k.id === id);
    if (taken || id === ENV_ADMIN_KEY_ID)
      throw new GatewayError({
        status: 409,
        type: 'invalid_request_error',
        code: 'key_exists',
        param: 'id',
        message: `A key with id "${id}" already exists (ids of revoked keys are not reused).`,
      });
    const key = generateApiKey();
    const { createdBy, ...rest } = input;
    const record: ApiKeyRecord = {
      ...rest,
      id,
      hash: hashApiKey(key),
      admin: input.admin ?? false,
      scopes: input.scopes ?? ['*'],
      source: 'runtime',
      createdAt: new Date(this.options.clock.now()).toISOString(),
      ...(createdBy ? { createdBy } : {}),
    };
    await this.options.state.hashSet(KEYS_HASH, id, JSON.stringify(record));
    this.runtime.set(id, record);
    this.rebuild();
    await this.announce();
    return { key, record: view(record, this.options.clock.now()) };
  }

  /**
   * A new secret for key `id`, returned once; everything else about the key stays (id, tenant,
   * scopes, limits, budgets, allowedIps), and its current secret keeps working for `graceSeconds`
   * (0: refused at once, for a leaked key). Earlier secrets still in their own grace keep it.
   * Runtime keys only: a config key's hash is in the config file. Undefined: no such key.
   */
  async rotate(
    id: string,
    graceSeconds = DEFAULT_GRACE_SECONDS,
  ): Promise<{ key: string; record: ApiKeyView } | undefined> {
    if (id === ENV_ADMIN_KEY_ID)
      throw invalidRequest(
        'The bootstrap admin key is rotated by changing its env var and restarting.',
        'id',
      );
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS)
      throw invalidRequest(
        `graceSeconds must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (30 days).`,
        'graceSeconds',
      );
    // Rotate what the shared state holds now, not a view a moment old (another replica's change).
    return this.serially(() => this.locked(() => this.rotateNow(id, graceSeconds)));
  }

  private async rotateNow(
    id: string,
    graceSeconds: number,
  ): Promise<{ key: string; record: ApiKeyView } | undefined> {
    await this.sync();
    const current = this.runtime.get(id);
    if (!current) {
      if (!this.revoked.has(id) && this.options.configKeys().some((k) => k.id === id))
        throw invalidRequest(
          `Key "${id}" is defined in the config file (auth.keys): rotate it by changing the config, e.g. \`model-router keys rotate ${id} --config <file>\`, which keeps the old hash in previousHashes for the grace period.`,
          'id',
          'config_key',
        );
      return undefined;
    }
    const now = this.options.clock.now();
    const key = generateApiKey();
    const previousHashes = [
      ...(current.previousHashes ?? []).filter((p) => Date.parse(p.expiresAt) > now),
      ...(graceSeconds > 0
        ? [{ hash: current.hash, expiresAt: new Date(now + graceSeconds * 1000).toISOString() }]
        : []),
    ];
    const { previousHashes: _earlier, ...rest } = current;
    const record: ApiKeyRecord = {
      ...rest,
      hash: hashApiKey(key),
      rotatedAt: new Date(now).toISOString(),
      rotations: (current.rotations ?? 0) + 1,
      ...(previousHashes.length ? { previousHashes } : {}),
    };
    await this.options.state.hashSet(KEYS_HASH, id, JSON.stringify(record));
    this.runtime.set(id, record);
    this.rebuild();
    await this.announce();
    return { key, record: view(record, now) };
  }

  /** Whether keys and revocations made through the API outlive a restart (shared state in Redis). */
  get durable(): boolean {
    return this.options.state.kind !== 'memory';
  }

  /** The store's clock: when a key's `expiresAt` is judged. */
  now(): number {
    return this.options.clock.now();
  }

  /** Whether `id` is a key of the config file's `auth.keys`. */
  isConfigKey(id: string): boolean {
    return this.options.configKeys().some((k) => k.id === id);
  }

  /** Revoke by id (runtime or config key). Returns false when no such key exists. */
  async revoke(id: string): Promise<boolean> {
    if (id === ENV_ADMIN_KEY_ID)
      throw invalidRequest('The bootstrap admin key is revoked by removing its env var.', 'id');
    return this.serially(() => this.locked(() => this.revokeNow(id)));
  }

  private async revokeNow(id: string): Promise<boolean> {
    await this.sync();
    const record = this.runtime.get(id);
    if (!record && !this.isConfigKey(id)) return false;
    const revocation = revocationOf(record, this.options.clock.now());
    await this.options.state.hashSet(REVOKED_HASH, id, revocation);
    await this.options.state.hashDelete(KEYS_HASH, id);
    this.runtime.delete(id);
    this.revoked.set(id, revocation);
    this.rebuild();
    await this.announce();
    return true;
  }

  private async announce(): Promise<void> {
    await this.options.state.publish(CHANNEL, String(this.options.clock.now()));
  }
}

/**
 * The runtime keys and revocations as the shared state holds them. A revocation is its time
 * (`auth:revoked` by id), or JSON `{at, issue}` naming the `createdAt` of the runtime key revoked.
 */
interface StoredKeys {
  keys: Map<string, ApiKeyRecord>;
  revoked: Map<string, string>;
}

/**
 * What `auth:revoked` holds for a key revoked now: a runtime key's names its issue, so that a
 * replica writing it back after a loss can tell the key revoked from its id issued again since.
 * Either form revokes the id (earlier builds read both as a time alone).
 */
function revocationOf(record: ApiKeyRecord | undefined, now: number): string {
  const at = new Date(now).toISOString();
  return record?.createdAt ? JSON.stringify({ at, issue: record.createdAt }) : at;
}

/**
 * Whether the store holds `id` issued again since `revocation` (through a replica that never knew
 * the id after the store lost it): a revocation naming another issue than the store's key. One
 * naming none (a config key's, one an earlier build made) revokes any issue of its id.
 */
function issuedAgain(revocation: string, there: ApiKeyRecord | undefined): boolean {
  if (!there || !revocation.startsWith('{')) return false;
  try {
    const { issue } = JSON.parse(revocation) as { issue?: unknown };
    return typeof issue === 'string' && issue !== there.createdAt;
  } catch {
    return false;
  }
}

/**
 * Whether `a` is a later record of its key than `b`: rotated more times (records of builds before
 * the count: rotated later). Never of another issue of its id (issued again after the store lost
 * it, through a replica that never knew it): the store's stands, the one written first after the
 * loss (an issue finds the id taken once a write-back put it there), whatever the replicas' clocks.
 */
function newerRecord(a: ApiKeyRecord, b: ApiKeyRecord): boolean {
  if (a.createdAt !== b.createdAt) return false;
  const [ra, rb] = [a.rotations ?? 0, b.rotations ?? 0];
  if (ra !== rb) return ra > rb;
  return a.hash !== b.hash && (a.rotatedAt ?? '') > (b.rotatedAt ?? '');
}

function view(rec: ApiKeyRecord, now: number): ApiKeyView {
  const { hash: _hash, previousHashes, rotations: _rotations, ...rest } = rec;
  const until = Math.max(
    ...(previousHashes ?? []).map((p) => Date.parse(p.expiresAt)).filter((t) => t > now),
  );
  return until > now ? { ...rest, oldSecretExpiresAt: new Date(until).toISOString() } : rest;
}

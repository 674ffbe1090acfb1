// Reservation pools in process memory: MemoryState's, and the fail-open wrapper's copy of the
// entries its replica holds. A pool is its entries (id -> amount, lapsing at a time) and their
// running total; a read drops the lapsed ones first, as the Redis scripts do (lua-scripts.ts
// POOLS), so the two behave alike step for step.
import type { ReservationChange, ReservationEntry } from './shared-state.js';

interface Held {
  amount: number;
  expiresAt: number;
}

interface Pool {
  total: number;
  entries: Map<string, Held>;
  /** No entry lapses before this (a lower bound: a released entry may have set it). */
  nextExpiry: number;
}

/**
 * Sweep every pool of lapsed entries once this many are held: a pool nobody reads again (a past
 * day's) must not keep its lapsed entries for the process's life. The next sweep waits for twice
 * what is left.
 */
const SWEEP_AT = 10_000;

/** Pools of entries; every method is synchronous, so each step is atomic within the process. */
export class ReservationPools {
  private readonly pools = new Map<string, Pool>();
  private held = 0;
  private sweepAt = SWEEP_AT;

  /** What `pool` holds at `now`: its entries not yet lapsed. */
  total(pool: string, now: number): number {
    const p = this.pools.get(pool);
    if (!p) return 0;
    this.purge(pool, p, now);
    return p.total;
  }

  /** Makes the entry unless it is held already (then it stays as it is): idempotent. */
  make(entry: ReservationEntry, now: number): void {
    checkReservationAmount(entry.amount);
    const before = this.pools.get(entry.pool);
    if (before) this.purge(entry.pool, before, now);
    let p = this.pools.get(entry.pool);
    if (p?.entries.has(entry.id)) return;
    if (!p)
      this.pools.set(entry.pool, (p = { total: 0, entries: new Map(), nextExpiry: Infinity }));
    const expiresAt = now + entry.ttlMs;
    p.entries.set(entry.id, { amount: entry.amount, expiresAt });
    p.total += entry.amount;
    p.nextExpiry = Math.min(p.nextExpiry, expiresAt);
    this.held++;
    if (this.held >= this.sweepAt) this.sweep(now);
  }

  /** Sets a held entry's amount (0 releases it); returns what it held before, 0 when gone. */
  change(change: ReservationChange, now: number): number {
    checkReservationAmount(change.amount, true);
    const p = this.pools.get(change.pool);
    if (!p) return 0;
    this.purge(change.pool, p, now);
    const e = p.entries.get(change.id);
    if (!e) return 0;
    const was = e.amount;
    p.total += change.amount - was;
    if (change.amount > 0) e.amount = change.amount;
    else this.drop(change.pool, p, change.id);
    return was;
  }

  /** Entries held, lapsed ones included until a read or a sweep drops them. */
  get size(): number {
    return this.held;
  }

  private drop(pool: string, p: Pool, id: string): void {
    p.entries.delete(id);
    this.held--;
    if (p.entries.size === 0) this.pools.delete(pool);
  }

  private purge(pool: string, p: Pool, now: number): void {
    if (p.nextExpiry > now) return;
    let next = Infinity;
    for (const [id, e] of p.entries) {
      if (e.expiresAt <= now) {
        p.total -= e.amount;
        this.drop(pool, p, id);
      } else next = Math.min(next, e.expiresAt);
    }
    p.nextExpiry = next;
  }

  private sweep(now: number): void {
    for (const [pool, p] of this.pools) this.purge(pool, p, now);
    this.sweepAt = Math.max(SWEEP_AT, 2 * this.held);
  }
}

/** Amounts are positive integers (budgets: nano-dollars), so totals never drift; 0 releases. */
export function checkReservationAmount(amount: number, zeroOk = false): void {
  if (!Number.isSafeInteger(amount) || amount < 0 || (amount === 0 && !zeroOk))
    throw new Error(`a reservation's amount must be a positive integer, got ${amount}`);
}

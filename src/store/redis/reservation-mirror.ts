// The fail-open wrapper's view of the reservation pools (resilient-state.ts). While Redis answers
// it keeps the entries this replica holds (made, narrowed, released through Redis) and, per pool,
// what the other replicas held at the last read. While Redis is away it serves the pools from
// those, lapsing this replica's entries on time, and keeps what changed to send on Redis's return:
// entries are known by id, so an entry sent twice (a script that timed out after making it, then
// made here) still counts once, and a release sent twice releases once.
import { ReservationPools } from '../reservation-pools.js';
import type { PoolAccess, ReservationChange, ReservationEntry } from '../shared-state.js';

/** An entry's last state while Redis was away. */
interface PendingEntry {
  pool: string;
  id: string;
  /** 0: released. */
  amount: number;
  /** Made while Redis was away (it may also have reached Redis, by a script that timed out). */
  made: boolean;
  expiresAt: number;
}

/** What to send to Redis on its return: entries to make, then every entry's amount to set. */
export interface ReservationFlush {
  make: ReservationEntry[];
  changes: ReservationChange[];
}

export class ReservationMirror {
  /** The entries this replica holds, wherever they were made. */
  private readonly mine = new ReservationPools();
  /** Per pool: what the other replicas held when Redis last reported its total. */
  private readonly others = new Map<string, number>();
  private readonly pending = new Map<string, PendingEntry>();

  /** Redis answered a consume: `totals` of `pools.read` (before `pools.make`, made when `ok`). */
  seen(pools: PoolAccess, totals: readonly number[], ok: boolean, now: number): void {
    (pools.read ?? []).forEach((p, i) =>
      this.others.set(p, Math.max(0, (totals[i] ?? 0) - this.mine.total(p, now))),
    );
    if (ok) for (const e of pools.make ?? []) this.mine.make(e, now);
  }

  /** Redis applied the changes. */
  changed(changes: readonly ReservationChange[], now: number): void {
    for (const c of changes) this.mine.change(c, now);
  }

  /** Pool totals while Redis is away: the others' as last reported, and this replica's own. */
  totals(pools: readonly string[], now: number): number[] {
    return pools.map((p) => (this.others.get(p) ?? 0) + this.mine.total(p, now));
  }

  /** Entries made while Redis is away: held here, made in Redis on its return. */
  make(entries: readonly ReservationEntry[], now: number): void {
    for (const e of entries) {
      this.mine.make(e, now);
      const key = keyOf(e);
      if (!this.pending.has(key))
        this.pending.set(key, { ...e, made: true, expiresAt: now + e.ttlMs });
    }
  }

  /** Changes made while Redis is away: applied here, sent to Redis on its return. */
  change(changes: readonly ReservationChange[], now: number): void {
    for (const c of changes) {
      this.mine.change(c, now);
      const key = keyOf(c);
      const p = this.pending.get(key);
      this.pending.set(
        key,
        p ? { ...p, amount: c.amount } : { ...c, made: false, expiresAt: Infinity },
      );
    }
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Takes what is pending to send: entries made here and still held are made in Redis with the
   * time they have left; every entry's amount is then set (one narrowed or released here is so in
   * Redis too, whichever way its making went).
   */
  takePending(now: number): ReservationFlush {
    const batch = [...this.pending.values()];
    this.pending.clear();
    const make: ReservationEntry[] = [];
    for (const e of batch)
      if (e.made && e.amount > 0 && e.expiresAt > now)
        make.push({ pool: e.pool, id: e.id, amount: e.amount, ttlMs: e.expiresAt - now });
    return { make, changes: batch.map(({ pool, id, amount }) => ({ pool, id, amount })) };
  }

  /** A flush failed: what it took is pending again, unless changed again meanwhile. */
  putBack(flush: ReservationFlush, now: number): void {
    const made = new Map(flush.make.map((e) => [keyOf(e), e]));
    for (const c of flush.changes) {
      const key = keyOf(c);
      const m = made.get(key);
      const p = this.pending.get(key);
      if (p) {
        // Changed again meanwhile: that amount stands, but the entry may still need making.
        if (m && !p.made) this.pending.set(key, { ...p, made: true, expiresAt: now + m.ttlMs });
        continue;
      }
      this.pending.set(key, {
        ...c,
        made: m !== undefined,
        expiresAt: m ? now + m.ttlMs : Infinity,
      });
    }
  }
}

function keyOf(e: { pool: string; id: string }): string {
  return `${e.pool}\u0000${e.id}`;
}

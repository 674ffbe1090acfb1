// The level of each rate-limit bucket as one number, GCRA's theoretical arrival time (TAT; see
// shared-state-gcra.ts), held in this process: the buckets themselves for in-memory state, and for
// Redis the level its last reply reported, read with no round trip by headroom probes and by the
// fail-open fallback, whose local buckets start there (src/store/redis/resilient-state.ts).
// Each level keeps the basis it was counted in, so it is read under a changed limit by units
// (shared-state-gcra.ts, rescaledTat).
import { basisOf, rescaledTat } from './shared-state-gcra.js';
import type { BucketRead } from './shared-state.js';

/** A bucket is forgotten this long after its TAT (it is full by then); Redis's PX does the same. */
export const TAT_GRACE_MS = 1000;
/** Sweep expired entries once the table grows past this many buckets. */
const SWEEP_AT = 10_000;

export class BucketLevels {
  /** Boxed, so a bucket seen before is updated in place: no allocation per call on the hot path. */
  private readonly tats = new Map<string, { tat: number; basis: number }>();
  private sweepAt = SWEEP_AT;

  /** Buckets held (those full again only until the next sweep). */
  get size(): number {
    return this.tats.size;
  }

  /** The bucket's TAT read under its limit now; undefined when never seen or long full. */
  get(bucket: BucketRead, now: number): number | undefined {
    const entry = this.stored(bucket.key, now);
    return entry && rescaledTat(entry.tat, entry.basis, bucket, now);
  }

  /**
   * The bucket's TAT and its basis as stored (Redis is raised to it on resync); undefined when
   * never seen or long full (then forgotten).
   */
  stored(key: string, now: number): { tat: number; basis: number } | undefined {
    const entry = this.tats.get(key);
    if (entry === undefined) return undefined;
    if (entry.tat + TAT_GRACE_MS <= now) {
      this.tats.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Set the bucket's TAT under its limit now; one not ahead of `now` is full and not kept. */
  set(bucket: BucketRead, tat: number, now: number): void {
    const key = bucket.key;
    if (tat <= now) {
      this.tats.delete(key);
      return;
    }
    const basis = basisOf(bucket);
    const entry = this.tats.get(key);
    if (entry) {
      entry.tat = tat;
      entry.basis = basis;
      return;
    }
    this.tats.set(key, { tat, basis });
    if (this.tats.size >= this.sweepAt) this.sweep(now);
  }

  private sweep(now: number): void {
    for (const [k, e] of this.tats) if (e.tat + TAT_GRACE_MS <= now) this.tats.delete(k);
    // Amortised: with many live buckets the next sweep waits until the table has doubled, so a
    // sweep never runs on every call.
    this.sweepAt = Math.max(SWEEP_AT, this.tats.size * 2);
  }
}

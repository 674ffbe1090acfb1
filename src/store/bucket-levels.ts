// The level of each rate-limit bucket as one number, GCRA's theoretical arrival time (TAT; see
// shared-state-gcra.ts), held in this process: the buckets themselves for in-memory state, and for
// Redis the level its last reply reported, read with no round trip by headroom probes and by the
// fail-open fallback, whose local buckets start there (src/store/redis/resilient-state.ts).

/** A bucket is forgotten this long after its TAT (it is full by then); Redis's PX does the same. */
export const TAT_GRACE_MS = 1000;
/** Sweep expired entries once the table grows past this many buckets. */
const SWEEP_AT = 10_000;

export class BucketLevels {
  /** Boxed, so a bucket seen before is updated in place: no allocation per call on the hot path. */
  private readonly tats = new Map<string, { tat: number }>();
  private sweepAt = SWEEP_AT;

  /** Buckets held (those full again only until the next sweep). */
  get size(): number {
    return this.tats.size;
  }

  /** The bucket's TAT; undefined when never seen or long full. */
  get(key: string, now: number): number | undefined {
    const entry = this.tats.get(key);
    if (entry === undefined) return undefined;
    if (entry.tat + TAT_GRACE_MS <= now) {
      this.tats.delete(key);
      return undefined;
    }
    return entry.tat;
  }

  /** Set the bucket's TAT; one not ahead of `now` is a full bucket and is not kept. */
  set(key: string, tat: number, now: number): void {
    if (tat <= now) {
      this.tats.delete(key);
      return;
    }
    const entry = this.tats.get(key);
    if (entry) {
      entry.tat = tat;
      return;
    }
    this.tats.set(key, { tat });
    if (this.tats.size >= this.sweepAt) this.sweep(now);
  }

  private sweep(now: number): void {
    for (const [k, e] of this.tats) if (e.tat + TAT_GRACE_MS <= now) this.tats.delete(k);
    // Amortised: with many live buckets the next sweep waits until the table has doubled, so a
    // sweep never runs on every call.
    this.sweepAt = Math.max(SWEEP_AT, this.tats.size * 2);
  }
}

// Live numbers for the dashboard: a bounded ring of recent request records (a RequestRecorder),
// aggregated on demand into traffic and routing distribution over time, spend and savings,
// latency/TTFT per model, error and failover rates. Works with any request-log store (even none).
import { callsElsewhere, countCalls, type CallElsewhere } from '../store/attempt-attribution.js';
import {
  answeredFromCache,
  type RequestRecord,
  type RequestRecorder,
} from '../store/request-record.js';
import { summarizeRows, type GroupSummary, type RequestSummary } from '../store/request-summary.js';
import { failedOver, upstreamErrored, type SummaryRow } from '../store/summary-row.js';
import { countsAsError, percentile } from '../store/summary-rules.js';

export interface TimeBucket {
  /** Bucket start, epoch ms. */
  t: number;
  /** Requests per served model in this bucket. */
  byModel: Record<string, number>;
  costUsd: number;
  baselineCostUsd: number;
  errors: number;
  failovers: number;
}

/** The dashboard's window: the report's totals plus a time series. */
export type LiveOverview = Pick<
  RequestSummary,
  | 'requests'
  | 'costUsd'
  | 'baselineCostUsd'
  | 'savingsUsd'
  | 'savingsRatio'
  | 'errorRate'
  | 'invalidRequests'
  | 'invalidRequestRate'
  | 'failoverRate'
  | 'cacheHits'
  | 'cacheHitRate'
  | 'usageEstimated'
  | 'usageEstimatedRate'
  | 'usageEstimatedCostUsd'
> & {
  since: number;
  /** Per served model, as the `report` CLI computes it. */
  models: GroupSummary[];
  series: TimeBucket[];
  bucketMs: number;
  /**
   * The router's own time in the window's chat requests that measured it (`overheadMicros`:
   * gateway/request-timing.ts), as ms: how many, their median and 99th percentile (nearest rank).
   */
  overhead?: { requests: number; p50Ms: number; p99Ms: number };
};

/**
 * From when the live records hold every request of this replica: since it started, or, once the
 * ring has wrapped, since the latest start among the requests it dropped. A window reaching
 * further back than `from` is incomplete, and the dashboard says so.
 */
export interface LiveCoverage {
  from: number;
  reason: 'started' | 'capacity';
  capacity: number;
}

/** Distinct served-model names kept apart; later ones are counted together. */
const MAX_NAMES = 1024;
const OTHER = '(other)';

/**
 * The ring is columnar (typed arrays plus an interned model name per slot): 20,000 requests take
 * about 1 MB off the JavaScript heap instead of ~12 MB of record objects the garbage collector
 * would have to trace on every full collection (measured with heap snapshots, docs/benchmarks.md).
 */
export class LiveStats implements RequestRecorder {
  private readonly time: Float64Array;
  private readonly cost: Float64Array;
  private readonly baseline: Float64Array;
  private readonly latency: Float32Array;
  /** NaN when the request had no first token. */
  private readonly ttft: Float32Array;
  /** The router's own time (ms); NaN when the request did not measure it (not a chat request). */
  private readonly overhead: Float32Array;
  private readonly status: Uint16Array;
  /**
   * Bit 0: the request failed over; bit 1: it was answered from the answer cache; bit 2: its
   * tokens are in part the router's estimate.
   */
  private readonly flags: Uint8Array;
  private readonly model: Uint16Array;
  /** prompt, cached, completion, reasoning tokens per slot. */
  private readonly tokens: Uint32Array;
  /** Upstream calls per slot (countCalls, at most 255). */
  private readonly calls: Uint8Array;
  /**
   * The calls a slot's request made at other deployments (a failover's first try, with what it
   * was charged), for the few slots that have any: they count at their own model (summarizeRows).
   */
  private readonly elsewhere = new Map<number, CallElsewhere[]>();
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private size = 0;
  private next = 0;
  /**
   * The latest time of a record the ring has dropped (absent: none yet). Records are written as
   * requests finish, not in the order they started, so this, not the oldest held, is the bound.
   */
  private droppedUpTo: number | undefined;

  constructor(
    private readonly capacity = 20_000,
    /** When this replica began recording (its start). */
    private readonly startedAt = Date.now(),
  ) {
    this.time = new Float64Array(capacity);
    this.cost = new Float64Array(capacity);
    this.baseline = new Float64Array(capacity);
    this.latency = new Float32Array(capacity);
    this.ttft = new Float32Array(capacity);
    this.overhead = new Float32Array(capacity);
    this.status = new Uint16Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.model = new Uint16Array(capacity);
    this.tokens = new Uint32Array(capacity * 4);
    this.calls = new Uint8Array(capacity);
  }

  record(record: RequestRecord): void {
    const i = this.next;
    if (this.size === this.capacity)
      this.droppedUpTo = Math.max(this.droppedUpTo ?? 0, this.time[i] as number);
    this.time[i] = record.time;
    this.cost[i] = record.costUsd;
    this.baseline[i] = record.baselineCostUsd;
    this.latency[i] = record.latencyMs;
    this.ttft[i] = record.ttftMs ?? Number.NaN;
    this.overhead[i] =
      record.overheadMicros === undefined ? Number.NaN : record.overheadMicros / 1000;
    this.status[i] = record.status;
    this.flags[i] =
      (failedOver(record) ? 1 : 0) |
      (answeredFromCache(record) ? 2 : 0) |
      (record.usageEstimated ? 4 : 0) |
      (upstreamErrored(record) ? 8 : 0);
    this.model[i] = this.nameId(record.servedModel ?? record.deployment ?? '(none)');
    const t = i * 4;
    this.tokens[t] = record.promptTokens;
    this.tokens[t + 1] = record.cachedTokens;
    this.tokens[t + 2] = record.completionTokens;
    this.tokens[t + 3] = record.reasoningTokens;
    this.calls[i] = Math.min(255, countCalls(record.attempts));
    const elsewhere = callsElsewhere(record);
    if (elsewhere) this.elsewhere.set(i, elsewhere);
    else this.elsewhere.delete(i);
    this.next = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id !== undefined) return id;
    // The last slot is kept for (other), so the table never passes MAX_NAMES.
    const key = this.names.length < MAX_NAMES - 1 ? name : OTHER;
    id = this.nameIds.get(key);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(key);
      this.nameIds.set(key, id);
    }
    return id;
  }

  coverage(): LiveCoverage {
    return this.droppedUpTo === undefined
      ? { from: this.startedAt, reason: 'started', capacity: this.capacity }
      : { from: this.droppedUpTo, reason: 'capacity', capacity: this.capacity };
  }

  /** Rows newer than `since`, oldest first, with their record time. */
  private window(since: number): { rows: SummaryRow[]; times: number[]; overheads: number[] } {
    const rows: SummaryRow[] = [];
    const times: number[] = [];
    const overheads: number[] = [];
    const first = this.size < this.capacity ? 0 : this.next;
    for (let k = 0; k < this.size; k++) {
      const i = (first + k) % this.capacity;
      const time = this.time[i] as number;
      if (time < since) continue;
      const ttft = this.ttft[i] as number;
      const overhead = this.overhead[i] as number;
      if (!Number.isNaN(overhead)) overheads.push(overhead);
      const t = i * 4;
      times.push(time);
      rows.push({
        servedModel: this.names[this.model[i] as number],
        costUsd: this.cost[i] as number,
        baselineCostUsd: this.baseline[i] as number,
        status: this.status[i] as number,
        latencyMs: this.latency[i] as number,
        ttftMs: Number.isNaN(ttft) ? undefined : ttft,
        promptTokens: this.tokens[t] as number,
        cachedTokens: this.tokens[t + 1] as number,
        completionTokens: this.tokens[t + 2] as number,
        reasoningTokens: this.tokens[t + 3] as number,
        failedOver: ((this.flags[i] as number) & 1) === 1,
        calls: this.calls[i] as number,
        callsElsewhere: this.elsewhere.get(i),
        upstreamErrored: ((this.flags[i] as number) & 8) === 8,
        cacheHit: ((this.flags[i] as number) & 2) === 2,
        usageEstimated: ((this.flags[i] as number) & 4) === 4,
      });
    }
    return { rows, times, overheads };
  }

  overview(since: number, bucketMs: number): LiveOverview {
    const { rows, times, overheads } = this.window(since);
    const summary = summarizeRows(rows, 'model', since, Date.now());
    const buckets = new Map<number, TimeBucket>();
    rows.forEach((r, k) => {
      const model = r.servedModel ?? '(none)';
      const t = Math.floor((times[k] as number) / bucketMs) * bucketMs;
      let b = buckets.get(t);
      if (!b)
        buckets.set(
          t,
          (b = { t, byModel: {}, costUsd: 0, baselineCostUsd: 0, errors: 0, failovers: 0 }),
        );
      b.byModel[model] = (b.byModel[model] ?? 0) + 1;
      b.costUsd += r.costUsd;
      b.baselineCostUsd += r.baselineCostUsd;
      if (countsAsError(r.status, r.upstreamErrored)) b.errors++;
      if (r.failedOver) b.failovers++;
    });
    return {
      since,
      requests: summary.requests,
      costUsd: summary.costUsd,
      baselineCostUsd: summary.baselineCostUsd,
      savingsUsd: summary.savingsUsd,
      savingsRatio: summary.savingsRatio,
      errorRate: summary.errorRate,
      invalidRequests: summary.invalidRequests,
      invalidRequestRate: summary.invalidRequestRate,
      failoverRate: summary.failoverRate,
      cacheHits: summary.cacheHits,
      cacheHitRate: summary.cacheHitRate,
      usageEstimated: summary.usageEstimated,
      usageEstimatedRate: summary.usageEstimatedRate,
      usageEstimatedCostUsd: summary.usageEstimatedCostUsd,
      models: summary.groups,
      series: [...buckets.values()].sort((a, b) => a.t - b.t),
      bucketMs,
      ...(overheads.length > 0 ? { overhead: overheadSummary(overheads) } : {}),
    };
  }
}

/** How many overheads (ms), their median and 99th percentile, as the request summaries take them. */
function overheadSummary(ms: number[]): NonNullable<LiveOverview['overhead']> {
  const sorted = ms.sort((a, b) => a - b);
  return { requests: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

// Live numbers for the dashboard: a bounded ring of recent request records (a RequestRecorder),
// aggregated on demand into traffic and routing distribution over time, spend and savings,
// latency/TTFT per model, error and failover rates. Works with any request-log store (even none).
import type { RequestRecord, RequestRecorder } from '../store/request-record.js';
import {
  failedOver,
  summarizeRecords,
  type GroupSummary,
  type RequestSummary,
} from '../store/request-summary.js';

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
  | 'failoverRate'
> & {
  since: number;
  /** Per served model, as the `report` CLI computes it. */
  models: GroupSummary[];
  series: TimeBucket[];
  bucketMs: number;
};

export class LiveStats implements RequestRecorder {
  private readonly ring: RequestRecord[] = [];
  private next = 0;

  constructor(private readonly capacity = 20_000) {}

  record(record: RequestRecord): void {
    if (this.ring.length < this.capacity) this.ring.push(record);
    else this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Records newer than `since`, oldest first. */
  private window(since: number): RequestRecord[] {
    const ordered =
      this.ring.length < this.capacity
        ? this.ring
        : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.filter((r) => r.time >= since);
  }

  overview(since: number, bucketMs: number): LiveOverview {
    const records = this.window(since);
    const summary = summarizeRecords(records, 'model', since, Date.now());
    const buckets = new Map<number, TimeBucket>();
    for (const r of records) {
      const model = r.servedModel ?? r.deployment ?? '(none)';
      const t = Math.floor(r.time / bucketMs) * bucketMs;
      let b = buckets.get(t);
      if (!b)
        buckets.set(
          t,
          (b = { t, byModel: {}, costUsd: 0, baselineCostUsd: 0, errors: 0, failovers: 0 }),
        );
      b.byModel[model] = (b.byModel[model] ?? 0) + 1;
      b.costUsd += r.costUsd;
      b.baselineCostUsd += r.baselineCostUsd;
      if (r.status >= 400) b.errors++;
      if (failedOver(r)) b.failovers++;
    }
    return {
      since,
      requests: summary.requests,
      costUsd: summary.costUsd,
      baselineCostUsd: summary.baselineCostUsd,
      savingsUsd: summary.savingsUsd,
      savingsRatio: summary.savingsRatio,
      errorRate: summary.errorRate,
      failoverRate: summary.failoverRate,
      models: summary.groups,
      series: [...buckets.values()].sort((a, b) => a.t - b.t),
      bucketMs,
    };
  }
}

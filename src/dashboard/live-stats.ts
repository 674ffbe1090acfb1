// Live numbers for the dashboard: a bounded ring of recent request records (a RequestRecorder),
// aggregated on demand into traffic and routing distribution over time, spend and savings,
// latency/TTFT per model, error and failover rates. Works with any request-log store (even none).
import type { RequestRecord, RequestRecorder } from '../store/request-record.js';

export interface ModelStats {
  model: string;
  requests: number;
  share: number;
  costUsd: number;
  baselineCostUsd: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  errors: number;
}

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

export interface LiveOverview {
  since: number;
  requests: number;
  costUsd: number;
  baselineCostUsd: number;
  savingsUsd: number;
  savingsRatio: number;
  errorRate: number;
  failoverRate: number;
  models: ModelStats[];
  series: TimeBucket[];
  bucketMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

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
    const byModel = new Map<string, RequestRecord[]>();
    const buckets = new Map<number, TimeBucket>();
    let cost = 0;
    let baseline = 0;
    let errors = 0;
    let failovers = 0;
    for (const r of records) {
      const model = r.servedModel ?? r.deployment ?? '(none)';
      let list = byModel.get(model);
      if (!list) byModel.set(model, (list = []));
      list.push(r);
      cost += r.costUsd;
      baseline += r.baselineCostUsd;
      const failed = r.status >= 400;
      const failedOver = r.attempts.filter((a) => a.outcome === 'error').length > 0;
      if (failed) errors++;
      if (failedOver) failovers++;
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
      if (failed) b.errors++;
      if (failedOver) b.failovers++;
    }
    const models: ModelStats[] = [...byModel].map(([model, list]) => {
      const lat = list.map((r) => r.latencyMs).sort((a, b) => a - b);
      const ttft = list
        .filter((r) => r.ttftMs !== undefined)
        .map((r) => r.ttftMs as number)
        .sort((a, b) => a - b);
      return {
        model,
        requests: list.length,
        share: records.length ? list.length / records.length : 0,
        costUsd: list.reduce((s, r) => s + r.costUsd, 0),
        baselineCostUsd: list.reduce((s, r) => s + r.baselineCostUsd, 0),
        latencyP50Ms: percentile(lat, 50),
        latencyP95Ms: percentile(lat, 95),
        ttftP50Ms: ttft.length ? percentile(ttft, 50) : null,
        ttftP95Ms: ttft.length ? percentile(ttft, 95) : null,
        errors: list.filter((r) => r.status >= 400).length,
      };
    });
    models.sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model));
    return {
      since,
      requests: records.length,
      costUsd: cost,
      baselineCostUsd: baseline,
      savingsUsd: baseline - cost,
      savingsRatio: baseline > 0 ? (baseline - cost) / baseline : 0,
      errorRate: records.length ? errors / records.length : 0,
      failoverRate: records.length ? failovers / records.length : 0,
      models,
      series: [...buckets.values()].sort((a, b) => a.t - b.t),
      bucketMs,
    };
  }
}

// What this replica sees of each deployment's load: the calls it has in flight there, and how
// fast the deployment has answered lately (a moving average of the time to the first token of a
// stream, and of the whole answer for a JSON call). Pools with the `least-busy` and `latency`
// strategies order their members by it. Per replica: a shared view would cost a round trip per
// candidate, and each replica's own traffic is a fair sample of the same upstreams.
import type { Clock } from '../core/clock.js';

/** Which latency: to a stream's first token, or to a JSON answer (embeddings included). */
export type LatencyKind = 'firstToken' | 'answer';

/** Weight of the newest sample in the moving average (about the last ten calls count). */
const EWMA_ALPHA = 0.2;
/** A latency older than this is forgotten, so a member slow a while ago is tried again. */
export const LATENCY_STALE_MS = 60_000;

interface Latency {
  ms: number;
  /** Epoch ms of the newest sample. */
  at: number;
}

interface Load {
  inFlight: number;
  firstToken?: Latency;
  answer?: Latency;
}

/** A deployment's load as /admin/v1/pools and the metrics show it. */
export interface LoadSnapshot {
  inFlight: number;
  /** Moving average of the time to a stream's first token, ms (absent: none lately). */
  firstTokenMs?: number;
  /** Moving average of the time to a JSON answer, ms (absent: none lately). */
  answerMs?: number;
}

export class DeploymentLoad {
  private readonly loads = new Map<string, Load>();

  constructor(private readonly clock: Clock) {}

  private load(deployment: string): Load {
    let l = this.loads.get(deployment);
    if (!l) {
      l = { inFlight: 0 };
      this.loads.set(deployment, l);
    }
    return l;
  }

  /** A call to the deployment starts; every `begin` is followed by exactly one `end`. */
  begin(deployment: string): void {
    this.load(deployment).inFlight++;
  }

  end(deployment: string): void {
    const l = this.loads.get(deployment);
    if (l && l.inFlight > 0) l.inFlight--;
  }

  /** How long the deployment took to a first token or an answer (a timeout counts its wait). */
  observe(deployment: string, kind: LatencyKind, ms: number): void {
    const l = this.load(deployment);
    const now = this.clock.now();
    const last = l[kind];
    l[kind] =
      last && now - last.at < LATENCY_STALE_MS
        ? { ms: last.ms + EWMA_ALPHA * (ms - last.ms), at: now }
        : { ms, at: now };
  }

  inFlight(deployment: string): number {
    return this.loads.get(deployment)?.inFlight ?? 0;
  }

  /** The recent moving average, or undefined when the deployment has not answered lately. */
  latencyMs(deployment: string, kind: LatencyKind): number | undefined {
    const last = this.loads.get(deployment)?.[kind];
    return last && this.clock.now() - last.at < LATENCY_STALE_MS ? last.ms : undefined;
  }

  snapshot(deployment: string): LoadSnapshot {
    const firstTokenMs = this.latencyMs(deployment, 'firstToken');
    const answerMs = this.latencyMs(deployment, 'answer');
    return {
      inFlight: this.inFlight(deployment),
      ...(firstTokenMs !== undefined ? { firstTokenMs: Math.round(firstTokenMs) } : {}),
      ...(answerMs !== undefined ? { answerMs: Math.round(answerMs) } : {}),
    };
  }

  /** Every deployment this replica has called, for /readyz and the metrics. */
  snapshotAll(): Record<string, LoadSnapshot> {
    const out: Record<string, LoadSnapshot> = {};
    for (const name of this.loads.keys()) out[name] = this.snapshot(name);
    return out;
  }
}

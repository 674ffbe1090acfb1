// Alerts to webhooks (`alerts.webhooks`): a budget past its Cost-mode threshold or used up, a
// deployment's circuit opening or closing. Off the request path: `emit` returns at once and the
// POSTs run in the background, each bounded by `alerts.timeoutMs`; a webhook that fails is logged
// and counted, never retried into a storm. Each event for one subject is sent once in its window
// (a circuit: `minIntervalSeconds`; a budget: until its period resets), by this replica and, with
// Redis, by every replica: the first to increment the shared counter sends it.
import type { AlertEvent, Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { DEFAULT_BREAKER, type CircuitBreakerOptions } from '../gateway/circuit-breaker.js';
import type { SharedState } from '../store/shared-state.js';

export interface Alert {
  event: AlertEvent;
  /** What the alert is about, unique within its event (a deployment, a budget and its period). */
  subject: string;
  /** One sentence an operator can act on. */
  message: string;
  details: Record<string, unknown>;
}

export type Post = (
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
) => Promise<number>;

export interface AlerterOptions {
  config: () => Config['alerts'];
  state: Pick<SharedState, 'incrementCounters'>;
  clock: Clock;
  /** Sends one webhook call; returns its HTTP status (fetch by default). */
  post?: Post;
  /** Each delivery's outcome, for logs and metrics. */
  onResult?: (alert: Alert, url: string, ok: boolean, error?: string) => void;
}

/** One POST of a JSON body with fetch, given up after `timeoutMs`; its HTTP status. */
export const fetchPost: Post = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
};

/** Bound on the local memo of recently sent alerts (budgets of many end users could fill it). */
const MEMO_LIMIT = 10_000;

export class Alerter {
  /** Dedupe key → until when it is not sent again (this replica's memo before the shared one). */
  private readonly recent = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: AlerterOptions) {}

  /**
   * Sends the alert to every webhook that asked for its event, unless it was sent already in its
   * window: until `until` (epoch ms), or `alerts.minIntervalSeconds` from now.
   */
  emit(alert: Alert, until?: number): void {
    const config = this.options.config();
    const hooks = config.webhooks.filter((w) => w.events.includes(alert.event));
    if (hooks.length === 0) return;
    const now = this.options.clock.now();
    const key = `alert:${alert.event}:${alert.subject}`;
    if ((this.recent.get(key) ?? 0) > now) return;
    const ttlMs = Math.max(
      1_000,
      until !== undefined ? until - now : config.minIntervalSeconds * 1000,
    );
    if (this.recent.size >= MEMO_LIMIT)
      for (const [k, until] of this.recent) if (until <= now) this.recent.delete(k);
    if (this.recent.size < MEMO_LIMIT) this.recent.set(key, now + ttlMs);
    const delivery = this.deliver(key, ttlMs, alert, hooks, config.timeoutMs).finally(() =>
      this.inFlight.delete(delivery),
    );
    this.inFlight.add(delivery);
  }

  /** Resolves when every alert emitted so far has been delivered or given up (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async deliver(
    key: string,
    ttlMs: number,
    alert: Alert,
    hooks: Config['alerts']['webhooks'],
    timeoutMs: number,
  ): Promise<void> {
    try {
      const [count] = await this.options.state.incrementCounters([{ key, by: 1, ttlMs }]);
      if (count !== 1) return; // another replica (or this one, before a restart) sent it
    } catch {
      // The shared store is down: send anyway; this replica's memo still holds the window.
    }
    const time = new Date(this.options.clock.now()).toISOString();
    await Promise.all(
      hooks.map(async (hook) => {
        const body =
          hook.format === 'slack'
            ? { text: `[model-router] ${alert.message}` }
            : {
                event: alert.event,
                subject: alert.subject,
                message: alert.message,
                time,
                details: alert.details,
              };
        try {
          const status = await (this.options.post ?? fetchPost)(
            hook.url,
            JSON.stringify(body),
            hook.headers ?? {},
            timeoutMs,
          );
          const ok = status >= 200 && status < 300;
          this.options.onResult?.(alert, hook.url, ok, ok ? undefined : `HTTP ${status}`);
        } catch (err) {
          this.options.onResult?.(alert, hook.url, false, (err as Error).message);
        }
      }),
    );
  }
}

/** The alert for a deployment's circuit opening (taken out after failures) or closing (back). */
export function circuitAlert(
  deployment: string,
  state: 'open' | 'closed',
  breaker: CircuitBreakerOptions = DEFAULT_BREAKER,
): Alert {
  return state === 'open'
    ? {
        event: 'circuit_open',
        subject: deployment,
        message: `Deployment ${deployment} failed ${breaker.failureThreshold} times within ${breaker.windowMs / 1000} s: its circuit is open, routers and pools skip it, and it is probed again after ${breaker.openMs / 1000} s.`,
        details: { deployment, state, ...breaker },
      }
    : {
        event: 'circuit_closed',
        subject: deployment,
        message: `Deployment ${deployment} answered its probe: its circuit is closed and it serves again.`,
        details: { deployment, state },
      };
}

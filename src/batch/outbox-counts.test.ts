// The outbox gauge's counts: taken at start and every interval (fake timers, not waited for), the
// gauge shows them on scrape; a store that cannot be read empties the gauge (no stale numbers) and
// is logged once per outage.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../core/clock.js';
import type { WebhookDeliveryCounts, WebhookOutbox } from '../store/webhook-outbox.js';
import { batchMetrics, metricsText } from '../telemetry/metrics.js';
import { watchOutboxCounts } from './outbox-counts.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  batchMetrics.outbox(undefined);
});

const series = async () =>
  (await metricsText())
    .split('\n')
    .filter((l) => l.startsWith('model_router_batch_webhook_deliveries{'));

describe('outbox counts', () => {
  it('counts at start and every interval; a store that fails empties the gauge, logged once', async () => {
    let answer: WebhookDeliveryCounts | Error = {
      pending: 2,
      delivering: 1,
      delivered: 5,
      failed: 0,
    };
    let calls = 0;
    const store = {
      async countWebhookDeliveries() {
        calls++;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as unknown as WebhookOutbox;
    const warned: string[] = [];
    const watch = watchOutboxCounts({
      store,
      clock: createManualClock(),
      log: { warn: (m) => warned.push(m) },
      onCounts: batchMetrics.outbox,
      everyMs: 1_000,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(await series()).toEqual([
      'model_router_batch_webhook_deliveries{state="pending"} 2',
      'model_router_batch_webhook_deliveries{state="delivering"} 1',
      'model_router_batch_webhook_deliveries{state="delivered"} 5',
      'model_router_batch_webhook_deliveries{state="failed"} 0',
    ]);
    answer = new Error('connection refused');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toBe(3);
    expect(await series()).toEqual([]);
    expect(warned).toEqual(['batches: could not count webhook deliveries: connection refused']);
    answer = { pending: 0, delivering: 0, delivered: 6, failed: 1 };
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await series()).toContain('model_router_batch_webhook_deliveries{state="failed"} 1');
    watch.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(4);
  });
});

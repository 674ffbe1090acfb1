// docs/operations.md "Metrics" lists every metric /metrics serves, with its type and labels as
// declared (a dashboard is written from that table).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from './metrics.js';

const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** The table's rows by metric: its type and labels cells. */
const rows = new Map(
  [...docs.matchAll(/^\| `(model_router_[a-z_]+)` \| ([a-z]+) \|([^|]*)\|/gm)].map((m) => [
    m[1]!,
    { type: m[2]!, labels: [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((l) => l[1]) },
  ]),
);

describe('docs/operations.md metrics table', () => {
  it('lists every metric with its type and labels', () => {
    const metrics = (
      registry.getMetricsAsArray() as unknown as {
        name: string;
        type: string;
        labelNames?: string[];
      }[]
    ).filter((m) => !m.name.startsWith('model_router_process_'));
    expect(metrics.length).toBeGreaterThan(20);
    for (const m of metrics)
      expect(rows.get(m.name), m.name).toEqual({ type: m.type, labels: m.labelNames ?? [] });
    expect([...rows.keys()].filter((name) => !metrics.some((m) => m.name === name))).toEqual([]);
  });
});

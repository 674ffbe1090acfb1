import { describe, expect, it } from 'vitest';
import type { PoolConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { createManualClock } from '../core/clock.js';
import { prng } from '../core/prng.js';
import { DeploymentLoad, LATENCY_STALE_MS } from './deployment-load.js';
import { PoolBalancer } from './pool-order.js';

const members = ['a', 'b', 'c'].map((name) => ({ name }) as DeploymentConfig);
const names = (ds: readonly DeploymentConfig[]) => ds.map((d) => d.name).join('');
const pool = (over: Partial<PoolConfig>): PoolConfig => ({
  name: 'p',
  deployments: ['a', 'b', 'c'],
  strategy: 'weighted',
  latencyTolerance: 0.1,
  cache: true,
  ...over,
});

describe('PoolBalancer', () => {
  it('priority: the configured order, every time', () => {
    const b = new PoolBalancer(new DeploymentLoad(createManualClock()));
    for (let i = 0; i < 3; i++)
      expect(names(b.order(pool({ strategy: 'priority' }), members))).toBe('abc');
  });

  it('round-robin: each member first in turn, the others after it as fallbacks', () => {
    const b = new PoolBalancer(new DeploymentLoad(createManualClock()));
    const p = pool({ strategy: 'round-robin' });
    expect([0, 1, 2, 3].map(() => names(b.order(p, members)))).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
    // Turns are per pool.
    expect(names(b.order(pool({ name: 'q', strategy: 'round-robin' }), members))).toBe('abc');
  });

  it('weighted: first picks in proportion to the weights; weight 0 only as the last fallback', () => {
    const b = new PoolBalancer(new DeploymentLoad(createManualClock()), prng(7));
    const p = pool({ weights: { a: 3, b: 1, c: 0 } });
    const first = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 4000; i++) {
      const order = names(b.order(p, members));
      expect(order === 'abc' || order === 'bac').toBe(true);
      first[order[0] as 'a' | 'b']++;
    }
    // 3:1 → 75% (binomial sd over 4,000 draws ≈ 0.7 points).
    expect(first.a / 4000).toBeGreaterThan(0.72);
    expect(first.a / 4000).toBeLessThan(0.78);
    expect(first.c).toBe(0);
  });

  it('weighted without weights: every member equally often first', () => {
    const b = new PoolBalancer(new DeploymentLoad(createManualClock()), prng(11));
    const first: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const order = b.order(pool({}), members);
      expect(order).toHaveLength(3);
      first[order[0]!.name] = (first[order[0]!.name] ?? 0) + 1;
    }
    for (const n of ['a', 'b', 'c']) expect(first[n]! / 3000).toBeCloseTo(1 / 3, 1);
  });

  it('least-busy: the fewest calls in flight first; equally busy members drawn by weight', () => {
    const load = new DeploymentLoad(createManualClock());
    const b = new PoolBalancer(load, prng(3));
    const p = pool({ strategy: 'least-busy', weights: { a: 1, b: 1, c: 0 } });
    load.begin('a');
    load.begin('a');
    load.begin('b');
    // c has weight 0: last whatever its load.
    expect(names(b.order(p, members))).toBe('bac');
    load.end('a');
    load.end('a');
    // a idle, b busy.
    expect(names(b.order(p, members))).toBe('abc');
    load.end('b');
    load.end('b'); // an extra end never goes below zero
    expect(load.inFlight('b')).toBe(0);
    // Both idle: ties are drawn, so each is first part of the time.
    const first = new Set<string>();
    for (let i = 0; i < 50; i++) first.add(names(b.order(p, members))[0]!);
    expect([...first].sort()).toEqual(['a', 'b']);
  });

  it('latency: unmeasured members are tried once, then the fastest; near-equals share the traffic', () => {
    const clock = createManualClock();
    const load = new DeploymentLoad(clock);
    const b = new PoolBalancer(load, prng(5));
    const p = pool({ strategy: 'latency' });
    // Nothing measured: the weighted draw.
    expect(b.order(p, members)).toHaveLength(3);
    load.observe('a', 'answer', 100);
    load.observe('b', 'answer', 400);
    // c has no latency and nothing in flight: it is tried first, once.
    expect(names(b.order(p, members))).toBe('cab');
    load.begin('c');
    expect(names(b.order(p, members))).toBe('abc');
    load.end('c');
    load.observe('c', 'answer', 105);
    // a and c within 10% of each other: both first part of the time; b always last.
    const first = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const order = names(b.order(p, members));
      expect(order[2]).toBe('b');
      first.add(order[0]!);
    }
    expect([...first].sort()).toEqual(['a', 'c']);
    // With no tolerance the fastest alone leads.
    expect(names(b.order(pool({ strategy: 'latency', latencyTolerance: 0 }), members))).toBe('acb');
    // Streams compare time to first token, measured apart: none yet, so each is unmeasured.
    load.observe('b', 'firstToken', 50);
    expect(
      names(b.order(pool({ strategy: 'latency', latencyTolerance: 0 }), members, true))[2],
    ).toBe('b');
  });

  it('latency: a slow member is forgotten after a minute and measured again', () => {
    const clock = createManualClock();
    const load = new DeploymentLoad(clock);
    const b = new PoolBalancer(load, prng(9));
    const p = pool({ strategy: 'latency', deployments: ['a', 'b'] });
    const two = members.slice(0, 2);
    load.observe('a', 'answer', 100);
    load.observe('b', 'answer', 900);
    clock.advance(LATENCY_STALE_MS - 1000);
    load.observe('a', 'answer', 100);
    expect(names(b.order(p, two))).toBe('ab');
    clock.advance(1000);
    // b's last sample is a minute old: b is tried again.
    expect(names(b.order(p, two))).toBe('ba');
    expect(load.latencyMs('b', 'answer')).toBeUndefined();
  });
});

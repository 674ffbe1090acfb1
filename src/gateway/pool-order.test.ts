import { describe, expect, it } from 'vitest';
import type { PoolConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { prng } from '../core/prng.js';
import { PoolBalancer } from './pool-order.js';

const members = ['a', 'b', 'c'].map((name) => ({ name }) as DeploymentConfig);
const names = (ds: readonly DeploymentConfig[]) => ds.map((d) => d.name).join('');
const pool = (over: Partial<PoolConfig>): PoolConfig => ({
  name: 'p',
  deployments: ['a', 'b', 'c'],
  strategy: 'weighted',
  cache: true,
  ...over,
});

describe('PoolBalancer', () => {
  it('priority: the configured order, every time', () => {
    const b = new PoolBalancer();
    for (let i = 0; i < 3; i++)
      expect(names(b.order(pool({ strategy: 'priority' }), members))).toBe('abc');
  });

  it('round-robin: each member first in turn, the others after it as fallbacks', () => {
    const b = new PoolBalancer();
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
    const b = new PoolBalancer(prng(7));
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
    const b = new PoolBalancer(prng(11));
    const first: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const order = b.order(pool({}), members);
      expect(order).toHaveLength(3);
      first[order[0]!.name] = (first[order[0]!.name] ?? 0) + 1;
    }
    for (const n of ['a', 'b', 'c']) expect(first[n]! / 3000).toBeCloseTo(1 / 3, 1);
  });
});

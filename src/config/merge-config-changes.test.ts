import { describe, expect, it } from 'vitest';
import { mergeConfigChanges } from './merge-config-changes.js';

const dep = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  region: 'eastus',
  ...extra,
});

describe('mergeConfigChanges', () => {
  it('applies what theirs changed on top of mine, item by item in named lists', () => {
    const base = { mode: 'cost', deployments: [dep('a'), dep('b'), dep('gone')] };
    const mine = { mode: 'quality', deployments: [dep('b', { rpm: 5 }), dep('a'), dep('gone')] };
    const theirs = { mode: 'cost', deployments: [dep('a', { rpm: 7 }), dep('b'), dep('new')] };
    expect(mergeConfigChanges(base, mine, theirs)).toEqual({
      merged: {
        mode: 'quality',
        // Mine's order, what theirs removed gone, what theirs added at the end.
        deployments: [dep('b', { rpm: 5 }), dep('a', { rpm: 7 }), dep('new')],
      },
      conflicts: [],
    });
  });

  it('where both changed a value otherwise, theirs wins and the path is named', () => {
    const base = { routers: [{ name: 'r', mode: 'cost', subset: ['x'] }], ttl: 1 };
    const mine = { routers: [{ name: 'r', mode: 'quality', subset: ['x', 'y'] }], ttl: 1 };
    const theirs = { routers: [{ name: 'r', mode: 'balanced', subset: ['z'] }] };
    expect(mergeConfigChanges(base, mine, theirs)).toEqual({
      merged: { routers: [{ name: 'r', mode: 'balanced', subset: ['z'] }] },
      conflicts: ['routers[r].mode', 'routers[r].subset'],
    });
  });

  it('a key both set alike, or only mine changed, is no conflict', () => {
    const base = { a: 1, b: { c: 1 } };
    expect(mergeConfigChanges(base, { a: 2, b: { c: 3 } }, { a: 2, b: { c: 1 } })).toEqual({
      merged: { a: 2, b: { c: 3 } },
      conflicts: [],
    });
  });
});

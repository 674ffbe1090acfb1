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
    const base = { routers: [{ name: 'r', mode: 'cost', limits: [1] }], ttl: 1 };
    const mine = { routers: [{ name: 'r', mode: 'quality', limits: [1, 2] }], ttl: 1 };
    const theirs = { routers: [{ name: 'r', mode: 'balanced', limits: [3] }] };
    expect(mergeConfigChanges(base, mine, theirs)).toEqual({
      merged: { routers: [{ name: 'r', mode: 'balanced', limits: [3] }] },
      conflicts: ['routers[r].mode', 'routers[r].limits'],
    });
  });

  it('lists of names merge as sets: what either side added or removed holds, unreported', () => {
    const base = { routers: [{ name: 'r', modelSubset: ['a', 'b', 'c'] }] };
    // Mine added d and removed b; theirs removed c and added e, then d too.
    const mine = { routers: [{ name: 'r', modelSubset: ['d', 'a', 'c'] }] };
    const theirs = { routers: [{ name: 'r', modelSubset: ['a', 'e', 'b', 'd'] }] };
    expect(mergeConfigChanges(base, mine, theirs)).toEqual({
      // Mine's order, theirs' additions after (d, which both added, once).
      merged: { routers: [{ name: 'r', modelSubset: ['d', 'a', 'e'] }] },
      conflicts: [],
    });
    const key = (scopes: string[]) => ({ auth: { keys: [{ id: 'k', scopes }] } });
    expect(mergeConfigChanges(key(['r1']), key(['r1', 'r2']), key(['r1', 'r3']))).toEqual({
      merged: key(['r1', 'r2', 'r3']),
      conflicts: [],
    });
  });

  it('a list of names only theirs reordered is in theirs’ order; both reordered: theirs’ order, a conflict; others one value', () => {
    const pool = (deployments: string[]) => ({ pools: [{ name: 'p', deployments }] });
    // Theirs put ptu first in a priority pool; mine added eu and removed paygo.
    expect(
      mergeConfigChanges(
        pool(['paygo', 'ptu', 'west']),
        pool(['eu', 'ptu', 'west']),
        pool(['ptu', 'paygo', 'west']),
      ),
    ).toEqual({ merged: pool(['ptu', 'west', 'eu']), conflicts: [] });
    // Mine reordered: mine's order stands, theirs' removal and addition with it.
    expect(
      mergeConfigChanges(pool(['a', 'b', 'c']), pool(['c', 'b', 'a']), pool(['a', 'b', 'd'])),
    ).toEqual({ merged: pool(['b', 'a', 'd']), conflicts: [] });
    // Both reordered, each otherwise: theirs' order stands (a conflict), the names still merged:
    // mine's removal of d and addition of x hold, with theirs' y. (Until 2026-12-07 theirs' list
    // stood whole, d back and x lost, though the two disagreed on no name.)
    expect(
      mergeConfigChanges(
        pool(['a', 'b', 'c', 'd']),
        pool(['c', 'b', 'a', 'x']),
        pool(['b', 'a', 'y', 'c', 'd']),
      ),
    ).toEqual({
      merged: pool(['b', 'a', 'y', 'c', 'x']),
      conflicts: ['pools[p].deployments'],
      reordered: ['pools[p].deployments'],
    });
    // A list with a name twice, an item not a string, or none in base is one value.
    const subset = (modelSubset: unknown) => ({ routers: [{ name: 'r', modelSubset }] });
    for (const [base, mine, theirs] of [
      [['a'], ['a', 'b', 'b'], ['c']],
      [['a'], ['a', 'b'], ['a', 1]],
      [undefined, ['a'], ['b']],
    ])
      expect(mergeConfigChanges(subset(base), subset(mine), subset(theirs))).toEqual({
        merged: subset(theirs),
        conflicts: ['routers[r].modelSubset'],
      });
  });

  it('a key both set alike, or only mine changed, is no conflict', () => {
    const base = { a: 1, b: { c: 1 } };
    expect(mergeConfigChanges(base, { a: 2, b: { c: 3 } }, { a: 2, b: { c: 1 } })).toEqual({
      merged: { a: 2, b: { c: 3 } },
      conflicts: [],
    });
  });

  it('an item deleted by one side and changed by the other is a conflict: theirs stands', () => {
    const base = { deployments: [dep('a'), dep('b')] };
    const changedA = { deployments: [dep('a', { rpm: 5 }), dep('b')] };
    const withoutA = { deployments: [dep('b')] };
    expect(mergeConfigChanges(base, changedA, withoutA)).toEqual({
      merged: withoutA,
      conflicts: ['deployments[a]'],
    });
    expect(mergeConfigChanges(base, withoutA, changedA)).toEqual({
      merged: { deployments: [dep('b'), dep('a', { rpm: 5 })] },
      conflicts: ['deployments[a]'],
    });
  });

  // The cases below were found by merge-config-changes.property.test.ts.
  it('named items only reordered are no change: the other side’s value stands, unreported', () => {
    const base = { pools: [{ name: 'p1' }, { name: 'p2' }], ttl: 1 };
    expect(
      mergeConfigChanges(base, { ttl: 1 }, { pools: [{ name: 'p2' }, { name: 'p1' }], ttl: 1 }),
    ).toEqual({
      merged: { ttl: 1 },
      conflicts: [],
    });
  });

  it('a list with a name twice is one value: a change to it is never dropped unreported', () => {
    const base = { deployments: [dep('a', { rpm: 1 }), dep('a', { rpm: 2 })] };
    const mine = { deployments: [...base.deployments, dep('b')] };
    const theirs = { deployments: [dep('a', { rpm: 9 }), dep('a', { rpm: 2 })] };
    // Matched by name, the last `a` stood for both and theirs' change to the first was lost.
    expect(mergeConfigChanges(base, mine, theirs)).toEqual({
      merged: theirs,
      conflicts: ['deployments'],
    });
  });

  it('a list whose items lose their name on one side is one value', () => {
    const base = { deployments: [dep('a'), dep('b')] };
    const mine = { deployments: [dep('a', { rpm: 2 }), dep('b')] };
    const theirs = { deployments: [dep('a'), dep('b'), { region: 'eastus' }] };
    expect(mergeConfigChanges(base, mine, theirs)).toEqual({
      merged: theirs,
      conflicts: ['deployments'],
    });
    expect(mergeConfigChanges(base, base, theirs)).toEqual({ merged: theirs, conflicts: [] });
  });
});

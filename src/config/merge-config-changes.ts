// Three-way merge of configs: the changes made from `base` to `theirs`, applied on top of `mine`.
// Used when the shared store lost its data and a replica behind recorded changes on its older
// config while another replica ran a newer revision (ConfigService.reconcile): the newer revision
// is kept, with those changes on top. A JSON merge patch (RFC 7386) would replace every list
// whole, undoing one side's change to another deployment. The rules (its property test checks
// them on random config-shaped values and on random edits of config/default.yaml):
// - One side changed a value: its value. Both changed it otherwise: theirs (the later change),
//   and the path is a conflict; so is an item deleted by one side and changed by the other.
// - Named lists (listKeyOf: every item of the three named, once) merge item by item, as diffConfig
//   compares them: mine's order, theirs' additions after; a list mine left as it was is theirs'.
// - Lists of names (every item of the three a string, none twice: a router's modelSubset, a pool's
//   deployments, a key's scopes or allowedIps) merge as sets: what either side removed is gone,
//   what either added is there, without conflict (the two can disagree on no name). The order is
//   mine's, theirs' additions after; theirs' with mine's additions after if only theirs moved
//   items (a priority pool's order). Both moved items, each to another order: theirs' order, the
//   names still merged, and the path is a conflict (listed in `reordered` too). A list absent
//   from base, and other lists (of other values, a name twice, an item without one) are one value.
// - Named items only reordered are no change (as in diffConfig): they never conflict.
import { isDeepStrictEqual } from 'node:util';
import { isObject } from '../core/is-object.js';
import { diffConfig, isNameSet, listKeyOf, sameOrder } from '../store/config-versions.js';

export interface MergedConfig {
  merged: unknown;
  /** Paths (as diffConfig names them) both sides changed otherwise: `theirs` won there. */
  conflicts: string[];
  /**
   * Of `conflicts`, the lists of names both sides reordered, each otherwise: only theirs' order
   * won there, the names either side added or removed are merged. Absent when there are none.
   */
  reordered?: string[];
}

/**
 * `mine` with what `theirs` changed since `base`. Where both changed one value otherwise, theirs
 * wins (it is the later change) and the path is listed in `conflicts`.
 */
export function mergeConfigChanges(base: unknown, mine: unknown, theirs: unknown): MergedConfig {
  const conflicts: string[] = [];
  const reordered: string[] = [];
  const merged = merge(base, mine, theirs, '', { conflicts, reordered });
  return { merged, conflicts, ...(reordered.length ? { reordered } : {}) };
}

function merge(
  base: unknown,
  mine: unknown,
  theirs: unknown,
  path: string,
  found: { conflicts: string[]; reordered: string[] },
): unknown {
  if (isDeepStrictEqual(base, theirs)) return mine;
  if (isDeepStrictEqual(base, mine) || isDeepStrictEqual(mine, theirs)) return theirs;
  if (isObject(mine) && isObject(theirs)) {
    const from = isObject(base) ? base : {};
    const out: Record<string, unknown> = {};
    for (const k of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
      const v = merge(from[k], mine[k], theirs[k], path ? `${path}.${k}` : k, found);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  const key = Array.isArray(mine) && Array.isArray(theirs) && listKeyOf(base, mine, theirs);
  if (key) {
    const byKey = (list: unknown) =>
      new Map(
        (Array.isArray(list) ? list : []).map((x) => [
          String((x as Record<string, unknown>)[key]),
          x,
        ]),
      );
    const [b, m, t] = [byKey(base), byKey(mine), byKey(theirs)];
    const out: unknown[] = [];
    // Mine's order, then the items theirs added.
    for (const name of new Set([...m.keys(), ...t.keys()])) {
      const v = merge(b.get(name), m.get(name), t.get(name), `${path}[${name}]`, found);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (isNameSet(base) && isNameSet(mine) && isNameSet(theirs)) {
    const { names, orderConflict } = mergeNameSets(base, mine, theirs);
    if (orderConflict)
      for (const list of [found.conflicts, found.reordered]) list.push(path || '<root>');
    return names;
  }
  // Named items only reordered are no change (diffConfig): the other side's value stands.
  if (unchanged(base, theirs)) return mine;
  if (unchanged(base, mine)) return theirs;
  found.conflicts.push(path || '<root>');
  return theirs;
}

const unchanged = (before: unknown, after: unknown) => diffConfig(before, after).length === 0;

/**
 * The two sides' additions and removals both applied, in the order of the side that moved items
 * (mine's if neither did), the other's additions after; theirs' order, and an order conflict, if
 * both moved them otherwise.
 */
function mergeNameSets(base: string[], mine: string[], theirs: string[]) {
  const mineMoved = !sameOrder(base, mine);
  const theirsMoved = !sameOrder(base, theirs);
  const orderConflict = mineMoved && theirsMoved && !sameOrder(mine, theirs);
  const [first, second] =
    theirsMoved && (!mineMoved || orderConflict) ? [theirs, mine] : [mine, theirs];
  const [b, inFirst, inSecond] = [new Set(base), new Set(first), new Set(second)];
  const names = [
    ...first.filter((x) => !b.has(x) || inSecond.has(x)),
    ...second.filter((x) => !b.has(x) && !inFirst.has(x)),
  ];
  return { names, orderConflict };
}

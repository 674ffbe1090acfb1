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
//   what either added is there, without conflict. The order is mine's, theirs' additions after;
//   theirs' with mine's additions after if only theirs moved items (a priority pool's order).
//   Both moved items, each to another order: one value (a conflict, theirs). A list absent from
//   base, and other lists (of other values, a name twice, an item without one) are one value.
// - Named items only reordered are no change (as in diffConfig): they never conflict.
import { isDeepStrictEqual } from 'node:util';
import { isObject } from '../core/is-object.js';
import { diffConfig, listKeyOf } from '../store/config-versions.js';

export interface MergedConfig {
  merged: unknown;
  /** Paths (as diffConfig names them) both sides changed otherwise: `theirs` won there. */
  conflicts: string[];
}

/**
 * `mine` with what `theirs` changed since `base`. Where both changed one value otherwise, theirs
 * wins (it is the later change) and the path is listed in `conflicts`.
 */
export function mergeConfigChanges(base: unknown, mine: unknown, theirs: unknown): MergedConfig {
  const conflicts: string[] = [];
  return { merged: merge(base, mine, theirs, '', conflicts), conflicts };
}

function merge(
  base: unknown,
  mine: unknown,
  theirs: unknown,
  path: string,
  conflicts: string[],
): unknown {
  if (isDeepStrictEqual(base, theirs)) return mine;
  if (isDeepStrictEqual(base, mine) || isDeepStrictEqual(mine, theirs)) return theirs;
  if (isObject(mine) && isObject(theirs)) {
    const from = isObject(base) ? base : {};
    const out: Record<string, unknown> = {};
    for (const k of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
      const v = merge(from[k], mine[k], theirs[k], path ? `${path}.${k}` : k, conflicts);
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
      const v = merge(b.get(name), m.get(name), t.get(name), `${path}[${name}]`, conflicts);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (isNameSet(base) && isNameSet(mine) && isNameSet(theirs)) {
    const merged = mergeNameSets(base, mine, theirs);
    if (merged) return merged;
  }
  // Named items only reordered are no change (diffConfig): the other side's value stands.
  if (unchanged(base, theirs)) return mine;
  if (unchanged(base, mine)) return theirs;
  conflicts.push(path || '<root>');
  return theirs;
}

const unchanged = (before: unknown, after: unknown) => diffConfig(before, after).length === 0;

/** A list of names: every item a string, none twice. */
const isNameSet = (list: unknown): list is string[] =>
  Array.isArray(list) &&
  list.every((x) => typeof x === 'string') &&
  new Set(list).size === list.length;

/**
 * The two sides' additions and removals both applied, in the order of the side that moved items
 * (mine's if neither did), the other's additions after; undefined if both moved them otherwise.
 */
function mergeNameSets(base: string[], mine: string[], theirs: string[]): string[] | undefined {
  const mineMoved = !sameOrder(base, mine);
  const theirsMoved = !sameOrder(base, theirs);
  if (mineMoved && theirsMoved && !sameOrder(mine, theirs)) return undefined;
  const [first, second] = theirsMoved && !mineMoved ? [theirs, mine] : [mine, theirs];
  const [b, inFirst, inSecond] = [new Set(base), new Set(first), new Set(second)];
  return [
    ...first.filter((x) => !b.has(x) || inSecond.has(x)),
    ...second.filter((x) => !b.has(x) && !inFirst.has(x)),
  ];
}

/** The names two lists share stand in the same order in both. */
function sameOrder(a: string[], b: string[]): boolean {
  const [inA, inB] = [new Set(a), new Set(b)];
  return isDeepStrictEqual(
    a.filter((x) => inB.has(x)),
    b.filter((x) => inA.has(x)),
  );
}

// Three-way merge of configs: the changes made from `base` to `theirs`, applied on top of `mine`.
// Used when the shared store lost its data and a replica behind recorded changes on its older
// config while another replica ran a newer revision (ConfigService.reconcile): the newer revision
// is kept, with those changes on top. Lists of objects with a `name` (or `id`) are merged item by
// item, as diffConfig compares them; other lists and values are replaced whole. A JSON merge patch
// (RFC 7386) would replace every list whole, undoing one side's change to another deployment.
import { isDeepStrictEqual } from 'node:util';
import { isObject } from '../core/is-object.js';
import { listKeyOf } from '../store/config-versions.js';

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
  const key = Array.isArray(mine) && Array.isArray(theirs) ? sharedKey(base, mine, theirs) : '';
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
  conflicts.push(path || '<root>');
  return theirs;
}

/** The key every non-empty list of the three is matched by, or '' when they have none in common. */
function sharedKey(...lists: unknown[]): string {
  const keys = lists
    .filter((l): l is unknown[] => Array.isArray(l) && l.length > 0)
    .map((l) => listKeyOf(l));
  const [first] = keys;
  return first && keys.every((k) => k === first) ? first : '';
}

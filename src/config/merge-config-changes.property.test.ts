// Properties of mergeConfigChanges over config-shaped values (objects, lists keyed by `name`,
// lists of names, other plain lists, scalars) and over random edits of config/default.yaml. Paths
// are diffConfig's: two paths overlap when one is the other or lies inside it.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isObject } from '../core/is-object.js';
import { diffConfig } from '../store/config-versions.js';
import { mergeConfigChanges } from './merge-config-changes.js';

const DEFAULT = parseYaml(
  readFileSync(new URL('../../config/default.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const overlaps = (p: string, q: string) =>
  p === q ||
  p === '<root>' ||
  q === '<root>' ||
  [p + '.', p + '['].some((s) => q.startsWith(s)) ||
  [q + '.', q + '['].some((s) => p.startsWith(s));
const pathsOf = (a: unknown, b: unknown) => diffConfig(a, b).map((c) => c.path);

/** The value at a diffConfig path (`a.b[name].c`; names hold no `]`). */
function valueAt(v: unknown, path: string): unknown {
  if (path === '<root>') return v;
  let at = v;
  for (const [, key, name] of path.matchAll(/\.?([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (name !== undefined)
      at = Array.isArray(at)
        ? at.find((x) => isObject(x) && String(x.name ?? x.id) === name)
        : undefined;
    else at = isObject(at) ? at[key!] : undefined;
  }
  return at;
}

/** A list of names: every item a string, none twice. */
const isNameSet = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') && new Set(v).size === v.length;
/** `b` holds the names it shares with `a` in a's order. */
const sameOrder = (a: string[], b: string[]) =>
  isDeepStrictEqual(
    a.filter((x) => b.includes(x)),
    b.filter((x) => a.includes(x)),
  );

type NameSets = [base: string[], mine: string[], theirs: string[]];
/**
 * Lists of names merged as sets: what both kept and what either added, nothing either removed; in
 * the order of the side that moved names (mine's if neither did; theirs' if both did, each
 * otherwise), the other's additions after. A list one side left as it was is the other's.
 */
function checkNameSetMerge([b, m, t]: NameSets, out: unknown, at: string): void {
  if (isDeepStrictEqual(b, m) || isDeepStrictEqual(b, t)) {
    expect(out, `one side unchanged at ${at}`).toEqual(isDeepStrictEqual(b, m) ? t : m);
    return;
  }
  expect(isNameSet(out), `a list of names at ${at}`).toBe(true);
  const merged = out as string[];
  const kept = b.filter((x) => m.includes(x) && t.includes(x));
  const added = [...m, ...t].filter((x) => !b.includes(x));
  expect(new Set(merged), `names at ${at}`).toEqual(new Set([...kept, ...added]));
  const [first, second] =
    !sameOrder(b, t) && (sameOrder(b, m) || !sameOrder(m, t)) ? [t, m] : [m, t];
  const fromFirst = first.filter((x) => merged.includes(x));
  expect(merged, `order at ${at}`).toEqual([
    ...fromFirst,
    ...second.filter((x) => merged.includes(x) && !first.includes(x)),
  ]);
}

/** The properties every merge keeps, given the three configs. */
function checkMerge(base: unknown, mine: unknown, theirs: unknown): void {
  const { merged, conflicts, reordered } = mergeConfigChanges(base, mine, theirs);
  const byMine = pathsOf(base, mine);
  const byTheirs = pathsOf(base, theirs);
  const apart = (p: string, others: string[]) => !others.some((q) => overlaps(p, q));
  // What one side changed where the other did not survives: the result has its value there.
  for (const p of byTheirs.filter((p) => apart(p, byMine)))
    expect(apart(p, pathsOf(theirs, merged)), `theirs' change at ${p}`).toBe(true);
  for (const p of byMine.filter((p) => apart(p, byTheirs)))
    expect(apart(p, pathsOf(mine, merged)), `mine's change at ${p}`).toBe(true);
  // Nothing neither side changed differs from base.
  for (const p of pathsOf(base, merged))
    expect(apart(p, [...byMine, ...byTheirs]), `unchanged ${p} kept`).toBe(false);
  // Both changed a place, each otherwise: base, mine and theirs all differ there (named items
  // only reordered are no change).
  const bothChanged = (p: string) => {
    const [b, m, t] = [base, mine, theirs].map((x) => valueAt(x, p));
    return ![
      [b, m],
      [b, t],
      [m, t],
    ].some(([x, y]) => pathsOf(x, y).length === 0);
  };
  // Lists of names there merge as sets; if both sides moved names, each to another order, theirs'
  // order stands, and that is a conflict.
  const nameSetsAt = (p: string) => {
    const lists = [base, mine, theirs].map((x) => valueAt(x, p));
    return lists.every(isNameSet) ? (lists as NameSets) : undefined;
  };
  const ordersAgree = ([b, m, t]: NameSets) =>
    sameOrder(b, m) || sameOrder(b, t) || sameOrder(m, t);
  // A conflict only there, and theirs wins there (a list of names: its order).
  for (const c of conflicts) {
    expect(bothChanged(c), `conflict ${c}`).toBe(true);
    const lists = nameSetsAt(c);
    if (lists) {
      expect(ordersAgree(lists), `order conflict ${c}`).toBe(false);
      checkNameSetMerge(lists, valueAt(merged, c), c);
    } else expect(valueAt(merged, c), `theirs wins at ${c}`).toEqual(valueAt(theirs, c));
  }
  expect(reordered ?? [], 'reordered: the conflicts on lists of names').toEqual(
    conflicts.filter((c) => nameSetsAt(c)),
  );
  // Every such place is reported (a container both made is merged inside, so look where the two
  // differ), or is a list of names merged (unless a conflict around it took theirs whole).
  for (const q of pathsOf(mine, theirs).filter(bothChanged)) {
    const lists = nameSetsAt(q);
    if (!lists || !ordersAgree(lists))
      expect(apart(q, conflicts), `conflict reported at ${q}`).toBe(false);
    if (lists && (conflicts.includes(q) || apart(q, conflicts)))
      checkNameSetMerge(lists, valueAt(merged, q), q);
  }
}

// ---- config-shaped values and random edits of them ----

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const LETTERS = ['a', 'b', 'c', 'd', 'e'];
const scalar = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom('a', 'b', 'c'),
  fc.boolean(),
  fc.constant(null),
);
/** Config-shaped values; `loose` ones may hold named lists with a name twice or an item without. */
const valuesOf = (loose: boolean) =>
  fc.letrec<{ value: unknown }>((tie) => {
    const item = fc.record(
      { name: fc.constantFrom(...NAMES), v: tie('value') },
      { requiredKeys: loose ? [] : ['name'], noNullPrototype: true },
    );
    return {
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalar,
        fc.array(scalar, { maxLength: 3 }),
        fc.uniqueArray(fc.constantFrom(...LETTERS), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('p', 'q', 'r', 's'), tie('value'), {
          maxKeys: 3,
          noNullPrototype: true,
        }),
        (loose
          ? fc.array(item, { minLength: 1, maxLength: 4 })
          : fc.uniqueArray(item, {
              selector: (x) => x.name,
              minLength: 1,
              maxLength: 4,
            })) as fc.Arbitrary<unknown>,
      ),
    };
  }).value;

type Step = string | { name: string };
interface Edit {
  at: number;
  op: 'replace' | 'delete' | 'add' | 'reorder' | 'drop';
  fresh: unknown;
  key: string;
  /** Which item of a plain list `drop` removes or `reorder` moves to the front (0: reverse). */
  i: number;
}
const editOf = (fresh: fc.Arbitrary<unknown>) =>
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom<Edit['op']>('replace', 'delete', 'add', 'reorder', 'drop'),
    fresh,
    key: fc.constantFrom('p', 'q', 'r', 's', ...NAMES, ...LETTERS),
    i: fc.nat({ max: 3 }),
  });

const isKeyed = (l: unknown[]) => l.length > 0 && l.every((x) => isObject(x) && 'name' in x);

/** Every place in a value, keyed list items by name. */
function sitesOf(v: unknown, at: Step[] = []): Step[][] {
  const inner = Array.isArray(v)
    ? isKeyed(v)
      ? v.flatMap((x) => sitesOf(x, [...at, { name: (x as { name: string }).name }]))
      : []
    : isObject(v)
      ? Object.entries(v)
          .filter(([k]) => k !== 'name')
          .flatMap(([k, x]) => sitesOf(x, [...at, k]))
      : [];
  return [at, ...inner];
}

/** `v` with the node at `path` replaced by what `fn` returns (undefined deletes it). */
function updateAt(v: unknown, path: Step[], fn: (node: unknown) => unknown): unknown {
  const [step, ...rest] = path;
  if (step === undefined) return fn(v);
  if (typeof step === 'object' && Array.isArray(v))
    return v.flatMap((x) => {
      if (!isObject(x) || x.name !== step.name) return [x];
      const y = updateAt(x, rest, fn);
      return y === undefined ? [] : [y];
    });
  if (typeof step === 'string' && isObject(v)) {
    const out = { ...v };
    const y = updateAt(v[step], rest, fn);
    if (y === undefined) delete out[step];
    else out[step] = y;
    return out;
  }
  return v;
}

function applyEdit(v: unknown, e: Edit): unknown {
  const sites = sitesOf(v);
  const site = sites[e.at % sites.length]!;
  return updateAt(v, site, (node) => {
    if (e.op === 'replace') return e.fresh;
    if (e.op === 'delete') return site.length ? undefined : node;
    if (e.op === 'add') {
      if (isObject(node) && !('name' in node)) return { ...node, [e.key]: e.fresh };
      if (Array.isArray(node) && isKeyed(node)) {
        const name = NAMES.find((n) => !node.some((x) => (x as { name: string }).name === n));
        return name ? [...node, { name, v: e.fresh }] : node;
      }
      if (Array.isArray(node)) return node.includes(e.key) ? node : [...node, e.key];
      return node;
    }
    if (!Array.isArray(node)) return node;
    if (e.op === 'drop') return isKeyed(node) ? node : node.filter((_, i) => i !== e.i);
    const moved = node[e.i];
    return e.i === 0 || moved === undefined
      ? [...node].reverse()
      : [moved, ...node.filter((_, i) => i !== e.i)];
  });
}

const applyEdits = (v: unknown, edits: Edit[]) => edits.reduce(applyEdit, v);
const threeWayOf = (loose: boolean) => {
  const edits = fc.array(editOf(valuesOf(loose)), { maxLength: 3 });
  return fc
    .tuple(valuesOf(loose), edits, edits)
    .map(([base, m, t]) => ({ base, mine: applyEdits(base, m), theirs: applyEdits(base, t) }));
};
const threeWay = threeWayOf(false);

describe('mergeConfigChanges properties', () => {
  it('one side unchanged gives the other; all three alike give it back, without conflicts', () => {
    fc.assert(
      fc.property(threeWay, ({ base, mine, theirs }) => {
        expect(mergeConfigChanges(base, mine, base)).toEqual({ merged: mine, conflicts: [] });
        expect(mergeConfigChanges(base, base, theirs)).toEqual({ merged: theirs, conflicts: [] });
        expect(mergeConfigChanges(mine, mine, mine)).toEqual({ merged: mine, conflicts: [] });
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it('keeps both sides’ changes apart, reports where both changed a place otherwise (theirs wins)', () => {
    fc.assert(
      fc.property(threeWay, ({ base, mine, theirs }) => checkMerge(base, mine, theirs)),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('a list with a name twice or an item without one is one value: no crash, nothing lost', () => {
    fc.assert(
      fc.property(threeWayOf(true), ({ base, mine, theirs }) => checkMerge(base, mine, theirs)),
      { numRuns: 3000, seed: 13 },
    );
  });

  it('lists of names: what either side added or removed holds, in order (both reordered: theirs’, a conflict); one side unchanged gives the other', () => {
    const names = fc.uniqueArray(fc.constantFrom(...LETTERS), { maxLength: 5 });
    const edit = fc.record({
      op: fc.constantFrom('add', 'drop', 'front'),
      name: fc.constantFrom(...LETTERS),
    });
    const editNames = (list: string[], e: { op: string; name: string }) =>
      e.op === 'add'
        ? list.includes(e.name)
          ? list
          : [...list, e.name]
        : e.op === 'drop' || !list.includes(e.name)
          ? list.filter((x) => x !== e.name)
          : [e.name, ...list.filter((x) => x !== e.name)];
    const edits = fc.array(edit, { maxLength: 4 });
    fc.assert(
      fc.property(names, edits, edits, (b, me, te) => {
        const [m, t] = [me.reduce(editNames, b), te.reduce(editNames, b)];
        const [base, mine, theirs] = [b, m, t].map((modelSubset) => ({
          routers: [{ name: 'r', modelSubset }],
        }));
        expect(mergeConfigChanges(base, mine, base)).toEqual({ merged: mine, conflicts: [] });
        expect(mergeConfigChanges(base, base, theirs)).toEqual({ merged: theirs, conflicts: [] });
        const { merged, conflicts, reordered } = mergeConfigChanges(base, mine, theirs);
        const out = valueAt(merged, 'routers[r].modelSubset');
        // Both moved names, each to another order: theirs' order, a conflict; else none.
        const both = !sameOrder(b, m) && !sameOrder(b, t) && !sameOrder(m, t);
        expect(conflicts).toEqual(both ? ['routers[r].modelSubset'] : []);
        expect(reordered).toEqual(both ? ['routers[r].modelSubset'] : undefined);
        // Either way every name either side added is there, and none either removed.
        checkNameSetMerge([b, m, t], out, 'routers[r].modelSubset');
        for (const x of [...m, ...t].filter((x) => !b.includes(x)))
          expect(out, `${x} added`).toContain(x);
        for (const x of b.filter((x) => !m.includes(x) || !t.includes(x)))
          expect(out, `${x} removed`).not.toContain(x);
      }),
      { numRuns: 2000, seed: 29 },
    );
  });

  it('on config/default.yaml edited at random: the same, and mine’s order with theirs’ additions after', () => {
    fc.assert(
      fc.property(realThreeWay, ({ base, mine, theirs }) => {
        checkMerge(base, mine, theirs);
        const { merged } = mergeConfigChanges(base, mine, theirs);
        for (const list of ['deployments', 'routers']) {
          const names = (c: unknown) => ((c as Config)[list] ?? []).map((x) => x.name);
          // A list mine left as it was is theirs (reordered or not).
          const first = isDeepStrictEqual((base as Config)[list], (mine as Config)[list])
            ? theirs
            : mine;
          const [m, t, out] = [names(first), names(theirs), names(merged)];
          const fromMine = out.filter((n) => m.includes(n));
          expect(out).toEqual([...fromMine, ...out.filter((n) => !m.includes(n))]);
          expect(fromMine).toEqual(m.filter((n) => out.includes(n)));
          const added = out.filter((n) => !m.includes(n));
          expect(added).toEqual(t.filter((n) => added.includes(n)));
        }
      }),
      { numRuns: 1000, seed: 23 },
    );
  });
});

type Config = Record<string, { name: string; [k: string]: unknown }[] | undefined>;

// Edits an operator makes to a config: one deployment's field, a deployment added or removed, the
// deployments reordered, a router's modelSubset, a setting.
const realEdit = fc.oneof(
  fc.record({
    kind: fc.constant('field' as const),
    i: fc.nat(),
    field: fc.constantFrom('region', 'dataZone', 'contextWindow', 'prices.inputPer1M'),
    to: fc.oneof(
      fc.constantFrom('eastus', 'westeurope', 'eu', 'us'),
      fc.integer({ min: 1, max: 9 }),
    ),
  }),
  fc.record({ kind: fc.constant('add' as const), i: fc.nat(), name: fc.constantFrom('x1', 'x2') }),
  fc.record({ kind: fc.constant('remove' as const), i: fc.nat() }),
  fc.record({ kind: fc.constant('reorder' as const), by: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    kind: fc.constant('subset' as const),
    r: fc.nat(),
    i: fc.nat(),
    add: fc.boolean(),
    first: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('setting' as const),
    at: fc.constantFrom('server.logLevel', 'batches.forwardPollMs', 'requestLog.storeText'),
    to: fc.oneof(fc.constantFrom('debug', 'warn'), fc.integer({ min: 1, max: 5000 }), fc.boolean()),
  }),
);

function applyRealEdit(
  config: unknown,
  e: typeof realEdit extends fc.Arbitrary<infer E> ? E : never,
) {
  const c = structuredClone(config) as Config;
  const deps = c.deployments!;
  const pick = <T>(list: T[], i: number) => list[i % list.length];
  if (e.kind === 'field' && deps.length) {
    const [a, b] = e.field.split('.') as [string, string?];
    const dep = pick(deps, e.i)!;
    if (b) dep[a] = { ...(dep[a] as object), [b]: e.to };
    else dep[a] = e.to;
  } else if (e.kind === 'add' && deps.length && !deps.some((d) => d.name === e.name))
    deps.push({ ...pick(deps, e.i)!, name: e.name });
  else if (e.kind === 'remove' && deps.length) deps.splice(e.i % deps.length, 1);
  else if (e.kind === 'reorder') deps.push(...deps.splice(0, e.by));
  else if (e.kind === 'subset') {
    const router = pick(c.routers!, e.r)!;
    const subset = router.modelSubset as string[];
    const name = pick(deps, e.i)?.name ?? 'none';
    // Add a name (to the front: first), or remove one.
    router.modelSubset = e.add
      ? [
          ...(e.first ? [name] : []),
          ...subset.filter((x) => x !== name),
          ...(e.first ? [] : [name]),
        ]
      : subset.filter((_, i) => i !== e.i % subset.length);
  } else if (e.kind === 'setting') {
    const [section, key] = e.at.split('.') as [string, string];
    const settings = c as unknown as Record<string, Record<string, unknown>>;
    settings[section] = { ...settings[section], [key]: e.to };
  }
  return c;
}

const realEdits = fc.array(realEdit, { maxLength: 4 });
const realThreeWay = fc.tuple(realEdits, realEdits, realEdits).map(([b, m, t]) => {
  const base = b.reduce(applyRealEdit, DEFAULT as unknown);
  return { base, mine: m.reduce(applyRealEdit, base), theirs: t.reduce(applyRealEdit, base) };
});

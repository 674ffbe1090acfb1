// A key's scopes: what it may call by name. One rule wherever a scope is read (a request, the
// model list, a fallback list, the warnings when a key is issued), so a key issued with a prefix
// scope works where it was issued for (before 2026-12-06 requests read only `*` and exact names,
// so `gpt-4.1*` was accepted when the key was issued and refused when it was used).

/** True when a scope list allows `name` (`*`, exact, or a trailing-`*` prefix like `gpt-4o*`). */
export function scopeAllows(scopes: readonly string[], name: string): boolean {
  return scopes.some(
    (s) => s === '*' || s === name || (s.endsWith('*') && name.startsWith(s.slice(0, -1))),
  );
}

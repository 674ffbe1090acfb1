// Model names as different catalogues spell them: `mistralai/Mixtral-8x7B-Instruct-v0.1` (a
// Hugging Face id), `Mixtral-8x7B-Instruct-v0.1`, `mixtral-8x7b-instruct-v0.1`.

/** A model's name without its provider prefix, lower-cased: `mistralai/Mixtral-8x7B` → `mixtral-8x7b`. */
export function bareModelName(model: string): string {
  return (model.split('/').at(-1) ?? model).toLowerCase();
}

/**
 * Looks names up by their bare name (`bareModelName`): a name matches when exactly one of `names`
 * has the same bare name; several (or none) match nothing.
 */
export function bareNameIndex(names: Iterable<string>): (name: string) => string | undefined {
  const matches = bareNameMatches(names);
  return (name) => {
    const found = matches(name);
    return found.length === 1 ? found[0] : undefined;
  };
}

/** Every one of `names` with the same bare name as the name looked up, in `names`' order. */
export function bareNameMatches(names: Iterable<string>): (name: string) => readonly string[] {
  const byBare = new Map<string, string[]>();
  for (const n of names) {
    const b = bareModelName(n);
    const same = byBare.get(b);
    if (!same) byBare.set(b, [n]);
    else if (!same.includes(n)) same.push(n);
  }
  return (name) => byBare.get(bareModelName(name)) ?? [];
}

// zod issues as the lines a ConfigError lists (`path: what to fix`), for the config and for every
// other body we check with a schema (routing artefacts, keys).
import type { z } from 'zod';

/**
 * A zod path as the config writes it: `routers[0].modelSubset`; `<root>` for none. An empty key
 * is written `""`, so `{"": 1}` is not reported as the root or as no key at all.
 */
export function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    const key = String(p) || '""';
    out += typeof p === 'number' ? `[${p}]` : out ? `.${key}` : key;
  }
  return out || '<root>';
}

/**
 * One readable line per zod issue, with the path of the bad key. The messages say what to fix when
 * the parse was given `zodIssueMessage` as its error map (every parse of config and artefacts is).
 */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => formatPath([...issue.path, k]));
      // zod's own wording ("Unrecognized key: …") only repeats the key: the hint replaces it.
      const hint = issue.message.startsWith('Unrecognized')
        ? '(check the spelling; docs/configuration.md lists every key)'
        : issue.message;
      return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}${hint.startsWith('(') ? ' ' : '; '}${hint}`;
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
}

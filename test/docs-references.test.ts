// The README and docs/ point at things that move: files and their headings, the x-router-* headers,
// the routes. Each reference must still land: a relative link on a file (and its anchor on a
// heading), a `docs/x.md "Section"` on a heading or a bold or paragraph lead of that file, a
// `src/…` or `test/…` path on a file, a header on code that reads or sets it (and every header the
// code uses on a doc), a `METHOD /path` on a route the runtime registers for that method.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load-config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { registeredRoutes } from './helpers/registered-routes.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** README.md and every docs/*.md, by path from the repository's root. */
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Each line of a doc with its `file:line`, for messages that say where. */
function lines(file: string): { at: string; text: string }[] {
  return read(file)
    .split('\n')
    .map((text, i) => ({ at: `${file}:${i + 1}`, text }));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const headings = (file: string) =>
  [...read(file).matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.replace(/`/g, '').trim());

/** Where a quoted section may stand in a file: a heading, a **bold lead**, a paragraph's start. */
function namesSection(file: string, section: string): boolean {
  const text = read(file).replace(/`/g, '');
  return (
    headings(file).some((h) => h.startsWith(section)) ||
    text.includes(`**${section}`) ||
    text.split('\n').some((l) => l.replace(/^\s*[-*] /, '').startsWith(section))
  );
}

describe('README and docs references', () => {
  it('every relative link names a file, and its anchor a heading of it', () => {
    const links: string[] = [];
    for (const doc of DOCS)
      for (const { at, text } of lines(doc))
        for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]+))?\)/g)) {
          if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
          const file = target ? join(dirname(doc), target) : doc;
          links.push(`${at} ${target}${anchor ? `#${anchor}` : ''}`);
          expect(existsSync(join(ROOT, file)), `${at}: ${target} does not exist`).toBe(true);
          if (anchor)
            expect(
              headings(file).map(slug),
              `${at}: no heading of ${file} has the anchor #${anchor}`,
            ).toContain(anchor);
        }
    expect(links.length).toBeGreaterThan(15);
  });

  it('every `docs/x.md "Section"` names a section of that file', () => {
    let checked = 0;
    for (const doc of DOCS)
      for (const { at, text } of lines(doc))
        for (const [, file, section] of text.matchAll(
          /\b((?:docs\/)?[a-z-]+\.md|README),?(?: after)? "([^"]+)"/g,
        )) {
          const path =
            file === 'README' || file === 'README.md'
              ? 'README.md'
              : file!.startsWith('docs/')
                ? file!
                : `docs/${file}`;
          expect(existsSync(join(ROOT, path)), `${at}: ${file} does not exist`).toBe(true);
          expect(namesSection(path, section!), `${at}: ${file} has no section "${section}"`).toBe(
            true,
          );
          checked++;
        }
    expect(checked).toBeGreaterThan(30);
  });

  // Not models/: the docs name artefacts a command would write (`models/2026-12-05.json`).
  it('every repository path in backticks names a file or folder (or the start of a file name)', () => {
    let checked = 0;
    for (const doc of DOCS)
      for (const { at, text } of lines(doc))
        for (const [, span] of text.matchAll(
          /`((?:src|test|training|scripts|docs|config|deploy|examples|bin|\.ci)\/[^`\s]*)`/g,
        )) {
          const path = span!.replace(/[:#].*$/, '').replace(/\/$/, '');
          if (/[<{…]/.test(path)) continue; // a placeholder: `examples/<name>/`
          // `test/e2e/agent-clis` names agent-clis.e2e.test.ts, `responses-codex*` every such file.
          const prefix = new RegExp(
            `^${basename(path).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}`,
          );
          const found =
            existsSync(join(ROOT, path)) ||
            (existsSync(join(ROOT, dirname(path))) &&
              readdirSync(join(ROOT, dirname(path))).some((f) => prefix.test(f)));
          expect(found, `${at}: ${span} does not exist`).toBe(true);
          checked++;
        }
    expect(checked).toBeGreaterThan(50);
  });
});

/** Every x-router-* name in a text. */
const routerHeaders = (text: string) => new Set(text.match(/x-router-[a-z]+(?:-[a-z]+)*/g) ?? []);

/** The non-test TypeScript under src/. */
function sourceText(): string {
  return readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => read(join('src', f)))
    .join('\n');
}

// Headers the router sends itself between its own parts, never a client's to set or read
// (batch/batch-caller.ts, http/routes/chat-routes.ts).
const INTERNAL_HEADERS = ['x-router-batch-caller', 'x-router-batch-forwarded'];

describe('x-router-* headers', () => {
  const inDocs = routerHeaders(DOCS.map(read).join('\n'));
  const inCode = routerHeaders(sourceText());

  it('every one the README and docs name is read or set by the code', () => {
    expect(inDocs.size).toBeGreaterThan(15);
    expect([...inDocs].filter((h) => !inCode.has(h))).toEqual([]);
  });

  it('every one the code reads or sets is in the README or docs, but for the internal ones', () => {
    expect([...inCode].filter((h) => !inDocs.has(h) && !INTERNAL_HEADERS.includes(h))).toEqual([]);
  });
});

/** The routes of a runtime on the default config, as `METHOD pattern` regular expressions. */
function routesOf(runtime: Runtime): { method: string; path: RegExp }[] {
  return registeredRoutes(runtime.app).map(({ method, url }) => {
    const pattern = url
      .replace(/[.]/g, '\\.')
      .replace(/:[A-Za-z]+/g, '[^/]+')
      .replace(/\*$/, '.+');
    return { method, path: new RegExp(`^${pattern}$`) };
  });
}

/** The `METHOD /path` spans of a line; a bare method span (`GET`, `POST /…`) joins the next. */
function endpointSpans(text: string): { methods: string[]; path: string }[] {
  const found: { methods: string[]; path: string }[] = [];
  let carried: string[] = [];
  for (const [, span, after] of text.matchAll(/`([^`]+)`([^`]*)/g)) {
    const m =
      /^((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*)(?: (\/\S*))?$/.exec(
        span!,
      );
    if (!m) {
      carried = [];
      continue;
    }
    const methods = [...carried, ...m[1]!.split('/')];
    carried = !m[2] && /^(, | and )$/.test(after!) ? methods : [];
    if (m[2]) found.push({ methods, path: m[2] });
  }
  return found;
}

// The router's own prefixes; `POST /files` and such in docs/concepts.md "Batches" are an upstream's.
const ROUTER_PATH = /^\/(v1|v2|openai|admin|dashboard|healthz|readyz|metrics|rerank)\b/;

describe('endpoints the README and docs name', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    const { config } = loadConfigFile(join(ROOT, 'config/default.yaml'));
    runtime = await createRuntime({
      ...config,
      requestLog: { ...config.requestLog, kind: 'none' },
    });
  });
  afterAll(() => runtime?.close());

  it('each `METHOD /path` is a route the runtime registers for that method', () => {
    const routes = routesOf(runtime);
    expect(routes.length).toBeGreaterThan(150);
    let checked = 0;
    for (const doc of DOCS)
      for (const { at, text } of lines(doc))
        for (const { methods, path } of endpointSpans(text)) {
          if (!ROUTER_PATH.test(path) || path.includes('…')) continue;
          // `{id}` any segment, `?query` dropped, `[/{id}]` with and without the optional part.
          const concrete = path.replace(/\?.*$/, '').replace(/\{[^}]+\}/g, 'x1');
          const forms = /\[[^\]]*\]/.test(concrete)
            ? [concrete.replace(/\[([^\]]*)\]/, '$1'), concrete.replace(/\[[^\]]*\]/, '')]
            : [concrete];
          for (const method of methods)
            for (const url of forms) {
              expect(
                routes.some((r) => r.method === method && r.path.test(url)),
                `${at}: ${method} ${path} is not a route`,
              ).toBe(true);
              checked++;
            }
        }
    expect(checked).toBeGreaterThan(150);
  });
});

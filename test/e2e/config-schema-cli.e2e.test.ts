// `model-router config-schema` as a user runs it (the built CLI): it prints the committed
// docs/config.schema.json, writes it with --out, and its --help loads neither zod nor the config
// schema (each module the process resolves is logged by a resolve hook, node:module register()).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'mr-config-schema-'));
const committed = readFileSync('docs/config.schema.json', 'utf8');

/** The built CLI, with every module URL the process resolves appended to `log`. */
function cli(args: string[], log = join(dir, 'loaded.txt')) {
  writeFileSync(log, '');
  const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
  return resolved;
}`;
  const register = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      `data:text/javascript,${encodeURIComponent(register)}`,
      'bin/model-router',
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
  );
  return { ...run, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const schemaModules = (urls: string[]) =>
  urls.filter((u) => /\/node_modules\/zod\/|\/dist\/src\/config\/|\/dist\/src\/main\.js$/.test(u));

describe('model-router config-schema', () => {
  it('prints the committed schema, and loads the config schema to make it', () => {
    const run = cli(['config-schema']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(committed);
    // The hook sees what a command loads: here the config schema, which --help must not load.
    expect(schemaModules(run.loaded)).toContain(
      new URL('../../dist/src/config/schema.js', import.meta.url).href,
    );
  });

  it('--out writes the same file', () => {
    const out = join(dir, 'config.schema.json');
    const run = cli(['config-schema', '--out', out]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(committed);
  });

  it('--help loads neither zod, the config schema nor the server', () => {
    const run = cli(['config-schema', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: model-router config-schema/);
    expect(run.loaded.some((u) => u.endsWith('/dist/src/cli/config-schema.js'))).toBe(true);
    expect(schemaModules(run.loaded)).toEqual([]);
  });
});

// What `loadConfigFile` says about a file it cannot use: the file's path once, then what to fix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simDeployment } from '../../test/helpers/test-config.js';
import { ConfigError, loadConfigFile, parseConfigText } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'load-config-file-'));

function messageOf(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfigFile errors', () => {
  it('names a YAML file once, with the line, and no blank lines', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'deployments: [\n');
    const message = messageOf(() => loadConfigFile(file, {}));
    expect(message.startsWith(`${file}: not valid YAML: `)).toBe(true);
    expect(message.split(file)).toHaveLength(2);
    expect(message).toContain('line 2, column 1');
    expect(message).not.toMatch(/\n\s*\n/);
  });

  it('names a JSON file once', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"deployments": ');
    const message = messageOf(() => loadConfigFile(file, {}));
    expect(message.startsWith(`${file}: not valid JSON: `)).toBe(true);
    expect(message.split(file)).toHaveLength(2);
  });

  it('reads a JSON file that names its JSON Schema (`$schema`, for editors)', () => {
    const file = join(dir, 'with-schema.json');
    writeFileSync(
      file,
      JSON.stringify({ $schema: '../docs/config.schema.json', deployments: [simDeployment('a')] }),
    );
    expect(loadConfigFile(file, {}).config.deployments.map((d) => d.name)).toEqual(['a']);
  });

  it('names a file that fails validation, before its issues', () => {
    const file = join(dir, 'invalid.json');
    writeFileSync(file, '{"deployments": 5}');
    const message = messageOf(() => loadConfigFile(file, {}));
    expect(message).toBe(`${file}: Invalid config:\n  deployments: must be a list, not 5`);
  });

  it('names a file it cannot read once', () => {
    const file = join(dir, 'missing.yaml');
    const message = messageOf(() => loadConfigFile(file, {}));
    expect(message.startsWith(`${file}: cannot read the config file: no such file`)).toBe(true);
    expect(message.split(file)).toHaveLength(2);
  });

  it('leaves the name to the caller when parsing text (the reload watcher names it itself)', () => {
    const message = messageOf(() => parseConfigText('deployments: [\n', 'c.yaml', {}));
    expect(message.startsWith('not valid YAML: ')).toBe(true);
  });
});

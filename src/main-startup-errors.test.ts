// Start-up refusals that only the loaded config shows name the config file first, as the schema's
// errors do: a router's artefact version that is not in the models folder was "Invalid config:"
// with no file, and a request log path that is a directory was SQLite's words and a stack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testConfigInput } from '../test/helpers/test-config.js';
import { ConfigError } from './config/load-config.js';
import { serve } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-main-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (input: ReturnType<typeof testConfigInput>) => {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(input));
  const err = await serve({ configPath: file, port: 0 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return { file, message: (err as Error).message };
};

describe('serve: start-up refusals name the config file', () => {
  it('a router whose artefact version is not in the models folder', async () => {
    const input = testConfigInput();
    const routers = input.routers!.map((r) => ({ ...r, version: '2099-01-01' }));
    const { file, message } = await refusal({ ...input, routers });
    expect(message).toMatch(
      new RegExp(
        `^${file}: Invalid config:\\n  routers\\[0\\]\\.version: no routing artefact "2099-01-01"`,
      ),
    );
  });

  it('a request log path that is a directory', async () => {
    const input = testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: dir } });
    const { file, message } = await refusal(input);
    expect(message).toBe(
      `${file}: requestLog.sqlitePath ${dir} is a directory: name the SQLite file in it the router writes (./data/requests.db by default)`,
    );
  });
});

// `distribution --router`: a name the config and the log do not know is refused, as `simulate`
// refuses it, instead of a table of 0 requests (CLI audit, 2026-12-07).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRequestStore } from '../store/open-request-store.js';
import { sampleRecord } from '../../test/helpers/request-records.js';
import { testConfig, testConfigInput } from '../../test/helpers/test-config.js';
import { run } from './distribution.js';

describe('distribution --router', () => {
  let configPath: string;
  const out: string[] = [];
  const err: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-distribution-'));
    const requestLog = { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') } as const;
    const store = await openRequestStore(testConfig({ requestLog }).requestLog);
    await store.migrate();
    const now = Date.now();
    // One request of the config's router, and two of a router since removed from the config.
    await store.insert([
      sampleRecord(1, { time: now - 60_000 }),
      sampleRecord(2, { time: now - 50_000, router: 'retired-router' }),
      sampleRecord(3, { time: now - 40_000, router: 'retired-router' }),
    ]);
    await store.close();
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(testConfigInput({ requestLog })));
  });

  const distribution = async (...args: string[]) => {
    out.length = 0;
    err.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => !!out.push(String(c)));
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => !!err.push(String(c)));
    return run(['--config', configPath, '--json', ...args]);
  };
  afterEach(() => vi.restoreAllMocks());

  it('refuses a router that neither the config nor the log knows, naming those they do', async () => {
    expect(await distribution('--router', 'nope')).toBe(2);
    expect(out.join('')).toBe('');
    expect(err.join('')).toContain(
      '--router nope: no such router in the config (model-router) or in the request log of the last 7d (model-router, retired-router)',
    );
  });

  it("counts a known router's requests, and a router the log still has", async () => {
    expect(await distribution('--router', 'model-router')).toBe(0);
    expect(JSON.parse(out.join('')).source).toBe('routed requests in the last 7d on model-router');
    expect(await distribution('--router', 'retired-router')).toBe(0);
    expect(err.join('')).toBe('');
    expect(JSON.stringify(JSON.parse(out.join('')))).toContain('"total":2');
  });
});

// `distribution --compare` on a file that is not a compare run's results: `null` was a TypeError
// ("Cannot read properties of null", exit 2), a row that is no object the same, and an empty or
// non-JSON file JSON.parse's own words, none saying which file to pass.
describe('distribution --compare with a file that is no results.json', () => {
  const err: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mr-distribution-compare-'));
  const distribution = async (text: string) => {
    const file = join(dir, 'results.json');
    writeFileSync(file, text);
    err.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => !!err.push(String(c)));
    return { code: await run(['--compare', file, '--json']), file };
  };
  afterEach(() => vi.restoreAllMocks());

  it.each([['null'], ['{"rows": [null, 5]}'], ['{"rows": [{"ok": true}, []]}']])(
    'refuses %s as not a compare results.json',
    async (text) => {
      const { code, file } = await distribution(text);
      expect(code).toBe(1);
      expect(err.join('')).toContain(`${file} is not a compare results.json`);
    },
  );

  it.each([[''], ['{"rows": ['], ['{"prompt": "a"}\n{"prompt": "b"}']])(
    'says %j is not JSON and which file to pass',
    async (text) => {
      const { code, file } = await distribution(text);
      expect(code).toBe(1);
      expect(err.join('')).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON \\(.+\\): pass`),
      );
      expect(err.join('')).toContain('results.json');
    },
  );
});

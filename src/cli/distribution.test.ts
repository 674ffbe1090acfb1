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

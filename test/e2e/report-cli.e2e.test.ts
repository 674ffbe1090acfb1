// `report` and `simulate` read what a running router logged (the built CLI, a real SQLite log).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runReport } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

describe('report and simulate CLIs', () => {
  it('report spend, savings and distribution; simulate another mode over the logged prompts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-report-'));
    const config = testConfigInput({
      requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db'), storeText: true },
    });
    const server = await spawnServer(config);
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(i % 3 === 0 ? { 'x-router-tags': 'nightly-batch' } : {}),
        },
        body: JSON.stringify({
          model: i < 8 ? 'model-router' : 'big',
          messages: [{ role: 'user', content: `question ${i}` }],
          ...(i % 2 === 0 ? { user: 'alice' } : {}),
        }),
      });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    expect(await server.stop()).toBe(0); // SIGTERM: drain and flush
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const report = runReport(configPath) as {
      requests: number;
      savingsUsd: number;
      groups: { key: string; requests: number }[];
    };
    expect(report.requests).toBe(12);
    expect(report.groups.map((g) => [g.key, g.requests])).toEqual([
      ['small-sim', 8],
      ['big-sim', 4],
    ]);
    expect(report.savingsUsd).toBeGreaterThan(0);
    const byRouter = runReport(configPath, ['--by', 'router']) as { groups: { key: string }[] };
    expect(byRouter.groups.map((g) => g.key).sort()).toEqual(['(direct)', 'model-router']);
    const text = runReport(configPath, [], false);
    expect(text).toContain('small-sim');
    const csv = (runReport(configPath, ['--csv'], false) as string)
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(',').slice(0, 2));
    expect(csv).toEqual([
      ['model', 'requests'],
      ['small-sim', '8'],
      ['big-sim', '4'],
      ['(total)', '12'],
    ]);
    // Attribution: by tag, by end user, and one tag's spend by model.
    const byTag = runReport(configPath, ['--by', 'tag']) as {
      groups: { key: string; requests: number }[];
    };
    expect(byTag.groups.map((g) => [g.key, g.requests])).toEqual([
      ['(untagged)', 8],
      ['nightly-batch', 4],
    ]);
    const byUser = runReport(configPath, ['--by', 'user']) as {
      groups: { key: string; requests: number }[];
    };
    expect(byUser.groups.map((g) => [g.key, g.requests])).toEqual([
      ['(no user)', 6],
      ['alice', 6],
    ]);
    const batch = runReport(configPath, ['--tag', 'nightly-batch', '--user', 'alice']) as {
      requests: number;
      filter: unknown;
      groups: { key: string; requests: number }[];
    };
    // i = 0, 6 (model-router → small-sim) and i = 0…11 with i % 6 === 0 only: 0 and 6.
    expect(batch.requests).toBe(2);
    expect(batch.filter).toEqual({ tag: 'nightly-batch', endUser: 'alice' });
    const untilLongAgo = runReport(configPath, [
      '--since',
      '2019-06-01',
      '--until',
      '2020-01-01',
    ]) as { requests: number };
    expect(untilLongAgo.requests).toBe(0);
    expect(() => runReport(configPath, ['--by', 'colour'])).toThrow(/--by must be one of/);
    const sim = JSON.parse(
      runCli(['simulate', '--since', '1h', '--mode', 'quality', '--json', '--config', configPath]),
    );
    expect(sim.requests).toBe(8);
    expect(sim.happened.share).toEqual({ small: 1 });
    expect(
      Object.values(sim.simulated.share).reduce((a: number, b) => a + (b as number), 0),
    ).toBeCloseTo(1);
    expect(sim.simulated.predicted_cost_usd).toBeGreaterThan(0);
    // Replayed in the mode they were routed in, the logged prompts go where they went.
    expect(sim.replayed_as_logged.agreement).toBe(1);
    expect(sim.replayed_as_logged.predicted_cost_usd).toBeCloseTo(
      sim.happened.predicted_cost_usd,
      12,
    );
  }, 60_000);
});

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
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: i < 8 ? 'model-router' : 'big',
          messages: [{ role: 'user', content: `question ${i}` }],
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

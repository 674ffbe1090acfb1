// `compare` and `distribution` against a running router (the built CLI and server, simulated fleet).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../../src/reporting/compare-run.js';
import { loadRows } from '../../training/load-rows.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run('./bin/model-router', args, { encoding: 'utf8', timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('compare and distribution CLIs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-compare-'));
  const config = testConfigInput({
    requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db'), storeText: true },
  });
  // `small` is like a routing model: scored.jsonl scores it under that model's name.
  config.deployments = config.deployments!.map((d) =>
    d.name === 'small' ? { ...d, like: 'small-model' } : d,
  );
  let server: SpawnedServer;
  const prompts = [
    { id: 'p1', prompt: 'What is 2+2? Answer with the number.', reference: '4', source: 'math' },
    { id: 'p2', prompt: 'Write a python function that reverses a list.', source: 'code' },
    {
      id: 'p3',
      prompt: 'Name a colour of the sky.',
      scores: { big: 0.9, small: 0.4 },
      source: 'chat',
    },
    { id: 'p4', messages: [{ role: 'user', content: 'Say hi.' }], scores: { big: 1, small: 0.5 } },
  ];

  beforeAll(async () => {
    server = await spawnServer(config);
    writeFileSync(join(dir, 'prompts.jsonl'), prompts.map((p) => JSON.stringify(p)).join('\n'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends every prompt to every target and mode, and writes JSON, CSV and an HTML report', async () => {
    const out = join(dir, 'out');
    const r = await cli([
      'compare',
      '--endpoint',
      server.baseUrl,
      '--prompts',
      join(dir, 'prompts.jsonl'),
      '--targets',
      'model-router,big,small,ghost',
      '--modes',
      'quality,cost',
      '--concurrency',
      '3',
      '--score-as',
      'big=big-model',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model-router \(quality\)/);
    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as CompareResult;
    expect(result.rows).toHaveLength(prompts.length * 5);
    const runOf = (label: string) => result.runs.find((x) => x.run === label)!;
    expect(result.runs.map((x) => x.run)).toEqual([
      'model-router (quality)',
      'model-router (cost)',
      'big',
      'small',
      'ghost',
    ]);
    // Direct targets serve themselves; costs come from the endpoint's published prices.
    expect(runOf('big').served).toEqual({ 'big-sim': 4 });
    expect(runOf('big').cost_known).toBe(4);
    expect(runOf('big').mean_cost_usd!).toBeGreaterThan(runOf('small').mean_cost_usd! * 10);
    // Quality: the file's scores for what served (p3, p4) and the reference for p1 when graded.
    const bigRows = result.rows.filter((x) => x.run === 'big');
    expect(bigRows.find((x) => x.prompt_id === 'p3')!.quality).toBe(0.9);
    expect(bigRows.find((x) => x.prompt_id === 'p4')!.quality).toBe(1);
    expect(bigRows.find((x) => x.prompt_id === 'p2')!.quality).toBeUndefined();
    expect([0, 1]).toContain(bigRows.find((x) => x.prompt_id === 'p1')!.quality);
    // The router answered in the mode asked, and says so.
    for (const mode of ['quality', 'cost'])
      for (const row of result.rows.filter((x) => x.run === `model-router (${mode})`)) {
        expect(row.ok).toBe(true);
        expect(row.mode_served).toBe(mode);
        expect(['big-sim', 'mid-sim', 'small-sim']).toContain(row.served_model);
        expect(row.ttft_ms).toBeGreaterThanOrEqual(0);
      }
    // A missing deployment is a recorded error, not a crash.
    expect(runOf('ghost')).toMatchObject({ ok: 0, requests: 4, error_rate: 1 });
    expect(result.rows.find((x) => x.run === 'ghost')!.error).toMatch(/^404: .*ghost/);

    // The graded answers as routing data: plain targets only, under --score-as's name, else the
    // model their deployment is like:, else their own.
    const scored = loadRows(join(out, 'scored.jsonl'), () => {});
    expect(scored.map((x) => x.id)).toEqual(['p1', 'p3', 'p4']);
    expect(Object.keys(scored[0]!.scores).sort()).toEqual(['big-model', 'small-model']);
    const p3 = scored.find((x) => x.id === 'p3')!;
    expect(p3.scores).toEqual({ 'big-model': 0.9, 'small-model': 0.4 });
    expect(r.stderr).toContain('scored.jsonl scores small as small-model');
    expect(p3.source).toBe('chat');
    expect(p3.prompt).toBe('Name a colour of the sky.');
    expect(p3.costUsd!['big-model']).toBe(bigRows.find((x) => x.prompt_id === 'p3')!.cost_usd);
    expect(p3.outChars!['small-model']).toBe(
      result.rows.find((x) => x.run === 'small' && x.prompt_id === 'p3')!.answer_chars,
    );
    expect(r.stdout).toMatch(/scored\.jsonl \(3 graded prompts\)/);
    // compare's own scored.jsonl grades the same targets again: its scores name small by the
    // routing model's name (until 2026-12-06 read only under a deployment's or target's name).
    const again = join(dir, 'again');
    const rerun = await cli([
      'compare',
      '--endpoint',
      server.baseUrl,
      '--prompts',
      join(out, 'scored.jsonl'),
      '--targets',
      'big,small',
      '--out',
      again,
    ]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const regraded = JSON.parse(readFileSync(join(again, 'results.json'), 'utf8')) as typeof result;
    expect(
      regraded.rows.filter((x) => x.run === 'small' && x.prompt_id === 'p3').map((x) => x.quality),
    ).toEqual([0.4]);

    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + prompts.length * 5);
    expect(csv[0]).toMatch(/^prompt_id,run,target,/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Routing distribution');
    expect(html).toContain('model-router (cost)');

    // Distribution over the compare run: routed rows only, bucketed by the file's sources.
    const d = await cli(['distribution', '--compare', join(out, 'results.json'), '--json']);
    expect(d.code, d.stderr).toBe(0);
    const table = JSON.parse(d.stdout) as { by: string; rows: { bucket: string; total: number }[] };
    expect(table.by).toBe('source');
    expect(table.rows.reduce((a, x) => a + x.total, 0)).toBe(prompts.length * 2);
    expect(table.rows.map((x) => x.bucket).sort()).toEqual(['(no source)', 'chat', 'code', 'math']);
  });

  it('distribution reads the request log: routed requests by mode, with an HTML chart', async () => {
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    // The log is flushed in batches: wait until the routed requests are on disk.
    let table: { by: string; rows: { bucket: string; total: number }[] } = { by: '', rows: [] };
    for (let i = 0; i < 50; i++) {
      const d = await cli([
        'distribution',
        '--config',
        configPath,
        '--since',
        '1h',
        '--by',
        'mode',
        '--json',
      ]);
      expect(d.code, d.stderr).toBe(0);
      table = JSON.parse(d.stdout) as typeof table;
      if (table.rows.reduce((a, x) => a + x.total, 0) >= prompts.length * 2) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(table.by).toBe('mode');
    expect(Object.fromEntries(table.rows.map((x) => [x.bucket, x.total]))).toEqual({
      quality: prompts.length,
      cost: prompts.length,
    });
    const html = join(dir, 'dist.html');
    const k = await cli([
      'distribution',
      '--config',
      configPath,
      '--since',
      '1h',
      '--by',
      'kind',
      '--out',
      html,
    ]);
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout).toMatch(/by kind/);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  });

  it('bad input gets a clear message: exit 1 for a bad file, 2 for a bad option', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"prompt":"ok"}\n{"prompt": 42}\n');
    const r = await cli([
      'compare',
      '--endpoint',
      server.baseUrl,
      '--prompts',
      bad,
      '--targets',
      'big',
    ]);
    // A file's fault is an error (exit 1), as in the other commands (ML audit F5, 2026-12-06).
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl:2: needs "prompt"/);
    const m = await cli([
      'compare',
      '--endpoint',
      server.baseUrl,
      '--prompts',
      bad,
      '--targets',
      'big',
      '--modes',
      'fast',
    ]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--modes: "fast" is not one of balanced, quality, cost/);
    const e = await cli([
      'compare',
      '--endpoint',
      'localhost:1',
      '--prompts',
      bad,
      '--targets',
      'big',
    ]);
    expect(e.stderr).toMatch(/--endpoint must be an http\(s\) URL/);
    // Past Node's longest timer a deadline fires at once and aborts every request: refused.
    const prompts = join(dir, 'one.jsonl');
    writeFileSync(prompts, '{"prompt":"ok"}\n');
    for (const [option, value, said] of [
      ['--timeout-ms', '3000000000', '--timeout-ms must be at most 2147483647'],
      ['--max-minutes', '40000', '--max-minutes must be at most 35791'],
    ] as const) {
      const long = await cli([
        'compare',
        '--endpoint',
        server.baseUrl,
        '--prompts',
        prompts,
        '--targets',
        'big',
        option,
        value,
      ]);
      expect(long.code, option).toBe(2);
      expect(long.stderr, option).toContain(said);
    }
  });
});

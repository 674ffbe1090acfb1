#!/usr/bin/env node
// `npm run bench`: the shared loopback harness (../shared/bench/compare.sh) with this router as the
// third column: direct vs Portkey vs router, the router forwarding to the harness's mock upstream
// ($MOCK_BASE_URL) through a deployment named gpt-4o-mini. Leaves report.md and results.jsonl in
// $OUT_DIR. BENCH_FULL=1 turns request logging (SQLite), metrics and info-level logs on.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const compare = resolve(root, '../shared/bench/compare.sh');
const full = process.env.BENCH_FULL === '1';
const port = Number(process.env.ROUTER_PORT ?? 18090);
const outDir =
  process.env.OUT_DIR ??
  join(tmpdir(), 'bench-out', `router-${full ? 'full' : 'lean'}-${Date.now()}`);
mkdirSync(outDir, { recursive: true });

execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

const config = {
  server: { host: '127.0.0.1', port, logLevel: full ? 'info' : 'warn' },
  deployments: [
    {
      name: 'gpt-4o-mini',
      provider: 'openai-compatible',
      model: 'gpt-4o-mini',
      baseUrl: '${env:MOCK_BASE_URL}',
      prices: { inputPer1M: 0.15, cachedInputPer1M: 0.075, outputPer1M: 0.6 },
      contextWindow: 128000,
      maxOutputTokens: 16384,
    },
  ],
  requestLog: full ? { kind: 'sqlite', sqlitePath: join(outDir, 'requests.db') } : { kind: 'none' },
  telemetry: { metrics: full },
};
const configPath = join(outDir, 'bench-config.json');
writeFileSync(configPath, JSON.stringify(config, null, 2));

const env = {
  ...process.env,
  OUT_DIR: outDir,
  ROUTER_URL: `http://127.0.0.1:${port}`,
  ROUTER_LABEL: process.env.ROUTER_LABEL ?? (full ? 'router (log+metrics on)' : 'router'),
  ROUTER_CMD: `node ${join(root, 'dist/src/main.js')} --config ${configPath} --port ${port}`,
};
process.stderr.write(`[bench] config ${configPath}\n[bench] results in ${outDir}\n`);
const r = spawnSync('bash', [compare], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);

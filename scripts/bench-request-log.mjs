// The request log's cost under load (docs/benchmarks.md "The request log off the event loop"):
// starts a build's dist/src/main.js on the default config with its chat deployments on the bench's
// loopback mock (../shared/bench/mock-upstream.mjs, LATENCY_MS, default 50), the SQLite request log
// on (`full`) or off (`lean`), Prometheus metrics on, routers' rate limits lifted; drives CONNS
// (64) connections of routed chat requests for 3 s, then SECONDS more, counted; prints one JSON
// line: req/s, client latency percentiles (ms), the server's CPU a request (its
// process_cpu_seconds_total, every thread's), and the event loop's delay over the counted run
// (prom-client's monitorEventLoopDelay: its p50 is its 10 ms resolution). PIN=1 runs the router on
// CPU 1 (run this script under `taskset -c 0`; a pinned router writes its log on the loop). Every process it starts is stopped by pid; its
// scratch folder is removed unless KEEP=1.
// usage: node scripts/bench-request-log.mjs full|lean [port=47480] [seconds=10] [dist=./dist]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const root = new URL('..', import.meta.url).pathname;
const require = createRequire(join(root, 'package.json'));
const { parse } = require('yaml');
const { Pool } = require('undici');
const [mode = 'full', portArg = '47480', secs = '10', dist = join(root, 'dist')] =
  process.argv.slice(2);
if (mode !== 'full' && mode !== 'lean')
  throw new Error('usage: bench-request-log.mjs full|lean [port] [seconds] [dist]');
const port = Number(portArg);
const scratch = mkdtempSync(join(tmpdir(), 'lagprobe-'));
const config = parse(readFileSync(join(root, 'config/default.yaml'), 'utf8'));
config.server.logLevel = 'warn';
for (const r of config.routers) r.rateLimit = {};
const mockPort = port + 1;
const mock = spawn('node', [join(root, '../shared/bench/mock-upstream.mjs')], {
  stdio: 'ignore',
  env: { ...process.env, PORT: String(mockPort), LATENCY_MS: process.env.LATENCY_MS ?? '50' },
});
const chatDeployments = new Set(config.routers.flatMap((r) => r.modelSubset));
for (const d of config.deployments)
  if (chatDeployments.has(d.name)) {
    delete d.simulation;
    delete d.batchApi;
    Object.assign(d, { provider: 'openai-compatible', baseUrl: `http://127.0.0.1:${mockPort}/v1` });
  }
config.requestLog =
  mode === 'full' ? { kind: 'sqlite', sqlitePath: join(scratch, 'requests.db') } : { kind: 'none' };
config.telemetry = { ...(config.telemetry ?? {}), metrics: true };
const cfgPath = join(scratch, 'cfg.json');
writeFileSync(cfgPath, JSON.stringify(config));
const child = spawn(
  process.env.PIN ? 'taskset' : 'node',
  [
    ...(process.env.PIN ? ['-c', '1', 'node'] : []),
    join(dist, 'src/main.js'),
    '--config',
    cfgPath,
    '--port',
    String(port),
  ],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MODEL_ROUTER_ADMIN_KEY: 'probe-admin' },
  },
);
let err = '';
child.stderr.on('data', (d) => (err += d));
child.on('exit', (code) => {
  if (code) process.stderr.write(`router exited ${code}: ${err.slice(-2000)}\n`);
});
const stop = () => {
  try {
    child.kill('SIGKILL');
    mock.kill('SIGKILL');
  } catch {
    // already gone
  }
  if (!process.env.KEEP) rmSync(scratch, { recursive: true, force: true });
  else console.error('kept', scratch);
};
process.on('exit', stop);
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: Number(process.env.CONNS ?? 64) });
for (let i = 0; i < 200; i++) {
  try {
    const r = await pool.request({ path: '/readyz', method: 'GET' });
    await r.body.text();
    if (r.statusCode === 200) break;
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 250));
}
const metrics = async () => {
  const r = await pool.request({ path: '/metrics', method: 'GET' });
  return r.body.text();
};
const pick = (text, name) => {
  const m = text.match(new RegExp(`^${name} ([0-9.e+-]+)`, 'm'));
  return m ? Number(m[1]) : NaN;
};
let n = 0;
const body = (i) =>
  JSON.stringify({
    model: process.env.MODEL ?? 'model-router',
    messages: [
      {
        role: 'user',
        content: `Question ${i}: explain briefly why the sky is blue, and what Rayleigh scattering means for sunsets number ${i}.`,
      },
    ],
  });
async function run(ms, lat) {
  const end = Date.now() + ms;
  let c = 0;
  await Promise.all(
    Array.from({ length: Number(process.env.CONNS ?? 64) }, async () => {
      while (Date.now() < end) {
        const t = performance.now();
        const r = await pool.request({
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(n++),
        });
        await r.body.text();
        if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
        if (lat) lat.push(performance.now() - t);
        c++;
      }
    }),
  );
  return c;
}
await run(3000);
const before = await metrics();
const lat = [];
const t0 = Date.now();
const count = await run(Number(secs) * 1000, lat);
const el = (Date.now() - t0) / 1000;
const after = await metrics();
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
const cpu =
  pick(after, 'model_router_process_process_cpu_seconds_total') -
  pick(before, 'model_router_process_process_cpu_seconds_total');
console.log(
  JSON.stringify({
    mode,
    dist,
    rps: +(count / el).toFixed(0),
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: q(0.9999),
    cpuUsPerReq: +((cpu / count) * 1e6).toFixed(0),
    lagMaxMs: +(
      pick(after, 'model_router_process_nodejs_eventloop_lag_max_seconds') * 1000
    ).toFixed(1),
    lagP99Ms: +(
      pick(after, 'model_router_process_nodejs_eventloop_lag_p99_seconds') * 1000
    ).toFixed(1),
    lagP50Ms: +(
      pick(after, 'model_router_process_nodejs_eventloop_lag_p50_seconds') * 1000
    ).toFixed(1),
  }),
);
await pool.close();
stop();
process.exit(0);

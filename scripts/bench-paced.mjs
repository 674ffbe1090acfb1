#!/usr/bin/env node
// `npm run bench:paced`: the router's own cost a request when requests come one at a time, a gap
// apart, so that its code and data have gone cold between them (as a lone client's requests find
// them; `npm run bench`'s c1 rows send back to back). Starts the built router (dist/) on
// 127.0.0.1 with the default config's simulated fleet answering at once (`ttftMs: 1`, 100,000
// tokens/s, no router rate limit, the request log in a scratch folder), warms it up with WARMUP
// requests 8 at a time, then sends COUNT requests a phase, one at a time, GAP_MS apart: routed
// JSON (`model-router`), routed streams, and JSON to a deployment by name. Prints, a phase, the
// router's `x-router-overhead-ms` (p50/p90/p99: from the body read to the reply, less upstream
// waits; a stream's up to its first byte) and the server process's CPU a request (its
// `/metrics` process_cpu_seconds_total over the phase, less one scrape and less what it spends
// idle over as long, measured for IDLE_MS before the phases; it counts all the process does for
// the requests: Node's HTTP parse, Fastify's hooks, the simulated upstream, the kernel's socket
// work, the request log's writes).
//
//   node scripts/bench-paced.mjs [<baseline dist/>]
//
// With a baseline (another build's dist/, inside a checkout or a copy of one: it reads
// ../models and ../config beside it), the two builds run alternately ROUNDS times (each run a
// fresh process; order new, base, base, new, …) and it prints each one's mean and range and the
// ratios new / base. Environment: COUNT (150), GAP_MS (60), WARMUP (400), ROUNDS (3 with a
// baseline, else 1), PHASES (routed,stream,named), PORT (18092; the baseline PORT + 1), LOG_LEVEL
// (warn), IDLE_MS (3000), CPU_PROF=<dir> (node --cpu-prof of each server into <dir>;
// CPU_PROF_INTERVAL its sampling interval in µs: the profile's own CPU counts), MAX_SECONDS (900),
// UPSTREAM=http (the chat deployments OpenAI-compatible ones on a loopback mock upstream in this
// process, on PORT + 2, instead of the simulated fleet).
// Every server it starts is stopped by its pid, also when it is interrupted.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const COUNT = Number(env.COUNT ?? 150);
const GAP_MS = Number(env.GAP_MS ?? 60);
const WARMUP = Number(env.WARMUP ?? 400);
const IDLE_MS = Number(env.IDLE_MS ?? 3000);
const PORT = Number(env.PORT ?? 18092);
const PHASES = (env.PHASES ?? 'routed,stream,named').split(',').filter(Boolean);
const baseDist = process.argv[2] ? resolve(process.argv[2]) : undefined;
const ROUNDS = Number(env.ROUNDS ?? (baseDist ? 3 : 1));
const deadline = Date.now() + Number(env.MAX_SECONDS ?? 900) * 1000;
const builds = [{ label: 'new', dist: join(root, 'dist'), port: PORT }];
if (baseDist) builds.push({ label: 'base', dist: baseDist, port: PORT + 1 });
for (const b of builds)
  if (!existsSync(join(b.dist, 'src/main.js')))
    throw new Error(`${b.dist}/src/main.js is missing: build first (npm run build)`);

const scratch = mkdtempSync(join(tmpdir(), 'bench-paced-'));
const config = parseYaml(readFileSync(join(root, 'config/default.yaml'), 'utf8'));
config.server.logLevel = env.LOG_LEVEL ?? 'warn';
for (const r of config.routers) r.rateLimit = {};
for (const d of config.deployments)
  if (d.simulation) Object.assign(d.simulation, { ttftMs: 1, tokensPerSecond: 100000 });
// UPSTREAM=http: the chat deployments are OpenAI-compatible ones on a loopback mock in this
// process (undici, the adapter's request and reply parsing: a real upstream's path), so the
// server's CPU is the router's alone.
const MOCK_PORT = PORT + 2;
const chatDeployments = new Set(config.routers.flatMap((r) => r.modelSubset));
if (env.UPSTREAM === 'http')
  for (const d of config.deployments)
    if (chatDeployments.has(d.name)) {
      delete d.simulation;
      delete d.batchApi;
      Object.assign(d, {
        provider: 'openai-compatible',
        baseUrl: `http://127.0.0.1:${MOCK_PORT}/v1`,
      });
    }
const PHASE_BODY = {
  routed: { model: 'model-router' },
  stream: { model: 'model-router', stream: true },
  named: { model: 'gpt-4.1-mini' },
};
for (const p of PHASES) if (!PHASE_BODY[p]) throw new Error(`unknown phase ${p}`);

/** Children still running, stopped by pid on the way out. */
const running = new Set();
const stopAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.on('exit', stopAll);
for (const s of ['SIGINT', 'SIGTERM'])
  process.once(s, () => {
    stopAll();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  });

/** The loopback upstream of UPSTREAM=http: a short answer, JSON or SSE, at once. */
function startMockUpstream() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      const base = { id: 'chatcmpl-mock', created: 1, model: body.model };
      const usage = { prompt_tokens: 50, completion_tokens: 5, total_tokens: 55 };
      if (!body.stream) {
        const message = { role: 'assistant', content: 'The answer is here.' };
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, message, finish_reason: 'stop' }],
            usage,
          }),
        );
        return;
      }
      res.setHeader('content-type', 'text/event-stream');
      const chunk = (choices, extra) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
      res.end(
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]) +
          chunk([{ index: 0, delta: { content: 'The answer is here.' }, finish_reason: null }]) +
          chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]) +
          chunk([], { usage }) +
          'data: [DONE]\n\n',
      );
    });
  });
  return new Promise((ready) => server.listen(MOCK_PORT, '127.0.0.1', () => ready(server)));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const WORDS =
  'explain why the integral of a smooth function over a closed interval exists then write a short python function that sorts a list of records by date and name'.split(
    ' ',
  );
let promptNo = 0;
/** A new ~200-character prompt each call, so no cache of the router's sees it twice. */
function prompt() {
  const n = promptNo++;
  let text = `Request ${n}:`;
  for (let i = 0; text.length < 200; i++) text += ' ' + WORDS[(n * 7 + i * 3) % WORDS.length];
  return text;
}

function request(port, method, path, body) {
  return new Promise((done, fail) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          done({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function chat(port, phase) {
  const body = {
    ...PHASE_BODY[phase],
    messages: [{ role: 'user', content: prompt() }],
    max_tokens: 16,
  };
  const res = await request(port, 'POST', '/v1/chat/completions', body);
  if (res.status !== 200) throw new Error(`${phase}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return Number(res.headers['x-router-overhead-ms']);
}

async function cpuSeconds(port) {
  const res = await request(port, 'GET', '/metrics');
  const m = /^\w*process_cpu_seconds_total(?:\{[^}]*\})? (\S+)$/m.exec(res.body);
  if (!m) throw new Error('no process_cpu_seconds_total in /metrics');
  return Number(m[1]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function startServer(build, run) {
  const dir = join(scratch, `${build.label}-${run}`);
  mkdirSync(dir, { recursive: true });
  const cfg = structuredClone(config);
  // As `npm start` keeps it: in ./data, not beside the config file (whose folder is watched).
  cfg.requestLog = { ...cfg.requestLog, sqlitePath: join(dir, 'data', 'requests.db') };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(cfg));
  const args = [];
  if (env.CPU_PROF) {
    mkdirSync(env.CPU_PROF, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${resolve(env.CPU_PROF)}`);
    args.push(`--cpu-prof-name=${build.label}-${run}-${Date.now()}.cpuprofile`);
    if (env.CPU_PROF_INTERVAL) args.push(`--cpu-prof-interval=${env.CPU_PROF_INTERVAL}`);
  }
  args.push(join(build.dist, 'src/main.js'), '--config', configPath, '--port', String(build.port));
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  await new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`no start in 30 s: ${stderr}`)), 30_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => fail(new Error(`server exited (${code}): ${stderr}`)));
  });
  return child;
}

async function stopServer(child) {
  if (child.exitCode !== null) return running.delete(child);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

/** One fresh server: warm-up, then each phase paced; returns { phase: { overhead, cpuMicros } }. */
async function runOnce(build, run) {
  const child = await startServer(build, run);
  try {
    let next = 0;
    const phases = PHASES;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < WARMUP) await chat(build.port, phases[next++ % phases.length]);
      }),
    );
    await sleep(500);
    // What the process spends idle (timers, the event-loop monitor), per ms, taken off below.
    const idleFrom = await cpuSeconds(build.port);
    const idleAt = performance.now();
    await sleep(IDLE_MS);
    const idlePerMs = ((await cpuSeconds(build.port)) - idleFrom) / (performance.now() - idleAt);
    const out = { idleMicrosPerSecond: idlePerMs * 1e6 * 1000 };
    for (const phase of phases) {
      const a = await cpuSeconds(build.port);
      const b = await cpuSeconds(build.port); // a scrape's own CPU, taken off below
      const from = performance.now();
      const overheads = [];
      for (let i = 0; i < COUNT && Date.now() < deadline; i++) {
        await sleep(GAP_MS);
        overheads.push(await chat(build.port, phase));
      }
      const c = await cpuSeconds(build.port);
      const idle = idlePerMs * (performance.now() - from);
      overheads.sort((x, y) => x - y);
      out[phase] = {
        p50: quantile(overheads, 0.5),
        p90: quantile(overheads, 0.9),
        p99: quantile(overheads, 0.99),
        cpuMicros: ((c - b - (b - a) - idle) * 1e6) / overheads.length,
      };
    }
    return out;
  } finally {
    await stopServer(child);
  }
}

const fmt = (x, digits) => x.toFixed(digits);
const results = Object.fromEntries(builds.map((b) => [b.label, []]));
process.stderr.write(
  `[bench-paced] ${COUNT} requests a phase, ${GAP_MS} ms apart, after ${WARMUP} to warm up; ` +
    `${ROUNDS} round(s); scratch ${scratch}\n`,
);
const mock = env.UPSTREAM === 'http' ? await startMockUpstream() : undefined;
for (let round = 0; round < ROUNDS && Date.now() < deadline; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const build of order) {
    const r = await runOnce(build, round);
    results[build.label].push(r);
    const line = PHASES.map(
      (p) =>
        `${p} p50 ${fmt(r[p].p50, 3)} p99 ${fmt(r[p].p99, 3)} ms, ${fmt(r[p].cpuMicros, 0)} µs CPU`,
    ).join(' | ');
    const idle = `idle ${fmt(r.idleMicrosPerSecond / 1000, 1)} ms CPU/s`;
    process.stdout.write(`${build.label.padEnd(4)} run ${round + 1}: ${line} | ${idle}\n`);
  }
}

const stats = (xs) => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean, min: Math.min(...xs), max: Math.max(...xs) };
};
const rows = [];
for (const phase of PHASES)
  for (const [key, name, digits] of [
    ['p50', 'overhead p50 ms', 3],
    ['p90', 'overhead p90 ms', 3],
    ['p99', 'overhead p99 ms', 3],
    ['cpuMicros', 'CPU µs a request', 0],
  ]) {
    const cells = builds.map((b) => stats(results[b.label].map((r) => r[phase][key])));
    const row = [`${phase} ${name}`];
    for (const s of cells)
      row.push(`${fmt(s.mean, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`);
    if (cells.length === 2) row.push(`${fmt(cells[0].mean / cells[1].mean, 2)}×`);
    rows.push(row);
  }
const header = ['', ...builds.map((b) => `${b.label} mean (range)`)];
if (builds.length === 2) header.push('new / base');
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [header, ...rows])
  process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n');
agent.destroy();
mock?.close();
rmSync(scratch, { recursive: true, force: true });

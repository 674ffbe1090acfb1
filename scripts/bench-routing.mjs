#!/usr/bin/env node
// Routing-decision latency: the trained router deciding for a ~2k-token prompt over 10 candidate
// deployments (features + 10 predictions + pick), against the placeholder router in the same run
// as a baseline. Prompts of 8,800 characters: real text, a different one each decision (the
// arenabench fixture's prompts run together and cut into 8,800-character windows: about 850
// distinct hashed n-grams each, so the heads' weights are read from all over memory, as in a
// server where every request is new); the same real prompt every decision; and a few words repeated
// (73 distinct n-grams, warm in the cache: the bench's only prompt until 2026-12-01); and, since
// feature version 6, the same real text in a script without spaces (its English words as CJK
// ideographs, scripts/unspaced-script-copy.mjs), a new ~2k-token window each decision (1,600
// characters; CJK_CHARS sets another length). Prints p50/p95/p99 in µs. Run after
// `npm run build`: node scripts/bench-routing.mjs
//
// Side by side: `AGAINST=<other checkout>/dist node scripts/bench-routing.mjs` also loads that
// build (built there with `npm run build`) into this process and times both deciding on new real
// prompts in alternated blocks of 500 decisions, 40 blocks each, so both see the same machine:
// on a shared VM whose speed drifts between runs, separate runs of two builds cannot tell a few
// microseconds apart. Prints both rows and their ratios.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deploymentSchema } from '../dist/src/config/deployment-schema.js';
import { routerSchema } from '../dist/src/config/schema.js';
import { createCheapestCapableRouter } from '../dist/src/routing/cheapest-capable-router.js';
import { DEFAULT_MODELS_DIR } from '../dist/src/routing/router-factory.js';
import { loadArtefactFile, resolveArtefactPath } from '../dist/src/routing/artefact-files.js';
import { createTrainedRouter } from '../dist/src/routing/trained-router.js';
import { unspacedCopy } from './unspaced-script-copy.mjs';

// Candidates are like the llmrouter group's models, as the default fleet's are (2^16 weights per
// head); GROUP=arenabench (say) draws them from another data group (2^14 weights per head).
const artefact = loadArtefactFile(resolveArtefactPath(DEFAULT_MODELS_DIR, process.env.VERSION ?? 'latest'));
const group = process.env.GROUP ?? 'llmrouter';
const likes = artefact.groups.find((g) => g.name.startsWith(group))?.models ?? artefact.models.map((m) => m.name);
console.log(`artefact ${artefact.version}, candidates like the ${group} group's models`);
const candidates = Array.from({ length: 10 }, (_, i) =>
  deploymentSchema.parse({
    name: `d${i}`,
    provider: 'simulated',
    model: `m${i}`,
    like: likes[i % likes.length],
    prices: { inputPer1M: 0.1 * (i + 1), outputPer1M: 0.4 * (i + 1) },
    contextWindow: 128000,
    maxOutputTokens: 4096,
  }),
);
const router = routerSchema.parse({ modelSubset: candidates.map((c) => c.name) });
const words = 'the integral of a function over an interval measures the signed area between its graph and the axis while code such as def f(x): return x * 2 computes values'.split(' ');
let repeated = '';
for (let i = 0; repeated.length < 8800; i++) repeated += words[(i * 7) % words.length] + (i % 17 === 16 ? '.\n' : ' ');
let corpus = '';
for (const line of readFileSync(new URL('../test/fixtures/routing/arenabench_v1.jsonl', import.meta.url), 'utf8').split('\n'))
  if (line) corpus += JSON.parse(line).prompt + '\n';
const windows = [];
for (let at = 0; at + 8800 <= corpus.length; at += 8800) windows.push(corpus.slice(at, at + 8800));
const inputOf = (text) => ({
  request: { model: 'model-router', messages: [{ role: 'system', content: 'You are a careful assistant.' }, { role: 'user', content: text }] },
  router,
  mode: 'balanced',
  candidates,
  promptTokens: 2000,
});
const realInputs = windows.map(inputOf);
// ~2k tokens of text with no spaces: 1,600 ideographs are about 2,100 tokens (gpt-tokenizer).
const cjkChars = Number(process.env.CJK_CHARS ?? 1600);
const cjk = unspacedCopy(corpus);
const cjkInputs = [];
for (let at = 0; at + cjkChars <= cjk.length; at += cjkChars) cjkInputs.push(inputOf(cjk.slice(at, at + cjkChars)));
let inputs = realInputs;

// Steady state, as in a running server: 3,000 decisions of warm-up (the JIT has optimised the hot
// path by then), then 20,000 timed ones.
function measure(r, n = 20_000) {
  for (let i = 0; i < 3000; i++) r.decide(inputs[i % inputs.length]);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const input = inputs[i % inputs.length];
    const s = performance.now();
    r.decide(input);
    t[i] = (performance.now() - s) * 1000;
  }
  t.sort();
  return { p50: t[Math.floor(n * 0.5)], p95: t[Math.floor(n * 0.95)], p99: t[Math.floor(n * 0.99)] };
}

// The machine's own tail: a plain arithmetic loop tuned to the trained router's median, timed the
// same way. On a shared 2-core VM a stall of tens of µs arrives about once per ms of CPU, so any
// 40 µs piece of work has a p95/p99 near twice its median; this shows how much of the router's
// tail is the machine's.
let spinSink = 0;
function spinner(work) {
  return {
    decide() {
      let x = spinSink;
      for (let i = 0; i < work; i++) x = (x * 1664525 + 1013904223) | 0;
      spinSink = x;
    },
  };
}
function spinOfMedian(p50) {
  let work = 1000;
  for (let round = 0; round < 6; round++) {
    const m = measure(spinner(work), 2000).p50;
    work = Math.max(1, Math.round((work * p50) / Math.max(m, 0.01)));
  }
  return spinner(work);
}

const trainedRouter = createTrainedRouter(artefact);
const trained = measure(trainedRouter);
const baseline = measure(createCheapestCapableRouter());
const spin = measure(spinOfMedian(trained.p50));
inputs = realInputs.slice(0, 1);
const samePrompt = measure(trainedRouter);
inputs = [inputOf(repeated)];
const repeatedWords = measure(trainedRouter);
inputs = cjkInputs;
const cjkPrompts = measure(trainedRouter);
const row = (label, m) => `${label.padEnd(44)} p50 ${m.p50.toFixed(1)} µs  p95 ${m.p95.toFixed(1)} µs  p99 ${m.p99.toFixed(1)} µs`;
console.log(`prompts of 8800 chars (~2k tokens), 10 candidates, ${artefact.version}`);
console.log(row(`trained router, a new real prompt each (${windows.length})`, trained));
console.log(row('trained router, the same real prompt', samePrompt));
console.log(row('trained router, a few words repeated', repeatedWords));
console.log(row(`trained router, a new CJK prompt each (${cjkInputs.length} × ${cjkChars} chars)`, cjkPrompts));
console.log(row('placeholder', baseline));
console.log(`ratio trained (new real prompts)/placeholder p99 ${(trained.p99 / baseline.p99).toFixed(1)}×`);
console.log(row("plain loop of the router's median", spin) + " (the machine's tail)");
console.log(`ratio trained (new real prompts)/plain loop p99 ${(trained.p99 / spin.p99).toFixed(2)}×`);

// Side by side with another build (AGAINST=<its dist>), new real prompts, blocks alternated.
if (process.env.AGAINST) {
  const other = resolve(process.env.AGAINST);
  const load = (path) => import(pathToFileURL(`${other}/src/${path}`).href);
  const [dep, cfg, factory, model, trainedMod] = await Promise.all([
    load('config/deployment-schema.js'),
    load('config/schema.js'),
    load('routing/router-factory.js'),
    // Artefact files moved out of routing-model.js in the thirty-second session.
    load('routing/artefact-files.js').catch(() => load('routing/routing-model.js')),
    load('routing/trained-router.js'),
  ]);
  const otherArtefact = model.loadArtefactFile(
    model.resolveArtefactPath(factory.DEFAULT_MODELS_DIR, process.env.VERSION ?? 'latest'),
  );
  const otherCandidates = candidates.map((c) =>
    dep.deploymentSchema.parse({
      name: c.name,
      provider: c.provider,
      model: c.model,
      like: c.like,
      prices: { inputPer1M: c.prices.inputPer1M, outputPer1M: c.prices.outputPer1M },
      contextWindow: c.contextWindow,
      maxOutputTokens: c.maxOutputTokens,
    }),
  );
  const otherRouter = cfg.routerSchema.parse({ modelSubset: otherCandidates.map((c) => c.name) });
  const sides = [
    { label: `this build (${artefact.version})`, r: trainedRouter, inputs: realInputs, t: [] },
    {
      label: `${other} (${otherArtefact.version})`,
      r: trainedMod.createTrainedRouter(otherArtefact),
      inputs: windows.map((text) => ({ ...inputOf(text), router: otherRouter, candidates: otherCandidates })),
      t: [],
    },
  ];
  for (const s of sides) for (let i = 0; i < 3000; i++) s.r.decide(s.inputs[i % s.inputs.length]);
  let at = 0;
  for (let block = 0; block < 40; block++)
    for (let k = 0; k < 2; k++) {
      // Which side goes first alternates too, so neither always follows the other's cache use.
      const s = sides[(k + block) % 2];
      for (let i = 0; i < 500; i++) {
        const input = s.inputs[(at + i) % s.inputs.length];
        const t0 = performance.now();
        s.r.decide(input);
        s.t.push((performance.now() - t0) * 1000);
      }
      at += 500;
    }
  const stats = sides.map((s) => {
    const t = Float64Array.from(s.t).sort();
    return { p50: t[Math.floor(t.length * 0.5)], p95: t[Math.floor(t.length * 0.95)], p99: t[Math.floor(t.length * 0.99)] };
  });
  console.log(`side by side in one process, new real prompt each, 40 alternated blocks of 500:`);
  sides.forEach((s, k) => console.log(row(s.label, stats[k])));
  console.log(
    `ratio this/other p50 ${(stats[0].p50 / stats[1].p50).toFixed(3)}×  p99 ${(stats[0].p99 / stats[1].p99).toFixed(3)}×`,
  );
}

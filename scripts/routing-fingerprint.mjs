#!/usr/bin/env node
// What the trained router computes, as hashes, to show a speed change leaves every output the same
// to the bit: the features of the 16,968 shared training prompts (/work/shared/data/routing, or
// DATA=<dir>) and of 20,000 generated requests (several messages, text parts, surrogate pairs,
// lengths around the head/tail limits); every head's prediction for the shared prompts, from the
// serving banks and one head at a time; and the decisions (pick, order, band, reference, scores,
// reason) for both sets over four fleets (each data group's models, and one model of each group)
// in all three modes. Run after `npm run build`: node scripts/routing-fingerprint.mjs; with
// `AGAINST=<other checkout>/dist` it also loads that build into this process and says whether each
// hash agrees. VERSION=<v> picks the artefact (default latest).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dataDir = process.env.DATA ?? '/work/shared/data/routing';
const prompts = readdirSync(dataDir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) =>
    readFileSync(join(dataDir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).prompt),
  );

// Generated requests: a seeded generator, so every build sees the same ones.
function generator(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = generator(20261204);
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const odd = [
  '😀',
  '\ud83d',
  'naïve',
  '漢字の文',
  '—',
  '\t',
  '```js\nconst x = 1;\n```',
  '$x^2$',
  'A. 4\nB. 5',
];
function text() {
  const p = pick(prompts);
  const lengths = [0, 1, 40, 400, 2400, 2500, 2501, 3499, 3500, 3501, 6000, 12000];
  const want = pick(lengths) + Math.floor(random() * 20);
  let t = p.slice(Math.floor(random() * Math.max(1, p.length - want)));
  while (t.length < want) t += ' ' + pick(prompts);
  t = t.slice(0, want);
  if (random() < 0.3) {
    const at = Math.floor(random() * (t.length + 1));
    t = t.slice(0, at) + pick(odd) + t.slice(at);
  }
  return t;
}
const generated = Array.from({ length: 20_000 }, () => {
  const messages = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, k) => {
    const role =
      k === 0 && random() < 0.4
        ? 'system'
        : pick(['user', 'user', 'assistant', 'tool', 'developer']);
    const content =
      random() < 0.25
        ? Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
            type: 'text',
            text: text(),
          }))
        : text();
    return { role, content };
  });
  const request = { model: 'model-router', messages };
  if (random() < 0.2) request.reasoning_effort = pick(['low', 'medium', 'high']);
  if (random() < 0.2) request.max_tokens = pick([16, 256, 4096]);
  return request;
});

async function fingerprint(dist) {
  const load = (path) => import(pathToFileURL(`${dist}/src/${path}`).href);
  const [features, predict, files, factory, trainedMod, dep, cfg] = await Promise.all([
    load('routing/features.js'),
    load('routing/predict-quality.js'),
    load('routing/artefact-files.js'),
    load('routing/router-factory.js'),
    load('routing/trained-router.js'),
    load('config/deployment-schema.js'),
    load('config/schema.js'),
  ]);
  // The head banks live in routing/head-banks.js since 2026-12-04 (predict-quality.js before).
  const { headBanks } = predict.headBanks ? predict : await load('routing/head-banks.js');
  const artefact = files.loadArtefactFile(
    files.resolveArtefactPath(factory.DEFAULT_MODELS_DIR, process.env.VERSION ?? 'latest'),
  );
  const hashes = {};
  const hash = (name, fill) => {
    const h = createHash('sha256');
    fill((x) => h.update(x));
    hashes[name] = h.digest('hex').slice(0, 16);
  };
  const bytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const featureBytes = (f) => [
    bytes(f.indices),
    bytes(Float64Array.of(f.sparseValue, f.chars)),
    bytes(f.dense),
  ];
  const shared = prompts.map((p) => features.requestFromPrompt(p));
  hash('features of shared prompts', (up) => {
    for (const r of shared) for (const b of featureBytes(features.extractFeatures(r, true))) up(b);
  });
  hash('features of generated requests', (up) => {
    for (const r of generated)
      for (const b of featureBytes(features.extractFeatures(r, true))) up(b);
  });
  // Every head: pooled heads, their coverage heads, group pairs, gates, sources' heads and pairs.
  const heads = [
    ...artefact.models.flatMap((m) => [m, ...(m.coverage ? [m.coverage] : [])]),
    ...artefact.groups.flatMap((g) => [
      ...(g.pair ? [g.pair] : []),
      ...(g.experts ? [...g.experts.gate, ...g.experts.heads, ...(g.experts.pairs ?? [])] : []),
    ]),
  ];
  // Banks as the trained router builds them, and one bank of each group's heads of one kind.
  const banks = headBanks(
    artefact.groups.flatMap((g) => [
      [
        ...(g.experts?.gate ?? []),
        ...artefact.models.filter((m) => m.group === g.name),
        ...(g.pair ? [g.pair] : []),
      ],
      ...(g.experts
        ? [...predict.headsBySource(g.experts)].map(([source, m]) => [
            ...m.values(),
            ...(g.experts.pairs ?? []).filter((p) => p.source === source),
          ])
        : []),
    ]),
  );
  let count = 0;
  hash('predictions (banks)', (up) => {
    for (const r of shared) {
      const f = features.extractFeatures(r, true);
      const p = banks.predict(heads, f);
      count += p.length;
      up(bytes(p));
    }
  });
  hash('predictions (one head at a time)', (up) => {
    for (const r of shared) {
      const f = features.extractFeatures(r, true);
      up(bytes(Float64Array.from(heads.map((h) => predict.predictQuality(h, f)))));
    }
  });
  const deployment = (name, like, i) =>
    dep.deploymentSchema.parse({
      name,
      provider: 'simulated',
      model: `m${i}`,
      like,
      prices: { inputPer1M: 0.1 * (i + 1) + (i % 3) * 0.37, outputPer1M: 0.4 * (i + 1) },
      contextWindow: 128000,
      maxOutputTokens: 4096,
    });
  const fleets = [
    ...artefact.groups.map((g) =>
      g.models.map((m, i) => deployment(`${g.name}-${m}`, `${g.name}:${m}`, i)),
    ),
    artefact.groups.map((g, i) =>
      deployment(`one-${g.name}`, `${g.name}:${g.models[i % g.models.length]}`, i),
    ),
  ];
  const trained = trainedMod.createTrainedRouter(artefact);
  let decisions = 0;
  for (const [name, requests] of [
    ['decisions, shared prompts', shared],
    ['decisions, generated requests', generated],
  ])
    hash(name, (up) => {
      for (const candidates of fleets) {
        const router = cfg.routerSchema.parse({ modelSubset: candidates.map((c) => c.name) });
        for (const mode of ['quality', 'balanced', 'cost'])
          for (const request of requests) {
            const d = trained.decide({ request, router, mode, candidates, promptTokens: 2000 });
            decisions++;
            up(JSON.stringify(d));
          }
      }
    });
  return { version: artefact.version, predictions: count, decisions, hashes };
}

const here = await fingerprint(resolve(new URL('../dist', import.meta.url).pathname));
console.log(
  `artefact ${here.version}: ${prompts.length} shared prompts, ${generated.length} generated requests, ${here.predictions} predictions, ${here.decisions} decisions`,
);
for (const [k, v] of Object.entries(here.hashes)) console.log(`${k.padEnd(36)} ${v}`);
if (process.env.AGAINST) {
  const other = await fingerprint(resolve(process.env.AGAINST));
  let same = true;
  for (const [k, v] of Object.entries(other.hashes)) {
    if (v !== here.hashes[k]) same = false;
    console.log(
      `${k.padEnd(36)} ${v} ${v === here.hashes[k] ? 'same' : 'DIFFERENT'} (${process.env.AGAINST})`,
    );
  }
  console.log(same ? 'identical' : 'NOT identical');
  process.exitCode = same ? 0 : 1;
}

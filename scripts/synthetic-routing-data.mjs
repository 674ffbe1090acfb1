// A synthetic routing file for timing `train` on more prompts and models than the shared files have:
//   node scripts/synthetic-routing-data.mjs <prompts> <models> <out.jsonl> <prices.json>
// Prompts are drawn (with a numbered suffix, so each is distinct) from the shared files; each model
// gets a random skill per source and each grade is a 0/1 draw from it, so the grades carry no
// signal in the text beyond the source. Models m000, m001, … cost more as the number grows.
// Deterministic. Used for the training-time figures in docs/routing.md ("Training time").
import { readFileSync, writeFileSync } from 'node:fs';

const [prompts, models, out, pricesOut] = process.argv.slice(2);
const n = Number(prompts);
const m = Number(models);
if (!(n > 0) || !(m > 0) || !out || !pricesOut) {
  console.error('usage: node scripts/synthetic-routing-data.mjs <prompts> <models> <out.jsonl> <prices.json>');
  process.exit(2);
}
const dir = new URL('../../shared/data/routing/', import.meta.url);
const rows = ['routellm_gpt4_vs_mixtral.jsonl', 'llmrouter_9open.jsonl', 'arenabench_v1.jsonl'].flatMap(
  (f) =>
    readFileSync(new URL(f, dir), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
);
let state = 12345;
const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
const names = Array.from({ length: m }, (_, k) => `m${String(k).padStart(3, '0')}`);
const sources = [...new Set(rows.map((r) => r.source))];
const skill = new Map(names.map((name) => [name, new Map(sources.map((s) => [s, rand()]))]));
const lines = [];
for (let i = 0; i < n; i++) {
  const r = rows[Math.floor(rand() * rows.length)];
  const scores = {};
  for (const name of names) scores[name] = rand() < skill.get(name).get(r.source) ? 1 : 0;
  lines.push(
    JSON.stringify({
      id: `synthetic/${i}`,
      source: r.source,
      prompt: `${r.prompt} (variant ${i})`,
      multi_turn: false,
      split: 'train',
      scores,
    }),
  );
}
writeFileSync(out, lines.join('\n') + '\n');
const prices = names.map((name, k) => [name, { input_per_1m_usd: 0.1 + k, output_per_1m_usd: 0.3 + 3 * k }]);
writeFileSync(pricesOut, JSON.stringify(Object.fromEntries(prices)));

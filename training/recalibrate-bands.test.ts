// `calibrate-bands`: the shipped artefact's bands found again on scored prompts of other traffic.
// Where every model but the best single one fails, bands calibrated on the shared files send
// prompts to cheap models and lose most of the quality; found again on those prompts they must
// keep the promise, measured through the serving pick (scale 1, predictions relative to the best
// single model's training mean), not the calibration's own routing. Where every model is as good
// as the best, they must save more than before. The heads are never touched.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveArtefactPath, loadArtefactFile } from '../src/routing/artefact-files.js';
import { parseArtefact, serializeArtefact } from '../src/routing/artefact-json.js';
import { DEFAULT_MODELS_DIR } from '../src/routing/router-factory.js';
import { run } from '../src/cli/calibrate-bands.js';
import { deploymentSchema } from '../src/config/deployment-schema.js';
import { routerSchema, type RoutingMode } from '../src/config/schema.js';
import { requestFromPrompt } from '../src/routing/features.js';
import { createTrainedRouter } from '../src/routing/trained-router.js';
import { DEFAULT_TARGETS } from './band-targets.js';
import { DataError } from './data-error.js';
import { loadPrices, type Price } from './load-prices.js';
import { loadRows, type DataRow } from './load-rows.js';
import { trainArtefact } from './train-artefact.js';
import { recalibrateBands } from './recalibrate-bands.js';

const GROUP = 'llmrouter_9open.jsonl';
const shipped = () => loadArtefactFile(resolveArtefactPath(DEFAULT_MODELS_DIR, 'latest'));

/** `n` prompts of varied kinds in a file named `name`, each model scored by `score`. */
function scoredFile(n: number, score: (model: string, i: number) => number, name = 'ours.jsonl') {
  const a = shipped();
  const models = a.groups.find((g) => g.name === GROUP)!.models;
  const kinds = [
    (i: number) => `What is ${i} times ${i + 7}? Show your steps.`,
    (i: number) => `Write a Python function that returns the ${i}th prime number.`,
    (i: number) => `Who wrote the novel that item ${i} on the reading list refers to?`,
    (i: number) => `Question ${i}: which of these is a mammal? A) trout B) whale C) newt D) crow`,
  ];
  const rows = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      id: `r${i}`,
      source: 'ours/traffic',
      prompt: kinds[i % kinds.length]!(i),
      scores: Object.fromEntries(models.map((m) => [m, score(m, i)])),
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'mr-bands-'));
  const file = join(dir, name);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return { file, dir, best: a.groups.find((g) => g.name === GROUP)!.bestSingle };
}

describe('recalibrateBands', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps the promise on traffic where only the best single model succeeds', () => {
    const a = shipped();
    const best = a.groups.find((g) => g.name === GROUP)!.bestSingle;
    // The best single model succeeds on half of them (a mean of 0.5, not its training mean).
    const { file } = scoredFile(240, (m, i) => (m === best && i % 2 === 0 ? 1 : 0));
    const [r, ...rest] = recalibrateBands(
      a,
      loadRows(file, () => {}),
      DEFAULT_TARGETS,
    );
    expect(rest).toEqual([]);
    expect(r!.group).toBe(GROUP);
    expect(r!.prompts).toBe(240);
    // The shipped bands route these prompts to cheaper models, which score nothing here.
    expect(r!.routedBefore.modes.balanced.quality_ratio!).toBeLessThan(0.9);
    expect(r!.routedAfter.modes.balanced.quality_ratio!).toBeGreaterThanOrEqual(0.99);
    expect(r!.routedAfter.modes.cost.quality_ratio!).toBeGreaterThanOrEqual(0.95);
    expect(r!.after.balanced).toBeGreaterThan(r!.before.balanced);
  });

  it('saves more on traffic where every model does as well as the best', () => {
    const { file } = scoredFile(240, () => 1);
    const [r] = recalibrateBands(
      shipped(),
      loadRows(file, () => {}),
      DEFAULT_TARGETS,
    );
    expect(r!.routedAfter.modes.balanced.quality_ratio).toBe(1);
    expect(r!.routedAfter.modes.balanced.cost_ratio!).toBeLessThan(
      r!.routedBefore.modes.balanced.cost_ratio!,
    );
    expect(r!.after.balanced).toBeLessThan(r!.before.balanced);
  });

  it('routes the serving pick to what the calibration measured for the bands it chose', () => {
    const a = shipped();
    const best = a.groups.find((g) => g.name === GROUP)!.bestSingle;
    // Cheaper models succeed on some prompts, the best single model on most but not all.
    const { file } = scoredFile(240, (m, i) =>
      m === best ? (i % 7 === 0 ? 0 : 1) : (i + m.length) % 3 === 0 ? 1 : 0,
    );
    const [r] = recalibrateBands(
      a,
      loadRows(file, () => {}),
      DEFAULT_TARGETS,
    );
    const calibrated = r!.report as Record<'balanced' | 'cost', { quality: number; cost: number }>;
    for (const mode of ['balanced', 'cost'] as const) {
      expect(r!.routedAfter.modes[mode].quality).toBeCloseTo(calibrated[mode].quality, 12);
      expect(r!.routedAfter.modes[mode].cost).toBeCloseTo(calibrated[mode].cost, 12);
    }
    // and those bands are not the trivial ones: some prompts go to cheaper models.
    expect(r!.routedAfter.modes.cost.cost_ratio!).toBeLessThan(1);
  });

  it('holds a mode where even the narrowest band falls short of its target', () => {
    // No pick can keep 1.2× the best single model's quality where every model scores the same.
    const { file } = scoredFile(120, () => 1);
    const impossible = { balanced: 1.2, cost: 0.95, margin: 0, confidenceZ: 0 };
    const [r] = recalibrateBands(
      shipped(),
      loadRows(file, () => {}),
      impossible,
    );
    expect(r!.held).toEqual([{ mode: 'balanced', qualityRatio: 1, se: 0 }]);
    expect(r!.after.balancedHolds).toBe(true);
    expect(r!.after.costHolds).toBeUndefined();
    // Balanced now serves the best single model on every prompt; Cost still saves.
    expect(r!.routedAfter.modes.balanced.share).toEqual({ [r!.routedAfter.best_single.model]: 1 });
    expect(r!.routedAfter.modes.cost.cost_ratio!).toBeLessThan(1);
  });

  it('holds Balanced and Cost where the model the heads prefer fails and the best single model does not', () => {
    // Trained where the cheap model answers every "sum" prompt and the dear one half of them
    // (and only the dear one the "prove" prompts), then serving "sum" prompts of another kind of
    // traffic, where the cheap model fails them all: the heads still prefer it there, by far more
    // than any margin, so no band keeps the promise.
    const WORDS = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');
    const row = (i: number, sum: boolean, scores: Record<string, number>): DataRow => ({
      id: `t${i}`,
      source: 'synthetic/t',
      prompt: `${sum ? 'compute the sum of the' : 'prove the theorem about the'} ${WORDS[i % 10]} ${WORDS[(i * 7) % 10]} ${i}`,
      scores,
      contaminated: false,
      group: 't.jsonl',
    });
    const training = Array.from({ length: 400 }, (_, i) =>
      i % 2
        ? row(i, true, { strong: i % 4 === 1 ? 1 : 0, weak: 1 })
        : row(i, false, { strong: 1, weak: 0 }),
    );
    const prices = new Map<string, Price>([
      ['strong', { inputPer1M: 10, outputPer1M: 30 }],
      ['weak', { inputPer1M: 0.1, outputPer1M: 0.3 }],
    ]);
    const { artefact } = trainArtefact(new Map([['t.jsonl', training]]), () => prices, { seed: 1 });
    expect(artefact.groups[0]!.bestSingle).toBe('strong');
    const traffic = Array.from({ length: 200 }, (_, i) =>
      row(1000 + i, true, { strong: 1, weak: 0 }),
    );
    const [r] = recalibrateBands(artefact, traffic, DEFAULT_TARGETS);
    expect(r!.routedBefore.modes.balanced.quality_ratio!).toBeLessThan(0.5);
    expect(r!.held.map((h) => h.mode)).toEqual(['balanced', 'cost']);
    for (const h of r!.held) expect(h.qualityRatio).toBeLessThan(0.95);
    expect(r!.after).toMatchObject({ balancedHolds: true, costHolds: true });
    expect(r!.routedAfter.modes.balanced.quality_ratio).toBe(1);
    expect(r!.routedAfter.modes.cost.quality_ratio).toBe(1);
    // Served: the written bands make the router serve the strong model for such a prompt, with a
    // receipt that says why; the operator can lift the hold in config.
    artefact.groups[0]!.bands = r!.after;
    const router = createTrainedRouter(artefact);
    const base = { provider: 'simulated', contextWindow: 10_000, maxOutputTokens: 100 } as const;
    const big = deploymentSchema.parse({
      ...base,
      name: 'big',
      model: 'x',
      like: 'strong',
      prices: { inputPer1M: 10, outputPer1M: 30 },
    });
    const small = deploymentSchema.parse({
      ...base,
      name: 'small',
      model: 'y',
      like: 'weak',
      prices: { inputPer1M: 0.1, outputPer1M: 0.3 },
    });
    const decide = (mode: RoutingMode, i: number, bands?: Record<string, unknown>) =>
      router.decide({
        request: requestFromPrompt(traffic[i]!.prompt),
        router: routerSchema.parse({ modelSubset: ['big', 'small'], ...(bands ? { bands } : {}) }),
        mode,
        candidates: [small, big],
        promptTokens: 20,
      });
    /** The share of the traffic a mode sends to the cheap model. */
    const cheap = (mode: RoutingMode, bands?: Record<string, unknown>) =>
      traffic.filter((_, i) => decide(mode, i, bands).ordered[0] === 'small').length /
      traffic.length;
    for (const mode of ['balanced', 'cost'] as const) {
      const held = decide(mode, 0);
      expect(held.ordered).toEqual(['big', 'small']);
      expect(held.reason).toContain("no band kept the mode's promise");
      expect(cheap(mode)).toBe(0);
    }
    // Lifted, the router sends as much to the cheap model as the calibration measured.
    const away = r!.held[0]!.qualityRatio;
    expect(cheap('balanced', { balancedHolds: false })).toBeCloseTo(1 - away, 12);
    expect(cheap('cost', { costHolds: false })).toBeCloseTo(1 - away, 12);
    // A band set in config is routed by; Cost keeps its hold.
    expect(cheap('balanced', { balanced: r!.after.balanced })).toBeCloseTo(1 - away, 12);
    expect(cheap('cost', { balanced: r!.after.balanced })).toBe(0);
  });

  it('refuses too few prompts, prompts scoring one model, and a group the artefact lacks', () => {
    const a = shipped();
    const few = scoredFile(30, () => 1).file;
    expect(() =>
      recalibrateBands(
        a,
        loadRows(few, () => {}),
        DEFAULT_TARGETS,
      ),
    ).toThrow(/30 prompts score .* at least 50 are needed/);
    // One prompt is "1 prompt", not "1 prompts" (CLI audit, 2026-12-07).
    expect(() =>
      recalibrateBands(
        a,
        loadRows(scoredFile(1, () => 1).file, () => {}),
        DEFAULT_TARGETS,
      ),
    ).toThrow(/: 1 prompt scores .* at least 50 are needed/);
    const { file: one, best } = scoredFile(100, (m) => (m === '' ? 0 : 1));
    const onlyBest = readFileSync(one, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const r = JSON.parse(l) as { scores: Record<string, number> };
        return JSON.stringify({ ...r, scores: { [best]: r.scores[best] } });
      });
    writeFileSync(one, `${onlyBest.join('\n')}\n`);
    expect(() =>
      recalibrateBands(
        a,
        loadRows(one, () => {}),
        DEFAULT_TARGETS,
      ),
    ).toThrow(/no prompt scores .*best single model and another/);
    expect(() =>
      recalibrateBands(
        a,
        loadRows(few, () => {}),
        DEFAULT_TARGETS,
        'nope',
      ),
    ).toThrow(DataError);
  });
});

describe('model-router calibrate-bands', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes the artefact with the new bands, its heads unchanged, and a note', async () => {
    const best = shipped().groups.find((g) => g.name === GROUP)!.bestSingle;
    const { file, dir } = scoredFile(200, (m, i) => (m === best || i % 5 === 0 ? 1 : 0));
    const out = join(dir, 'out.json');
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (printed.push(String(s)), true));
    expect(await run(['--model', 'latest', '--data', file, '--out', out, '--json'])).toBe(0);
    const before = shipped();
    const after = parseArtefact(readFileSync(out, 'utf8'));
    // Node's deep-equal, not toEqual: the heads are ~5 MB of weights, which vitest's diffing
    // equality took 7.5 s to compare (node's: well under one). Strict: each weight as it was.
    expect(isDeepStrictEqual(after.models, before.models), 'the heads are unchanged').toBe(true);
    const json = JSON.parse(printed.join('')) as { groups: { group: string; after: unknown }[] };
    expect(json.groups.map((g) => g.group)).toEqual([GROUP]);
    expect(after.groups.find((g) => g.name === GROUP)!.bands).toEqual(json.groups[0]!.after);
    expect(after.training[`bandsCalibrated:${GROUP}`]).toMatchObject({ data: file, prompts: 200 });
    // The other groups keep theirs.
    for (const g of after.groups.filter((x) => x.name !== GROUP))
      expect(g.bands).toEqual(before.groups.find((x) => x.name === g.name)!.bands);
    expect(said.join('')).toContain(`wrote ${out}`);
    // It reads, recalibrates and writes the whole shipped artefact: 13-22 s on a quiet two-core
    // machine and 47 s under a load of 10 (2026-12-07) while the heads were compared with toEqual
    // (7.5 s of a lone 8.4 s run); 0.4 s alone since.
  }, 120_000);

  it('leaves out the prompts the artefact was trained on, and refuses a file of only those', async () => {
    const kinds = [
      (i: number) => `What is ${i} times ${i + 7}? Show your steps.`,
      (i: number) => `Say hello to my friend number ${i}.`,
    ];
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => {
        const i = from + k;
        return JSON.stringify({
          id: `p${i}`,
          source: 'ours/traffic',
          prompt: kinds[i % 2]!(i),
          scores: { strong: 1, weak: i % 2 },
        });
      }).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'mr-bands-'));
    const trainFile = join(mkdtempSync(join(tmpdir(), 'mr-bands-train-')), 'ours.jsonl');
    writeFileSync(trainFile, rows(0, 150));
    const { artefact } = trainArtefact(
      new Map([['ours.jsonl', loadRows(trainFile)]]),
      loadPrices('test/fixtures/routing/prices.json'),
      { seed: 1 },
    );
    const model = join(dir, 'trained.json');
    writeFileSync(model, serializeArtefact(artefact));
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    // 50 prompts it was trained on, 250 it was not: the bands are found on the 250.
    const mixed = join(dir, 'ours.jsonl');
    writeFileSync(mixed, rows(100, 400));
    const out = join(dir, 'out.json');
    expect(await run(['--model', model, '--data', mixed, '--out', out, '--json'])).toBe(0);
    expect(said.join('')).toContain(
      `note: 50 of the 300 prompts of ${mixed} are among the artefact's training prompts; left out`,
    );
    const written = parseArtefact(readFileSync(out, 'utf8'));
    expect(written.training['bandsCalibrated:ours.jsonl']).toMatchObject({ prompts: 250 });
    // Only prompts it was trained on: nothing to calibrate on.
    writeFileSync(mixed, rows(0, 100));
    said.length = 0;
    expect(await run(['--model', model, '--data', mixed, '--out', out])).toBe(1);
    expect(said.join('')).toContain('is one the artefact was trained on');
  });

  it('says what is missing, in its usage', async () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    expect(await run(['--model', 'latest'])).toBe(2);
    expect(said.join('')).toContain('usage: model-router calibrate-bands');
  });
});

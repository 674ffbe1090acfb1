// `calibrate`: a new model fitted from a small scored set as a correction to a known head.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routerSchema } from '../src/config/schema.js';
import { deploymentSchema } from '../src/config/deployment-schema.js';
import { extractFeatures, requestFromPrompt } from '../src/routing/features.js';
import { parseArtefact, serializeArtefact } from '../src/routing/artefact-json.js';
import { type HeadWeights, type ModelHead } from '../src/routing/routing-model.js';
import { coverageTrust, predictQuality } from '../src/routing/predict-quality.js';
import { run } from '../src/cli/calibrate.js';
import { createTrainedRouter } from '../src/routing/trained-router.js';
import { simDeployment } from '../test/helpers/test-config.js';
import { loadPrices, type Price } from './load-prices.js';
import { loadRows, type DataRow } from './load-rows.js';
import { calibrateModel, withCorrection } from './calibrate-model.js';
import { featurize } from './heads.js';
import { trainArtefact } from './train-artefact.js';

const WORDS = 'river stone cloud paper lamp garden window music forest bridge'.split(' ');

/** Easy prompts ("say hello") both models answer; hard ones ("prove") only the strong one. */
function rows(n: number, offset = 0): DataRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const easy = i % 3 !== 0;
    const filler = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]}`;
    return {
      id: `c${i}`,
      source: 'synthetic/c',
      prompt: `${easy ? 'say hello to the' : 'prove the theorem about the'} ${filler} ${i}`,
      scores: { strong: i % 9 ? 1 : 0, weak: easy ? (i % 7 ? 1 : 0) : i % 5 ? 0 : 1 },
      contaminated: false,
      group: 'c.jsonl',
    };
  });
}

/** `calibrate`'s arguments for a run in `dir` (base.json, new.jsonl, prices.json there). */
const calibrateArgs = (dir: string, ...extra: string[]) => [
  '--model',
  join(dir, 'base.json'),
  '--data',
  join(dir, 'new.jsonl'),
  '--prices',
  join(dir, 'prices.json'),
  ...extra,
];

/** One model the artefact does not know, with its prices, written to `dir`. */
function writeNewcomer(dir: string, lines: string[]): void {
  writeFileSync(join(dir, 'new.jsonl'), lines.join('\n'));
  writeFileSync(
    join(dir, 'prices.json'),
    JSON.stringify({ newcomer: { input_per_1m_usd: 0.2, output_per_1m_usd: 0.4 } }),
  );
}

const prices = () =>
  new Map<string, Price>([
    ['strong', { inputPer1M: 10, outputPer1M: 30 }],
    ['weak', { inputPer1M: 0.1, outputPer1M: 0.3 }],
  ]);

describe('a correction to a head', () => {
  it('adds to a smaller head widened by repeating it, reading every index as before', () => {
    const head: HeadWeights = {
      bias: 0.5,
      sparse: Float32Array.from([1, -2, 0.5, 3]),
      dense: Float64Array.from([0.25]),
    };
    const correction: HeadWeights = {
      bias: -0.25,
      sparse: Float32Array.from([0.5, 0, 0, 1, -1, 0, 2, 0]),
      dense: Float64Array.from([1, 2]),
    };
    const sum = withCorrection(head, correction);
    expect(sum.sparse).toHaveLength(8);
    const logit = (h: HeadWeights, f: ReturnType<typeof extractFeatures>) => {
      const p = predictQuality(h, f);
      return Math.log(p / (1 - p));
    };
    for (const prompt of ['prove the theorem', 'say hello to the river', 'x = 3 + 4?']) {
      const f = extractFeatures(requestFromPrompt(prompt));
      expect(logit(sum, f)).toBeCloseTo(logit(head, f) + logit(correction, f), 6);
    }
  });
});

describe('calibrate', () => {
  it('adds a model the artefact does not know from a small scored set, in the group it shares', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-'));
    const fixtures = 'test/fixtures/routing';
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', loadRows(`${fixtures}/tiny.jsonl`)]]),
      loadPrices(`${fixtures}/prices.json`),
      { seed: 1 },
    );
    // As if training had found no model worth leaving the best single one for in Quality mode:
    // that verdict did not know the newcomer, so calibrate lifts it.
    artefact.groups[0]!.bands.qualityHolds = true;
    writeFileSync(join(dir, 'base.json'), serializeArtefact(artefact));
    writeNewcomer(
      dir,
      Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ prompt: `question number ${i}`, scores: { strong: 1, newcomer: i % 2 } }),
      ),
    );
    expect(await run(calibrateArgs(dir, '--out', join(dir, 'out.json')))).toBe(0);
    const out = parseArtefact(readFileSync(join(dir, 'out.json'), 'utf8'));
    const head = out.models.find((m) => m.name === 'newcomer')!;
    expect(head.group).toBe('tiny.jsonl');
    // Its strength: the best single model's mean, less the 0.5 it trails that model by here.
    expect(out.training['calibrated:newcomer']).toMatchObject({ models: [{ meanScore: 0.5 }] });
    expect(head.meanScore).toBeCloseTo(out.groups[0]!.bestMean - 0.5, 10);
    expect(out.groups[0]!.bands.qualityHolds).toBeUndefined();
    expect(out.training['calibrated:newcomer']).toMatchObject({ qualityHoldsCleared: true });
    expect(out.groups[0]!.models).toContain('newcomer');
    expect(out.models.find((m) => m.name === 'strong')!.sparse).toEqual(
      artefact.models.find((m) => m.name === 'strong')!.sparse,
    );
  });

  it('says "error:" when the file scores no new model, and refuses an empty --group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-nothing-'));
    const { artefact } = trainArtefact(new Map([['c.jsonl', rows(300)]]), prices, { seed: 1 });
    writeFileSync(join(dir, 'base.json'), serializeArtefact(artefact));
    writeNewcomer(
      dir,
      rows(3, 60_000).map((r) => JSON.stringify({ prompt: r.prompt, scores: r.scores })),
    );
    const stderr = process.stderr.write;
    let said = '';
    process.stderr.write = ((s: string) => ((said += s), true)) as typeof process.stderr.write;
    let known: number;
    try {
      known = await run(calibrateArgs(dir, '--out', join(dir, 'out.json')));
    } finally {
      process.stderr.write = stderr;
    }
    expect(known).toBe(1);
    // In the CLI's error style, as every other refusal of calibrate's.
    expect(said).toBe(
      `error: ${join(dir, 'new.jsonl')}: every model it scores is already in the artefact; nothing to calibrate\n`,
    );
    // An empty --group named a new group "" (and wrote an artefact with it): a usage error.
    writeNewcomer(
      dir,
      rows(3, 60_000).map((r) => JSON.stringify({ prompt: r.prompt, scores: { newcomer: 1 } })),
    );
    await expect(
      run(calibrateArgs(dir, '--out', join(dir, 'out.json'), '--group', '')),
    ).rejects.toThrow('--group must name a data group (e.g. llmrouter_9open.jsonl), got ""');
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });

  it('fits a new model as a correction to the known head that fits its scores best', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-calibrate-anchor-'));
    const { artefact } = trainArtefact(new Map([['c.jsonl', rows(300)]]), prices, { seed: 1 });
    writeFileSync(join(dir, 'base.json'), serializeArtefact(artefact));
    // The newcomer behaves like the weak model, a little better, on 60 prompts it never saw: the
    // file scores it alone (the known models need no scores here).
    const scored = rows(60, 10_000).map((r) => {
      const easy = !r.prompt.startsWith('prove');
      return JSON.stringify({
        prompt: r.prompt,
        source: r.source,
        scores: { newcomer: easy ? 1 : Number(r.id.endsWith('0')) },
      });
    });
    writeNewcomer(dir, scored);
    const args = (...extra: string[]) => calibrateArgs(dir, '--group', 'c.jsonl', ...extra);
    const stderr = process.stderr.write;
    let said = '';
    process.stderr.write = ((s: string) => ((said += s), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await run(args('--out', join(dir, 'out.json')));
      expect(await run(args('--out', join(dir, 'bad.json'), '--anchor', 'nobody'))).toBe(1);
      // Background prompts need no scores: prompts of the traffic the router sees will do.
      writeFileSync(
        join(dir, 'c.jsonl'),
        rows(300)
          .map((r) => JSON.stringify({ prompt: r.prompt }))
          .join('\n'),
      );
      expect(
        await run(args('--out', join(dir, 'covered.json'), '--background', join(dir, 'c.jsonl'))),
      ).toBe(0);
    } finally {
      process.stderr.write = stderr;
    }
    expect(code).toBe(0);
    expect(said).toContain("fitted as a correction to weak's head");
    expect(said).toContain(
      '--anchor nobody is not a model of group c.jsonl (its models: strong, weak)',
    );
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    expect(said).toContain('trusted on every prompt (--background');
    expect(said).toContain(
      'trusted on prompts like its 60 scored ones (a coverage head against 300 background prompts)',
    );
    const covered = parseArtefact(readFileSync(join(dir, 'covered.json'), 'utf8'));
    expect(covered.models.find((m) => m.name === 'newcomer')!.coverage?.typical).toBeGreaterThan(0);
    const out = parseArtefact(readFileSync(join(dir, 'out.json'), 'utf8'));
    expect(out.groups[0]!.models).toEqual(['strong', 'weak', 'newcomer']);
    expect(out.training['calibrated:newcomer']).toMatchObject({
      prompts: 60,
      group: 'c.jsonl',
      models: [{ model: 'newcomer', anchor: 'weak' }],
    });
    // It inherits the weak model's reading of the prompts: easy ones well above hard ones.
    const head = out.models.find((m) => m.name === 'newcomer')!;
    const q = (prompt: string) => predictQuality(head, extractFeatures(requestFromPrompt(prompt)));
    expect(q('say hello to the lamp garden 5')).toBeGreaterThan(
      q('prove the theorem about the lamp garden 5') + 0.3,
    );
    // The known heads are untouched.
    for (const name of ['strong', 'weak'])
      expect(out.models.find((m) => m.name === name)!.sparse).toEqual(
        artefact.models.find((m) => m.name === name)!.sparse,
      );
  });

  it('lowers the new model by z standard errors of its mean score, as the bands are bounded', () => {
    const { artefact } = trainArtefact(new Map([['c.jsonl', rows(300)]]), prices, { seed: 1 });
    const set = featurize(
      rows(200, 20_000).map((r) => ({ ...r, scores: { newcomer: r.scores.weak! } })),
    );
    const group = artefact.groups[0]!;
    const withNewcomer = new Map([
      ...prices(),
      ['newcomer', { inputPer1M: 0.2, outputPer1M: 0.4 }],
    ]);
    const fit = (z: number) =>
      calibrateModel(set, 'newcomer', group, artefact.models, withNewcomer, { z });
    const mean = (h: HeadWeights) =>
      set.reduce((a, r) => a + predictQuality(h, r.features), 0) / set.length;
    const plain = fit(0);
    const bounded = fit(1);
    expect(plain.biasShift).toBe(0);
    expect(bounded.anchor).toBe(plain.anchor);
    // The standard error of a 0/1 mean over 200 prompts: a few points.
    expect(bounded.standardError).toBeGreaterThan(0.02);
    expect(bounded.biasShift).toBeLessThan(0);
    expect(mean(bounded.head)).toBeCloseTo(mean(plain.head) - bounded.standardError, 6);
  });

  it('gives a model scored on two prompts an honest standard error and a strength within [0, 1]', () => {
    // Two prompts, the newcomer right on both and the strong model wrong on both: the sample's
    // spread is 0 and its difference to the strong model is +1, neither of which a mean of
    // scores on a 0–1 scale can be taken at from two answers.
    const { artefact } = trainArtefact(new Map([['c.jsonl', rows(300)]]), prices, { seed: 1 });
    const group = artefact.groups[0]!;
    const two = rows(2, 50_000).map((r) => ({ ...r, scores: { newcomer: 1, strong: 0 } }));
    const withNewcomer = new Map([
      ...prices(),
      ['newcomer', { inputPer1M: 0.2, outputPer1M: 0.4 }],
    ]);
    const fit = calibrateModel(featurize(two), 'newcomer', group, artefact.models, withNewcomer, {
      z: 1,
    });
    // Laplace's (2 + 1) / (2 + 2) = 0.75 and the widest spread a 0–1 score has at it, 0.1875,
    // weigh in as two prompts: ((2 − 1) × 0 + 2 × 0.1875) / 3 = 0.125 over n = 2.
    expect(fit.standardError).toBeCloseTo(0.25, 10);
    expect(fit.biasShift).toBeLessThan(0);
    expect(fit.head.meanScore).toBeLessThanOrEqual(1);
    expect(fit.head.meanScore).toBeGreaterThanOrEqual(0);
  });

  it("gives a new model's source head the anchor's features: raw where the anchor's reads them", () => {
    const { artefact } = trainArtefact(new Map([['c.jsonl', rows(300)]]), prices, { seed: 1 });
    const plain = artefact.groups[0]!;
    expect(plain.idf).toBeDefined();
    const weights = (name: string) => {
      const { bias, sparse, dense } = artefact.models.find((m) => m.name === name)!;
      return { bias, sparse, dense };
    };
    // Source heads as training makes them: the strong model's on tf-idf rows, the weak one's raw.
    const group = {
      ...plain,
      experts: {
        gate: [{ source: 'synthetic/c', ...weights('strong'), idf: plain.idf }],
        heads: [
          { model: 'strong', source: 'synthetic/c', ...weights('strong'), idf: plain.idf },
          { model: 'weak', source: 'synthetic/c', ...weights('weak'), raw: true as const },
        ],
      },
    };
    const set = featurize(
      rows(200, 20_000).map((r) => ({ ...r, scores: { newcomer: r.scores.weak! } })),
    );
    const withNewcomer = new Map([
      ...prices(),
      ['newcomer', { inputPer1M: 0.2, outputPer1M: 0.4 }],
    ]);
    for (const anchor of ['strong', 'weak']) {
      const fitted = calibrateModel(set, 'newcomer', group, artefact.models, withNewcomer, {
        z: 0,
        anchor,
      });
      expect(fitted.anchor).toBe(anchor);
      const [h] = fitted.sourceHeads;
      expect(h!.raw === true).toBe(anchor === 'weak');
      expect(h!.idf).toBe(anchor === 'weak' ? undefined : plain.idf);
    }
  });

  it('measures a new model against the best single model on the same prompts, not by its own mean', () => {
    // The strong model is right on every easy prompt and half the hard ones (0.833 on average);
    // the newcomer was tried on easy prompts only and is right on 95% of them: above the strong
    // model's mean, below the strong model on the same prompts.
    const known = rows(300).map((r, i) => ({
      ...r,
      scores: { ...r.scores, strong: r.prompt.startsWith('prove') ? i % 2 : 1 },
    }));
    const { artefact } = trainArtefact(new Map([['c.jsonl', known]]), prices, { seed: 1 });
    const group = artefact.groups[0]!;
    expect(group.bestSingle).toBe('strong');
    const easy = rows(300, 30_000)
      .filter((r) => !r.prompt.startsWith('prove'))
      .slice(0, 200)
      .map((r, i) => ({ ...r, scores: { newcomer: i % 20 ? 1 : 0, strong: 1 } }));
    const withNewcomer = new Map([
      ...prices(),
      ['newcomer', { inputPer1M: 0.2, outputPer1M: 0.4 }],
    ]);
    const fit = (set: DataRow[]) =>
      calibrateModel(featurize(set), 'newcomer', group, artefact.models, withNewcomer, { z: 0 });
    // Scored for the strong model too: the paired difference, exactly.
    const paired = fit(easy);
    expect(paired.meanScore).toBeCloseTo(0.95, 10);
    expect(paired.head.meanScore).toBeCloseTo(group.bestMean - 0.05, 10);
    // Scored for the newcomer alone: against the strong head's prediction, which knows these
    // prompts are easy.
    const alone = fit(easy.map((r) => ({ ...r, scores: { newcomer: r.scores.newcomer! } })));
    expect(alone.meanScore).toBeGreaterThan(group.bestMean);
    // Its strength: the strong model's mean plus its mean difference to the strong head's
    // predictions on these prompts (near 1: they are easy), far under its own mean.
    const strongHead = artefact.models.find((m) => m.name === 'strong')!;
    const predictedStrong =
      easy.reduce(
        (a, r) => a + predictQuality(strongHead, extractFeatures(requestFromPrompt(r.prompt))),
        0,
      ) / easy.length;
    expect(predictedStrong).toBeGreaterThan(0.9);
    expect(alone.head.meanScore).toBeCloseTo(group.bestMean + 0.95 - predictedStrong, 10);
    expect(alone.head.meanScore).toBeLessThan(group.bestMean + 0.05);
    // It is partial: beside the strong model, which the bands were calibrated against, it is
    // never the reference (by its own mean it would have been, before the eleventh session).
    expect(alone.head.partial).toBe(true);
    const router = createTrainedRouter({
      ...artefact,
      groups: [{ ...group, models: [...group.models, 'newcomer'] }],
      models: [...artefact.models, alone.head],
    });
    const deployment = (name: string, price: number) =>
      deploymentSchema.parse(
        simDeployment(name, { prices: { inputPer1M: price, outputPer1M: price } }),
      );
    const decision = router.decide({
      request: requestFromPrompt('say hello to the river stone 1'),
      router: routerSchema.parse({ modelSubset: ['strong', 'newcomer'] }),
      mode: 'balanced',
      candidates: [deployment('strong', 10), deployment('newcomer', 0.2)],
      promptTokens: 10,
    });
    expect(decision.topDeployment).toBe('strong');
  });

  it('trusts a new model only on prompts like its scored ones, given background prompts', () => {
    // A coder scored on code prompts alone, right on all of them; the background is
    // the group's training file. Without it the correction would carry to every prompt.
    const { artefact } = trainArtefact(new Map([['c.jsonl', rows(300)]]), prices, { seed: 1 });
    const group = artefact.groups[0]!;
    const code = Array.from({ length: 200 }, (_, i) => ({
      ...rows(1, 40_000 + i)[0]!,
      prompt: `write a python function def ${WORDS[i % WORDS.length]}_${i}(x): return x`,
      scores: { newcomer: 1 },
    }));
    const withNewcomer = new Map([
      ...prices(),
      ['newcomer', { inputPer1M: 0.2, outputPer1M: 0.4 }],
    ]);
    const fit = (background: DataRow[]) =>
      calibrateModel(featurize(code), 'newcomer', group, artefact.models, withNewcomer, {
        z: 0,
        background: featurize(background),
      });
    const router = (head: ModelHead) =>
      createTrainedRouter({
        ...artefact,
        // No Quality margin (this small set calibrates a wide one, and may find that Quality
        // mode should hold): the highest prediction wins.
        groups: [
          {
            ...group,
            bands: { ...group.bands, qualityMargin: 0, qualityHolds: false },
            models: [...group.models, 'newcomer'],
          },
        ],
        models: [...artefact.models, head],
      });
    const pick = (r: ReturnType<typeof router>, prompt: string) =>
      r.decide({
        request: requestFromPrompt(prompt),
        router: routerSchema.parse({ modelSubset: ['strong', 'weak', 'newcomer'] }),
        mode: 'quality',
        candidates: [
          deploymentSchema.parse(simDeployment('strong')),
          deploymentSchema.parse(simDeployment('weak')),
          deploymentSchema.parse(simDeployment('newcomer')),
        ],
        promptTokens: 10,
      }).ordered[0];
    const hello = 'say hello to the river stone 1';
    const prove = 'prove the theorem about the river stone 3';
    const coding = 'write a python function def lamp_7(x): return x';
    const everywhere = fit([]);
    expect(everywhere.background).toBe(0);
    expect(everywhere.head.coverage).toBeUndefined();
    expect([hello, prove, coding].map((p) => pick(router(everywhere.head), p))).toEqual([
      'newcomer',
      'newcomer',
      'newcomer',
    ]);
    const covered = fit([...rows(300), ...code.slice(0, 5)]);
    expect(covered.background).toBe(300);
    expect(covered.sourceHeads).toEqual([]);
    const trust = (prompt: string) =>
      coverageTrust(covered.head, extractFeatures(requestFromPrompt(prompt)));
    expect(trust(coding)).toBe(1);
    expect(trust(hello)).toBeLessThan(0.2);
    expect([hello, prove, coding].map((p) => pick(router(covered.head), p))).toEqual([
      'strong',
      'strong',
      'newcomer',
    ]);
  });
});

// Reading data and price files, splitting by prompt, training (deterministic, calibrated on
// out-of-sample predictions) and `eval`'s figures, JSON and notes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DataError } from './data-error.js';
import { loadPrices } from './load-prices.js';
import { loadRows } from './load-rows.js';
import { splitByHash } from './prompt-hash.js';
import { apgrAndCpt, apgrGapNotes } from './apgr-and-cpt.js';
import { summarize, evaluate } from './evaluate.js';
import { scoreTestRows, type PromptOutcome } from './score-test-rows.js';
import { shareText } from './eval-summary.js';
import { SWEEP, renderEvalHtml } from './eval-report.js';
import { describeTestRows, tiedMatchWarnings } from './test-rows.js';
import { trainArtefact } from './train-artefact.js';
import { DENSE_SIZE } from '../src/routing/features.js';
import { loadArtefactFile } from '../src/routing/artefact-files.js';
import { parseArtefact, serializeArtefact } from '../src/routing/artefact-json.js';
import { ArtefactError } from '../src/routing/routing-model.js';

const FIX = 'test/fixtures/routing';

describe('data, training and evaluation', () => {
  it('reads both price layouts and names the file and line of a bad row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-routing-'));
    writeFileSync(
      join(dir, 'nested.json'),
      JSON.stringify({
        datasets: {
          'tiny.jsonl': {
            strong: { input_per_1m_usd: 1, output_per_1m_usd: 2 },
            odd: { input_per_1m_usd: null, output_per_1m_usd: null },
          },
          'z-other.jsonl': {
            strong: { input_per_1m_usd: 7, output_per_1m_usd: 7 },
            weak: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.2 },
          },
        },
      }),
    );
    const nested = loadPrices(join(dir, 'nested.json'));
    expect(nested('tiny.jsonl').get('strong')).toEqual({ inputPer1M: 1, outputPer1M: 2 });
    expect(nested('tiny.jsonl').has('odd')).toBe(false);
    expect(nested('tiny.jsonl').has('weak')).toBe(false); // a listed file keeps its own table
    // A file the price file does not list (a renamed copy, a held-out part) is priced by model
    // name from the listed files, the first by file name winning.
    expect(nested('tiny-heldout.jsonl').get('strong')).toEqual({ inputPer1M: 1, outputPer1M: 2 });
    expect(nested('tiny-heldout.jsonl').get('weak')).toEqual({ inputPer1M: 0.1, outputPer1M: 0.2 });
    expect(nested('tiny-heldout.jsonl').has('odd')).toBe(false);
    expect(loadPrices(`${FIX}/prices.json`)('anything.jsonl').get('weak')).toEqual({
      inputPer1M: 0.5,
      outputPer1M: 1,
    });
    writeFileSync(
      join(dir, 'bad.jsonl'),
      '{"prompt":"ok","scores":{"a":1}}\n{"prompt":"x","scores":{"a":2}}\n',
    );
    expect(() => loadRows(join(dir, 'bad.jsonl'))).toThrow(DataError);
    expect(() => loadRows(join(dir, 'bad.jsonl'))).toThrow(
      'bad.jsonl:2: score of a is 2, outside [0, 1] (quality is on a 0–1 scale: divide a 1–10 grade by 10, a percentage by 100)',
    );
    // Each kind of bad value is named with its model, and what to do about it.
    const lineError = (line: Record<string, unknown>) => {
      writeFileSync(join(dir, 'one.jsonl'), `${JSON.stringify({ prompt: 'x', ...line })}\n`);
      return () => loadRows(join(dir, 'one.jsonl'));
    };
    expect(lineError({ scores: { a: '1' } })).toThrow(
      'score of a must be a finite number, got "1"',
    );
    // 1e999 parses as Infinity: named as such, not as JSON's "null".
    writeFileSync(
      join(dir, 'inf.jsonl'),
      '{"prompt":"x","scores":{"a":1},"cost_usd":{"a":1e999}}\n',
    );
    expect(() => loadRows(join(dir, 'inf.jsonl'))).toThrow(
      'inf.jsonl:1: cost_usd of a must be a finite number, got Infinity',
    );
    expect(lineError({ scores: {} })).toThrow('one.jsonl: no rows with a score');
    expect(lineError({ scores: { a: null } })).toThrow('one.jsonl: no rows with a score');
    expect(lineError({ source: 's' })).toThrow('one.jsonl:1: "scores" is missing');
    // Each says what it got: before, a missing prompt, a number and a chat's messages all read
    // "must be a string".
    expect(lineError({ prompt: 7, scores: { a: 1 } })).toThrow(
      'one.jsonl:1: "prompt" must be a string (the user text), got 7',
    );
    expect(lineError({ prompt: undefined, scores: { a: 1 } })).toThrow(
      'one.jsonl:1: "prompt" is missing; it holds the user text (the first user turn)',
    );
    expect(lineError({ prompt: [{ role: 'user', content: 'hi' }], scores: { a: 1 } })).toThrow(
      'one.jsonl:1: "prompt" must be a string (the user text), got an array: put the first user turn\'s text in "prompt"',
    );
    expect(lineError({ prompt: ' ', scores: { a: 1 } })).toThrow(
      'one.jsonl: no rows with a prompt',
    );
    expect(lineError({ scores: [1] })).toThrow('"scores" must be an object of model → number');
    expect(lineError({ scores: { a: 1 }, cost_usd: { a: -0.1 } })).toThrow(
      'cost_usd of a is -0.1, below 0',
    );
    expect(lineError({ scores: { a: 1 }, out_chars: { a: 'long' } })).toThrow(
      'out_chars of a must be a finite number',
    );
    expect(lineError({ scores: { a: 1 }, cost_usd: { a: 0.1 } })()[0]!.costUsd).toEqual({ a: 0.1 });
    // What the format allows but carries nothing is passed over with a note, not an error: a null
    // (JSON's "no value"), a row no model is scored on and an empty prompt; a byte-order mark and
    // CRLF line ends.
    writeFileSync(join(dir, 'not-an-object.jsonl'), '[1, 2]\n');
    expect(() => loadRows(join(dir, 'not-an-object.jsonl'))).toThrow(
      'not-an-object.jsonl:1: each line must be a JSON object with "prompt" and "scores"',
    );
    const lines = [
      { prompt: 'p1', scores: { a: 1, b: null }, cost_usd: { a: null }, out_chars: null },
      { prompt: 'p2', scores: {} },
      { prompt: 'p3', scores: { a: null } },
      { prompt: 'p4', scores: { a: 0.5, b: 0 } },
      { prompt: '', scores: { a: 1 } },
      { prompt: ' \t\n', scores: { a: 0 } },
    ];
    writeFileSync(
      join(dir, 'gaps.jsonl'),
      '\ufeff' + lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n',
    );
    const notes: string[] = [];
    const gaps = loadRows(join(dir, 'gaps.jsonl'), (m) => notes.push(m));
    expect(gaps.map((r) => [r.prompt, r.scores, r.costUsd, r.outChars])).toEqual([
      ['p1', { a: 1 }, {}, undefined],
      ['p4', { a: 0.5, b: 0 }, undefined, undefined],
    ]);
    expect(notes).toEqual([
      `${join(dir, 'gaps.jsonl')}: 3 null values in "scores", "cost_usd" or "out_chars" read as not given for that model`,
      `${join(dir, 'gaps.jsonl')}: 2 rows with no model scored passed over (lines 2, 3)`,
      `${join(dir, 'gaps.jsonl')}: 2 rows with an empty prompt passed over (lines 5, 6)`,
    ]);
    writeFileSync(
      join(dir, 'neg-prices.json'),
      JSON.stringify({ a: { input_per_1m_usd: -1, output_per_1m_usd: 1 } }),
    );
    expect(() => loadPrices(join(dir, 'neg-prices.json'))).toThrow('a: a price cannot be negative');
    writeFileSync(
      join(dir, 'inf-prices.json'),
      '{"a": {"input_per_1m_usd": 1e999, "output_per_1m_usd": 1}}',
    );
    expect(() => loadPrices(join(dir, 'inf-prices.json'))).toThrow(
      'a: needs numeric input_per_1m_usd and output_per_1m_usd (finite USD per 1M tokens',
    );
  });

  it('splits by prompt hash so duplicates never straddle train and test', () => {
    const rows = [
      { prompt: 'Same question' },
      { prompt: ' same question ' },
      ...Array.from({ length: 200 }, (_, i) => ({ prompt: `q${i}` })),
    ];
    const { train, test } = splitByHash(rows, 0.3);
    const inTest = test.some((r) => r.prompt.trim().toLowerCase() === 'same question');
    const inTrain = train.some((r) => r.prompt.trim().toLowerCase() === 'same question');
    expect(inTest && inTrain).toBe(false);
    expect(test.length).toBeGreaterThan(30);
  });

  it('training is deterministic for a seed and the artefact round-trips', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const groups = new Map([['tiny.jsonl', rows]]);
    const prices = loadPrices(`${FIX}/prices.json`);
    // With SOURCE_DATE_EPOCH (reproducible builds) as its time: the same file, byte for byte.
    vi.stubEnv('SOURCE_DATE_EPOCH', '1764979200');
    const a = trainArtefact(groups, prices, { seed: 7, version: 'v' }).artefact;
    const b = trainArtefact(groups, prices, { seed: 7, version: 'v' }).artefact;
    vi.unstubAllEnvs();
    expect(Array.from(a.models[0]!.sparse)).toEqual(Array.from(b.models[0]!.sparse));
    expect(serializeArtefact(a)).toBe(serializeArtefact(b));
    expect(a.createdAt).toBe('2025-12-06T00:00:00.000Z');
    const back = parseArtefact(serializeArtefact(a));
    expect(back.models.map((m) => m.name)).toEqual(['strong', 'weak']);
    expect(back.models[0]!.expectedOutputTokens).toBe(100);
    expect(back.featureVersion).toBe(6);
    // Every group stores its idf, and every head reads the features weighed by it.
    expect(back.groups.every((g) => g.idf !== undefined)).toBe(true);
    expect(back.models.every((m) => m.idf === back.groups[0]!.idf)).toBe(true);
    expect(back.models[0]!.dense.length).toBe(DENSE_SIZE);
    // Another feature version, or heads whose dense part fits no version, say to retrain.
    const json = JSON.parse(serializeArtefact(a)) as {
      featureVersion: number;
      models: { dense: number[] }[];
    };
    expect(() => parseArtefact(JSON.stringify({ ...json, featureVersion: 7 }), 'x.json')).toThrow(
      /x\.json: feature version 7\/\d+ does not match this build \(2 or 3 or 4 or 5 or 6.*retrain it/,
    );
    json.models[0]!.dense.push(0);
    expect(() => parseArtefact(JSON.stringify(json), 'x.json')).toThrow(
      /strong has the wrong shape/,
    );
    json.models[0]!.dense.pop();
    // A truncated, hand-edited or foreign file: what is wrong and where, not a TypeError later.
    const bad = (text: string) => () => parseArtefact(text, 'x.json');
    expect(bad(serializeArtefact(a).slice(0, 100))).toThrow(/^x\.json: not valid JSON \(/);
    expect(bad('{"version":"x","groups":[]}')).toThrow(
      /^x\.json: not a routing artefact \(createdAt: missing: this key is required \(a string\)/,
    );
    const noBias = structuredClone(json) as unknown as { models: { bias?: number }[] };
    delete noBias.models[1]!.bias;
    expect(bad(JSON.stringify(noBias))).toThrow(
      /models\[1\]\.bias: missing: this key is required \(a number\)/,
    );
    const orphan = structuredClone(json) as unknown as { models: { group: string }[] };
    orphan.models[0]!.group = 'elsewhere';
    expect(bad(JSON.stringify(orphan))).toThrow(
      'x.json: model strong names group "elsewhere", which it does not have',
    );
    const headless = structuredClone(json) as unknown as { models: unknown[] };
    headless.models = headless.models.slice(1);
    expect(bad(JSON.stringify(headless))).toThrow(
      'x.json: group tiny.jsonl lists strong but has no head for it in "models"',
    );
    expect(() => loadArtefactFile('no/such/artefact.json')).toThrow(ArtefactError);
    expect(() => loadArtefactFile('no/such/artefact.json')).toThrow(/^cannot read no\/such/);
    expect(parseArtefact(JSON.stringify(json)).models).toHaveLength(2);
  });

  it('reports a source named like an object property in by_source, as any other', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`).map((r, i) => ({
      ...r,
      source: i % 2 ? '__proto__' : 'constructor',
    }));
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      {
        seed: 1,
      },
    );
    const { report } = evaluate(artefact, rows);
    // Assigned on `{}`, the `__proto__` source was dropped from the JSON without a word.
    expect(Object.keys(JSON.parse(JSON.stringify(report)).by_source).sort()).toEqual([
      '__proto__',
      'constructor',
    ]);
    expect(report.by_source['__proto__']!.prompts + report.by_source['constructor']!.prompts).toBe(
      report.prompts,
    );
  });

  it('calibrates the bands on every training prompt, each scored by heads that never saw it', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const groups = new Map([['tiny.jsonl', rows]]);
    const prices = loadPrices(`${FIX}/prices.json`);
    const crossFit = trainArtefact(groups, prices, { seed: 3 }).artefact.training['tiny.jsonl'] as {
      calibrationFolds: number;
      calibration: number;
      fit: number;
    };
    expect(crossFit.calibrationFolds).toBe(5);
    expect(crossFit.calibration).toBe(rows.length);
    expect(crossFit.fit).toBeLessThan(rows.length);
    const heldOut = trainArtefact(groups, prices, { seed: 3, calibrationFolds: 0 }).artefact
      .training['tiny.jsonl'] as { calibration: number; fit: number };
    expect(heldOut.calibration + heldOut.fit).toBe(rows.length);
    expect(heldOut.calibration).toBeLessThan(rows.length / 2);
  });

  it('APGR and CPT on a two-model set with a known answer', () => {
    // Four prompts; strong wins on two. A perfect ranking recovers the gap with the first two.
    const mk = (id: string, s: number, w: number, ps: number, pw: number): PromptOutcome => ({
      row: { id, source: 'x/y', prompt: id, scores: { s, w }, contaminated: false, group: 'g' },
      models: ['s', 'w'],
      predicted: new Map([
        ['s', ps],
        ['w', pw],
      ]),
      predictedCost: new Map([
        ['s', 1],
        ['w', 0.1],
      ]),
      cost: new Map([
        ['s', 1],
        ['w', 0.1],
      ]),
      bestSingle: 's',
      cheapest: 'w',
      bands: { balanced: 1, cost: 1 },
    });
    const perfect = [
      mk('a', 1, 0, 0.9, 0.1),
      mk('b', 1, 0, 0.8, 0.2),
      mk('c', 1, 1, 0.5, 0.5),
      mk('d', 1, 1, 0.4, 0.6),
    ];
    const r = apgrAndCpt(perfect);
    // PGR after k strong calls: 0, .5, 1, 1, 1 → trapezoid mean = (0.25+0.75+1+1)/4 = 0.75.
    expect(r.apgr).toBeCloseTo(0.75, 10);
    expect(r.cpt50).toBe(0.25);
    expect(r.cpt80).toBe(0.5);
    // A prompt with one of the two scored (no grade from the judge) is left out, not the pair.
    const single: PromptOutcome = {
      ...mk('e', 0, 0, 0.3, 0.7),
      row: { ...mk('e', 0, 0, 0.3, 0.7).row, scores: { w: 0 } },
      models: ['w'],
    };
    expect(apgrAndCpt([...perfect, single])).toEqual(r);
    // A third model anywhere makes it a many-model set: no APGR.
    const third: PromptOutcome = { ...mk('f', 1, 0, 0.6, 0.4), models: ['s', 'x'] };
    expect(apgrAndCpt([...perfect, third]).apgr).toBeNull();
    // The gap it is a share of: 0.5 (s 1, w .5), paired standard error √(1/3)/2.
    expect(r.apgr_gap).toMatchObject({ strong: 's', weak: 'w', pairs: 4, gap: 0.5 });
    expect(r.apgr_gap!.gap_se).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    // Four prompts are too few to tell 0.5 from none (0.5 < 2 × 0.289); sixteen alike are not.
    expect(apgrGapNotes(summarize(perfect), '')).toHaveLength(1);
    const many = [0, 1, 2, 3].flatMap((k) =>
      perfect.map((o) => ({ ...o, row: { ...o.row, id: `${o.row.id}${k}` } })),
    );
    expect(apgrGapNotes(summarize(many), '')).toEqual([]);
    // The best single model (on the training prompts) scoring below the other on the test ones:
    // no gap to recover, so no APGR (before: −0.588 and 27.41 on such files), and eval says why.
    const reversed = [
      mk('a', 0, 1, 0.9, 0.1),
      mk('b', 1, 1, 0.8, 0.2),
      mk('c', 0, 0, 0.5, 0.5),
      mk('d', 1, 1, 0.4, 0.6),
    ];
    const back = summarize(reversed);
    expect(back).toMatchObject({ apgr: null, cpt50: null, cpt80: null });
    expect(back.apgr_gap).toMatchObject({ strong: 's', weak: 'w', gap: -0.25 });
    expect(apgrGapNotes(back, 'x/y')).toEqual([
      'APGR and CPT for x/y are not reported: on the test prompts s (the best single model on the training prompts) does not score above w (gap -0.250 ± 0.250 over 4 prompts), so there is no gap for a router to recover',
    ]);
    // A positive gap within two standard errors of none: reported, and called noise.
    const thin = [...reversed.slice(1), mk('e', 1, 0, 0.7, 0.3), mk('f', 1, 0, 0.3, 0.7)];
    const noisy = summarize(thin);
    expect(noisy.apgr).not.toBeNull();
    expect(noisy.apgr_gap!.gap).toBeCloseTo(2 / 5, 12);
    expect(apgrGapNotes(noisy, '')).toEqual([
      `APGR (${noisy.apgr!.toFixed(3)}) is a share of a gap within two standard errors of none (s − w: 0.400 ± 0.245 over 5 prompts): read it and CPT as noise`,
    ]);
    // Cost mode with a band of 0.05 sends all four to w (each predicted above 0.05 × s's): w's
    // score less s's is −1, −1, 0, 0, so the ratio is 0.5, and its standard error the sample
    // deviation (√(1/3)) over √4, on s's mean of 1.
    const cheap = summarize(perfect.map((o) => ({ ...o, bands: { balanced: 1, cost: 0.05 } })));
    expect(cheap.modes.cost.share).toEqual({ w: 1 });
    expect(cheap.modes.cost.quality_ratio).toBe(0.5);
    expect(cheap.modes.cost.quality_ratio_se).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    expect(cheap.modes.quality.quality_ratio_se).toBe(0);
    // Where the best single model scores 0 on every prompt (a source it gets wholly wrong), the
    // same quality is 1× and a better one has no ratio, rather than a 0 that reads as a loss.
    const hopeless = [mk('a', 0, 0, 0.9, 0.1), mk('b', 0, 0, 0.8, 0.2), mk('c', 0, 1, 0.4, 0.6)];
    const none = summarize(
      hopeless.slice(0, 2).map((o) => ({ ...o, bands: { balanced: 1, cost: 0.05 } })),
    );
    expect(none.modes.cost.share).toEqual({ w: 1 });
    expect(none.modes.cost.quality_ratio).toBe(1);
    expect(none.modes.cost.quality_ratio_se).toBe(0);
    expect(none.modes.cost.cost_ratio).toBeCloseTo(0.1, 12);
    const gained = summarize(hopeless.map((o) => ({ ...o, bands: { balanced: 1, cost: 0.05 } })));
    expect(gained.modes.cost.quality).toBeCloseTo(1 / 3, 12);
    expect(gained.modes.cost.quality_ratio).toBeNull();
    expect(gained.modes.cost.quality_ratio_se).toBeNull();
    // A free pool: the same cost is 1×.
    const free = (o: PromptOutcome): PromptOutcome => ({
      ...o,
      cost: new Map([
        ['s', 0],
        ['w', 0],
      ]),
    });
    expect(summarize(perfect.map(free)).modes.balanced.cost_ratio).toBe(1);
  });

  it('eval JSON has the documented shape and leaves contaminated rows out', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    const { report, outcomes } = evaluate(artefact, rows);
    expect(report.prompts).toBe(3);
    expect(Object.keys(report).sort()).toEqual(
      [
        'apgr',
        'apgr_gap', // a two-model file: the gap APGR is a share of
        'best_single',
        'by_source',
        'cheapest',
        'cpt50',
        'cpt80',
        'models',
        'modes',
        'oracle',
        'prompts',
        'random',
      ].sort(),
    );
    expect(report.best_single.model).toBe('strong');
    expect(Object.keys(report.by_source).sort()).toEqual(['tiny/chat', 'tiny/math']);
    for (const mode of ['quality', 'balanced', 'cost'] as const) {
      const m = report.modes[mode];
      expect(Object.values(m.share).reduce((a, b) => a + b, 0)).toBeCloseTo(1);
      expect(m.quality_ratio).toBeCloseTo(m.quality / report.best_single.quality);
    }
    expect(report.oracle.quality).toBe(1);
    // The HTML report: each mode's share, each source's row, and the router's curve over the
    // bands' whole range (141 bands, quality alone to the cheapest routing).
    const html = renderEvalHtml(report, outcomes);
    expect(html).toContain(`<td>balanced</td>`);
    expect(html).toContain(shareText(report.modes.cost.share));
    expect(html).toContain('<h2>By source</h2>');
    for (const src of ['tiny/chat', 'tiny/math']) expect(html).toContain(`<td>${src}</td>`);
    const path = /<path d="(M[^"]*)"/.exec(html)![1]!;
    expect(path.split(/[ML]/).filter(Boolean)).toHaveLength(SWEEP.length);
    expect(SWEEP[0]).toBe(1.5);
    expect(SWEEP.at(-1)).toBeCloseTo(-2, 12);
    expect(html).not.toContain('per test file');
    // Several test files: a chart each, from its own prompts (one chart would mix their models
    // and score scales: CLI audit D17); here a copy of the prompts on a halved scale.
    const halved = outcomes.map((o) => ({
      ...o,
      row: {
        ...o.row,
        group: 'halved.jsonl',
        scores: Object.fromEntries(Object.entries(o.row.scores).map(([m, v]) => [m, v / 2])),
      },
    }));
    const two = renderEvalHtml(report, [...outcomes, ...halved]);
    expect(two).toContain('<h2>Quality against cost, per test file</h2>');
    expect(two.match(/<svg /g)).toHaveLength(2);
    expect(two).toContain(`<h3>halved.jsonl (${outcomes.length} prompts)</h3>`);
    expect(two).toContain(`<h3>${outcomes[0]!.row.group} (${outcomes.length} prompts)</h3>`);
    // Each chart's quality axis spans its own file's scores only.
    const axes = [...two.matchAll(/mean quality \(([\d.-]+)–([\d.-]+)\)/g)].map(
      (m): [number, number] => [Number(m[1]), Number(m[2])],
    );
    expect(axes).toHaveLength(2);
    const [halvedAxis, ownAxis] = axes as [[number, number], [number, number]];
    expect(halvedAxis[1]).toBeLessThanOrEqual(0.52 + 1e-9);
    expect(ownAxis[0]).toBeGreaterThan(halvedAxis[0]);
  });

  it('eval says which test rows it left out and why, and matches renamed files by their models', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    const g = artefact.groups[0]!;
    const unscored = { ...rows[0]!, id: 'u', scores: { weak: 1 } };
    const unknown = { ...rows[1]!, id: 'o', group: 'other.jsonl', scores: { elsewhere: 1 } };
    // A held-out part saved under another name: scored by the group whose models it shares.
    const renamed = rows.map((r) => ({ ...r, id: `h${r.id}`, group: 'tiny-heldout.jsonl' }));
    const twoGroups = {
      ...artefact,
      groups: [g, { ...g, name: 'wide.jsonl', models: [...g.models, 'x', 'y'] }],
    };
    const { report, skipped } = evaluate(twoGroups, [...rows, unscored, unknown, ...renamed]);
    expect(report.prompts).toBe(6);
    expect(describeTestRows(skipped)).toEqual([
      "test file tiny-heldout.jsonl is not named like a data file the artefact was trained on; scored with its tiny.jsonl heads (it scores 2 of that group's 2 models)",
      '1 test prompt skipped: their data file is not one the artefact was trained on, and scores none of its models',
      '1 test prompt skipped: it has no score for strong, the best single model, which every ratio is measured against on the same prompts',
    ]);
    expect(describeTestRows(evaluate(artefact, rows).skipped)).toEqual([]);

    // A test file with a model the artefact does not know, and without one it does: neither is a
    // candidate on its prompts, and eval says so (the ratios are still against the best single).
    const shifted = rows.map((r) => ({
      ...r,
      scores: { strong: r.scores.strong!, newcomer: 0.5 },
    }));
    const out = evaluate(artefact, shifted);
    expect(out.report.prompts).toBe(evaluate(artefact, rows).report.prompts);
    expect(Object.keys(out.report.modes.cost.share)).toEqual(['strong']);
    expect(describeTestRows(out.skipped)).toEqual([
      "test file tiny.jsonl scores newcomer, which the artefact's heads for it do not know: it is left out of the candidates (retrain with it, or add it with `model-router calibrate`; one left out of training for want of a price needs a price in the --prices file first)",
      'test file tiny.jsonl has no score for weak on any prompt: it is not a candidate there, so the modes route among the other models',
    ]);

    // A test file that spells the artefact's models otherwise (provider prefix, case) is scored
    // as if it had the artefact's names, measured costs and lengths included, and says so.
    const spell: Record<string, string> = { strong: 'acme/STRONG', weak: 'Weak' };
    const respell = <T>(f: Record<string, T> | undefined) =>
      f && Object.fromEntries(Object.entries(f).map(([k, v]) => [spell[k] ?? k, v]));
    const withCosts = rows.map((r) => ({ ...r, costUsd: { strong: 0.02, weak: 0.001 } }));
    const respelled = withCosts.map((r) => ({
      ...r,
      scores: respell(r.scores)!,
      costUsd: respell(r.costUsd),
      outChars: respell(r.outChars),
    }));
    const same = evaluate(artefact, withCosts);
    const spelled = evaluate(artefact, respelled);
    expect(spelled.report).toEqual(same.report);
    expect(describeTestRows(spelled.skipped)).toEqual([
      'test file tiny.jsonl names "acme/STRONG" as the artefact\'s "strong", "Weak" as the artefact\'s "weak" (the same name without provider prefix or case)',
    ]);
  });
  it('eval warns when a renamed test file matches two groups equally well', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    const g = artefact.groups[0]!;
    // Two groups of the same models (a file held out of either would score both): by name, the
    // first is taken. Before, only the note naming it was said, not that the other fit as well.
    const tied = { ...artefact, groups: [{ ...g, name: 'zz.jsonl' }, g] };
    const renamed = rows.map((r) => ({ ...r, id: `h${r.id}`, group: 'held.jsonl' }));
    const { skipped } = evaluate(tied, renamed);
    expect(tiedMatchWarnings(skipped)).toEqual([
      "test file held.jsonl matches the models of tiny.jsonl and zz.jsonl equally well; it was scored with tiny.jsonl's heads, the first by name, and is measured on that group's scale (scores are not comparable across files). If it was held out of zz.jsonl, name it like that training file",
    ]);
    const wide = {
      ...artefact,
      groups: [g, { ...g, name: 'wide.jsonl', models: [...g.models, 'x'] }],
    };
    expect(tiedMatchWarnings(evaluate(wide, renamed).skipped)).toEqual([]);
  });
  it('eval says when the test files of several groups are pooled in one report', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const copy = rows.map((r) => ({ ...r, id: `c${r.id}`, group: 'copy.jsonl' }));
    const { artefact } = trainArtefact(
      new Map([
        ['tiny.jsonl', rows],
        ['copy.jsonl', copy],
      ]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    const pooled = evaluate(artefact, [...rows, ...copy]);
    // Before, only the "a|b" names in best_single told that two scales were mixed.
    expect(describeTestRows(pooled.skipped)).toEqual([
      "the test prompts are of 2 data groups (copy.jsonl, tiny.jsonl), whose scores are on different scales: the pooled figures (and by_source, where a source is in several) are means over all of them, against each group's own best single model (best_single and cheapest are each group's own, their names joined by \"|\" where they differ); evaluate one group's files at a time for figures on one scale",
    ]);
    expect(describeTestRows(evaluate(artefact, rows).skipped)).toEqual([]);
  });
  it("eval scores a saved artefact's test rows with the features of its own version", () => {
    // The decisions of 2026-12-03b (feature version 5) recorded with the build before version 6
    // (src/routing/trained-router.test.ts): eval predicts what serving did, to its 4 digits.
    const fixture = JSON.parse(
      readFileSync('test/fixtures/routing/decisions-2026-12-03b-unspaced.json', 'utf8'),
    ) as {
      artefact: string;
      likes: Record<string, string[]>;
      cases: { group: string; prompt: string; mode: string; decision: { scores: number[] } }[];
    };
    const artefact = loadArtefactFile(`models/${fixture.artefact}.json`);
    const cases = fixture.cases.filter((c) => c.mode === 'quality');
    const rows = cases.map((c, k) => ({
      id: `r${k}`,
      source: 'fixture',
      prompt: c.prompt,
      scores: Object.fromEntries(fixture.likes[c.group]!.map((m) => [m, 0.5])),
      contaminated: false,
      group: c.group,
    }));
    const predicted = (a: typeof artefact) =>
      scoreTestRows(a, rows).outcomes.map((o, k) =>
        fixture.likes[cases[k]!.group]!.map((m) => Math.round(o.predicted.get(m)! * 1e4) / 1e4),
      );
    expect(predicted(artefact)).toEqual(cases.map((c) => c.decision.scores));
    const asSix = predicted({ ...artefact, featureVersion: 6 });
    expect(
      asSix.filter((p, k) => p.join() !== cases[k]!.decision.scores.join()).length,
    ).toBeGreaterThan(cases.length / 2);
  });
});

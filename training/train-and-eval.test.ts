// Reading data and price files, splitting by prompt, and training (deterministic, calibrated on
// out-of-sample predictions). APGR and CPT: train-and-eval-apgr.test.ts; `eval`'s figures, JSON
// and notes: train-and-eval-report.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DataError } from './data-error.js';
import { loadPrices } from './load-prices.js';
import { loadRows } from './load-rows.js';
import { splitByHash } from './prompt-hash.js';
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
    // Before, "has the wrong shape" alone, which said neither what was wrong nor what to do.
    expect(() => parseArtefact(JSON.stringify(json), 'x.json')).toThrow(
      /x\.json: model strong has the wrong shape \(\d+ hashed and \d+ dense weights, which no feature version of this build reads\): the file was cut or edited; retrain it, or restore it/,
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
    // A best single model's mean is a mean of 0–1 scores: a negative one (or one above 1) was read
    // as any number, and serving divides every strength by it.
    for (const bestMean of [-0.3, 1.5]) {
      const off = structuredClone(json) as unknown as { groups: { bestMean: number }[] };
      off.groups[0]!.bestMean = bestMean;
      expect(bad(JSON.stringify(off))).toThrow(
        `x.json: not a routing artefact (groups[0].bestMean: ${bestMean} is outside [0, 1]: a mean of scores on the 0–1 scale)`,
      );
    }
    // Saved by an editor that starts files with a byte-order mark: read as written (it was "not
    // valid JSON (Unexpected token '\uFEFF' …)"). An artefact with no group routes nothing.
    expect(parseArtefact(`\uFEFF${JSON.stringify(json)}`).models).toHaveLength(2);
    const empty = { ...structuredClone(json), groups: [], models: [] };
    expect(bad(JSON.stringify(empty))).toThrow(
      'x.json: not a routing artefact (groups: an artefact has at least one group of models; retrain it)',
    );
    expect(() => loadArtefactFile('no/such/artefact.json')).toThrow(ArtefactError);
    expect(() => loadArtefactFile('no/such/artefact.json')).toThrow(/^cannot read no\/such/);
    expect(parseArtefact(JSON.stringify(json)).models).toHaveLength(2);
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
});

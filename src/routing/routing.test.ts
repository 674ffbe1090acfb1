import { OutputTokenStats, PRIOR_WEIGHT } from './output-token-stats.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DataError, loadPrices, loadRows, splitByHash } from '../../training/dataset.js';
import {
  apgrAndCpt,
  summarize,
  describeTestRows,
  evaluate,
  shareText,
  type PromptOutcome,
} from '../../training/evaluate.js';
import { SWEEP, renderEvalHtml } from '../../training/eval-report.js';
import { trainArtefact } from '../../training/train-artefact.js';
import { routerSchema, type RoutingMode } from '../config/schema.js';
import { deploymentSchema, type DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import {
  DENSE_NAMES,
  DENSE_SIZE,
  LEGACY_DENSE_SIZE,
  extractFeatures,
  requestFromPrompt,
} from './features.js';
import { HEAD_CHARS, TAIL_CHARS } from './request-text.js';
import { orderByMode } from './pick-by-mode.js';
import {
  ArtefactError,
  loadArtefactFile,
  parseArtefact,
  serializeArtefact,
} from './routing-model.js';
import { headBanks, predictQualities, predictQuality } from './predict-quality.js';
import { createTrainedRouter } from './trained-router.js';

const FIX = 'test/fixtures/routing';

describe('features', () => {
  it('training and serving compute the same features for the same prompt', () => {
    const prompt = 'Solve 2x + 3 = 11.\nA. 4\nB. 5\nWhat is x?';
    const fromTraining = extractFeatures(requestFromPrompt(prompt));
    const fromServing = extractFeatures({
      model: 'model-router',
      messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    } as ChatRequest);
    expect(Array.from(fromServing.indices)).toEqual(Array.from(fromTraining.indices));
    expect(Array.from(fromServing.dense)).toEqual(Array.from(fromTraining.dense));
  });

  it('ignores white space around a message (a trailing newline is not one more line)', () => {
    const plain = 'Summarise the causes of the First World War in three sentences.';
    const features = (content: string, system = 'Be brief.') =>
      extractFeatures({
        model: 'model-router',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content },
        ],
      } as ChatRequest);
    const want = features(plain);
    for (const padded of [`${plain}\n`, `\n\n${plain}  \n`, `\t${plain}\r\n`])
      expect(features(padded)).toEqual(want);
    expect(features(plain, ' Be brief.\n')).toEqual(want);
    // Inside the text a newline still counts.
    expect(features(plain.replace(' in three', '\nin three')).dense).not.toEqual(want.dense);
  });

  it('reads a long request by its first HEAD_CHARS and last TAIL_CHARS characters, across messages', () => {
    const letters = (n: number, seed: number) =>
      Array.from({ length: n }, (_, i) => (i % 7 === 6 ? ' ' : 'abcdefghij'[(i * seed) % 10])).join(
        '',
      );
    const messages = [
      { role: 'system', content: `S${letters(2000, 3)}S` },
      { role: 'user', content: `U${letters(1500, 7)}U` },
      { role: 'assistant', content: `A${letters(900, 9)}A` },
      { role: 'user', content: `Q${letters(800, 1)}Q` },
    ];
    // Joined with its role markers, the request reads " zsys " + system + " " + user + " zasst "
    // + answer + " " + question; where each message starts in that text:
    const markers = [' zsys ', ' ', ' zasst ', ' '];
    const starts: number[] = [];
    let length = 0;
    messages.forEach((m, k) => {
      starts.push(length + markers[k]!.length);
      length += markers[k]!.length + m.content.length;
    });
    expect(length).toBeGreaterThan(HEAD_CHARS + TAIL_CHARS);
    const features = (ms: typeof messages) =>
      extractFeatures({ model: 'm', messages: ms } as ChatRequest);
    const base = features(messages);
    /** The features with the character at `pos` of the joined text turned into a "z". */
    const changedAt = (pos: number) => {
      const k = starts.findLastIndex((s) => s <= pos);
      const content = messages[k]!.content;
      const off = pos - starts[k]!;
      expect(content.charAt(off)).toMatch(/[a-j ]/);
      const changed = messages.map((m) => ({ ...m }));
      changed[k]!.content = content.slice(0, off) + 'z' + content.slice(off + 1);
      return { message: k, features: features(changed) };
    };
    // The head ends in the first user turn and the tail starts in the assistant's answer: a letter
    // changed in either is read; one changed between them is not.
    expect(changedAt(HEAD_CHARS - 1)).toMatchObject({ message: 1 });
    for (const pos of [
      HEAD_CHARS - 1,
      HEAD_CHARS - 2,
      length - TAIL_CHARS,
      length - TAIL_CHARS + 1,
    ])
      expect(changedAt(pos).features, `position ${pos}`).not.toEqual(base);
    for (const pos of [
      HEAD_CHARS,
      HEAD_CHARS + 1,
      length - TAIL_CHARS - 1,
      length - TAIL_CHARS - 2,
    ])
      expect(changedAt(pos).features, `position ${pos}`).toEqual(base);
    expect(changedAt(length - TAIL_CHARS)).toMatchObject({ message: 2 });
  });

  it('reads the whole request: system prompt, earlier turns, tools, response_format, reasoning_effort', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as ChatRequest;
    const rich = {
      model: 'm',
      messages: [
        { role: 'system', content: 'You are a careful mathematician.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: 'hi' },
      ],
      tools: [{ type: 'function', function: { name: 'calc', parameters: {} } }],
      tool_choice: 'required',
      response_format: { type: 'json_object' },
      reasoning_effort: 'high',
    } as ChatRequest;
    const a = extractFeatures(base);
    const b = extractFeatures(rich);
    expect(b.dense[4]).toBe(1); // has_system
    expect(b.dense[5]).toBeGreaterThan(0); // tools
    expect(b.dense[6]).toBe(1); // tool_choice forced
    expect(b.dense[7]).toBe(1); // JSON output
    expect(b.dense[8]).toBeCloseTo(0.8); // reasoning effort
    expect(b.dense[3]).toBeGreaterThan(a.dense[3]!); // turns
    expect(b.indices.length).toBeGreaterThan(a.indices.length);
  });

  it('reads the form of the last user turn: how it starts and ends, capitals, numbers, sentences', () => {
    const f = (content: string) => {
      const d = extractFeatures(requestFromPrompt(content)).dense;
      return Object.fromEntries(DENSE_NAMES.map((n, i) => [n, d[i]!]));
    };
    const search = f('who sings i got to be me');
    expect(search).toMatchObject({
      starts_lower: 1,
      ends_question: 0,
      ends_open: 1,
      ends_colon: 0,
    });
    expect(search.capitalised_words).toBe(0);
    const trivia = f('Which Irish boxer was nicknamed the Clones Cyclone?  ');
    expect(trivia).toMatchObject({ starts_lower: 0, ends_question: 1, ends_open: 0 });
    expect(trivia.capitalised_words).toBeCloseTo(4 / 8);
    expect(f('Q: 2 + 3 = ?\nA. 5\nB. 6\nAnswer:').ends_colon).toBe(1);
    const maths = f('John has 3.5 apples. He buys 12 more! How many now? Round to 1 decimal.');
    expect(maths.numbers).toBeCloseTo(Math.log1p(4) / 4); // runs of digits: 3, 5, 12, 1
    expect(maths.sentences).toBeCloseTo(Math.log1p(4) / 4); // not the "." inside 3.5
    expect(f('SHOUTING').upper_ratio).toBe(1);
    // The last user turn decides, not an earlier turn or the system prompt.
    const turns = extractFeatures({
      model: 'm',
      messages: [
        { role: 'system', content: 'answer briefly.' },
        { role: 'user', content: 'what is 2 + 2?' },
        { role: 'assistant', content: '4' },
        { role: 'user', content: 'And Times Three' },
      ],
    } as ChatRequest).dense;
    expect(turns[DENSE_NAMES.indexOf('starts_lower')]).toBe(0);
    expect(turns[DENSE_NAMES.indexOf('ends_open')]).toBe(1);
  });

  it('predicts several heads at once exactly as one by one (two heads a pass, sizes mixed)', () => {
    const art = loadArtefactFile('models/2026-11-30e.json');
    const sizes = new Set(art.models.map((m) => m.sparse.length));
    expect(sizes.size).toBeGreaterThan(1);
    for (const heads of [art.models, art.models.slice(0, 4), art.models.slice(3, 4), []]) {
      for (const prompt of [
        'hi',
        'Solve 2x + 3 = 11.\nA. 4\nB. 5',
        'def f(x): return x * 2 '.repeat(300),
      ]) {
        const f = extractFeatures(requestFromPrompt(prompt));
        expect(Array.from(predictQualities(heads, f))).toEqual(
          heads.map((h) => predictQuality(h, f)),
        );
      }
    }
  });

  it('predicts from banks of interleaved heads exactly as one by one', () => {
    // 25 heads of two sizes: banks of at most 16 per size, some heads asked for in no set, the
    // same head twice, any order, and each call summing afresh for its own features.
    const art = loadArtefactFile('models/2026-11-30e.json');
    const heads = art.models;
    expect(heads.length).toBeGreaterThan(16);
    const banks = headBanks([heads.slice(0, 20), heads.slice(18, 22), []]);
    const asks = [heads, heads.slice(20).reverse(), [heads[3]!, heads[3]!, heads[24]!], []];
    for (let round = 0; round < 2; round++)
      for (const prompt of [
        'hi',
        'Solve 2x + 3 = 11.\nA. 4\nB. 5',
        'def f(x): return x * 2 '.repeat(300),
      ])
        for (const ask of asks) {
          const f = extractFeatures(requestFromPrompt(prompt), true);
          expect(Array.from(banks.predict(ask, f))).toEqual(ask.map((h) => predictQuality(h, f)));
        }
  });

  it('older artefacts predict exactly as before the form features were added', () => {
    // Predictions recorded with the features as they were (2026-11-30b, 17 dense features): an
    // artefact reads the dense features it was trained on, so new ones never move a pinned router.
    const art = loadArtefactFile('models/2026-11-30b.json');
    expect(art.models[0]!.dense.length).toBe(LEGACY_DENSE_SIZE);
    const fixture = JSON.parse(
      readFileSync(`${FIX}/legacy-predictions-2026-11-30b.json`, 'utf8'),
    ) as { request: ChatRequest; predictions: Record<string, number> }[];
    for (const { request, predictions } of fixture) {
      const f = extractFeatures(request);
      expect(f.dense.length).toBe(DENSE_SIZE);
      for (const m of art.models)
        expect(predictQuality(m, f)).toBe(predictions[`${m.group}/${m.name}`]);
    }
  });
});

describe('pick by mode', () => {
  const c = [
    { name: 'top', quality: 0.9, cost: 10, reference: true },
    { name: 'mid', quality: 0.86, cost: 2 },
    { name: 'low', quality: 0.7, cost: 0.5 },
  ];
  it('quality picks the best predicted; balanced the cheapest within its band; cost a wider band', () => {
    const bands = { balanced: 0.95, cost: 0.75, qualityMargin: 0.01 };
    expect(orderByMode(c, 'quality', bands)).toEqual(['top', 'mid', 'low']);
    expect(orderByMode(c, 'balanced', bands)).toEqual(['mid', 'top', 'low']);
    expect(orderByMode(c, 'cost', bands)).toEqual(['low', 'mid', 'top']);
  });
  it('breaks ties deterministically', () => {
    const tie = [
      { name: 'b', quality: 0.8, cost: 1 },
      { name: 'a', quality: 0.8, cost: 1 },
    ];
    expect(orderByMode(tie, 'balanced', { balanced: 0.9, cost: 0.8 })).toEqual(['a', 'b']);
    expect(orderByMode([...tie].reverse(), 'balanced', { balanced: 0.9, cost: 0.8 })).toEqual([
      'a',
      'b',
    ]);
  });
});

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
    expect(lineError({ scores: { a: '1' } })).toThrow('score of a must be a number, got "1"');
    expect(lineError({ scores: {} })).toThrow('one.jsonl: no rows with a score');
    expect(lineError({ scores: { a: null } })).toThrow('one.jsonl: no rows with a score');
    expect(lineError({ source: 's' })).toThrow('one.jsonl:1: "scores" is missing');
    expect(lineError({ prompt: 7, scores: { a: 1 } })).toThrow(
      'one.jsonl:1: "prompt" must be a string (the user text)',
    );
    expect(lineError({ prompt: ' ', scores: { a: 1 } })).toThrow(
      'one.jsonl: no rows with a prompt',
    );
    expect(lineError({ scores: [1] })).toThrow('"scores" must be an object of model → number');
    expect(lineError({ scores: { a: 1 }, cost_usd: { a: -0.1 } })).toThrow(
      'cost_usd of a is -0.1, below 0',
    );
    expect(lineError({ scores: { a: 1 }, out_chars: { a: 'long' } })).toThrow(
      'out_chars of a must be a number',
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
    const a = trainArtefact(groups, prices, { seed: 7, version: 'v' }).artefact;
    const b = trainArtefact(groups, prices, { seed: 7, version: 'v' }).artefact;
    expect(Array.from(a.models[0]!.sparse)).toEqual(Array.from(b.models[0]!.sparse));
    const back = parseArtefact(serializeArtefact(a));
    expect(back.models.map((m) => m.name)).toEqual(['strong', 'weak']);
    expect(back.models[0]!.expectedOutputTokens).toBe(100);
    expect(back.featureVersion).toBe(3);
    expect(back.models[0]!.dense.length).toBe(DENSE_SIZE);
    // Another feature version, or heads whose dense part fits no version, say to retrain.
    const json = JSON.parse(serializeArtefact(a)) as {
      featureVersion: number;
      models: { dense: number[] }[];
    };
    expect(() => parseArtefact(JSON.stringify({ ...json, featureVersion: 4 }), 'x.json')).toThrow(
      /x\.json: feature version 4\/\d+ does not match this build \(2 or 3.*retrain it/,
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
      /^x\.json: not a routing artefact \(createdAt: .*expected string/,
    );
    const noBias = structuredClone(json) as unknown as { models: { bias?: number }[] };
    delete noBias.models[1]!.bias;
    expect(bad(JSON.stringify(noBias))).toThrow(/models\[1\]\.bias: .*expected number/);
    const orphan = structuredClone(json) as unknown as { models: { group: string }[] };
    orphan.models[0]!.group = 'elsewhere';
    expect(bad(JSON.stringify(orphan))).toThrow(
      'x.json: model strong names group "elsewhere", which it does not have',
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
      '1 test prompts skipped: their data file is not one the artefact was trained on, and scores none of its models',
      '1 test prompts skipped: they have no score for strong, the best single model, which every ratio is measured against on the same prompts',
    ]);
    expect(describeTestRows(evaluate(artefact, rows).skipped)).toEqual([]);
  });
});

describe('trained router', () => {
  it('maps deployments by like:, prices them by their own prices, and explains the pick', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    artefact.groups[0]!.bands = { balanced: 0.01, cost: 0.01, qualityMargin: 0 };
    const router = createTrainedRouter(artefact);
    const base = { provider: 'simulated', contextWindow: 1000, maxOutputTokens: 100 } as const;
    const big = deploymentSchema.parse({
      ...base,
      name: 'big',
      model: 'x',
      like: 'strong',
      prices: { inputPer1M: 5, outputPer1M: 5 },
    });
    const small = deploymentSchema.parse({
      ...base,
      name: 'small',
      model: 'y',
      like: 'weak',
      prices: { inputPer1M: 0.1, outputPer1M: 0.1 },
    });
    const stranger = deploymentSchema.parse({
      ...base,
      name: 'stranger',
      model: 'unknown-model',
      prices: { inputPer1M: 0.01, outputPer1M: 0.01 },
    });
    /** A decision for 'hello' over these candidates, which are also the router's whole subset. */
    const decideOver = (candidates: DeploymentConfig[], mode: RoutingMode = 'balanced') =>
      router.decide({
        request: requestFromPrompt('hello'),
        router: routerSchema.parse({ modelSubset: candidates.map((c) => c.name) }),
        mode,
        candidates,
        promptTokens: 10,
      });
    const decision = decideOver([big, small, stranger]);
    expect(decision.topDeployment).toBe('big');
    expect(decision.ordered[0]).toBe('stranger');
    expect(decision.reason).toContain('conservative default');
    // Two deployments like the same model: the cheaper one is the reference (and the savings
    // baseline), whatever their names.
    const dearTwin = deploymentSchema.parse({
      ...big,
      name: 'a-dear-twin',
      prices: { inputPer1M: 9, outputPer1M: 9 },
    });
    const twins = decideOver([dearTwin, big, small]);
    expect(twins.topDeployment).toBe('big');
    // Deployments the artefact does not know are equally unknown: the dearer is the reference.
    const dearStranger = deploymentSchema.parse({
      ...stranger,
      name: 'z-dear-stranger',
      prices: { inputPer1M: 3, outputPer1M: 3 },
    });
    const strangers = decideOver([stranger, dearStranger]);
    expect(strangers.topDeployment).toBe('z-dear-stranger');
    // What an operator is told about a subset: unknown deployments, like: names the artefact
    // lacks, and deployments spread over data groups.
    const typo = deploymentSchema.parse({ ...small, name: 'typo', like: 'wek' });
    const subset = routerSchema.parse({
      name: 'r',
      modelSubset: ['big', 'small', 'stranger', 'typo'],
    });
    expect(router.describeSubset!(subset, [big, small, stranger, typo])).toEqual([
      'router r (artefact ' +
        artefact.version +
        '): the artefact does not know deployment stranger (model "unknown-model"): it is scored at the conservative default 0.5; map it with like: or score it with `model-router calibrate`',
      'router r (artefact ' +
        artefact.version +
        '): deployment typo is like "wek", a model the artefact does not know; it is scored at the conservative default 0.5',
    ]);
    const split = createTrainedRouter({
      ...artefact,
      groups: [...artefact.groups, { ...artefact.groups[0]!, name: 'other.jsonl' }],
      models: [...artefact.models, { ...artefact.models[1]!, group: 'other.jsonl' }],
    });
    const far = deploymentSchema.parse({ ...small, name: 'far', like: 'other.jsonl:weak' });
    const spread = routerSchema.parse({ name: 'r', modelSubset: ['big', 'small', 'far'] });
    expect(split.describeSubset!(spread, [big, small, far])).toEqual([
      expect.stringMatching(
        /^router r .*: its deployments map into 2 data groups \(tiny\.jsonl: big, small; other\.jsonl: far\)/,
      ),
    ]);
    const quality = decideOver([big, small], 'quality');
    expect(quality.scores.find((s) => s.deployment === 'big')?.predictedCostUsd).toBeCloseTo(
      (10 * 5 + 100 * 5) / 1e6,
    );
    expect(quality.reason).toMatch(/^quality mode/);
    // Where training found Quality mode's gain to be noise, it keeps the strongest candidate, even
    // over one favoured here by a margin of −1, and the receipt says why.
    const bandsWith = (qualityHolds: boolean, override?: Record<string, unknown>) =>
      createTrainedRouter({
        ...artefact,
        groups: [
          {
            ...artefact.groups[0]!,
            bands: { balanced: 1, cost: 1, qualityMargin: -1, qualityHolds },
          },
        ],
      }).decide({
        request: requestFromPrompt('hello'),
        router: routerSchema.parse({ modelSubset: ['big', 'small'], bands: override }),
        mode: 'quality',
        candidates: [big, small],
        promptTokens: 10,
      });
    expect(bandsWith(false).ordered).toEqual(['small', 'big']);
    const held = bandsWith(true);
    expect(held.ordered).toEqual(['big', 'small']);
    expect(held.reason).toMatch(
      /^quality mode: big, the strongest model on average .*more than noise/,
    );
    // check-config says so for a router whose deployments share a holding group.
    const holding = createTrainedRouter({
      ...artefact,
      groups: [
        { ...artefact.groups[0]!, bands: { ...artefact.groups[0]!.bands, qualityHolds: true } },
      ],
    });
    const pair = routerSchema.parse({ name: 'r', modelSubset: ['big', 'small'] });
    expect(holding.describeSubset!(pair, [big, small])).toEqual([
      expect.stringMatching(/^router r .*: in Quality mode it keeps the strongest of big, small /),
    ]);
    expect(
      holding.describeSubset!({ ...pair, bands: { qualityHolds: false } }, [big, small]),
    ).toEqual([]);
    // The router's config overrides the verdict and the margin.
    expect(bandsWith(true, { qualityHolds: false }).ordered[0]).toBe('small');
    expect(bandsWith(false, { qualityHolds: true }).ordered[0]).toBe('big');
    expect(bandsWith(false, { qualityMargin: 1 }).ordered[0]).toBe('big');

    // Learned output tokens: `small` turns out to write 300× more than the artefact expects, so it
    // is no longer the cheaper of the two once enough answers are seen.
    const stats = new OutputTokenStats();
    const cost = () =>
      router.decide({
        request: requestFromPrompt('hello'),
        router: routerSchema.parse({
          modelSubset: ['big', 'small'],
          bands: { cost: 0, balanced: 0 },
        }),
        mode: 'cost',
        candidates: [big, small],
        promptTokens: 10,
        outputTokens: stats,
      });
    expect(cost().ordered[0]).toBe('small');
    for (let i = 0; i < 60; i++) {
      stats.observe('small', 30_000);
      stats.observe('big', 100);
    }
    const learned = cost();
    expect(learned.ordered[0]).toBe('big');
    expect(
      learned.scores.find((x) => x.deployment === 'small')!.expectedOutputTokens,
    ).toBeGreaterThan(10_000);

    // A declared prior (a reasoning model's hidden tokens) counts from the first request; a
    // simulated deployment's prior is what its simulation writes.
    const verbose = deploymentSchema.parse({
      ...base,
      name: 'small',
      model: 'y',
      like: 'weak',
      prices: { inputPer1M: 0.1, outputPer1M: 0.1 },
      expectedOutputTokens: 30_000,
    });
    const fresh = router.decide({
      request: requestFromPrompt('hello'),
      router: routerSchema.parse({
        modelSubset: ['big', 'small'],
        bands: { cost: 0, balanced: 0 },
      }),
      mode: 'cost',
      candidates: [big, verbose],
      promptTokens: 10,
      outputTokens: new OutputTokenStats(),
    });
    expect(fresh.ordered[0]).toBe('big');
    const thinker = deploymentSchema.parse({
      ...base,
      name: 'thinker',
      model: 'z',
      like: 'weak',
      prices: { inputPer1M: 1, outputPer1M: 1 },
      simulation: { answerTokens: 100, reasoningTokens: 900 },
    });
    const sim = router.decide({
      request: requestFromPrompt('hello'),
      router: routerSchema.parse({ modelSubset: ['thinker'] }),
      mode: 'cost',
      candidates: [thinker],
      promptTokens: 10,
    });
    expect(sim.scores[0]!.expectedOutputTokens).toBe(1000);
  });
});

describe('output token stats', () => {
  it('starts at the prior and moves to the observed mean as answers accumulate', () => {
    const stats = new OutputTokenStats();
    expect(stats.expected('a', 100)).toBe(100);
    for (let i = 0; i < PRIOR_WEIGHT; i++) stats.observe('a', 1000);
    expect(stats.expected('a', 100)).toBe(550); // equal weight after PRIOR_WEIGHT answers
    for (let i = 0; i < 2000; i++) stats.observe('a', 1000);
    expect(stats.expected('a', 100)).toBeGreaterThan(990);
    // A running mean: it follows a deployment whose answers change.
    for (let i = 0; i < 500; i++) stats.observe('a', 200);
    expect(stats.observed('a')!.mean).toBeLessThan(220);
    stats.observe('a', Number.NaN);
    expect(stats.observed('a')!.answers).toBe(2020 + 500);
    stats.forget('a');
    expect(stats.expected('a', 100)).toBe(100);
  });
});

/** `train`'s arguments: `file` in `dir` with the fixture prices, `--<flag>=<value>`, out to `dir`. */
const trainArgs = (dir: string, file: string, flag: string) => (value: string, out: string) => [
  '--data',
  join(dir, file),
  '--prices',
  `${FIX}/prices.json`,
  '--out',
  join(dir, out),
  `--${flag}=${value}`,
];

/** What is written to stderr from now until `restore()`, in `text` (which a test may clear). */
function stderrOf(): { text: string; restore: () => void } {
  const said = { text: '', restore: () => spy.mockRestore() };
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    said.text += String(s);
    return true;
  });
  return said;
}

describe('train --confidence-z', () => {
  it('stores bands calibrated with the given bound and refuses a bad value with a clear error', async () => {
    const { run } = await import('../cli/train.js');
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-z-'));
    // Enough prompts for the bands to be calibrated (the tiny fixture gets fixed default bands):
    // the weak model is right on most "easy" prompts and on few "hard" ones.
    const lines = Array.from({ length: 300 }, (_, i) => {
      const easy = i % 3 !== 0;
      return JSON.stringify({
        id: `z${i}`,
        source: 'synthetic/z',
        prompt: `${easy ? 'say hello to' : 'prove the theorem about'} item ${i}`,
        scores: { strong: i % 7 ? 1 : 0, weak: easy ? (i % 5 ? 1 : 0) : i % 4 ? 0 : 1 },
      });
    });
    writeFileSync(join(dir, 'z.jsonl'), lines.join('\n'));
    const args = trainArgs(dir, 'z.jsonl', 'confidence-z');
    const said = stderrOf();
    try {
      expect(await run(args('-1', 'bad.json'))).toBe(1);
      expect(said.text).toContain('--confidence-z must be a number ≥ 0');
      expect(await run(args('0', 'loose.json'))).toBe(0);
      expect(await run(args('3', 'strict.json'))).toBe(0);
    } finally {
      said.restore();
    }
    const { readFileSync, existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    const band = (f: string) => parseArtefact(readFileSync(join(dir, f), 'utf8')).groups[0]!.bands;
    // A stricter bound keeps the bands narrower (closer to quality alone): here Cost's, as on
    // these two kinds of prompt Balanced's first step already routes too much at either bound.
    expect(band('strict.json').cost).toBeGreaterThan(band('loose.json').cost);
    expect(band('strict.json').balanced).toBeGreaterThanOrEqual(band('loose.json').balanced);
  });
});

describe('train --work-budget', () => {
  it('plans the fitting within the given budget, says so, and refuses a bad value', async () => {
    const { run } = await import('../cli/train.js');
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-budget-'));
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({
        id: `b${i}`,
        source: 'synthetic/b',
        prompt: `${i % 3 ? 'say hello to' : 'prove the theorem about'} item ${i}`,
        scores: { strong: i % 7 ? 1 : 0, weak: i % 3 ? 1 : 0 },
      }),
    );
    writeFileSync(join(dir, 'b.jsonl'), lines.join('\n'));
    const args = trainArgs(dir, 'b.jsonl', 'work-budget');
    const said = stderrOf();
    try {
      expect(await run(args('0', 'bad.json'))).toBe(1);
      expect(said.text).toContain('--work-budget must be a positive number of millions');
      said.text = '';
      expect(await run(args('160', 'full.json'))).toBe(0);
      expect(said.text).not.toContain('more fitting than the training budget allows');
      // A millionth of a unit: every step down is taken.
      expect(await run(args('0.000001', 'small.json'))).toBe(0);
      expect(said.text).toContain('more fitting than the training budget allows');
    } finally {
      said.restore();
    }
    const { readFileSync } = await import('node:fs');
    const notes = (f: string) =>
      parseArtefact(readFileSync(join(dir, f), 'utf8')).training as Record<
        string,
        { calibrationFolds: number; maxIterations: number }
      >;
    expect(Object.values(notes('full.json'))[0]).toMatchObject({ calibrationFolds: 5 });
    expect(Object.values(notes('small.json'))[0]).toMatchObject({
      calibrationFolds: 0,
      maxIterations: 50,
    });
  });
});

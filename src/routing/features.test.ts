// The feature function (training and serving share it), reading a long request by its head and
// tail, and predicting from heads one at a time, several at once and from banks.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/wire-types.js';
import { FEATURE_VERSION } from './routing-model.js';
import { CHARACTER_WORDS_VERSION } from './feature-lexicon.js';
import {
  DENSE_NAMES,
  DENSE_SIZE,
  LEGACY_DENSE_SIZE,
  extractFeatures,
  requestFromPrompt,
  type Features,
} from './features.js';
import { HEAD_CHARS, TAIL_CHARS } from './request-text.js';
import { loadArtefactFile } from './artefact-files.js';
import { headBanks } from './head-banks.js';
import { predictQualities, predictQuality } from './predict-quality.js';
import { learnIdf } from './term-weights.js';

const FIX = 'test/fixtures/routing';

describe('features', () => {
  it('training and serving compute the same features for the same prompt, in every feature version', () => {
    for (const prompt of [
      'Solve 2x + 3 = 11.\nA. 4\nB. 5\nWhat is x?',
      '小明有3个苹果，又买了12个。他现在一共有多少个苹果？',
      '日本の首都は？ 한국어로 답하세요. ภาษาไทย',
    ])
      for (const version of [5, FEATURE_VERSION]) {
        const fromTraining = extractFeatures(requestFromPrompt(prompt), false, version);
        const fromServing = extractFeatures(
          {
            model: 'model-router',
            messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
          } as ChatRequest,
          true,
          version,
        );
        expect(Array.from(fromServing.indices)).toEqual(Array.from(fromTraining.indices));
        expect(Array.from(fromServing.dense)).toEqual(Array.from(fromTraining.dense));
      }
    // The default is this build's version, which training gives a new artefact.
    expect(FEATURE_VERSION).toBe(CHARACTER_WORDS_VERSION);
    const p = '请用三句话总结。';
    expect(extractFeatures(requestFromPrompt(p))).toEqual(
      extractFeatures(requestFromPrompt(p), false, FEATURE_VERSION),
    );
  });

  it('from feature version 6, reads a script written without spaces as character uni- and bigrams', () => {
    const indices = (text: string, version: number) =>
      Array.from(extractFeatures(requestFromPrompt(text), false, version).indices);
    const dense = (text: string, version: number) =>
      extractFeatures(requestFromPrompt(text), false, version).dense;
    // Each character is a word: the same n-grams as the characters written apart were before.
    for (const [run, apart] of [
      ['大语言模型', '大 语 言 模 型'],
      ['GPT是模型ok', 'GPT 是 模 型 ok'],
      ['ひらがなカタカナ漢字', 'ひ ら が な カ タ カ ナ 漢 字'],
      ['한국어로 답하세요', '한 국 어 로 답 하 세 요'],
      ['ภาษาไทย', 'ภ า ษ า ไ ท ย'],
      ['ｶﾀｶﾅ', 'ｶ ﾀ ｶ ﾅ'],
    ] as const) {
      expect(indices(run, 6), run).toEqual(indices(apart, 5));
      expect(indices(run, 6).length, run).toBe(2 * apart.split(' ').length - 1);
      expect(dense(run, 6)[2], run).toBe(dense(apart, 5)[2]); // log_words
    }
    // CJK punctuation ends a word as ASCII punctuation does, and 。 ？ count as ASCII's do.
    expect(indices('你好。世界？对，', 6)).toEqual(indices('你 好. 世 界? 对,', 5));
    const d = dense('你好。世界？对，', 6);
    const ascii = dense('你 好. 世 界? 对,', 5);
    for (const name of ['question_marks', 'sentences'] as const)
      expect(d[DENSE_NAMES.indexOf(name)], name).toBe(ascii[DENSE_NAMES.indexOf(name)]);
    expect(d[DENSE_NAMES.indexOf('sentences')]).toBeGreaterThan(0);
    // Before, a run of them (with any letters touching it) was one word.
    expect(indices('GPT是模型。ok', 5)).toHaveLength(1);
    expect(indices('GPT是模型。ok', 6)).toHaveLength(9);
    // Text without such characters has the same features in both versions.
    const english = 'Summarise the causes of the First World War in 3 sentences, éß 😀 Straße!';
    expect(extractFeatures(requestFromPrompt(english), false, 6)).toEqual(
      extractFeatures(requestFromPrompt(english), false, 5),
    );
  });

  it.each([
    // Recorded with the build of 2026-12-03b (the thirtieth session's), and again with this
    // build's version 5: the artefacts of versions 2–5 read these.
    [
      5,
      'abcdefghijklmnopqrstuvwxyz   ABCXYZ0123456789.,?!:;{}=+*/\\^`\n\n\t()-éß中😀\u00a0',
      'c8e3929c9346f7c20aa66bfdf4f7d59666e212c1',
    ],
    [
      6,
      'abcdefghijklmnopqrstuvwxyz   ABCXYZ0123456789.,?!:;{}=+*/\\^`\n\n\t()-éß中😀\u00a0',
      'f6ac283f23b4f564935b66e7085b51e0b26ba91d',
    ],
    // Version 6 on scripts without spaces, Hangul and CJK punctuation as well (2026-12-04).
    [
      6,
      'abcdefghijklmnopqrstuvwxyz   ABC0123456789.,?!{}=\n\t-éß中文字ひらカナ한국ไทย。，？！「」\u3000ｶﾀ😀',
      '021ed81c5d24f10e6ba28e06fb6c6870e4d9e735',
    ],
  ])(
    'extracts exactly the features version %i artefacts were trained on (pinned)',
    (version, alphabet, digest) => {
      // The fixture's prompts and generated requests (capitals, digits, punctuation, non-ASCII,
      // several messages and text parts, lengths around the head/tail limits), hashed: a change of
      // the scanner that moves any feature of any of them fails here, so a faster scanner is the
      // same function.
      const hash = createHash('sha1');
      const add = (f: Features) =>
        hash.update(
          JSON.stringify([Array.from(f.indices), f.sparseValue, Array.from(f.dense), f.chars]),
        );
      for (const line of readFileSync(`${FIX}/arenabench_v1.jsonl`, 'utf8').split('\n'))
        if (line)
          add(
            extractFeatures(
              requestFromPrompt((JSON.parse(line) as { prompt: string }).prompt),
              false,
              version,
            ),
          );
      let seed = 7;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const gen = (len: number) => {
        let s = '';
        for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
        return s;
      };
      for (let k = 0; k < 400; k++) {
        const len = [0, 1, 5, 50, 500, 3400, 3600, 9000][k % 8]!;
        const messages: unknown[] = [{ role: 'user', content: gen(len) }];
        if (k % 3 === 0) messages.unshift({ role: 'system', content: gen(len >> 2) });
        if (k % 5 === 0)
          messages.push(
            { role: 'assistant', content: gen(40) },
            {
              role: 'user',
              content: [
                { type: 'text', text: gen(len >> 1) },
                { type: 'text', text: gen(9) },
              ],
            },
          );
        add(extractFeatures({ model: 'x', messages } as ChatRequest, false, version));
      }
      expect(hash.digest('hex')).toBe(digest);
    },
  );

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

  it('sums a bank once per features across calls (a gate, then its heads), for banks of every width', () => {
    // Sets of 3, 5, 9, 12 and 14 heads: rows of 4, 8, 12 (eight lanes a pass, then four) and 16
    // floats, reading raw features and tf-idf rows. One features object asked in several calls
    // reuses the bank's sums; the next prompt's features sum afresh.
    const prompts = ['hi', 'Solve 2x + 3 = 11.\nA. 4\nB. 5', 'def f(x): return x * 2 '.repeat(300)];
    const all = loadArtefactFile('models/2026-11-30e.json').models.filter(
      (h, _, models) => h.sparse.length === models[0]!.sparse.length,
    );
    expect(all.length).toBeGreaterThanOrEqual(14);
    const idf = learnIdf(
      [...prompts, 'What is x?', 'return x'].map((p) => extractFeatures(requestFromPrompt(p))),
      all[0]!.sparse.length,
    );
    for (const heads of [all, all.map((h) => ({ ...h, idf }))])
      for (const n of [3, 5, 9, 12, 14]) {
        const set = heads.slice(0, n);
        const banks = headBanks([set]);
        for (const prompt of prompts) {
          const f = extractFeatures(requestFromPrompt(prompt), true);
          const one = set.map((h) => predictQuality(h, f));
          expect(Array.from(banks.predict(set.slice(0, 1), f))).toEqual(one.slice(0, 1));
          expect(Array.from(banks.predict(set.slice(1).reverse(), f))).toEqual(
            one.slice(1).reverse(),
          );
          expect(Array.from(banks.predict(set, f))).toEqual(one);
        }
      }
  });

  it('artefacts without an idf predict exactly as before tf-idf weighing was added (every head)', () => {
    // Every head of 2026-12-01c (pooled, gate, per-source and pair heads), recorded with the build
    // before feature version 4: a group without an idf reads the raw features as it did.
    const art = loadArtefactFile('models/2026-12-01c.json');
    expect(art.groups.some((g) => g.idf)).toBe(false);
    const fixture = JSON.parse(
      readFileSync(`${FIX}/legacy-predictions-2026-12-01c.json`, 'utf8'),
    ) as { request: ChatRequest; predictions: Record<string, number> }[];
    for (const { request, predictions } of fixture) {
      const f = extractFeatures(request);
      const mine: Record<string, number> = {};
      for (const m of art.models) mine[`${m.group}/${m.name}`] = predictQuality(m, f);
      for (const g of art.groups) {
        for (const h of g.experts?.gate ?? [])
          mine[`${g.name}/gate/${h.source}`] = predictQuality(h, f);
        for (const h of g.experts?.heads ?? [])
          mine[`${g.name}/${h.source}/${h.model}`] = predictQuality(h, f);
        for (const h of g.experts?.pairs ?? [])
          mine[`${g.name}/${h.source}/pair`] = predictQuality(h, f);
      }
      expect(mine).toEqual(predictions);
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

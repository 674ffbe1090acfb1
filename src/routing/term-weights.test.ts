// tf-idf weighing of the hashed n-grams (feature version 4): what a row becomes, that training's
// weighed rows and serving's on-demand weighing predict the same to the bit (one head, several,
// banks), and how the artefact stores a group's idf.
import { describe, expect, it } from 'vitest';
import { extractFeatures, requestFromPrompt, type Features } from './features.js';
import { headBanks } from './head-banks.js';
import { predictQualities, predictQuality } from './predict-quality.js';
import { loadArtefactFile } from './artefact-files.js';
import { parseArtefact, serializeArtefact } from './artefact-json.js';
import {
  ArtefactError,
  withGroupIdf,
  type HeadWeights,
  type RoutingArtefact,
} from './routing-model.js';
import { featuresFor, keepIdfInRows, learnIdf, weighFeatures } from './term-weights.js';

const PROMPTS = [
  'hi',
  'Solve 2x + 3 = 11.\nA. 4\nB. 5\nWhat is x?',
  'def f(x): return x * 2 '.repeat(300),
  'The capital of France is Paris. The capital of Spain is Madrid. Which is larger?',
  'Résumé: naïve café — “quoted” words',
];
const raw = (p: string, transient = false) => extractFeatures(requestFromPrompt(p), transient);

/** The 2026-12-01c artefact with an idf learned from PROMPTS on its routellm group. */
function withIdf(): { art: RoutingArtefact; idf: Float32Array } {
  const art = loadArtefactFile('models/2026-12-01c.json');
  const g = art.groups.find((x) => x.name === 'routellm_gpt4_vs_mixtral.jsonl')!;
  // Words shared between prompts get a lower idf than the rest.
  const background = ['What is x?', 'The capital of Spain', 'return x, what is x'];
  const idf = learnIdf(
    [...PROMPTS, ...background].map((p) => raw(p)),
    g.experts!.gate[0]!.sparse.length,
  );
  g.idf = idf;
  return { art: { ...art, ...withGroupIdf(art.groups, art.models) }, idf };
}

describe('tf-idf weighing', () => {
  it("learns scikit-learn's smoothed idf per bucket: ln((1 + n) / (1 + df)) + 1", () => {
    const f = (indices: number[]): Features => ({
      indices: Int32Array.from(indices),
      sparseValue: 1,
      dense: new Float64Array(0),
      chars: 0,
    });
    // Bucket 1 in all three rows (twice in one), 2 in one, 5 ≡ 1 (mod 4) folds into 1.
    const idf = learnIdf([f([1, 1, 2]), f([1]), f([5, 3])], 4);
    expect(idf[1]).toBe(Math.fround(Math.log(4 / 4) + 1));
    expect(idf[2]).toBe(Math.fround(Math.log(4 / 2) + 1));
    expect(idf[3]).toBe(Math.fround(Math.log(4 / 2) + 1));
    expect(idf[0]).toBe(Math.fround(Math.log(4 / 1) + 1));
  });

  it('weighs a row as distinct buckets at (1 + ln count) × idf, scaled to unit length', () => {
    const idf = Float32Array.from([1, 2, 3, 4]);
    const f: Features = {
      indices: Int32Array.from([2, 6, 1, 2, 2]), // 6 folds into bucket 2: three times
      sparseValue: 1 / Math.sqrt(5),
      dense: Float64Array.from([1, 0.5]),
      chars: 9,
    };
    const w = weighFeatures(f, idf);
    expect([...w.indices]).toEqual([2, 1]);
    const a = (1 + Math.log(4)) * 3;
    const b = 1 * 2;
    const norm = Math.sqrt(a * a + b * b);
    expect(w.values![0]).toBeCloseTo(a / norm, 12);
    expect(w.values![1]).toBeCloseTo(b / norm, 12);
    expect(w.sparseValue).toBe(1);
    expect(w.idf).toBe(idf);
    expect(w.dense).toBe(f.dense);
    // The on-demand weighing is the same, and a second ask is served from the last one.
    const onDemand = featuresFor({ idf }, f);
    expect([...onDemand.indices]).toEqual([...w.indices]);
    expect([...onDemand.values!]).toEqual([...w.values!]);
    expect(featuresFor({ idf }, f)).toBe(onDemand);
    // A head without idf reads the features as they are; weighed ones are not weighed again.
    expect(featuresFor({}, f)).toBe(f);
    expect(featuresFor({ idf }, w)).toBe(w);
    expect(() => featuresFor({ idf: Float32Array.from([1, 1]) }, w)).toThrow(/another/);
    // An empty prompt has no terms.
    expect(weighFeatures({ ...f, indices: new Int32Array(0) }, idf).indices.length).toBe(0);
  });

  it('weighs long rows and many repeats as the definition does: first-occurrence order, any count', () => {
    // A reference written plainly: a Map of counts in first-occurrence order.
    const reference = (indices: number[], idf: Float32Array) => {
      const counts = new Map<number, number>();
      for (const i of indices) {
        const b = i & (idf.length - 1);
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
      const v = [...counts].map(([b, c]) => (c === 1 ? 1 : 1 + Math.log(c)) * idf[b]!);
      const scale = 1 / Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      return { indices: [...counts.keys()], values: v.map((x) => x * scale) };
    };
    const idf = Float32Array.from({ length: 1 << 16 }, (_, b) => 1 + (b % 97) / 13);
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 0x7fffffff;
    // 6,000 indices, mostly distinct, one bucket 300 times (a count past the table of
    // logarithms), indices past the idf's size (folded into it), and rows weighed one after
    // another: each row's counts start from zero.
    const indices = Array.from({ length: 6000 }, (_, i) =>
      i % 20 === 0 ? 4242 : i % 7 === 0 ? (i << 12) & 0xffff : next() & 0x1ffff,
    );
    for (const row of [indices, indices.slice(0, 40), indices.slice(100, 1500)]) {
      const f: Features = {
        indices: Int32Array.from(row),
        sparseValue: 1,
        dense: new Float64Array(0),
        chars: 0,
      };
      const want = reference(row, idf);
      const got = weighFeatures(f, idf);
      expect([...got.indices]).toEqual(want.indices);
      expect([...got.values!]).toEqual(want.values);
      // On demand (serving's buffers), the same again.
      const again = featuresFor({ idf }, { ...f });
      expect([...again.values!]).toEqual(want.values);
    }
    // A row longer than the 16-bit counters could count (never made: at most 2 × MAX_WORDS
    // indices) is refused, not miscounted.
    const long: Features = {
      indices: new Int32Array(70_000).fill(3),
      sparseValue: 1,
      dense: new Float64Array(0),
      chars: 0,
    };
    expect(() => weighFeatures(long, idf)).toThrow(/cannot weigh 70000 indices/);
  });

  it("weighs from an idf kept in a bank's rows as from the idf itself, and reads the rows", () => {
    const idf = Float32Array.from({ length: 1 << 10 }, (_, b) => 1 + (b % 31) / 7);
    const copy = idf.slice();
    const prompt = PROMPTS[3]!.repeat(3) + PROMPTS[2]!;
    const want = weighFeatures(raw(prompt), idf);
    expect(want.indices.length).toBeGreaterThan(20);
    const rows = new Float32Array(idf.length * 8);
    keepIdfInRows(idf, { rows, stride: 8, lane: 5 });
    expect(rows[3 * 8 + 5]).toBe(idf[3]);
    expect(rows[3 * 8 + 4]).toBe(0);
    // The idf array itself no longer read: weighing by it now reads the rows.
    idf.fill(99);
    for (const f of [weighFeatures(raw(prompt), idf), featuresFor({ idf }, raw(prompt, true))]) {
      expect([...f.indices]).toEqual([...want.indices]);
      expect([...f.values!]).toEqual([...want.values!]);
    }
    expect(() => keepIdfInRows(copy, { rows, stride: 8, lane: 8 })).toThrow(/cannot hold/);
    expect(() => keepIdfInRows(copy, { rows: rows.subarray(8), stride: 8, lane: 0 })).toThrow(
      /cannot hold/,
    );
  });

  it("banks keep a group's idf in their rows and predict as heads that read the idf alone", () => {
    const { art, idf } = withIdf();
    const g = art.groups.find((x) => x.name === 'routellm_gpt4_vs_mixtral.jsonl')!;
    const pooled = art.models.filter((m) => m.group === g.name);
    const set: HeadWeights[] = [...g.experts!.gate, ...pooled];
    expect(set.every((h) => h.idf === idf && h.sparse.length === idf.length)).toBe(true);
    // The same heads with a copy of the idf (never kept in rows): what the banks must give.
    const alone = new Map(set.map((h) => [h, { ...h, idf: idf.slice() }]));
    const original = idf.slice();
    const banks = headBanks([set, g.experts!.heads]);
    // Weighing by the group's idf now reads the bank's rows (the array is no longer read).
    idf.fill(5);
    for (let round = 0; round < 2; round++)
      for (const p of PROMPTS) {
        const f = raw(p, true);
        const ask = [...set].reverse();
        const want = ask.map((h) => predictQuality(alone.get(h)!, f));
        expect(Array.from(banks.predict(ask, f))).toEqual(want);
      }
    idf.set(original);
  });

  it("serving's on-demand weighing predicts as training's weighed rows, to the bit", () => {
    const { art, idf } = withIdf();
    const g = art.groups.find((x) => x.name === 'routellm_gpt4_vs_mixtral.jsonl')!;
    const heads: HeadWeights[] = [
      ...art.models.filter((m) => m.group === g.name),
      ...g.experts!.gate,
      ...g.experts!.heads,
      ...(g.experts!.pairs ?? []),
    ];
    expect(heads.every((h) => h.idf === idf)).toBe(true);
    // Of two sizes (GSM8K's heads are smaller): they fold the weighed buckets as training does.
    expect(new Set(heads.map((h) => h.sparse.length)).size).toBe(2);
    let changed = 0;
    for (const p of PROMPTS) {
      const weighed = weighFeatures(raw(p), idf);
      for (const h of heads) {
        const { idf: _, ...trained } = h; // as training holds it: no idf, weighed rows
        expect(predictQuality(h, raw(p))).toBe(predictQuality(trained, weighed));
      }
      // The weighing changes predictions, except for a one-word prompt (its one term is 1 either
      // way) and one whose words all have the same idf and occur once.
      const plain = heads.map((h) => {
        const { idf: _, ...without } = h;
        return predictQuality(without, raw(p));
      });
      const weighedPredictions = heads.map((h) => predictQuality(h, raw(p)));
      if (p === 'hi') expect(weighedPredictions).toEqual(plain);
      else if (weighedPredictions.some((q, i) => q !== plain[i])) changed++;
    }
    expect(changed).toBe(3);
  });

  it('predicts several heads at once and from banks exactly as one by one, groups with and without idf mixed', () => {
    const { art } = withIdf();
    const heads = art.models; // routellm's with the idf, llmrouter's and arenabench's without
    expect(heads.some((h) => h.idf) && heads.some((h) => !h.idf)).toBe(true);
    const g = art.groups.find((x) => x.name === 'routellm_gpt4_vs_mixtral.jsonl')!;
    const banks = headBanks([
      heads,
      [...g.experts!.gate, ...g.experts!.heads],
      heads.slice(0, 3).reverse(),
    ]);
    const asks = [
      heads,
      [heads[0]!, heads.at(-1)!, heads[0]!],
      [...g.experts!.gate, heads.at(-2)!, ...g.experts!.heads],
      [],
    ];
    for (let round = 0; round < 2; round++)
      for (const p of PROMPTS)
        for (const ask of asks) {
          const f = raw(p, true);
          const one = ask.map((h) => predictQuality(h, f));
          expect(Array.from(banks.predict(ask, f))).toEqual(one);
          expect(Array.from(predictQualities(ask, f))).toEqual(one);
        }
  });

  it("gives no idf to a source's heads that read the raw features, and they read them in serving as in training", () => {
    const { art, idf } = withIdf();
    const g = art.groups.find((x) => x.name === 'routellm_gpt4_vs_mixtral.jsonl')!;
    const source = g.experts!.pairs![0]!.source;
    // As training makes them: the source's heads and pair head marked, without idf.
    const mark = <T extends HeadWeights & { source: string }>(h: T): T => {
      if (h.source !== source) return h;
      const { idf: _, ...rest } = h;
      return { ...rest, raw: true } as unknown as T;
    };
    g.experts = {
      gate: g.experts!.gate,
      heads: g.experts!.heads.map(mark),
      pairs: g.experts!.pairs!.map(mark),
    };
    // Feature version 5: a build that knows only 4 would give them the idf.
    expect(() => parseArtefact(serializeArtefact({ ...art, featureVersion: 4 }))).toThrow(
      /head for .* reads the raw features, which feature version 4 does not know/,
    );
    const back = parseArtefact(serializeArtefact({ ...art, featureVersion: 5 }));
    const gBack = back.groups.find((x) => x.name === g.name)!;
    const ex = gBack.experts!;
    expect([...gBack.idf!]).toEqual([...idf]);
    const own = [...ex.heads.filter((h) => h.source === source), ...ex.pairs!];
    const others = ex.heads.filter((h) => h.source !== source);
    expect(own.length).toBeGreaterThan(2);
    expect(own.every((h) => h.raw === true && h.idf === undefined)).toBe(true);
    expect(others.length > 0 && others.every((h) => !h.raw && h.idf === gBack.idf)).toBe(true);
    expect(ex.gate.every((h) => h.idf === gBack.idf)).toBe(true);
    for (const p of PROMPTS) {
      const f = raw(p);
      for (const h of own) {
        // The raw features as they are: as training fitted and scored them.
        const { raw: _, ...plain } = h;
        expect(predictQuality(h, f)).toBe(predictQuality(plain, f));
        // Features weighed by an idf are refused, not read as raw ones.
        expect(() => predictQuality(h, weighFeatures(f, gBack.idf!))).toThrow(/raw features/);
      }
      const banks = headBanks([[...own, ...others]]);
      expect(Array.from(banks.predict([...own, ...others], raw(p, true)))).toEqual(
        [...own, ...others].map((h) => predictQuality(h, f)),
      );
    }
  });

  it('stores a group idf once, gives it to every head of the group when read, and refuses one it cannot read', () => {
    const { art, idf } = withIdf();
    const text = serializeArtefact({ ...art, featureVersion: 4 });
    const json = JSON.parse(text) as {
      groups: { name: string; idf?: string }[];
      models: Record<string, unknown>[];
    };
    expect(json.groups.filter((g) => g.idf).map((g) => g.name)).toEqual([
      'routellm_gpt4_vs_mixtral.jsonl',
    ]);
    expect(json.models.some((m) => 'idf' in m)).toBe(false);
    const back = parseArtefact(text);
    const g = back.groups.find((x) => x.idf)!;
    expect([...g.idf!]).toEqual([...idf]);
    const f = raw(PROMPTS[1]!);
    back.models.forEach((m, i) => {
      expect(m.idf === g.idf).toBe(m.group === g.name);
      expect(predictQuality(m, f)).toBe(predictQuality(art.models[i]!, f));
    });
    expect(g.experts!.gate.every((h) => h.idf === g.idf)).toBe(true);
    expect(g.experts!.heads.every((h) => h.idf === g.idf)).toBe(true);
    // Feature version 3 has no idf: an artefact that says 3 and has one is refused.
    expect(() => parseArtefact(serializeArtefact({ ...art, featureVersion: 3 }))).toThrow(
      /has an idf, which feature version 3 does not read/,
    );
    const edit = (idfText: string) => {
      const j = JSON.parse(text) as { groups: { idf?: string }[] };
      j.groups.find((x) => x.idf)!.idf = idfText;
      return JSON.stringify(j);
    };
    const b64 = (a: Float32Array) => Buffer.from(a.buffer).toString('base64');
    expect(() => parseArtefact(edit(b64(new Float32Array(3).fill(1))))).toThrow(ArtefactError);
    expect(() => parseArtefact(edit(b64(new Float32Array(4).fill(-1))))).toThrow(
      /power of two .* of positive numbers/,
    );
    // An idf smaller than the group's heads could not be read by them.
    expect(() => parseArtefact(edit(b64(new Float32Array(1024).fill(1))))).toThrow(
      /more than group routellm_gpt4_vs_mixtral.jsonl's idf \(1024\)/,
    );
  });
});

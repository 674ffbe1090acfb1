// `eval`'s figures, JSON and notes: the report's documented shape, its sources, the test rows left
// out and why, renamed and pooled test files, and a saved artefact scored with the features of its
// own version.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPrices } from './load-prices.js';
import { loadRows } from './load-rows.js';
import { evaluate } from './evaluate.js';
import { scoreTestRows } from './score-test-rows.js';
import { shareText } from './eval-summary.js';
import { SWEEP, renderEvalHtml } from './eval-report.js';
import { describeTestRows, tiedMatchWarnings } from './test-rows.js';
import { trainArtefact } from './train-artefact.js';
import { loadArtefactFile } from '../src/routing/artefact-files.js';

const FIX = 'test/fixtures/routing';

/** What eval says of `n` test rows marked meta.routellm_contaminated (`rows` holds one). */
const contaminated = (n: number) =>
  `${n} test ${n === 1 ? 'prompt' : 'prompts'} left out: marked "meta.routellm_contaminated" (prompts RouteLLM leaves out of its evaluation, as they overlap its training data); remove the flag to evaluate ${n === 1 ? 'it' : 'them'}`;

describe('data, training and evaluation', () => {
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
      contaminated(2),
      '1 test prompt skipped: their data file is not one the artefact was trained on, and scores none of its models',
      '1 test prompt skipped: it has no score for strong, the best single model, which every ratio is measured against on the same prompts',
    ]);
    // The fixture's flagged rows are left out of every test, and said to be (since 2026-12-07).
    expect(describeTestRows(evaluate(artefact, rows).skipped)).toEqual([contaminated(1)]);

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
      contaminated(1),
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
      contaminated(1),
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
      contaminated(2),
      "the test prompts are of 2 data groups (copy.jsonl, tiny.jsonl), whose scores are on different scales: the pooled figures (and by_source, where a source is in several) are means over all of them, against each group's own best single model (best_single and cheapest are each group's own, their names joined by \"|\" where they differ); evaluate one group's files at a time for figures on one scale",
    ]);
    // The fixture's flagged rows are left out of every test, and said to be (since 2026-12-07).
    expect(describeTestRows(evaluate(artefact, rows).skipped)).toEqual([contaminated(1)]);
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

// APGR and CPT (RouteLLM's measures of a router's cost against quality) on a two-model set with a
// known answer.
import { describe, expect, it } from 'vitest';
import { apgrAndCpt, apgrGapNotes } from './apgr-and-cpt.js';
import { summarize } from './evaluate.js';
import type { PromptOutcome } from './score-test-rows.js';

describe('data, training and evaluation', () => {
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
});

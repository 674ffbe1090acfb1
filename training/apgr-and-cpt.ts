// APGR and CPT(50%/80%) as the RouteLLM paper defines them for two-model files, and what `eval`
// says of them where the gap they are a share of is no gap, or noise.
import { standardErrorOfMean } from './calibrate-bands.js';
import { mean, type EvalSummary } from './eval-summary.js';
import { baselineOf, type PromptOutcome } from './score-test-rows.js';

/**
 * RouteLLM's APGR and CPT for a strong/weak pair: sweep the share of prompts sent to strong, the
 * best single model on the training prompts (`baselineOf`). Only for two-model sets (null when
 * the prompts name more models); a prompt that has one of the two scored (a judge that gave no
 * grade) is left out, as a pairwise comparison needs both.
 */
export function apgrAndCpt(
  outcomes: PromptOutcome[],
): Pick<EvalSummary, 'apgr' | 'cpt50' | 'cpt80' | 'apgr_gap'> {
  const named = new Set(outcomes.flatMap((o) => o.models));
  const pairs = outcomes.filter((o) => o.models.length === 2);
  if (pairs.length === 0 || named.size !== 2) return { apgr: null, cpt50: null, cpt80: null };
  const strong = baselineOf;
  const weak = (o: PromptOutcome) => o.models.find((m) => m !== baselineOf(o))!;
  const qStrong = mean(pairs.map((o) => o.row.scores[strong(o)]!));
  const qWeak = mean(pairs.map((o) => o.row.scores[weak(o)]!));
  const gap = qStrong - qWeak;
  const apgr_gap = {
    strong: strong(pairs[0]!),
    weak: weak(pairs[0]!),
    pairs: pairs.length,
    gap,
    gap_se:
      pairs.length < 2
        ? null
        : standardErrorOfMean(pairs.length, (i) => {
            const o = pairs[i]!;
            return o.row.scores[strong(o)]! - o.row.scores[weak(o)]!;
          }),
  };
  // A strong model no better than the weak one on these prompts leaves no gap to recover: any
  // share of it (−0.6, 27) would read as a result.
  if (!(gap > 1e-9)) return { apgr: null, cpt50: null, cpt80: null, apgr_gap };
  // Router score: how much the strong model is predicted to win by.
  const ranked = [...pairs].sort((a, b) => {
    const sa = a.predicted.get(strong(a))! - a.predicted.get(weak(a))!;
    const sb = b.predicted.get(strong(b))! - b.predicted.get(weak(b))!;
    return sb - sa || a.row.id.localeCompare(b.row.id);
  });
  const n = ranked.length;
  let total = mean(ranked.map((o) => o.row.scores[weak(o)]!)) * n;
  const pgr: number[] = [0];
  for (let k = 0; k < n; k++) {
    const o = ranked[k]!;
    total += o.row.scores[strong(o)]! - o.row.scores[weak(o)]!;
    pgr.push((total / n - qWeak) / gap);
  }
  // Average PGR over the strong-call share from 0 to 100% (trapezoid rule).
  let area = 0;
  for (let k = 1; k <= n; k++) area += (pgr[k - 1]! + pgr[k]!) / 2;
  const apgr = area / n;
  const cpt = (target: number) => {
    for (let k = 0; k <= n; k++) if (pgr[k]! >= target) return k / n;
    return 1;
  };
  return { apgr, cpt50: cpt(0.5), cpt80: cpt(0.8), apgr_gap };
}

/**
 * What `eval` says of APGR where its gap says little (`where`: "" pooled, else a source): not
 * reported for no positive gap, noise for a gap within two standard errors of none.
 */
export function apgrGapNotes(summary: EvalSummary, where: string): string[] {
  const g = summary.apgr_gap;
  if (!g) return [];
  const of = where ? ` for ${where}` : '';
  const gapText = `${g.gap.toFixed(3)}${g.gap_se === null ? '' : ` ± ${g.gap_se.toFixed(3)}`} over ${g.pairs} prompt${g.pairs === 1 ? '' : 's'}`;
  if (summary.apgr === null)
    return [
      `APGR and CPT${of} are not reported: on the test prompts ${g.strong} (the best single model on the training prompts) does not score above ${g.weak} (gap ${gapText}), so there is no gap for a router to recover`,
    ];
  if (g.gap_se !== null && g.gap < 2 * g.gap_se)
    return [
      `APGR${of} (${summary.apgr.toFixed(3)}) is a share of a gap within two standard errors of none (${g.strong} − ${g.weak}: ${gapText}): read it and CPT as noise`,
    ];
  return [];
}

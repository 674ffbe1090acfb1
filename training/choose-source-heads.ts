// Which large sources of a group keep heads of their own (`trainArtefact`'s step after the pooled
// heads): each source's heads behind a gate, cross-fitted on the calibration folds, kept where the
// gate recognises the source and they route its prompts better than the pooled heads; with an idf,
// fitted a second time on the raw features, each source taking the rows that route it better.
import { mostLikelySource } from '../src/routing/predict-quality.js';
import type { ModelHead, SourceExperts } from '../src/routing/routing-model.js';
import type { ScoredRow } from './route-prepared.js';
import type { CrossFit } from './cross-fit.js';
import type { DataRow } from './load-rows.js';
import { featurize, type FeaturedRow } from './heads.js';
import { comparePairs } from './pair-heads.js';
import { compareSourceHeads, gateRows, type GatedRow, type RawSourceRows } from './source-heads.js';

export interface SourceHeadsChoice {
  /** Sources that keep their own heads, those of them with a pair head, those on raw features. */
  kept: string[];
  paired: string[];
  rawSources: string[];
  /** The raw features of rows (for the final fit of the sources in `rawSources`). */
  rawRows: (rs: FeaturedRow[]) => FeaturedRow[];
  /** Out-of-sample predictions as they would serve: `outOfSample` itself when none is kept. */
  outOfSample: ScoredRow[];
  /** What was compared, for the artefact's training notes. */
  notes?: Record<string, unknown>;
}

/**
 * Cross-fits the sources' own heads (`experts`, with `raw` rows for the raw-feature fit) on the
 * folds of `crossFit`, and decides per source: a source of two models keeps a pair head where it
 * ranks better than their own heads' difference (`comparePairs`); a source keeps its heads where
 * they beat the pooled heads by more than `z` paired standard errors (`compareSourceHeads`).
 */
export function chooseSourceHeads(args: {
  rows: DataRow[];
  large: string[];
  outOfSample: ScoredRow[];
  crossFit: CrossFit;
  epochs: number;
  pricing: ModelHead[];
  best: string;
  z: number;
  /** Whether the group has an idf: the heads are then cross-fitted on the raw features too. */
  raw: boolean;
  experts: (fit: FeaturedRow[], raw?: RawSourceRows) => SourceExperts;
}): SourceHeadsChoice {
  const { rows, large, crossFit, epochs, pricing, best, z } = args;
  // With an idf, a gated source's own heads may read the raw features instead: both are
  // cross-fitted on the same folds (one gate, on the tf-idf rows), and each source takes the
  // rows on which its own heads (with its pair head where kept) route its prompts better.
  const triesRaw = args.raw && large.length > 0;
  const rawOf = new Map(triesRaw ? featurize(rows).map((f) => [f.row, f.features] as const) : []);
  const rawRows = (rs: FeaturedRow[]) =>
    rs.map((r) => ({ row: r.row, features: rawOf.get(r.row)! }));
  const none = { kept: [], paired: [], rawSources: [], rawRows, outOfSample: args.outOfSample };
  if (!large.length) return none;
  const pooled = new Map(args.outOfSample.map((r) => [r.row, r]));
  const gatedRows: GatedRow[] = [];
  const gatedRaw: GatedRow[] = [];
  crossFit('per-source', (fit, rest, progress) => {
    const ex = args.experts(fit);
    gatedRows.push(...gateRows(rest, ex, pooled));
    for (let e = 0; e < epochs; e++) progress();
    if (triesRaw) {
      const exRaw = args.experts(fit, { rows: rawRows(fit), sources: large, gate: ex.gate });
      gatedRaw.push(...gateRows(rest, exRaw, pooled, rawRows(rest)));
      for (let e = 0; e < epochs; e++) progress('per-source, raw features');
    }
    return [];
  });
  // A source of two models keeps a pair head where it ranks better than their own heads'
  // difference (`comparePairs`); its heads are then compared with the pooled ones with it.
  const verdicts = (gated: GatedRow[]) => {
    const pairs = comparePairs(gated, large, pricing, best, z);
    const withPairs = pairs.filter((t) => t.keep).map((t) => t.source);
    for (const r of gated) for (const s of withPairs) r.own.set(s, r.paired.get(s)!);
    return {
      pairs,
      withPairs,
      compared: compareSourceHeads(gated, large, rows, pricing, best, z),
    };
  };
  const tfidf = verdicts(gatedRows);
  const rawVerdicts = triesRaw ? verdicts(gatedRaw) : undefined;
  // The gate is the same, so both are measured on the same prompts of each source.
  const rawSources = rawVerdicts
    ? large.filter(
        (s, i) =>
          rawVerdicts.compared[i]!.own > tfidf.compared[i]!.own && rawVerdicts.compared[i]!.keep,
      )
    : [];
  const verdictsOf = (s: string) => (rawSources.includes(s) ? rawVerdicts! : tfidf);
  const compared = large.map((s, i) => verdictsOf(s).compared[i]!);
  const pairs = large.flatMap((s) => verdictsOf(s).pairs.filter((t) => t.source === s));
  for (const s of rawSources) gatedRows.forEach((r, k) => r.own.set(s, gatedRaw[k]!.own.get(s)!));
  const kept = compared.filter((t) => t.keep).map((t) => t.source);
  const paired = pairs.filter((t) => t.keep && kept.includes(t.source)).map((t) => t.source);
  const notes = {
    compared,
    kept,
    ...(pairs.length ? { pairs, paired } : {}),
    ...(rawVerdicts
      ? {
          // Both cross-fits, whichever each source took (`compared` and `pairs` are its).
          rawFeatures: {
            sources: rawSources,
            tfidf: tfidf.compared,
            raw: rawVerdicts.compared,
            ...(rawVerdicts.pairs.length
              ? { tfidfPairs: tfidf.pairs, rawPairs: rawVerdicts.pairs }
              : {}),
          },
        }
      : {}),
  };
  if (!kept.length) return { ...none, rawSources, notes };
  const outOfSample = gatedRows.map((r) => {
    const s = mostLikelySource(r.gate, large, kept);
    return s === undefined ? r.pooled : { row: r.row, predicted: r.own.get(s)! };
  });
  return { kept, paired, rawSources, rawRows, outOfSample, notes };
}

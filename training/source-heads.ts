// Per-source heads behind a gate: for the large sources of a group, heads fitted on that source's
// prompts alone, and a one-vs-rest gate (a classifier over the same features) that tells serving
// which source's heads score a prompt. Training keeps a source's heads only where, out of sample,
// they route better than the pooled ones (docs/routing.md, "Seventh round"), and a source of two
// models its pair head (their difference) only where it routes better than their own heads
// ("Fifteenth round").
import { type ModelHead, type SourceExperts } from '../src/routing/routing-model.js';
import {
  headsBySource,
  mostLikelySource,
  predictQualities,
  predictQuality,
} from '../src/routing/predict-quality.js';
import { sourceGroup } from './source-group.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { frontierQuality, standardErrorOfMean } from './calibrate-bands.js';
import type { ScoredRow } from './route-prepared.js';
import { pairTask, pairedPredictions } from './pair-heads.js';
import { FIT_LIMITS, fitAll, packRows, type FitTask } from './fit-pool.js';
import {
  GATE_C,
  GATE_MAX_ITERATIONS,
  hashSizeFor,
  trainHeads,
  unpackWeights,
  type FeaturedRow,
  type TrainOptions,
} from './heads.js';
import { levelPartlyScored } from './model-pool.js';

/**
 * Prompts a source (the first two `/`-segments of `source`, as `eval` reports them) needs for heads
 * of its own to be tried. Whether a tried source keeps them is measured (out of sample, against a
 * standard error), so this only bounds the work: below it a source's own heads rarely beat the
 * pooled ones by a standard error.
 */
export const EXPERT_SOURCE_PROMPTS = 150;

/**
 * Share of a source's training prompts the gate must give it (out of sample) for its own heads to
 * be kept. Among many similar sources (MMLU's subjects, say) the gate may recognise a source on a
 * handful of prompts: its heads would rarely serve, and a gain measured on so few prompts (the best
 * point of each curve chosen on them) is mostly chance.
 */
export const GATE_MIN_RECALL = 0.5;

/**
 * Whether a source keeps its own heads: the gate recognises at least `GATE_MIN_RECALL` of its
 * training prompts, and on the (at least two) prompts the gate gives it the own heads' frontier
 * quality beats the pooled heads' by more than z paired standard errors.
 */
export function keepsSourceHeads(
  c: { sourcePrompts: number; recognised: number; prompts: number; gain: number; se: number },
  z: number,
): boolean {
  return c.recognised >= GATE_MIN_RECALL * c.sourcePrompts && c.prompts >= 2 && c.gain > z * c.se;
}

/**
 * Sources of a group large enough for heads of their own; none unless there are at least two
 * (one large source among small ones is what the pooled heads already fit). Within a source,
 * `trainExperts` fits heads only for the models scored on at least half its prompts; the others
 * (a model tried on a sample of the prompts, or not on this task) keep their pooled heads there.
 * Until the eleventh session a source needed every model scored on half its prompts, so one
 * model scored on a sample held every source back.
 */
export function expertSources(rows: DataRow[]): string[] {
  const prompts = new Map<string, number>();
  for (const r of rows) {
    const s = sourceGroup(r.source);
    prompts.set(s, (prompts.get(s) ?? 0) + 1);
  }
  const large = [...prompts]
    .filter(([, n]) => n >= EXPERT_SOURCE_PROMPTS)
    .map(([s]) => s)
    .sort();
  return large.length >= 2 ? large : [];
}

/** Sparse weights of each gated source's heads: by its prompts, as the group's by the group's. */
export function expertHashSizes(
  rows: DataRow[],
  sources: string[],
  fixed: number | undefined,
): Map<string, number> {
  return new Map(
    sources.map((s) => [
      s,
      fixed ?? hashSizeFor(rows.filter((r) => sourceGroup(r.source) === s).length),
    ]),
  );
}

/**
 * Sources whose own heads and pair head read the raw features although the group's rows are tf-idf
 * (`RawFeatures`): `rows` are the raw features of `trainExperts`' rows, in the same order; `gate`,
 * a gate already fitted on those rows, to use rather than fit again.
 */
export interface RawSourceRows {
  rows: FeaturedRow[];
  sources: readonly string[];
  gate?: SourceExperts['gate'];
}

/**
 * Per-source heads on `rows`: a one-vs-rest gate over every prompt (C = GATE_C) and, for each
 * source, the pool's heads fitted on its prompts alone with `opts`' settings (on the raw rows for
 * the sources `raw` names).
 */
export function trainExperts(
  rows: FeaturedRow[],
  pool: string[],
  group: string,
  prices: Map<string, Price>,
  opts: TrainOptions,
  sources: string[],
  hashSizes: Map<string, number>,
  level?: { partial: ReadonlySet<string>; best: string },
  pairs?: { strong: string; sources: readonly string[] },
  raw?: RawSourceRows,
): SourceExperts {
  const of = rows.map((r) => sourceGroup(r.row.source));
  const readsRaw = (source: string) => raw?.sources.includes(source) ?? false;
  /** The rows a source's own heads and pair head are fitted on: raw or as the gate reads them. */
  const rowsFor = (source: string) => (readsRaw(source) ? raw!.rows : rows);
  const size = opts.hashSize ?? hashSizeFor(rows.length);
  const all = Int32Array.from(rows.keys());
  const ownModels = (source: string) => {
    const own = rows.filter((_, k) => of[k] === source);
    return pool.filter(
      (m) => own.reduce((n, r) => n + (r.row.scores[m] === undefined ? 0 : 1), 0) * 2 >= own.length,
    );
  };
  // A pair head where a source's own heads are two, the strong model one of them.
  const pairFits = (pairs?.sources ?? []).flatMap((source) => {
    const models = ownModels(source);
    const weak = models.find((m) => m !== pairs!.strong);
    return models.length === 2 && weak && models.includes(pairs!.strong)
      ? [
          {
            source,
            strong: pairs!.strong,
            weak,
            task: pairTask(
              rowsFor(source),
              (k) => of[k] === source,
              pairs!.strong,
              weak,
              hashSizes.get(source) ?? size,
              opts,
            ),
          },
        ]
      : [];
  });
  const gateTasks: FitTask[] = sources.map((s) => {
    const targets = Float64Array.from(of, (x) => (x === s ? 1 : 0));
    const mean = Math.min(0.98, Math.max(0.02, targets.reduce((a, b) => a + b, 0) / rows.length));
    return {
      rows: all,
      targets,
      c: GATE_C,
      size,
      bias: Math.log(mean / (1 - mean)),
      maxIterations: Math.min(GATE_MAX_ITERATIONS, opts.maxIterations ?? FIT_LIMITS.maxIterations),
    };
  });
  // The gate (unless given) and the pair heads on the gate's rows in one batch; pair heads on the
  // raw rows in another.
  const onRows = pairFits.filter((p) => !readsRaw(p.source));
  const onRaw = pairFits.filter((p) => readsRaw(p.source));
  const solutions = fitAll(
    packRows(rows.map((r) => r.features)),
    [...(raw?.gate ? [] : gateTasks), ...onRows.map((p) => p.task)],
    () => {},
  );
  const rawSolutions = onRaw.length
    ? fitAll(
        packRows(raw!.rows.map((r) => r.features)),
        onRaw.map((p) => p.task),
        () => {},
      )
    : [];
  const gate =
    raw?.gate ?? sources.map((source, i) => ({ source, ...unpackWeights(solutions[i]!, size) }));
  const skip = raw?.gate ? 0 : sources.length;
  const fittedPairs = pairFits.map(({ task, ...pair }) => {
    const onRawRows = readsRaw(pair.source);
    const x = onRawRows
      ? rawSolutions[onRaw.findIndex((p) => p.source === pair.source)]!
      : solutions[skip + onRows.findIndex((p) => p.source === pair.source)]!;
    return {
      ...pair,
      ...unpackWeights(x, task.size),
      ...(onRawRows ? { raw: true as const } : {}),
    };
  });
  // A model scored on fewer than half a source's prompts (a partly scored one) gets no head for
  // it: its pooled head scores the source's prompts, in serving as here.
  const heads = sources.flatMap((source) => {
    const own = rowsFor(source).filter((_, k) => of[k] === source);
    const models = ownModels(source);
    const fitted = trainHeads(own, models, group, prices, {
      ...opts,
      hashSize: hashSizes.get(source),
    });
    // A partial model's source head is levelled as its pooled head is, by the best single
    // model's source head on the same prompts.
    return (level ? levelPartlyScored(fitted, own, level.partial, level.best) : fitted).map(
      (h) => ({
        model: h.name,
        source,
        bias: h.bias,
        sparse: h.sparse,
        dense: h.dense,
        ...(readsRaw(source) ? { raw: true as const } : {}),
      }),
    );
  });
  return fittedPairs.length ? { gate, heads, pairs: fittedPairs } : { gate, heads };
}

/** A calibration row as sources' own heads see it: gate probabilities and each source's predictions. */
export interface GatedRow {
  row: DataRow;
  /** The gate's probability for each source (in the order trained). */
  gate: Float64Array;
  /** The source the whole gate assigns the row to, if any. */
  source: string | undefined;
  own: Map<string, Map<string, number>>;
  /** For each source with a pair head: its predictions with the weak model's `pairedQuality`. */
  paired: Map<string, Map<string, number>>;
  pooled: ScoredRow;
}

/**
 * Calibration rows as sources' own heads see them: the gate's probabilities and source, and each
 * source's predictions (a model without a head there keeps its pooled prediction).
 */
export function gateRows(
  rows: FeaturedRow[],
  experts: SourceExperts,
  pooled: Map<DataRow, ScoredRow>,
  rawRows?: FeaturedRow[],
): GatedRow[] {
  const bySource = headsBySource(experts);
  const sources = experts.gate.map((h) => h.source);
  return rows.map(({ row, features: gated }, k) => {
    const fallback = pooled.get(row)!;
    // Heads that read the raw features are given them (`rawRows`, in the same order).
    const rawFeatures = rawRows?.[k]!.features;
    const featuresOf = (h: { raw?: true }) => {
      if (!h.raw) return gated;
      if (!rawFeatures) throw new Error('a head that reads the raw features needs them');
      return rawFeatures;
    };
    const own = new Map(
      sources.map((source) => [
        source,
        new Map(
          [...fallback.predicted].map(([m, q]) => {
            const h = bySource.get(source)?.get(m);
            return [m, h ? predictQuality(h, featuresOf(h)) : q] as [string, number];
          }),
        ),
      ]),
    );
    const paired = new Map(
      (experts.pairs ?? []).map((pair) => [
        pair.source,
        pairedPredictions(own.get(pair.source)!, pair, featuresOf(pair)),
      ]),
    );
    const gate = predictQualities(experts.gate, gated);
    return { row, gate, source: mostLikelySource(gate, sources), own, paired, pooled: fallback };
  });
}

/**
 * Each large source's verdict: on the calibration prompts the gate gives it, the frontier quality
 * (`frontierQuality`) of its own heads against the pooled ones', with the paired standard error,
 * and whether it keeps them (`keepsSourceHeads`).
 */
export function compareSourceHeads(
  gatedRows: GatedRow[],
  sources: string[],
  rows: DataRow[],
  pricing: ModelHead[],
  best: string,
  z: number,
): {
  source: string;
  prompts: number;
  sourcePrompts: number;
  recognised: number;
  pooled: number;
  own: number;
  standardError: number;
  keep: boolean;
}[] {
  return sources.map((source) => {
    const own = gatedRows.filter((r) => r.source === source);
    const pooledRoute = frontierQuality(
      own.map((r) => r.pooled),
      pricing,
      best,
    );
    const ownRoute = frontierQuality(
      own.map((r) => ({ row: r.row, predicted: r.own.get(source)! })),
      pricing,
      best,
    );
    const gain = ownRoute.quality - pooledRoute.quality;
    const se = standardErrorOfMean(
      ownRoute.perRow.length,
      (i) => ownRoute.perRow[i]! - pooledRoute.perRow[i]!,
    );
    const sourcePrompts = rows.filter((r) => sourceGroup(r.source) === source).length;
    const recognised = own.filter((r) => sourceGroup(r.row.source) === source).length;
    return {
      source,
      prompts: own.length,
      sourcePrompts,
      recognised,
      pooled: pooledRoute.quality,
      own: ownRoute.quality,
      standardError: se,
      keep: keepsSourceHeads({ sourcePrompts, recognised, prompts: own.length, gain, se }, z),
    };
  });
}

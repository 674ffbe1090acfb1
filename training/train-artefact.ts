// Training the routing artefact: per data file (group), the pool's quality heads (heads.ts), each
// head variant cross-fitted so that every training prompt is scored out of sample (cross-fit.ts),
// the variant whose calibrated Balanced band routes cheapest fitted on all prompts, large sources'
// own heads where they route better (source-heads.ts), and the bands calibrated on the predictions
// that serve (calibrate-bands.ts), within the planned work (training-plan.ts). Deterministic for a
// seed.
import { MIN_HASH_BITS } from '../src/routing/features.js';
import {
  FEATURE_VERSION,
  type GroupInfo,
  type ModelHead,
  type RoutingArtefact,
  type SourceExperts,
  withGroupIdf,
} from '../src/routing/routing-model.js';
import { DataError } from './data-error.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { promptHash } from './prompt-hash.js';
import { promptFingerprint } from './in-sample.js';
import { calibrateBandsFromScores, type CalibratedBands } from './calibrate-bands.js';
import { scoreRows, type ScoredRow } from './route-prepared.js';
import { DEFAULT_TARGETS } from './band-targets.js';
import { FIT_LIMITS } from './fit-pool.js';
import {
  DEFAULT_EPOCHS,
  costHeads,
  trainHeads,
  type FeaturedRow,
  type TrainOptions,
} from './heads.js';
import { levelPartlyScored, withCoverage } from './model-pool.js';
import { expertHashSizes, expertSources, trainExperts } from './source-heads.js';
import { describeCalibration, trainingPlans } from './training-plan.js';
import { NO_PRICED_MODEL, prepareGroups } from './prepare-groups.js';
import { chooseSourceHeads } from './choose-source-heads.js';
import { groupCrossFit } from './cross-fit.js';
import { artefactTime, todaysVersion } from './artefact-time.js';
import {
  fitGroupPair,
  pairVerdict,
  triesGroupPair,
  withPair,
  type PairVerdict,
} from './pair-heads.js';

export interface TrainResult {
  artefact: RoutingArtefact;
  warnings: string[];
  /**
   * Per group, every calibration prompt's out-of-sample prediction as it would serve (the bands'
   * input), and the folds it was cross-fitted on (`calibrationFold` of `foldKey`): for a family
   * blended with it.
   */
  crossFitted: Map<
    string,
    { outOfSample: ScoredRow[]; folds: number; foldKey: (prompt: string) => string }
  >;
}

/** A variant is better when its Balanced band routes cheaper; near-ties go to Quality mode. */
function betterVariant(a: CalibratedBands, b: CalibratedBands): boolean {
  const cost = (x: CalibratedBands) => (x.report.balanced as { cost: number } | undefined)?.cost;
  const quality = (x: CalibratedBands) =>
    (x.report.quality as { quality: number } | undefined)?.quality ?? 0;
  const ca = cost(a);
  const cb = cost(b);
  if (ca === undefined || cb === undefined) return false;
  if (Math.abs(ca - cb) > 0.01 * Math.max(ca, cb)) return ca < cb;
  return quality(a) > quality(b);
}

/** The error when no group has a model to fit: each file's reason, and what to do about it. */
function nothingToTrain(skipped: Map<string, string>): string {
  const files = [...skipped.keys()].join(', ') || 'the data files';
  if ([...skipped.values()].every((why) => why === NO_PRICED_MODEL))
    return `no model of ${files} has a price in the price file, so there is nothing to train: give each model input_per_1m_usd and output_per_1m_usd, under the data file's name (models.json's layout) or at the top level (flat)`;
  return `nothing to train: ${[...skipped].map(([g, why]) => `${g}: ${why}`).join('; ')}`;
}

export function trainArtefact(
  rowsByGroup: Map<string, DataRow[]>,
  pricesFor: (group: string) => Map<string, Price>,
  opts: TrainOptions,
): TrainResult {
  const warnings: string[] = [];
  let largestHash = 1 << MIN_HASH_BITS;
  const groups: GroupInfo[] = [];
  const models: ModelHead[] = [];
  const training: Record<string, unknown> = {};
  const crossFitted: TrainResult['crossFitted'] = new Map();
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const skipped = new Map<string, string>();
  const prepared = prepareGroups(rowsByGroup, pricesFor, opts, warnings, skipped);
  const plans = trainingPlans(prepared, opts);
  for (const p of prepared) {
    const plan = plans.get(p.group)!;
    if (plan.pooledReduced)
      warnings.push(
        `${p.group}: ${p.rows.length} prompts × ${p.pool.length} models is more fitting than the training budget allows; calibrating on ${describeCalibration(plan)} with ${plan.variants.map((v) => v.name).join(', ')} heads only${plan.experts.length < expertSources(p.rows).length ? ' and no per-source heads' : ''}${plan.maxIterations < FIT_LIMITS.maxIterations ? `, at most ${plan.maxIterations} iterations per head fit` : ''}${plan.sample < 1 ? `, and heads fitted on a sample of ${Math.round(plan.sample * 100)}% of the prompts` : ''} (the calibration heads see fewer prompts, so the bands tend to be narrower: safer, with less saving)`,
      );
    else if (plan.reduced)
      warnings.push(
        `${p.group}: per-source heads not tried: with them, ${p.rows.length} prompts × ${p.pool.length} models is more fitting than the training budget allows (the pooled heads are trained and calibrated in full)`,
      );
  }
  // Every warning is known before fitting: say them now, not after minutes of training.
  for (const w of warnings) opts.onWarning?.(w);
  if (prepared.length === 0) throw new DataError(nothingToTrain(skipped));
  // Each fit set ticks `epochs` times: every head variant per fold, the chosen one's final fit;
  // sources' own heads (or a pair head) one more set per fold and one more final one (ticked
  // whether or not any is kept), and with an idf one more per fold on the raw features.
  const totalSteps = prepared.reduce((n, p) => {
    const plan = plans.get(p.group)!;
    const others = (plan.experts.length ? 1 : 0) + (triesGroupPair(p.pool, plan.experts) ? 1 : 0);
    const calibrationFits = plan.folds >= 2 ? plan.folds : 1;
    const raw = plan.experts.length && p.rawNonZeros !== undefined ? 1 : 0;
    return n + epochs * ((plan.variants.length + others + raw) * calibrationFits + 1 + others);
  }, 0);
  let done = 0;
  const tick = (label: string) => opts.onProgress?.(++done, totalSteps, label);
  for (const {
    group,
    rows,
    prices,
    pool,
    featured,
    rawNonZeros,
    best,
    strengths,
    partial,
    hashSize,
    idf,
  } of prepared) {
    const {
      variants,
      experts: large,
      folds,
      calibrationFraction,
      maxIterations,
      sample,
    } = plans.get(group)!;
    // The prompts heads are fitted on: all, or the budget's sample (`TrainingPlan.sample`).
    const sampleSalt = `sample:${opts.seed}`;
    const sampled = <T extends { row: DataRow }>(rs: T[]): T[] =>
      sample < 1 ? rs.filter((r) => promptHash(r.row.prompt, sampleSalt) < sample) : rs;
    const fitRows = sampled(featured);
    largestHash = Math.max(largestHash, hashSize);
    // Heads carry each model's strength on the whole group (`modelStrengths`), for the reference,
    // and whether it is partly scored (never the reference beside a model that is not).
    const withStrengths = (hs: ModelHead[]) =>
      hs.map((h) => ({
        ...h,
        meanScore: strengths.get(h.name)!,
        ...(partial.has(h.name) ? { partial: true } : {}),
      }));
    /** Heads fitted on `fit`, with the partly scored models' levelled and given coverage heads. */
    const forPartial = (hs: ModelHead[], fit: FeaturedRow[]) =>
      withCoverage(
        levelPartlyScored(hs, fit, partial, best),
        fit,
        partial,
        hashSize,
        maxIterations,
      );
    // Each head variant is scored out of sample on every training prompt; the one whose calibrated
    // Balanced band routes cheapest (at the same realised quality) is fitted on all prompts.
    const pricing = withStrengths(costHeads(featured, pool, group, prices));
    const crossFit = groupCrossFit({
      group,
      featured,
      folds,
      calibrationFraction,
      seed: opts.seed,
      sampled,
      tick,
    });
    // The bands on a set of cross-fitted predictions, their halves by the folds' near-copy key.
    const calibrate = (scored: ScoredRow[]) =>
      calibrateBandsFromScores(
        scored,
        pricing,
        best,
        opts.targets ?? DEFAULT_TARGETS,
        'tradeoff-margin',
        crossFit.foldKey,
      );
    const tried = variants.map((variant) => {
      const vopts = { ...opts, hashSize, maxIterations, ...variant.settings };
      const fitted = crossFit(variant.name, (fit, rest, progress) =>
        scoreRows(
          rest,
          forPartial(
            trainHeads(fit, pool, group, prices, vopts, () => progress()),
            fit,
          ),
        ),
      );
      const bands = calibrate(fitted.outOfSample);
      return { variant, vopts, ...fitted, bands };
    });
    const chosen = tried.reduce((a, t) => (betterVariant(t.bands, a.bands) ? t : a));
    const { fitPrompts } = chosen;
    let { outOfSample, bands } = chosen;
    // Large sources' own heads (`grades` settings), cross-fitted on the same folds: a source keeps
    // them when the gate recognises at least half its prompts (`GATE_MIN_RECALL`) and, on the
    // prompts the gate gives it, they route better than the chosen pooled heads (frontier quality,
    // `frontierQuality`) by more than z paired standard errors, as the bands' bound; the bands are
    // then calibrated again on the predictions that would serve.
    const expertOpts = { ...opts, hashSize, maxIterations, c: 0.3, sourceSmoothing: 0 };
    const sizes = expertHashSizes(rows, large, opts.hashSize);
    const z = (opts.targets ?? DEFAULT_TARGETS).confidenceZ ?? 0;
    // A two-model group without gated sources: a pair head of their difference, cross-fitted on
    // the same folds and kept as a source's is (`pairVerdict`), with the sources' settings.
    const weak = pool.find((m) => m !== best);
    const tryPair = triesGroupPair(pool, large) && partial.size === 0 && weak !== undefined;
    let pairNotes: PairVerdict | undefined;
    if (tryPair) {
      const pooled = new Map(outOfSample.map((r) => [r.row, r]));
      const { outOfSample: withPairHead } = crossFit('pair', (fit, rest, progress) => {
        const pair = fitGroupPair(fit, best, weak, hashSize, expertOpts);
        for (let e = 0; e < epochs; e++) progress();
        return withPair(
          rest.map((r) => pooled.get(r.row)!),
          rest,
          pair,
        );
      });
      const own = withPairHead.map((r) => pooled.get(r.row)!);
      pairNotes = pairVerdict(own, withPairHead, pricing, best, z);
      if (pairNotes.keep) {
        outOfSample = withPairHead;
        bands = calibrate(outOfSample);
      }
    }
    // Large sources' own heads, cross-fitted on the same folds (`chooseSourceHeads`).
    const sourceHeads = chooseSourceHeads({
      rows,
      large,
      outOfSample,
      crossFit,
      epochs,
      pricing,
      best,
      z,
      raw: rawNonZeros !== undefined,
      experts: (fit, raw) =>
        trainExperts(
          fit,
          pool,
          group,
          prices,
          expertOpts,
          large,
          sizes,
          { partial, best },
          { strong: best, sources: large },
          raw,
        ),
    });
    const { kept, paired, rawSources, rawRows, notes: expertNotes } = sourceHeads;
    if (sourceHeads.outOfSample !== outOfSample) {
      outOfSample = sourceHeads.outOfSample;
      bands = calibrate(outOfSample);
    }
    const heads = withStrengths(
      forPartial(
        trainHeads(fitRows, pool, group, prices, chosen.vopts, () =>
          tick(`${group} (${chosen.variant.name}, final fit)`),
        ),
        fitRows,
      ),
    );
    let experts: SourceExperts | undefined;
    if (kept.length)
      experts = trainExperts(
        fitRows,
        pool,
        group,
        prices,
        expertOpts,
        kept,
        sizes,
        { partial, best },
        paired.length ? { strong: best, sources: paired } : undefined,
        rawSources.some((s) => kept.includes(s))
          ? { rows: rawRows(fitRows), sources: rawSources }
          : undefined,
      );
    if (large.length) for (let e = 0; e < epochs; e++) tick(`${group} (per-source, final fit)`);
    const groupPair = pairNotes?.keep
      ? fitGroupPair(fitRows, best, weak!, hashSize, expertOpts)
      : undefined;
    if (tryPair) for (let e = 0; e < epochs; e++) tick(`${group} (pair, final fit)`);
    // Bands that could not be calibrated (too few prompts) are said, not only noted in the
    // artefact: they decide what every saving mode does. A one-model pool was said up front.
    const bandsNote = bands.report.note;
    if (typeof bandsNote === 'string' && pool.length >= 2) {
      const w = `${group}: bands not calibrated: ${bandsNote}; add scored prompts, or set routers[].bands`;
      warnings.push(w);
      opts.onWarning?.(w);
    }
    groups.push({
      name: group,
      models: pool,
      bestSingle: best,
      bestMean: heads.find((h) => h.name === best)!.meanScore,
      bands: bands.bands,
      ...(experts ? { experts } : {}),
      ...(groupPair ? { pair: groupPair } : {}),
      ...(idf ? { idf } : {}),
    });
    models.push(...heads);
    crossFitted.set(group, { outOfSample, folds, foldKey: crossFit.foldKey });
    training[group] = {
      prompts: rows.length,
      // What eval --model tells in-sample test prompts by (training/in-sample.ts).
      promptHashes: promptFingerprint(rows.map((r) => r.prompt)),
      hashSize,
      termWeighting: idf ? 'tf-idf' : 'raw',
      calibrationFolds: folds >= 2 ? folds : 0,
      ...(folds >= 2 ? {} : { calibrationFraction }),
      maxIterations,
      ...(sample < 1 ? { sample, finalFit: fitRows.length } : {}),
      fit: fitPrompts,
      calibration: outOfSample.length,
      heads: { variant: chosen.variant.name, ...chosen.variant.settings },
      ...(expertNotes ? { sourceHeads: expertNotes } : {}),
      ...(pairNotes ? { pairHead: pairNotes } : {}),
      variantsTried: tried.map((t) => ({
        variant: t.variant.name,
        balanced: t.bands.report.balanced,
        quality: t.bands.report.quality,
      })),
      ...bands.report,
    };
  }
  const version = opts.version ?? todaysVersion();
  return {
    artefact: {
      version,
      createdAt: opts.createdAt ?? artefactTime(),
      featureVersion: FEATURE_VERSION,
      hashSize: largestHash,
      seed: opts.seed,
      // Every head of a group with an idf reads the features weighed by it, but a source's heads
      // marked `raw` (`eval` and serving
      // give raw features).
      ...withGroupIdf(groups, models),
      training,
    },
    warnings,
    crossFitted,
  };
}

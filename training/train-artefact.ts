// Training the routing artefact: per data file (group), one logistic quality head per model over
// the shared features (soft labels, L2; L-BFGS fits shared across threads by fit-pool.ts, or the
// first AdaGrad epochs), expected output tokens per model, and quality bands calibrated on
// cross-fitted predictions of the training prompts. Deterministic for a seed.
import {
  DENSE_SIZE,
  HASH_BITS,
  MIN_HASH_BITS,
  extractFeatures,
  requestFromPrompt,
  type Features,
} from '../src/routing/features.js';
import {
  FEATURE_VERSION,
  headsBySource,
  mostLikelySource,
  predictQualities,
  predictQuality,
  type GroupInfo,
  type HeadWeights,
  type ModelHead,
  type RoutingArtefact,
  type SourceExperts,
} from '../src/routing/routing-model.js';
import {
  DataError,
  promptHash,
  promptKey,
  sourceGroup,
  splitByHash,
  type DataRow,
  type Price,
} from './dataset.js';
import {
  calibrateBandsFromScores,
  frontierQuality,
  standardErrorOfMean,
  scoreRows,
  type CalibratedBands,
  type BandTargets,
  type ScoredRow,
} from './calibrate-bands.js';
import { prng, shuffleInPlace } from '../src/core/prng.js';
import { FIT_LIMITS, fitAll, packRows, type FitTask } from './fit-pool.js';

export interface TrainOptions {
  seed: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  /** Share of the training prompts held out to calibrate the bands (`calibrationFolds` = 0). */
  calibrationFraction?: number;
  /**
   * Folds for cross-fitted calibration (default 5): heads trained on all folds but one predict the
   * prompts of that fold, so every training prompt is scored out of sample and calibrates the
   * bands. 0 or 1: a single held-out share (`calibrationFraction`) instead.
   */
  calibrationFolds?: number;
  /**
   * `lbfgs` (default: the whole batch, to `FIT_LIMITS`' tolerance, L2 by `c`) or `adagrad` (the first
   * version: a few stochastic epochs; `epochs`, `learningRate`, `l2` apply to it).
   */
  optimizer?: 'adagrad' | 'lbfgs';
  /** Inverse regularisation strength for `lbfgs` (scikit-learn's `C`; default 0.3). */
  c?: number;
  /**
   * Share of each training target taken from the model's mean score on the prompt's source (task),
   * shrunk toward its overall mean: single 0/1 grades are noisy, the task mean is not, and serving
   * sees only the text, so the heads learn which text marks a task where the model is strong.
   */
  sourceSmoothing?: number;
  targets?: BandTargets;
  /**
   * L-BFGS iterations per head fit at most (default `FIT_LIMITS.maxIterations`, 100); the training
   * budget may lower it for a very large file unless it is given.
   */
  maxIterations?: number;
  /** Sparse weights per head (a power of two ≤ 2^16); default `hashSizeFor(prompts)`. */
  hashSize?: number;
  version?: string;
  /**
   * Fitting work the run may plan for, in row non-zeros × head fits (`trainingPlans`); default
   * `WORK_BUDGET`. Groups over it are calibrated with fewer folds and head variants.
   */
  workBudget?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Called with each warning as soon as it is known (all of them before fitting starts). */
  onWarning?: (warning: string) => void;
}

export interface FeaturedRow {
  row: DataRow;
  features: Features;
}

export const DEFAULT_TARGETS: BandTargets = {
  balanced: 0.99,
  cost: 0.95,
  margin: 0.006,
  // One standard error (the "one-SE rule"): on five salted splits of each shared file it kept the
  // same splits above the floors as a 95% bound (z = 1.645) and routed 8–12% cheaper on llmrouter;
  // z = 0.5 saved more but left one more split under (docs/routing.md). `--confidence-z` sets it.
  confidenceZ: 1,
};

/** Band targets with an optional `--confidence-z` from the command line (≥ 0). */
export function targetsWithZ(z: string | undefined): BandTargets {
  if (z === undefined) return DEFAULT_TARGETS;
  const confidenceZ = Number(z);
  if (!Number.isFinite(confidenceZ) || confidenceZ < 0)
    throw new DataError(`--confidence-z must be a number ≥ 0 (standard errors), got "${z}"`);
  return { ...DEFAULT_TARGETS, confidenceZ };
}
const DEFAULT_ANSWER_TOKENS = 300;
const DEFAULT_EPOCHS = 3;
const DEFAULT_FOLDS = 5;

/**
 * The fitting work a training run plans for, in row non-zeros (hashed indices + dense features)
 * × head fits (× iteration cap / 100). Machines of the same kind differ: the same build trained
 * the shared files in 52–68 s on one 2-core machine and in 142 s on another, and a 20,000-prompt,
 * 11-model synthetic file (332 million) in 181 s and 421 s. So the budget is set on the slower:
 * there, 111 million (that file on 3 folds, `grades`) took 128 s and 142 million (60 models on
 * the last step) 212 s, so 160 million should take about 240 s there (estimated from that rate;
 * docs/routing.md, "Training time"). It was 400 million, set on the faster machine. The shared
 * files need 157 million (90 million before per-source heads), never stepped down. Since the
 * thirteenth session (heads in lockstep, the band curve by bisection) the same plans take about
 * half to two thirds of the time (docs/routing.md), so the budget leaves room for a machine two
 * to three times slower than that session's.
 */
export const WORK_BUDGET = 160e6;

/**
 * `--work-budget <millions>` from the command line: the planned fitting work in millions (a
 * positive number); undefined leaves `WORK_BUDGET`.
 */
export function workBudgetOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const millions = Number(v);
  if (!Number.isFinite(millions) || millions <= 0)
    throw new DataError(
      `--work-budget must be a positive number of millions of fitting work (the default is ${WORK_BUDGET / 1e6}), got "${v}"`,
    );
  return millions * 1e6;
}

/**
 * The fewest prompts a group's heads are fitted on when the budget samples them (the last step of
 * `trainingPlans`): a file of many models is trained within the budget on a sample of its prompts
 * rather than past it on all of them, but never on fewer than these (or all, if it has fewer).
 */
export const SAMPLE_MIN_PROMPTS = 4000;

/**
 * Sparse weights per head for a training set: at least 16 hash buckets per prompt, from 2^14 to
 * 2^16. More prompts bring more distinct n-grams, and shared buckets blur them; on the shared
 * files 2^16 instead of 2^14 raised MMLU APGR 0.674 → 0.684 and cut llmrouter's Balanced cost
 * 0.360 → 0.333 c× (five splits, docs/routing.md), while a file of a few hundred prompts keeps
 * small heads. A fit takes about three times as long at 2^16 as at 2^14 (training threads share them).
 */
export function hashSizeFor(prompts: number): number {
  let bits = MIN_HASH_BITS;
  while (bits < HASH_BITS && 1 << bits < 16 * prompts) bits++;
  return 1 << bits;
}

export function featurize(rows: DataRow[]): FeaturedRow[] {
  return rows.map((row) => ({ row, features: extractFeatures(requestFromPrompt(row.prompt)) }));
}

/** Trains quality heads for `models` on `rows` (rows without a model's score skip that model). */
export function trainHeads(
  rows: FeaturedRow[],
  models: string[],
  group: string,
  prices: Map<string, Price>,
  opts: TrainOptions,
  progress?: (epoch: number) => void,
): ModelHead[] {
  // AdaGrad: few, small steps, as more overfit the hashed n-grams (measured in docs/routing.md).
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const lr = opts.learningRate ?? 0.1;
  const l2 = opts.l2 ?? 1e-5;
  const size = opts.hashSize ?? hashSizeFor(rows.length);
  const mask = size - 1;
  const optimizer = opts.optimizer ?? 'lbfgs';
  const heads = models.map((name) => ({
    name,
    bias: 0,
    gBias: 1e-8,
    sparse: new Float64Array(size),
    // AdaGrad's per-weight accumulators; L-BFGS keeps its own state (a 2^16 head would waste 512 KB).
    gSparse: optimizer === 'adagrad' ? new Float64Array(size).fill(1e-8) : new Float64Array(0),
    dense: new Float64Array(DENSE_SIZE),
    gDense: new Float64Array(DENSE_SIZE).fill(1e-8),
  }));
  // Start each bias at the model's mean score (log-odds) so few epochs suffice.
  heads.forEach((h) => {
    const ys = rows.map((r) => r.row.scores[h.name]).filter((y): y is number => y !== undefined);
    const mean = Math.min(
      0.98,
      Math.max(0.02, ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length)),
    );
    h.bias = Math.log(mean / (1 - mean));
  });
  if (optimizer === 'lbfgs') {
    // The progress bar counts `epochs` steps per trainHeads call: spread them over the fits.
    let ticked = 0;
    let fitted = 0;
    const tick = (done: number) => {
      for (const due = Math.floor((done * epochs) / heads.length); ticked < due;) {
        ticked++;
        progress?.(ticked);
      }
    };
    const tasks = heads.map((h) => fitTask(rows, h.name, h.bias, size, opts));
    const solutions = fitAll(packRows(rows.map((r) => r.features)), tasks, () => tick(++fitted));
    heads.forEach((h, i) => {
      const x = solutions[i]!;
      h.sparse.set(x.subarray(0, size));
      h.dense.set(x.subarray(size, size + DENSE_SIZE));
      h.bias = x[size + DENSE_SIZE]!;
    });
    tick(heads.length);
  } else {
    const order = rows.map((_, i) => i);
    const rand = prng(opts.seed);
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, rand);
      for (const k of order) {
        const { row, features: f } = rows[k]!;
        for (const h of heads) {
          const y = row.scores[h.name];
          if (y === undefined) continue;
          let z = h.bias;
          let s = 0;
          for (let i = 0; i < f.indices.length; i++) s += h.sparse[f.indices[i]! & mask]!;
          z += s * f.sparseValue;
          for (let i = 0; i < DENSE_SIZE; i++) z += h.dense[i]! * f.dense[i]!;
          const g = 1 / (1 + Math.exp(-z)) - y;
          h.gBias += g * g;
          h.bias -= (lr * g) / Math.sqrt(h.gBias);
          const gs = g * f.sparseValue;
          for (let i = 0; i < f.indices.length; i++) {
            const idx = f.indices[i]! & mask;
            const grad = gs + l2 * h.sparse[idx]!;
            h.gSparse[idx]! += grad * grad;
            h.sparse[idx]! -= (lr * grad) / Math.sqrt(h.gSparse[idx]!);
          }
          for (let i = 0; i < DENSE_SIZE; i++) {
            const grad = g * f.dense[i]! + l2 * h.dense[i]!;
            h.gDense[i]! += grad * grad;
            h.dense[i]! -= (lr * grad) / Math.sqrt(h.gDense[i]!);
          }
        }
      }
      progress?.(epoch + 1);
    }
  }
  return heads.map((h) => ({
    name: h.name,
    group,
    bias: h.bias,
    sparse: Float32Array.from(h.sparse),
    dense: h.dense,
    ...headStats(rows, h.name, prices),
  }));
}

/**
 * A head for `model` fitted from a small scored set as a correction to a known model's head (the
 * anchor): the anchor's logit on each row is a fixed offset, and the fit (C = `c`, default 0.3;
 * the bias free) learns how `model` differs from it. The head is the anchor's weights plus the
 * correction; the correction is returned too, for the anchor's per-source heads.
 */
export function fitOnAnchor(
  rows: FeaturedRow[],
  model: string,
  anchor: ModelHead,
  prices: Map<string, Price>,
  c = 0.3,
): { head: ModelHead; correction: HeadWeights; logLoss: number } {
  const scored = rows.filter((r) => r.row.scores[model] !== undefined);
  const size = anchor.sparse.length;
  const offsets = Float64Array.from(scored, (r) => logit(predictQuality(anchor, r.features)));
  const task: FitTask = {
    rows: Int32Array.from(scored, (_, k) => k),
    targets: Float64Array.from(scored, (r) => r.row.scores[model]!),
    c,
    size,
    bias: 0,
    offsets,
  };
  const [x] = fitAll(packRows(scored.map((r) => r.features)), [task]) as [Float64Array];
  const correction: HeadWeights = {
    bias: x[size + DENSE_SIZE]!,
    sparse: Float32Array.from(x.subarray(0, size)),
    dense: x.slice(size, size + DENSE_SIZE),
  };
  const head: ModelHead = {
    name: model,
    group: anchor.group,
    ...withCorrection(anchor, correction),
    ...headStats(scored, model, prices),
  };
  let loss = 0;
  for (const r of scored) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, predictQuality(head, r.features)));
    const y = r.row.scores[model]!;
    loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return { head, correction, logLoss: loss / Math.max(1, scored.length) };
}

/** The mean of sigmoid(logit + shift) over `logits`. */
function meanOfSigmoids(logits: readonly number[], shift: number): number {
  return logits.reduce((a, l) => a + 1 / (1 + Math.exp(-(l + shift))), 0) / logits.length;
}

/** The bias shift (found by bisection in [−20, 20]) that moves the mean of the sigmoids to `target`. */
function shiftToMean(logits: readonly number[], target: number): number {
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (meanOfSigmoids(logits, mid) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
};

/**
 * `head` plus `correction`, as one head. A head smaller than the correction (a per-source head
 * sized by its source's prompts) is first widened by repeating its weights, which reads every
 * feature index exactly as before (index i reads weight i mod size).
 */
export function withCorrection(head: HeadWeights, correction: HeadWeights): HeadWeights {
  const size = Math.max(head.sparse.length, correction.sparse.length);
  const hm = head.sparse.length - 1;
  const cm = correction.sparse.length - 1;
  const sparse = new Float32Array(size);
  for (let i = 0; i < size; i++) sparse[i] = head.sparse[i & hm]! + correction.sparse[i & cm]!;
  const dense = new Float64Array(Math.max(head.dense.length, correction.dense.length));
  for (let i = 0; i < dense.length; i++)
    dense[i] = (head.dense[i] ?? 0) + (correction.dense[i] ?? 0);
  return { bias: head.bias + correction.bias, sparse, dense };
}

/**
 * A model the artefact does not know, fitted from a small scored set (`calibrate`): as a
 * correction to the known head of `group` that, so corrected, fits the set best (lowest log-loss),
 * or to `anchor` when given. Where the anchor has per-source heads, the new model gets them too,
 * with the same correction. Then its bias is lowered until its mean predicted quality on the set
 * is z standard errors of its mean score below the fitted one (z = 1, as the bands' bound): from
 * ~200 prompts its level is known only to within that, and the group's bands were calibrated
 * without it. Measured on llmrouter (docs/routing.md, "Eighth round"): this routes better than a
 * head fitted from scratch, and keeps Balanced's quality nearer the promise than the unshifted fit.
 * The head is `partial`: beside the group's best single model (or any model the group was trained
 * with) it is never the reference, as the bands were calibrated against that model. Its strength
 * (`meanScore`, which ranks it among partial candidates) is the best single model's mean plus the
 * new model's mean difference to it on the set: to its scores where the set has them, else to its
 * head's prediction. The set's own mean would rank a model tried on easy prompts too high.
 * With `background` prompts (the group's training file, say: those in the set are left out), it
 * gets a coverage head (`withCoverage`) and no per-source heads: its scores are trusted on prompts
 * like the set's only, so a model scored on code prompts is not predicted on every other task
 * from them. Without, its correction applies everywhere, as before the twelfth session.
 * `opts`: the anchor, z (default the bands' `confidenceZ`), the correction's C (default 0.3) and
 * the background.
 */
export function calibrateModel(
  rows: FeaturedRow[],
  model: string,
  group: GroupInfo,
  known: ModelHead[],
  prices: Map<string, Price>,
  opts: { anchor?: string; z?: number; c?: number; background?: FeaturedRow[] } = {},
): {
  head: ModelHead;
  /** Its mean score on the set (the head's `meanScore` is its strength, measured as above). */
  meanScore: number;
  anchor: string;
  logLoss: number;
  standardError: number;
  biasShift: number;
  sourceHeads: SourceExperts['heads'];
  /** Background prompts its coverage head was fitted against (0: none, trusted everywhere). */
  background: number;
} {
  const { anchor } = opts;
  const z = opts.z ?? DEFAULT_TARGETS.confidenceZ ?? 0;
  const candidates = known.filter(
    (h) => group.models.includes(h.name) && (anchor === undefined || h.name === anchor),
  );
  if (candidates.length === 0)
    throw new DataError(
      anchor === undefined
        ? `group ${group.name} has no model heads to calibrate ${model} against`
        : `--anchor ${anchor} is not a model of group ${group.name} (its models: ${group.models.join(', ')})`,
    );
  const fits = candidates
    .map((a) => ({ anchor: a.name, ...fitOnAnchor(rows, model, a, prices, opts.c) }))
    .sort((a, b) => a.logLoss - b.logLoss || a.anchor.localeCompare(b.anchor));
  const best = fits[0]!;
  const scored = rows.filter((r) => r.row.scores[model] !== undefined);
  const standardError = standardErrorOfMean(scored.length, (i) => scored[i]!.row.scores[model]!);
  // The bias shift that lowers the mean predicted quality on the set by z standard errors.
  const logits = scored.map((r) => logit(predictQuality(best.head, r.features)));
  const drop = z * standardError;
  const biasShift = drop > 0 ? shiftToMean(logits, meanOfSigmoids(logits, 0) - drop) : 0;
  // Its strength (the reference is the strongest candidate): measured against the best single
  // model on the same prompts, by its scores where the set has them, else by its head's
  // prediction, as `modelStrengths` does for a model scored on part of a training file.
  const bestHead = known.find((h) => h.name === group.bestSingle && group.models.includes(h.name));
  let strength = best.head.meanScore;
  if (bestHead && scored.length) {
    let diff = 0;
    for (const r of scored)
      diff +=
        r.row.scores[model]! -
        (r.row.scores[group.bestSingle] ?? predictQuality(bestHead, r.features));
    strength = group.bestMean + diff / scored.length;
  }
  const head: ModelHead = {
    ...best.head,
    bias: best.head.bias + biasShift,
    meanScore: strength,
    partial: true,
  };
  // Prompts it was not scored on: a coverage head, as a model scored on part of a training file
  // gets, trusts its scores only on prompts like the scored ones. Its pooled head then answers
  // everywhere (the anchor's per-source heads would carry the correction, untrusted, onto sources
  // the set may not have).
  const background = coverageBackground(rows, opts.background ?? []);
  const covered = background.length
    ? withCoverage([head], [...rows, ...background], new Set([model]), head.sparse.length)[0]!
    : undefined;
  const sourceHeads = covered
    ? []
    : (group.experts?.heads ?? [])
        .filter((h) => h.model === best.anchor)
        .map((h) => ({
          model,
          source: h.source,
          ...withCorrection(h, { ...best.correction, bias: best.correction.bias + biasShift }),
        }));
  return {
    head: covered ?? head,
    meanScore: best.head.meanScore,
    anchor: best.anchor,
    logLoss: best.logLoss,
    standardError,
    biasShift,
    sourceHeads,
    background: background.length,
  };
}

/** Background prompts for a calibrated model's coverage head: those not in its scored set. */
function coverageBackground(rows: FeaturedRow[], background: FeaturedRow[]): FeaturedRow[] {
  const scored = new Set(rows.map((r) => promptKey(r.row.prompt)));
  return background.filter((r) => !scored.has(promptKey(r.row.prompt)));
}

/** What a head knows besides its weights: output length, mean score and prices. */
function headStats(
  rows: FeaturedRow[],
  name: string,
  prices: Map<string, Price>,
): Pick<ModelHead, 'expectedOutputTokens' | 'meanScore' | 'prices'> {
  const scored = rows.filter((r) => r.row.scores[name] !== undefined);
  const outs = rows.map((r) => r.row.outChars?.[name]).filter((c): c is number => c !== undefined);
  const price = prices.get(name)!;
  return {
    expectedOutputTokens: outs.length
      ? Math.round(outs.reduce((a, b) => a + b, 0) / outs.length / 4)
      : DEFAULT_ANSWER_TOKENS,
    meanScore:
      scored.reduce((a, r) => a + (r.row.scores[name] ?? 0), 0) / Math.max(1, scored.length),
    prices: { inputPer1M: price.inputPer1M, outputPer1M: price.outputPer1M },
  };
}

/** Heads without weights, for pricing picks while calibrating (cost does not depend on weights). */
function costHeads(
  rows: FeaturedRow[],
  models: string[],
  group: string,
  prices: Map<string, Price>,
): ModelHead[] {
  return models.map((name) => ({
    name,
    group,
    bias: 0,
    sparse: new Float32Array(0),
    dense: new Float64Array(0),
    ...headStats(rows, name, prices),
  }));
}

/** A head's fit: the rows scored for `model` and their (optionally task-smoothed) targets. */
function fitTask(
  rows: FeaturedRow[],
  model: string,
  bias: number,
  size: number,
  opts: TrainOptions,
): FitTask {
  const positions: number[] = [];
  rows.forEach((r, k) => {
    if (r.row.scores[model] !== undefined) positions.push(k);
  });
  const targets = smoothedTargets(
    positions.map((k) => rows[k]!.row),
    model,
    opts.sourceSmoothing ?? 0,
  );
  return {
    rows: Int32Array.from(positions),
    targets,
    c: opts.c ?? 0.3,
    size,
    bias,
    maxIterations: opts.maxIterations ?? FIT_LIMITS.maxIterations,
  };
}

interface HeadVariant {
  name: string;
  settings: Pick<TrainOptions, 'c' | 'sourceSmoothing'>;
}

/**
 * Prompts a source (the first two `/`-segments of `source`, as `eval` reports them) needs for heads
 * of its own to be tried. Whether a tried source keeps them is measured (out of sample, against a
 * standard error), so this only bounds the work: below it a source's own heads rarely beat the
 * pooled ones by a standard error.
 */
export const EXPERT_SOURCE_PROMPTS = 150;
/** The gate's inverse regularisation (one-vs-rest logistic heads over the shared features). */
const GATE_C = 1;
/**
 * Iterations per gate head at most. Telling sources apart by their form is an easy fit: the gate
 * heads' cap is what their planned work counts (`trainingPlans`).
 */
export const GATE_MAX_ITERATIONS = 30;
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

/**
 * The head settings cross-fitting chooses between for a group. `grades`: the models' own 0/1 or
 * graded scores, strongly regularised (C = 0.3). `task-means`: targets drawn 80% toward each
 * model's mean on the prompt's source, which are far less noisy, so the heads are regularised
 * less (C = 3); offered only when the group has at least two sources with enough prompts to have
 * a mean. Explicit `c` / `sourceSmoothing` options fix the settings instead. (Sources' own heads
 * are tried on top of the chosen variant: `expertSources`.)
 */
export function headVariants(rows: DataRow[], opts: TrainOptions): HeadVariant[] {
  if (opts.c !== undefined || opts.sourceSmoothing !== undefined || opts.optimizer === 'adagrad')
    return [{ name: 'fixed', settings: { c: opts.c, sourceSmoothing: opts.sourceSmoothing } }];
  const perSource = new Map<string, number>();
  for (const r of rows) perSource.set(r.source, (perSource.get(r.source) ?? 0) + 1);
  const sizable = [...perSource.values()].filter((n) => n >= SOURCE_PRIOR_PROMPTS).length;
  const grades: HeadVariant = { name: 'grades', settings: { c: 0.3, sourceSmoothing: 0 } };
  if (sizable < 2) return [grades];
  return [grades, { name: 'task-means', settings: { c: 3, sourceSmoothing: 0.8 } }];
}

/**
 * How a group is trained: the head variants cross-fitted, the number of calibration folds (below 2:
 * a single hold-out of `calibrationFraction` of the prompts) and the iterations per head fit.
 */
export interface TrainingPlan {
  variants: HeadVariant[];
  /** Sources whose own heads are cross-fitted against the pooled ones (`expertSources`). */
  experts: string[];
  folds: number;
  calibrationFraction: number;
  maxIterations: number;
  /**
   * Share of the group's prompts its heads are fitted on (a sample by prompt hash; calibration
   * still scores every held-out prompt): 1 but past the ladder's last step (`SAMPLE_MIN_PROMPTS`).
   */
  sample: number;
  /** Row non-zeros × head fits × iteration cap / 100 of this plan. */
  work: number;
  /** Stepped down from the full plan to fit the budget. */
  reduced: boolean;
  /** Stepped down past leaving out the per-source heads: the pooled heads' calibration is smaller. */
  pooledReduced: boolean;
}

/**
 * Plans per group within the work budget. Every group starts with all its head variants on
 * `folds` folds (and its large sources' own heads tried); while the total is over budget, the
 * group with the most work steps down: without sources' own heads, to 3 folds, then the `grades`
 * variant alone, then 2 folds, then a single hold-out (calibration heads fitted on 40% of the
 * prompts, the other 60% calibrating), then at most 50 iterations per head fit instead of 100,
 * and past that (a file of very many models) the heads are fitted on a sample of the prompts, as
 * large as the budget allows and at least `SAMPLE_MIN_PROMPTS`, while every held-out prompt still
 * calibrates the bands.
 * Fewer folds fit the calibration heads on fewer prompts, so their predictions are weaker and the
 * bands tend to come out narrower (safer, with less saving); the shorter fits
 * stop before convergence (on held-out prompts of the shared files a head's log-loss at 40–60
 * iterations matched the converged one, docs/routing.md). Explicit `calibrationFolds` (or a single
 * hold-out) and `maxIterations` are kept as given, and then nothing is sampled. Deterministic: it
 * counts features, it does not time anything.
 */
export function trainingPlans(
  groups: { group: string; rows: DataRow[]; nonZeros: number; pool: readonly string[] }[],
  opts: TrainOptions,
): Map<string, TrainingPlan> {
  const explicit = opts.calibrationFolds !== undefined;
  const folds = opts.calibrationFolds ?? DEFAULT_FOLDS;
  const calibrationFraction = opts.calibrationFraction ?? 0.3;
  const maxIterations = opts.maxIterations ?? FIT_LIMITS.maxIterations;
  const ladder = (
    variants: HeadVariant[],
    experts: string[],
  ): Omit<TrainingPlan, 'work' | 'reduced' | 'pooledReduced'>[] => {
    const plan = {
      variants,
      experts: [] as string[],
      folds,
      calibrationFraction,
      maxIterations,
      sample: 1,
    };
    const steps = experts.length ? [{ ...plan, experts }, plan] : [plan];
    if (explicit || folds < 2) return steps;
    if (folds > 3) steps.push({ ...plan, folds: 3 });
    const one = variants.slice(0, 1);
    if (variants.length > 1) steps.push({ ...plan, variants: one, folds: Math.min(folds, 3) });
    steps.push({ ...plan, variants: one, folds: 2 });
    const holdOut = { ...plan, variants: one, folds: 0, calibrationFraction: 0.6 };
    steps.push(holdOut);
    if (opts.maxIterations === undefined && maxIterations > 50)
      steps.push({ ...holdOut, maxIterations: 50 });
    return steps;
  };
  const state = groups.map((g) => {
    const models = g.pool.length;
    const steps = ladder(headVariants(g.rows, opts), expertSources(g.rows)).map((p) => {
      // Sources' own heads, in pooled fit sets: a gate head per source over every prompt (at its
      // shorter iteration cap), and every model over the sources' prompts.
      const own = g.rows.filter((r) => p.experts.includes(sourceGroup(r.source))).length;
      const gate = Math.min(1, GATE_MAX_ITERATIONS / p.maxIterations);
      const experts = p.experts.length
        ? (p.experts.length * gate + (models * own) / g.rows.length) / models
        : 0;
      // Each fit set of the calibration sees (folds − 1) / folds of the rows (a hold-out's, the
      // rest); the final fit all. A fit's work is taken to scale with its iteration cap.
      return {
        ...p,
        work:
          ((g.nonZeros * models * p.maxIterations) / FIT_LIMITS.maxIterations) *
          ((p.variants.length + experts) *
            (p.folds >= 2 ? p.folds - 1 : 1 - p.calibrationFraction) +
            1 +
            experts),
      };
    });
    return {
      group: g.group,
      prompts: g.rows.length,
      steps,
      at: 0,
      full: steps[0]!.experts.length ? 1 : 0,
      // Only a ladder that ran to its end (no explicit folds or iterations) is sampled past it.
      sampled: !explicit && folds >= 2 && opts.maxIterations === undefined,
    };
  });
  const budget = opts.workBudget ?? WORK_BUDGET;
  const total = () => state.reduce((n, s) => n + s.steps[s.at]!.work, 0);
  while (total() > budget) {
    const movable = state.filter((s) => s.at < s.steps.length - 1);
    if (movable.length === 0) break;
    const heaviest = movable.reduce((a, b) =>
      b.steps[b.at]!.work > a.steps[a.at]!.work ||
      (b.steps[b.at]!.work === a.steps[a.at]!.work && b.group < a.group)
        ? b
        : a,
    );
    heaviest.at++;
  }
  // Past every step: the groups at their last step are fitted on a sample of their prompts, one
  // share for all of them, as large as the budget allows (at least SAMPLE_MIN_PROMPTS prompts).
  const last = state.filter((s) => s.sampled && s.at === s.steps.length - 1);
  const lastWork = last.reduce((n, s) => n + s.steps[s.at]!.work, 0);
  const over = total() - budget;
  if (over > 0 && lastWork > 0) {
    const share = (lastWork - over) / lastWork;
    for (const s of last) {
      const step = s.steps[s.at]!;
      const sample = Math.min(1, Math.max(share, SAMPLE_MIN_PROMPTS / s.prompts));
      if (sample < 1) s.steps.push({ ...step, sample, work: step.work * sample });
      s.at = s.steps.length - 1;
    }
  }
  return new Map(
    state.map((s) => [
      s.group,
      { ...s.steps[s.at]!, reduced: s.at > 0, pooledReduced: s.at > s.full },
    ]),
  );
}

/** "3 folds", or "a 60% hold-out". */
function describeCalibration(plan: TrainingPlan): string {
  return plan.folds >= 2
    ? `${plan.folds} folds`
    : `a ${Math.round(plan.calibrationFraction * 100)}% hold-out`;
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

/** Prompts a source needs before its own mean outweighs the model's overall mean. */
const SOURCE_PRIOR_PROMPTS = 20;

/** Each row's target for `model`: (1 − s) × its grade + s × the model's shrunk mean on its source. */
export function smoothedTargets(rows: DataRow[], model: string, smoothing: number): Float64Array {
  const ys = Float64Array.from(rows, (r) => r.scores[model]!);
  if (!(smoothing > 0)) return ys;
  const overall = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
  const sums = new Map<string, { sum: number; n: number }>();
  rows.forEach((r, i) => {
    const s = sums.get(r.source) ?? { sum: 0, n: 0 };
    s.sum += ys[i]!;
    s.n++;
    sums.set(r.source, s);
  });
  return ys.map((y, i) => {
    const s = sums.get(rows[i]!.source)!;
    const mean = (s.sum + SOURCE_PRIOR_PROMPTS * overall) / (s.n + SOURCE_PRIOR_PROMPTS);
    return (1 - smoothing) * y + smoothing * mean;
  });
}

export interface TrainResult {
  artefact: RoutingArtefact;
  warnings: string[];
}

/**
 * A model scored on fewer prompts than this (and than half its file's) is left out of training:
 * a head fitted from scratch on ~200 prompts routed worse than leaving the model out, while
 * `calibrate`'s correction to a known head did better (docs/routing.md, "Eighth round").
 */
export const MIN_SCORED_PROMPTS = 200;

/** How many of `rows` score each model. */
function scoredCounts(rows: DataRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) for (const m in r.scores) counts.set(m, (counts.get(m) ?? 0) + 1);
  return counts;
}

/**
 * The models of a group training fits: those that have a price and are scored on enough of its
 * prompts; the others are left out with a warning that says what to do.
 */
export function poolModels(
  rows: DataRow[],
  prices: Map<string, Price>,
  group: string,
  warnings: string[],
): string[] {
  const counts = scoredCounts(rows);
  const enough = Math.min(MIN_SCORED_PROMPTS, Math.ceil(rows.length / 2));
  const pool: string[] = [];
  for (const m of [...counts.keys()].sort()) {
    const n = counts.get(m)!;
    if (!prices.has(m))
      warnings.push(`${group}: model "${m}" has no price in the price file; left out of the pool`);
    else if (n < enough)
      warnings.push(
        `${group}: model "${m}" is scored on ${n} of ${rows.length} prompts, too few to fit its head with the others (${enough} needed); left out of the pool (add it to a trained artefact with \`model-router calibrate\`, from ~200 scored prompts)`,
      );
    else pool.push(m);
  }
  return pool;
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
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const prepared = [...rowsByGroup]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([group, rows]) => {
      const prices = pricesFor(group);
      const pool = poolModels(rows, prices, group, warnings);
      if (pool.length === 0) {
        warnings.push(`${group}: no priced model; group skipped`);
        return [];
      }
      const best = bestSingleModel(rows, pool);
      const strengths = modelStrengths(rows, pool, best);
      const counts = scoredCounts(rows);
      const partial = partlyScored(rows, pool);
      for (const m of partial)
        warnings.push(
          `${group}: model "${m}" is scored on ${counts.get(m) ?? 0} of ${rows.length} prompts, too few to be the best single model: it is not the reference beside the models that are, its head is levelled by how ${best} did on its prompts, it is trusted only on prompts like them, and \`eval\` can score it only where it is scored (mean ${meanScoreOf(rows, m).toFixed(3)} on its own prompts; strength ${strengths.get(m)!.toFixed(3)} against ${best}'s ${strengths.get(best)!.toFixed(3)}, measured where both are scored)`,
        );
      const featured = featurize(rows);
      const nonZeros = featured.reduce((n, f) => n + f.features.indices.length + DENSE_SIZE, 0);
      return [{ group, rows, prices, pool, featured, nonZeros, best, strengths, partial }];
    });
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
  if (prepared.length === 0)
    throw new DataError(
      `no model of ${[...rowsByGroup.keys()].join(', ') || 'the data files'} has a price in the price file, so there is nothing to train: give each model input_per_1m_usd and output_per_1m_usd, under the data file's name (models.json's layout) or at the top level (flat)`,
    );
  // Each fit set ticks `epochs` times; sources' own heads are one more set per fold and one more
  // final one (ticked whether or not any is kept).
  const totalSteps = prepared.reduce((n, p) => {
    const plan = plans.get(p.group)!;
    const sets = plan.variants.length + (plan.experts.length ? 1 : 0);
    return n + epochs * sets * ((plan.folds >= 2 ? plan.folds : 1) + 1);
  }, 0);
  let done = 0;
  const tick = (label: string) => opts.onProgress?.(++done, totalSteps, label);
  for (const { group, rows, prices, pool, featured, best, strengths, partial } of prepared) {
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
    // One head size per group (and per gated source), for the calibration folds and the final
    // fit alike.
    const hashSize = opts.hashSize ?? hashSizeFor(rows.length);
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
    const keyed = featured.map((f) => ({ ...f, prompt: f.row.prompt }));
    const salt = `calibration:${opts.seed}`;
    // Each head variant is scored out of sample on every training prompt; the one whose calibrated
    // Balanced band routes cheapest (at the same realised quality) is fitted on all prompts.
    const pricing = withStrengths(costHeads(featured, pool, group, prices));
    /** Fits on `fit` with `fitAndScore` and scores the rest, fold by fold (or one hold-out). */
    const crossFit = (
      name: string,
      fitAndScore: (fit: FeaturedRow[], rest: FeaturedRow[], progress: () => void) => ScoredRow[],
    ) => {
      const outOfSample: ScoredRow[] = [];
      let fitPrompts = 0;
      if (folds >= 2) {
        const foldOf = (prompt: string) => Math.floor(promptHash(prompt, salt) * folds);
        for (let k = 0; k < folds; k++) {
          const fit = sampled(keyed.filter((f) => foldOf(f.prompt) !== k));
          const rest = keyed.filter((f) => foldOf(f.prompt) === k);
          outOfSample.push(
            ...fitAndScore(fit, rest, () =>
              tick(`${group} (${name}, calibration fold ${k + 1}/${folds})`),
            ),
          );
          fitPrompts += fit.length;
        }
        fitPrompts = Math.round(fitPrompts / folds);
      } else {
        const { train, test: calibration } = splitByHash(keyed, calibrationFraction, salt);
        const fit = sampled(train);
        outOfSample.push(
          ...fitAndScore(fit, calibration, () => tick(`${group} (${name}, calibration fit)`)),
        );
        fitPrompts = fit.length;
      }
      return { outOfSample, fitPrompts };
    };
    const tried = variants.map((variant) => {
      const vopts = { ...opts, hashSize, maxIterations, ...variant.settings };
      const fitted = crossFit(variant.name, (fit, rest, progress) =>
        scoreRows(rest, forPartial(trainHeads(fit, pool, group, prices, vopts, progress), fit)),
      );
      const bands = calibrateBandsFromScores(
        fitted.outOfSample,
        pricing,
        best,
        opts.targets ?? DEFAULT_TARGETS,
      );
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
    let kept: string[] = [];
    let expertNotes: Record<string, unknown> | undefined;
    if (large.length) {
      const pooled = new Map(outOfSample.map((r) => [r.row, r]));
      const gatedRows: GatedRow[] = [];
      crossFit('per-source', (fit, rest, progress) => {
        const ex = trainExperts(fit, pool, group, prices, expertOpts, large, sizes, {
          partial,
          best,
        });
        for (let e = 0; e < epochs; e++) progress();
        gatedRows.push(...gateRows(rest, ex, pooled));
        return [];
      });
      const compared = large.map((source) => {
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
      kept = compared.filter((t) => t.keep).map((t) => t.source);
      expertNotes = { compared, kept };
      if (kept.length) {
        outOfSample = gatedRows.map((r) => {
          const s = mostLikelySource(r.gate, large, kept);
          return s === undefined ? r.pooled : { row: r.row, predicted: r.own.get(s)! };
        });
        bands = calibrateBandsFromScores(
          outOfSample,
          pricing,
          best,
          opts.targets ?? DEFAULT_TARGETS,
        );
      }
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
      experts = trainExperts(fitRows, pool, group, prices, expertOpts, kept, sizes, {
        partial,
        best,
      });
    if (large.length) for (let e = 0; e < epochs; e++) tick(`${group} (per-source, final fit)`);
    groups.push({
      name: group,
      models: pool,
      bestSingle: best,
      bestMean: heads.find((h) => h.name === best)!.meanScore,
      bands: bands.bands,
      ...(experts ? { experts } : {}),
    });
    models.push(...heads);
    training[group] = {
      prompts: rows.length,
      hashSize,
      calibrationFolds: folds >= 2 ? folds : 0,
      ...(folds >= 2 ? {} : { calibrationFraction }),
      maxIterations,
      ...(sample < 1 ? { sample, finalFit: fitRows.length } : {}),
      fit: fitPrompts,
      calibration: outOfSample.length,
      heads: { variant: chosen.variant.name, ...chosen.variant.settings },
      ...(expertNotes ? { sourceHeads: expertNotes } : {}),
      variantsTried: tried.map((t) => ({
        variant: t.variant.name,
        balanced: t.bands.report.balanced,
        quality: t.bands.report.quality,
      })),
      ...bands.report,
    };
  }
  const version = opts.version ?? new Date().toISOString().slice(0, 10);
  return {
    artefact: {
      version,
      createdAt: new Date().toISOString(),
      featureVersion: FEATURE_VERSION,
      hashSize: largestHash,
      seed: opts.seed,
      groups,
      models,
      training,
    },
    warnings,
  };
}

/** Sparse weights of each gated source's heads: by its prompts, as the group's by the group's. */
function expertHashSizes(
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
 * Per-source heads on `rows`: a one-vs-rest gate over every prompt (C = GATE_C) and, for each
 * source, the pool's heads fitted on its prompts alone with `opts`' settings.
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
): SourceExperts {
  const of = rows.map((r) => sourceGroup(r.row.source));
  const size = opts.hashSize ?? hashSizeFor(rows.length);
  const all = Int32Array.from(rows.keys());
  const tasks: FitTask[] = sources.map((s) => {
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
  const solutions = fitAll(packRows(rows.map((r) => r.features)), tasks, () => {});
  const gate = sources.map((source, i) => ({ source, ...unpackWeights(solutions[i]!, size) }));
  // A model scored on fewer than half a source's prompts (a partly scored one) gets no head for
  // it: its pooled head scores the source's prompts, in serving as here.
  const heads = sources.flatMap((source) => {
    const own = rows.filter((_, k) => of[k] === source);
    const models = pool.filter(
      (m) => own.reduce((n, r) => n + (r.row.scores[m] === undefined ? 0 : 1), 0) * 2 >= own.length,
    );
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
      }),
    );
  });
  return { gate, heads };
}

/** A fit's solution vector as head weights (`size` sparse, the dense ones, the bias). */
function unpackWeights(x: Float64Array, size: number): HeadWeights {
  return {
    sparse: Float32Array.from(x.subarray(0, size)),
    dense: Float64Array.from(x.subarray(size, size + DENSE_SIZE)),
    bias: x[size + DENSE_SIZE]!,
  };
}

/** A calibration row as sources' own heads see it: gate probabilities and each source's predictions. */
interface GatedRow {
  row: DataRow;
  /** The gate's probability for each source (in the order trained). */
  gate: Float64Array;
  /** The source the whole gate assigns the row to, if any. */
  source: string | undefined;
  own: Map<string, Map<string, number>>;
  pooled: ScoredRow;
}

function gateRows(
  rows: FeaturedRow[],
  experts: SourceExperts,
  pooled: Map<DataRow, ScoredRow>,
): GatedRow[] {
  const bySource = headsBySource(experts);
  const sources = experts.gate.map((h) => h.source);
  return rows.map(({ row, features }) => {
    const fallback = pooled.get(row)!;
    const own = new Map(
      sources.map((source) => [
        source,
        new Map(
          [...fallback.predicted].map(([m, q]) => {
            const h = bySource.get(source)?.get(m);
            return [m, h ? predictQuality(h, features) : q] as [string, number];
          }),
        ),
      ]),
    );
    const gate = predictQualities(experts.gate, features);
    return { row, gate, source: mostLikelySource(gate, sources), own, pooled: fallback };
  });
}

/** The best single model is chosen among models scored on at least this share of the most. */
export const BEST_SINGLE_COVERAGE = 0.9;

/** Pool models scored on fewer than `BEST_SINGLE_COVERAGE` of the most-scored one's prompts. */
function partlyScored(rows: DataRow[], pool: string[]): Set<string> {
  const counts = scoredCounts(rows);
  const widest = Math.max(0, ...pool.map((m) => counts.get(m) ?? 0));
  return new Set(pool.filter((m) => (counts.get(m) ?? 0) < BEST_SINGLE_COVERAGE * widest));
}

/**
 * `heads` with those of `partial` models (`partlyScored`) levelled for how their prompts were
 * chosen. A head fitted on the prompts a model was scored on learns their level; if those were
 * chosen by how they went (a sample of easy ones), the features cannot show it, and the head
 * predicts that level everywhere. The best single model, scored on (nearly) every prompt, shows
 * it: on those prompts its real mean score is above its head's prediction by as much. Each partial
 * head's bias is shifted so that its mean prediction there is the model's mean score less that
 * excess. A random sample, or one task's prompts (which the features do tell apart), stays about
 * where it was. Other heads are returned as they are.
 */
export function levelPartlyScored(
  heads: ModelHead[],
  rows: FeaturedRow[],
  partial: ReadonlySet<string>,
  best: string,
): ModelHead[] {
  const bestHead = heads.find((h) => h.name === best);
  if (!bestHead || !heads.some((h) => partial.has(h.name))) return heads;
  return heads.map((h) => {
    if (!partial.has(h.name)) return h;
    const both = rows.filter(
      (r) => r.row.scores[h.name] !== undefined && r.row.scores[best] !== undefined,
    );
    if (!both.length) return h;
    let target = 0;
    for (const r of both)
      target += r.row.scores[h.name]! - r.row.scores[best]! + predictQuality(bestHead, r.features);
    target = Math.min(0.999, Math.max(0.001, target / both.length));
    const logits = both.map((r) => logit(predictQuality(h, r.features)));
    return { ...h, bias: h.bias + shiftToMean(logits, target) };
  });
}

/**
 * `heads` with a coverage head for each of the `partial` models among them (`coverageTrust`): a
 * logistic head over all of `rows` predicting whether the model is scored on a prompt (C =
 * GATE_C, at most GATE_MAX_ITERATIONS iterations, as the gate's heads), with its mean prediction
 * over the prompts the model is scored on. A model scored on one task's prompts then counts as
 * unknown on the others instead of being predicted there from them.
 */
export function withCoverage(
  heads: ModelHead[],
  rows: FeaturedRow[],
  partial: ReadonlySet<string>,
  size: number,
  maxIterations: number = FIT_LIMITS.maxIterations,
): ModelHead[] {
  const covered = heads.filter((h) => partial.has(h.name));
  if (!covered.length) return heads;
  const all = Int32Array.from(rows.keys());
  const shares = covered.map(
    (h) => rows.reduce((n, r) => n + (r.row.scores[h.name] === undefined ? 0 : 1), 0) / rows.length,
  );
  const tasks: FitTask[] = covered.map((h, i) => {
    const mean = Math.min(0.98, Math.max(0.02, shares[i]!));
    return {
      rows: all,
      targets: Float64Array.from(rows, (r) => (r.row.scores[h.name] === undefined ? 0 : 1)),
      c: GATE_C,
      size,
      bias: Math.log(mean / (1 - mean)),
      maxIterations: Math.min(GATE_MAX_ITERATIONS, maxIterations),
    };
  });
  const solutions = fitAll(packRows(rows.map((r) => r.features)), tasks, () => {});
  return heads.map((h) => {
    const i = covered.indexOf(h);
    if (i < 0) return h;
    const weights = unpackWeights(solutions[i]!, size);
    const own = rows.filter((r) => r.row.scores[h.name] !== undefined);
    const typical =
      own.reduce((a, r) => a + predictQuality(weights, r.features), 0) / Math.max(1, own.length) ||
      shares[i]!;
    return { ...h, coverage: { typical, ...weights } };
  });
}

/** The model with the best mean score among those scored on (nearly) as many prompts as any. */
export function bestSingleModel(rows: DataRow[], pool: string[]): string {
  // The model a router would otherwise always call must answer (nearly) every prompt: a model
  // scored on a few easy ones only would look best and anchor every band on those few.
  const partial = partlyScored(rows, pool);
  let best = pool[0]!;
  let bestMean = -Infinity;
  for (const m of pool) {
    if (partial.has(m)) continue;
    const mean = meanScoreOf(rows, m);
    if (mean > bestMean) {
      bestMean = mean;
      best = m;
    }
  }
  return best;
}

/** A model's mean score over the rows that score it (−∞ when none does). */
function meanScoreOf(rows: readonly { scores: Record<string, number> }[], model: string): number {
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    const s = r.scores[model];
    if (s !== undefined) {
      sum += s;
      n++;
    }
  }
  return n ? sum / n : -Infinity;
}

/**
 * Each pool model's strength on average, the heads' `meanScore`: serving takes the strongest
 * candidate as the reference (among the fully scored ones while any is a candidate). A model scored on (nearly) as many prompts as any has its
 * mean score. A model scored on fewer than `BEST_SINGLE_COVERAGE` of that has its mean difference
 * to the best single model on the prompts scored for both, added to the best single model's mean:
 * its mean over its own prompts says as much about which prompts were scored for it (a sample of
 * easy ones, say) as about the model. With no prompt in common it keeps its own mean.
 */
export function modelStrengths(rows: DataRow[], pool: string[], best: string): Map<string, number> {
  const partial = partlyScored(rows, pool);
  const bestMean = meanScoreOf(rows, best);
  const strengths = new Map<string, number>();
  for (const m of pool) {
    if (!partial.has(m)) {
      strengths.set(m, meanScoreOf(rows, m));
      continue;
    }
    let diff = 0;
    let n = 0;
    for (const r of rows) {
      const s = r.scores[m];
      const b = r.scores[best];
      if (s !== undefined && b !== undefined) {
        diff += s - b;
        n++;
      }
    }
    strengths.set(m, n ? bestMean + diff / n : meanScoreOf(rows, m));
  }
  return strengths;
}

export { predictQuality };

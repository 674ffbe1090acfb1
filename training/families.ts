// Model families compared by `eval --family`: the shipped logistic heads, k-nearest neighbours, a
// small MLP, a low-rank matrix factorisation (lowrank.ts), and the blends of kNN and the MLP with
// the pooled heads (mean of the two predictions). Each family gets its own bands, calibrated the
// same way (on a 30% hold-out). `lowrank-blend` blends the low-rank model with the heads as they
// serve, by a weight chosen by cross-fitting (lowrank-blend.ts).
import { type RoutingArtefact } from '../src/routing/routing-model.js';
import { predictQuality, trustedQuality } from '../src/routing/predict-quality.js';
import type { Features } from '../src/routing/features.js';
import { calibrateBandsFromScores } from './calibrate-bands.js';
import type { ScoredRow } from './route-prepared.js';
import { DEFAULT_TARGETS, type BandTargets } from './band-targets.js';
import { foldKeys } from './cross-fit.js';
import { splitByHash } from './prompt-hash.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import type { GroupBands, Predictor } from './score-test-rows.js';
import { buildKnn } from './knn.js';
import { buildMlp } from './mlp.js';
import { buildLowRank } from './lowrank.js';
import { trainLowRankBlend, type BlendChoice } from './lowrank-blend.js';
import type { TrainResult } from './train-artefact.js';
import { featurize, trainHeads, type FeaturedRow } from './heads.js';
import { bestSingleModel } from './model-pool.js';

export type Family =
  'logistic' | 'knn' | 'blend' | 'mlp' | 'mlp-blend' | 'lowrank' | 'lowrank-blend';

export const FAMILIES: readonly Family[] = [
  'logistic',
  'knn',
  'blend',
  'mlp',
  'mlp-blend',
  'lowrank',
  'lowrank-blend',
];

interface FamilyModel {
  predict(f: Features, models: readonly string[]): Map<string, number>;
}

/** The non-logistic part of a family, built from training rows. */
function buildPart(
  family: Exclude<Family, 'logistic' | 'lowrank-blend'>,
  rows: FeaturedRow[],
  models: readonly string[],
  seed: number,
): FamilyModel {
  if (family === 'knn' || family === 'blend') return buildKnn(rows);
  if (family === 'lowrank') return buildLowRank(rows, models, { seed });
  return buildMlp(rows, models, { seed });
}

const blends = (family: Family) => family === 'blend' || family === 'mlp-blend';

export function trainFamily(
  artefact: RoutingArtefact,
  groups: Map<string, DataRow[]>,
  pricesFor: (group: string) => Map<string, Price>,
  family: Exclude<Family, 'logistic'>,
  seed: number,
  targets: BandTargets = DEFAULT_TARGETS,
  crossFitted?: TrainResult['crossFitted'],
): { predictor: Predictor; bands: GroupBands; choices?: BlendChoice[] } {
  if (family === 'lowrank-blend') {
    if (!crossFitted) throw new Error("lowrank-blend needs the heads' cross-fitted predictions");
    return trainLowRankBlend(artefact, groups, crossFitted, seed, targets);
  }
  const bands: GroupBands = new Map();
  const finals = new Map<string, FamilyModel>();
  for (const g of artefact.groups) {
    const rows = groups.get(g.name);
    if (!rows) continue;
    const featured = featurize(rows, undefined, artefact.featureVersion);
    // Split by near-copy group (`foldKeys`), as the heads' folds are.
    const foldKey = foldKeys(rows.map((r) => r.prompt));
    const { train: fit, test: cal } = splitByHash(
      featured.map((f) => ({ ...f, prompt: foldKey(f.row.prompt) })),
      0.3,
      `calibration:${seed}`,
    );
    const heads = artefact.models.filter((m) => m.group === g.name);
    const partFit = buildPart(family, fit, g.models, seed);
    const fitHeads = blends(family)
      ? trainHeads(fit, g.models, g.name, pricesFor(g.name), { seed })
      : [];
    const scored: ScoredRow[] = cal.map(({ row, features }: FeaturedRow) => {
      const models = g.models.filter((m) => row.scores[m] !== undefined);
      const part = partFit.predict(features, models);
      const predicted = new Map<string, number>();
      for (const m of models) {
        const head = fitHeads.find((h) => h.name === m);
        predicted.set(m, head ? (part.get(m)! + predictQuality(head, features)) / 2 : part.get(m)!);
      }
      return { row, predicted };
    });
    bands.set(
      g.name,
      calibrateBandsFromScores(
        scored,
        heads,
        bestSingleModel(
          fit.map((f) => f.row),
          g.models,
          pricesFor(g.name),
        ),
        targets,
      ).bands,
    );
    finals.set(g.name, buildPart(family, featured, g.models, seed));
  }
  const headsByKey = new Map(artefact.models.map((m) => [`${m.group}\u0000${m.name}`, m]));
  const predictor: Predictor = (_row, features, group, models) => {
    const part = finals.get(group)!.predict(features, models);
    if (!blends(family)) return part;
    return new Map(
      models.map((m) => [
        m,
        (part.get(m)! + trustedQuality(headsByKey.get(`${group}\u0000${m}`)!, features)) / 2,
      ]),
    );
  };
  return { predictor, bands };
}

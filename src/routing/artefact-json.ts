// The routing artefact's JSON form: written by `train` and `calibrate`, and read back strictly
// (a hand-edited or truncated file gets the path of what is wrong, and a feature version this
// build cannot read is refused), its weights decoded from base64 into their own memory.
import { z } from 'zod';
import { formatZodIssues } from '../config/format-zod-issues.js';
import { zodIssueMessage } from '../config/zod-issue-message.js';
import { DENSE_SIZE, HASH_SIZE, LEGACY_DENSE_SIZE } from './features.js';
import {
  ArtefactError,
  withGroupIdf,
  type GroupInfo,
  type HeadWeights,
  type ModelHead,
  type PairHead,
  type PairWeights,
  type RoutingArtefact,
  type SourceExperts,
} from './routing-model.js';

/** The feature versions this build reads (see `FEATURE_VERSION`). */
const READABLE_FEATURE_VERSIONS = [2, 3, 4, 5, 6];
/** The first feature version whose groups may carry an idf. */
const IDF_FEATURE_VERSION = 4;
/** The first feature version whose source heads may read the raw features (`RawFeatures`). */
const RAW_HEADS_FEATURE_VERSION = 5;

/** A head's sparse size: a power of two the extracted features can be folded into. */
function headSizeOk(n: unknown): boolean {
  return (
    typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= HASH_SIZE && (n & (n - 1)) === 0
  );
}

type WeightsJson<T extends HeadWeights> = Omit<T, 'sparse' | 'dense'> & {
  sparse: string;
  dense: number[];
};
type ModelHeadJson = WeightsJson<ModelHead>;

function base64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function weightsJson<T extends HeadWeights>(h: T): WeightsJson<T> {
  // The group's idf is written once, on the group.
  const { idf: _idf, ...rest } = h;
  return {
    ...(rest as Omit<T, 'idf'>),
    sparse: base64(h.sparse),
    dense: [...h.dense].map((v) => Math.round(v * 1e6) / 1e6),
  } as unknown as WeightsJson<T>;
}

export function serializeArtefact(a: RoutingArtefact): string {
  const groups = a.groups.map((g) => ({
    ...g,
    ...(g.experts
      ? {
          experts: {
            gate: g.experts.gate.map(weightsJson),
            heads: g.experts.heads.map(weightsJson),
            ...(g.experts.pairs ? { pairs: g.experts.pairs.map(weightsJson) } : {}),
          },
        }
      : {}),
    ...(g.pair ? { pair: weightsJson(g.pair) } : {}),
    ...(g.idf ? { idf: base64(g.idf) } : {}),
  }));
  const models = a.models.map((m) =>
    m.coverage ? { ...weightsJson(m), coverage: weightsJson(m.coverage) } : weightsJson(m),
  );
  return JSON.stringify({ ...a, groups, models });
}

const finite = z.number().finite();
/** A mean of scores on the 0–1 scale: serving divides every model's strength by its group's. */
const meanOfScores = finite.refine((v) => v >= 0 && v <= 1, {
  error: (issue) => `${String(issue.input)} is outside [0, 1]: a mean of scores on the 0–1 scale`,
});
const weights = { bias: finite, sparse: z.string(), dense: z.array(finite) };
/** The file's shape, checked before use: a hand-edited or truncated artefact gets the path of what
 * is wrong, not a TypeError deep in a prediction. */
const artefactSchema = z.object({
  version: z.string(),
  derivedFrom: z.string().optional(),
  createdAt: z.string(),
  featureVersion: z.number(),
  hashSize: z.number(),
  seed: finite,
  groups: z
    .array(
      z.object({
        name: z.string(),
        models: z.array(z.string()),
        bestSingle: z.string(),
        bestMean: meanOfScores,
        bands: z.object({
          balanced: finite,
          cost: finite,
          qualityMargin: finite.optional(),
          rule: z.enum(['ratio', 'tradeoff', 'tradeoff-margin']).optional(),
          qualityHolds: z.boolean().optional(),
          balancedHolds: z.boolean().optional(),
          costHolds: z.boolean().optional(),
        }),
        experts: z
          .object({
            gate: z.array(z.object({ source: z.string(), ...weights })),
            heads: z.array(
              z.object({
                model: z.string(),
                source: z.string(),
                raw: z.literal(true).optional(),
                ...weights,
              }),
            ),
            pairs: z
              .array(
                z.object({
                  source: z.string(),
                  strong: z.string(),
                  weak: z.string(),
                  raw: z.literal(true).optional(),
                  ...weights,
                }),
              )
              .optional(),
          })
          .optional(),
        pair: z.object({ strong: z.string(), weak: z.string(), ...weights }).optional(),
        idf: z.string().optional(),
      }),
    )
    .min(1, { error: 'an artefact has at least one group of models; retrain it' }),
  models: z.array(
    z.object({
      name: z.string(),
      group: z.string(),
      bias: finite,
      sparse: z.string(),
      dense: z.array(finite),
      expectedOutputTokens: finite,
      meanScore: finite,
      prices: z.object({ inputPer1M: finite, outputPer1M: finite }),
      partial: z.boolean().optional(),
      coverage: z.object({ typical: finite.positive(), ...weights }).optional(),
    }),
  ),
  training: z.record(z.string(), z.unknown()),
});

export function parseArtefact(text: string, source = 'artefact'): RoutingArtefact {
  let json: unknown;
  try {
    // A byte-order mark (an editor's, on a hand-edited file) is no part of the JSON.
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new ArtefactError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const checked = artefactSchema.safeParse(json, { error: zodIssueMessage });
  if (!checked.success)
    throw new ArtefactError(
      `${source}: not a routing artefact (${formatZodIssues(checked.error).slice(0, 3).join('; ')})`,
    );
  const raw = checked.data as Omit<RoutingArtefact, 'models' | 'groups'> & {
    models: ModelHeadJson[];
    groups: (Omit<GroupInfo, 'experts' | 'pair' | 'idf'> & {
      idf?: string;
      pair?: WeightsJson<PairWeights>;
      experts?: {
        gate: WeightsJson<SourceExperts['gate'][number]>[];
        heads: WeightsJson<SourceExperts['heads'][number]>[];
        pairs?: WeightsJson<PairHead>[];
      };
    })[];
  };
  const groupNames = new Set(raw.groups.map((g) => g.name));
  for (const m of raw.models)
    if (!groupNames.has(m.group))
      throw new ArtefactError(
        `${source}: model ${m.name} names group "${m.group}", which it does not have`,
      );
  const headNames = new Set(raw.models.map((m) => `${m.group}\u0000${m.name}`));
  for (const g of raw.groups) {
    if (!g.models.includes(g.bestSingle))
      throw new ArtefactError(
        `${source}: group ${g.name}'s best single model ${g.bestSingle} is not one of its models`,
      );
    // Evaluation and serving read a head for every model a group lists.
    const missing = g.models.filter((m) => !headNames.has(`${g.name}\u0000${m}`));
    if (missing.length)
      throw new ArtefactError(
        `${source}: group ${g.name} lists ${missing.join(', ')} but has no head for ${missing.length === 1 ? 'it' : 'them'} in "models"`,
      );
  }
  if (!READABLE_FEATURE_VERSIONS.includes(raw.featureVersion) || !headSizeOk(raw.hashSize))
    throw new ArtefactError(
      `${source}: feature version ${raw.featureVersion}/${raw.hashSize} does not match this build (${READABLE_FEATURE_VERSIONS.join(' or ')}, hash size a power of two ≤ ${HASH_SIZE}); retrain it.`,
    );
  const decode = <T extends HeadWeights>(h: WeightsJson<T>, what: string): T => {
    if ((h as { raw?: true }).raw && raw.featureVersion < RAW_HEADS_FEATURE_VERSION)
      throw new ArtefactError(
        `${source}: ${what} reads the raw features, which feature version ${raw.featureVersion} does not know`,
      );
    // Decoded straight into the weights' own memory: no intermediate copy at start-up (a 2^16
    // head is 256 KB; the 2026-11-30b/c artefacts hold 5 MB of them).
    const bytes = Buffer.byteLength(h.sparse, 'base64');
    const sparse = new Float32Array(bytes % 4 === 0 ? bytes / 4 : 0);
    Buffer.from(sparse.buffer).write(h.sparse, 'base64');
    if (
      !headSizeOk(sparse.length) ||
      (h.dense.length !== DENSE_SIZE && h.dense.length !== LEGACY_DENSE_SIZE)
    )
      // Said with what was found and what to do: the bare "wrong shape" left a user with nothing.
      throw new ArtefactError(
        `${source}: ${what} has the wrong shape (${sparse.length} hashed and ${h.dense.length} dense weights, which no feature version of this build reads): the file was cut or edited; retrain it, or restore it`,
      );
    return { ...h, sparse, dense: Float64Array.from(h.dense) } as unknown as T;
  };
  const models = raw.models.map((m) => {
    const head = decode<ModelHead>(m, `model ${m.name}`);
    const coverage = (m as { coverage?: WeightsJson<HeadWeights & { typical: number }> }).coverage;
    return coverage
      ? { ...head, coverage: decode(coverage, `model ${m.name}'s coverage head`) }
      : head;
  });
  const groups = raw.groups.map((g): GroupInfo => {
    const { experts, pair: pairJson, idf: idfJson, ...plain } = g;
    const group: GroupInfo = plain;
    if (idfJson !== undefined) {
      if (raw.featureVersion < IDF_FEATURE_VERSION)
        throw new ArtefactError(
          `${source}: group ${g.name} has an idf, which feature version ${raw.featureVersion} does not read`,
        );
      const bytes = Buffer.byteLength(idfJson, 'base64');
      const idf = new Float32Array(bytes % 4 === 0 ? bytes / 4 : 0);
      Buffer.from(idf.buffer).write(idfJson, 'base64');
      if (!headSizeOk(idf.length) || !idf.every((v) => Number.isFinite(v) && v > 0))
        throw new ArtefactError(
          `${source}: group ${g.name}'s idf must be a power of two (≤ ${HASH_SIZE}) of positive numbers`,
        );
      group.idf = idf;
    }
    let rest: GroupInfo = group;
    if (pairJson) {
      const what = `group ${g.name}'s pair head for ${pairJson.strong} over ${pairJson.weak}`;
      if (
        pairJson.strong === pairJson.weak ||
        !g.models.includes(pairJson.strong) ||
        !g.models.includes(pairJson.weak)
      )
        throw new ArtefactError(`${source}: ${what} needs two different models of the group`);
      rest = { ...group, pair: decode<PairWeights>(pairJson, what) };
    }
    if (!experts) return rest;
    const gate = experts.gate.map((h) => decode(h, `group ${g.name}'s gate for ${h.source}`));
    const sources = new Set(gate.map((h) => h.source));
    const heads = experts.heads.map((h) => {
      if (!g.models.includes(h.model) || !sources.has(h.source))
        throw new ArtefactError(
          `${source}: group ${g.name} has a ${h.source} head for ${h.model}, which is not one of its models and gated sources`,
        );
      return decode(h, `group ${g.name}'s ${h.source} head for ${h.model}`);
    });
    if (!experts.pairs) return { ...rest, experts: { gate, heads } };
    // A pair head predicts its weak model from the strong one's head on the same source.
    const pairs = experts.pairs.map((h) => {
      const what = `group ${g.name}'s ${h.source} pair head for ${h.strong} over ${h.weak}`;
      const own = (m: string) => heads.some((x) => x.source === h.source && x.model === m);
      if (h.strong === h.weak || !own(h.strong) || !own(h.weak))
        throw new ArtefactError(
          `${source}: ${what} needs two different models with ${h.source} heads of their own`,
        );
      return decode(h, what);
    });
    if (new Set(pairs.map((h) => h.source)).size !== pairs.length)
      throw new ArtefactError(`${source}: group ${g.name} has two pair heads for one source`);
    return { ...rest, experts: { gate, heads, pairs } };
  });
  return { ...raw, ...withGroupIdf(groups, models, source) };
}

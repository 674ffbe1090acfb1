// The trained router: scores each eligible deployment with the routing artefact (predicted quality
// and expected output tokens; cost from the deployment's own prices) and orders them by mode.
// Deployments map to artefact models by `like:` (with `qualityOffset`), else by `model` or `name`.
import { bareNameIndex } from '../core/model-names.js';
import { roundRatio } from '../core/round-figures.js';
import type { RouterConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { extractFeatures } from './features.js';
import {
  answerBoundNote,
  declaredOutputTokens,
  expectedAnswerTokens,
} from './output-token-stats.js';
import { explainPick } from './decision-reason.js';
import { orderByMode, type Bands, type ScoredCandidate } from './pick-by-mode.js';
import {
  type GroupInfo,
  type HeadWeights,
  type ModelHead,
  type PairWeights,
  type RoutingArtefact,
} from './routing-model.js';
import { headBanks } from './head-banks.js';
import {
  coverageTrust,
  expertLookup,
  headsBySource,
  pairedQuality,
  type GatedHeads,
} from './predict-quality.js';
import type { CandidateScore, RouteInput, Router, RoutingDecision } from './router-types.js';
import { webSearchOptions } from '../core/web-search.js';

/** A deployment the artefact does not know: ranked below known models, picked only when cheap enough. */
export const UNKNOWN_MODEL_QUALITY = 0.5;
const UNKNOWN_OUTPUT_TOKENS = 300;

/**
 * What a group's strengths and predictions are divided by: its best single model's mean score,
 * or 1 where that is 0 (every score 0: the models are equal, not NaN or Infinity), as eval does.
 */
function qualityUnit(group: GroupInfo): number {
  return group.bestMean > 0 ? group.bestMean : 1;
}

interface Mapping {
  head?: ModelHead;
  group?: GroupInfo;
  /** The head's strength (`meanScore`) relative to its group's best single model's mean. */
  strength: number;
}

export function createTrainedRouter(artefact: RoutingArtefact): Router {
  const groups = new Map(artefact.groups.map((g) => [g.name, g]));
  // Heads asked for together are read from banks (`headBanks`): a group's gate with its pooled
  // heads (the gate reads the prompt first, so the pooled heads find its rows in the cache), and
  // each of its sources' heads.
  const banks = headBanks(
    artefact.groups.flatMap((g) => [
      [
        ...(g.experts?.gate ?? []),
        ...artefact.models.filter((m) => m.group === g.name),
        ...(g.pair ? [g.pair] : []),
      ],
      ...(g.experts
        ? [...headsBySource(g.experts)].map(([source, m]) => [
            ...m.values(),
            ...(g.experts!.pairs ?? []).filter((p) => p.source === source),
          ])
        : []),
    ]),
  );
  // Groups with per-source heads: features → the gated source's heads (by model), if any.
  const experts = new Map(
    artefact.groups.flatMap((g) =>
      g.experts ? [[g.name, expertLookup(g.experts, banks.predict)] as const] : [],
    ),
  );
  const byName = new Map<string, ModelHead>();
  // `like: <model>` (first data group that has it) or `like: <data file>:<model>`.
  for (const m of artefact.models) {
    if (!byName.has(m.name)) byName.set(m.name, m);
    byName.set(`${m.group}:${m.name}`, m);
  }
  // Else by the bare name (`bareModelName`: no provider prefix, any case) of `like`, the model or
  // the name, where exactly one artefact model has it (a vLLM deployment of
  // `meta-llama/Llama-3.1-8B-Instruct` is the artefact's `llama-3.1-8b-instruct`).
  const bare = bareNameIndex(artefact.models.map((m) => m.name));
  const byBare = (n: string | undefined) => {
    const match = n === undefined ? undefined : bare(n);
    return match === undefined ? undefined : byName.get(match);
  };
  const mappings = new WeakMap<DeploymentConfig, Mapping>();
  const exactHead = (d: DeploymentConfig): ModelHead | undefined =>
    (d.like && byName.get(d.like)) || byName.get(d.model) || byName.get(d.name);
  const headFor = (d: DeploymentConfig): ModelHead | undefined =>
    exactHead(d) || byBare(d.like) || byBare(d.model) || byBare(d.name);

  const mapDeployment = (d: DeploymentConfig): Mapping => {
    let m = mappings.get(d);
    if (m) return m;
    const head = headFor(d);
    const group = head ? groups.get(head.group) : undefined;
    m = {
      head,
      group,
      strength: head && group ? head.meanScore / qualityUnit(group) : UNKNOWN_MODEL_QUALITY,
    };
    mappings.set(d, m);
    return m;
  };

  return {
    describeSubset(router: RouterConfig, deployments: readonly DeploymentConfig[]): string[] {
      const notes: string[] = [];
      const byGroup = new Map<string, string[]>();
      const where = `router ${router.name} (artefact ${artefact.version})`;
      const known: { d: DeploymentConfig; head: ModelHead }[] = [];
      for (const name of router.modelSubset) {
        const d = deployments.find((x) => x.name === name);
        if (!d) continue;
        const head = headFor(d);
        if (head && !exactHead(d))
          notes.push(
            `${where}: deployment ${d.name} is mapped to ${head.group}:${head.name} by name without provider prefix or case (${byBare(d.like) ? `like "${d.like}"` : byBare(d.model) ? `model "${d.model}"` : `name "${d.name}"`}); set like: "${head.name}" to say so`,
          );
        else if (d.like && !byName.has(d.like))
          notes.push(
            `${where}: deployment ${d.name} is like "${d.like}", a model the artefact does not know` +
              (head
                ? `; it is mapped by its ${byName.get(d.model) ? 'model' : 'name'} to ${head.group}:${head.name} instead`
                : `; it is scored at the conservative default ${UNKNOWN_MODEL_QUALITY}`),
          );
        else if (!head)
          notes.push(
            `${where}: the artefact does not know deployment ${d.name} (model "${d.model}"): it is scored at the conservative default ${UNKNOWN_MODEL_QUALITY}; map it with like: or score it with \`model-router calibrate\``,
          );
        if (head) {
          byGroup.set(head.group, [...(byGroup.get(head.group) ?? []), d.name]);
          known.push({ d, head });
        }
      }
      // A partial model that is stronger than every trained one beside it: not the reference.
      for (const { d, head } of known) {
        if (!head.partial) continue;
        const full = known.filter((x) => !x.head.partial && x.head.group === head.group);
        const strongest = Math.max(...full.map((x) => x.head.meanScore + x.d.qualityOffset));
        if (full.length && head.meanScore + d.qualityOffset > strongest)
          notes.push(
            `${where}: deployment ${d.name} maps to ${head.group}:${head.name}, which is stronger on average than the trained models beside it but was scored on part of the training prompts or added by \`model-router calibrate\`: it is routed to on its predictions, but the saving modes measure against the strongest trained model, as the bands were calibrated (retrain with its scores on the training prompts to make it the reference)`,
          );
      }
      for (const [g, names] of byGroup) {
        if (names.length < 2 || !effectiveBands(groups.get(g), router).qualityHolds) continue;
        notes.push(
          `${where}: in Quality mode it keeps the strongest of ${names.join(', ')} (the artefact found, for ${g}, that leaving its best single model gained nothing beyond noise on held-out prompts); routers[].bands.qualityHolds: false routes on the predictions instead`,
        );
      }
      if (byGroup.size > 1) {
        const spread = [...byGroup].map(([g, names]) => `${g}: ${names.join(', ')}`).join('; ');
        notes.push(
          `${where}: its deployments map into ${byGroup.size} data groups (${spread}); each group's predictions are relative to its own best model, not to the others': map them into one group with like: "<file>:<model>"`,
        );
      }
      return notes;
    },

    decide(input: RouteInput): RoutingDecision {
      const features = extractFeatures(input.request, true, artefact.featureVersion);
      const promptTokens = input.promptTokens;
      // A web search is priced apart (prices.perWebSearch): one a request, the prior.
      const searches = webSearchOptions(input.request) ? 1 : 0;
      const mapped = input.candidates.map(mapDeployment);
      // A group with per-source heads: its gate reads the prompt once per decision.
      let gated: Map<string, GatedHeads | undefined> | undefined;
      // The weak model of a pair head (the gated source's, else its group's) is read from the
      // pair head and the strong model's head (`pairedQuality`): at its index, the pair head; the
      // strong one's is read too (nothing is allocated for it where no pair head applies).
      let paired: { at: number; strong: HeadWeights; pair: PairWeights }[] | undefined;
      const heads: HeadWeights[] = [];
      for (const m of mapped) {
        if (!m.head) continue;
        const lookup = experts.get(m.head.group);
        let g: GatedHeads | undefined;
        if (lookup) {
          gated ??= new Map();
          if (!gated.has(m.head.group)) gated.set(m.head.group, lookup(features));
          g = gated.get(m.head.group);
        }
        const pair = g ? g.pair : m.group?.pair;
        const strong =
          pair?.weak !== m.head.name
            ? undefined
            : g
              ? g.heads.has(m.head.name) && g.heads.get(pair.strong)
              : byName.get(`${m.head.group}:${pair.strong}`);
        if (pair && strong) {
          (paired ??= []).push({ at: heads.length, strong, pair });
          heads.push(pair);
        } else heads.push(g?.heads.get(m.head.name) ?? m.head);
      }
      const strongAt = paired?.map(({ strong }) => {
        const i = heads.indexOf(strong);
        return i >= 0 ? i : heads.push(strong) - 1;
      });
      const predicted = banks.predict(heads, features);
      paired?.forEach(({ at }, j) => {
        predicted[at] = pairedQuality(predicted[strongAt![j]!]!, predicted[at]!);
      });
      let next = 0;
      let capped = false;
      const scored: (ScoredCandidate & { outTokens: number; raw: number; known: boolean })[] =
        input.candidates.map((d, i) => {
          const m = mapped[i]!;
          // A partial model's pooled head, trusted as far as the prompt is like its scored ones
          // (a source's own head is fitted where it was scored on most prompts).
          const head = m.head ? heads[next] : undefined;
          const raw = m.head
            ? predicted[next++]! * (head === m.head ? coverageTrust(m.head, features) : 1)
            : UNKNOWN_MODEL_QUALITY;
          const quality =
            (m.head && m.group ? raw / qualityUnit(m.group) : UNKNOWN_MODEL_QUALITY) +
            d.qualityOffset;
          const prior =
            declaredOutputTokens(d) ?? m.head?.expectedOutputTokens ?? UNKNOWN_OUTPUT_TOKENS;
          const usual = input.outputTokens ? input.outputTokens.expected(d.name, prior) : prior;
          const answer = expectedAnswerTokens(input.request, usual);
          if (answer.capped) capped = true;
          const outTokens = answer.tokens;
          const cost =
            (promptTokens * d.prices.inputPer1M + outTokens * d.prices.outputPer1M) / 1e6 +
            searches * (d.prices.perWebSearch ?? 0);
          return { name: d.name, quality, cost, outTokens, raw, known: !!m.head };
        });
      // The reference: the candidate strongest on average (best single model among them). Of
      // equally strong known ones (two deployments like the same model) the cheaper, which is the
      // one a user would call, so savings are not counted against a dearer twin; of unknown ones
      // the dearer, price standing in for the strength the artefact cannot give. While a model
      // the artefact was trained with (scored on nearly every prompt) is a candidate, only those
      // compete: the bands were calibrated against the best of them, and a `partial` model
      // (scored on part of the prompts, or added by `calibrate`) is ranked on less.
      const full = (i: number) => {
        const head = mapped[i]!.head;
        return head !== undefined && head.partial !== true;
      };
      const anyFull = input.candidates.some((_, i) => full(i));
      let refIndex = anyFull ? input.candidates.findIndex((_, i) => full(i)) : 0;
      input.candidates.forEach((d, i) => {
        if (anyFull && !full(i)) return;
        const ref = input.candidates[refIndex]!;
        const s = mapDeployment(d).strength + d.qualityOffset;
        const best = mapDeployment(ref).strength + ref.qualityOffset;
        if (s !== best) {
          if (s > best) refIndex = i;
          return;
        }
        const known = scored[i]!.known && scored[refIndex]!.known;
        const cheaper = scored[i]!.cost - scored[refIndex]!.cost;
        if ((known ? cheaper < 0 : cheaper > 0) || (cheaper === 0 && d.name < ref.name))
          refIndex = i;
      });
      const reference = scored[refIndex]!;
      reference.reference = true;
      const refGroup = mapDeployment(input.candidates[refIndex]!).group;
      const bands = effectiveBands(refGroup, input.router);
      const ordered = orderByMode(scored, input.mode, bands);
      const pick = scored.find((s) => s.name === ordered[0])!;
      const band =
        input.mode === 'cost' ? bands.cost : input.mode === 'balanced' ? bands.balanced : 1;
      const scores: CandidateScore[] = scored.map((s) => ({
        deployment: s.name,
        predictedQuality: roundRatio(s.quality),
        expectedOutputTokens: s.outTokens,
        predictedCostUsd: s.cost,
      }));
      const unknown = scored.filter((s) => !s.known).map((s) => s.name);
      // The candidates the reference was chosen among (the trained ones, while any is a candidate)
      // as strong as it on average: more than one, and it was chosen by price among equals.
      const strengthOf = (i: number) =>
        mapDeployment(input.candidates[i]!).strength + input.candidates[i]!.qualityOffset;
      const equals = scored
        .filter((_, i) => (!anyFull || full(i)) && strengthOf(i) === strengthOf(refIndex))
        .map((s) => s.name);
      let reason = explainPick({
        mode: input.mode,
        candidates: scored,
        ordered,
        pick,
        reference,
        bands,
        band,
        configured: input.router.bands,
        group: refGroup && {
          name: refGroup.name,
          bestMean: refGroup.bestMean,
          uncalibrated: uncalibratedNote(refGroup, artefact.training[refGroup.name]),
        },
        equals,
      });
      const learned = input.outputTokens
        ? scored
            .map((x) => ({
              name: x.name,
              seen: input.outputTokens!.observed(x.name),
              out: x.outTokens,
            }))
            .filter((x) => x.seen)
        : [];
      if (learned.length)
        reason += `; expected output tokens learned from answers: ${learned.map((x) => `${x.name} ${x.out} (${x.seen!.answers} seen)`).join(', ')}`;
      const bound = answerBoundNote(input.request, capped);
      if (bound) reason += `; ${bound}`;
      const sources = gated ? [...gated.values()].flatMap((g) => (g ? [g.source] : [])) : [];
      if (sources.length)
        reason += `; read as a ${sources.join(' / ')} prompt: scored by that source's own heads`;
      if (paired)
        reason += `; ${[...new Set(paired.map((p) => p.pair))].map((p) => `${p.weak} predicted as ${p.strong} less their predicted difference on such prompts (pair head)`).join('; ')}`;
      if (unknown.length)
        reason += `; not in the routing model, scored at the conservative default ${UNKNOWN_MODEL_QUALITY}: ${unknown.join(', ')}`;
      return {
        mode: input.mode,
        version: artefact.version,
        band,
        ordered,
        scores,
        reason,
        topDeployment: reference.name,
      };
    },
  };
}

/**
 * Why a group's bands are training's conservative defaults, where they are (one model, or too few
 * calibration prompts: `calibrateBandsFromScores` notes it): the note without its account of the
 * defaults. Undefined once the bands differ from the defaults (`calibrate-bands` found others).
 */
function uncalibratedNote(group: GroupInfo, training: unknown): string | undefined {
  const note = (training as { note?: unknown } | undefined)?.note;
  const b = group.bands;
  if (typeof note !== 'string' || b.rule !== 'ratio' || b.balanced !== 1 || b.cost !== 0.95)
    return undefined;
  return note.replace(/; conservative default bands.*$/s, '');
}

/** The artefact's calibrated bands for the reference's data group, overridden by router config. */
function effectiveBands(group: GroupInfo | undefined, router: RouterConfig): Bands {
  const base = group?.bands ?? { balanced: 1, cost: 0.95, qualityMargin: 0.1 };
  const balanced = router.bands?.balanced ?? base.balanced;
  return {
    balanced,
    // Never narrower than Balanced (a lower band routes cheaper): a Balanced band set in config
    // under the artefact's Cost band takes Cost down with it, so Cost never routes dearer.
    cost: Math.min(router.bands?.cost ?? base.cost, balanced),
    qualityMargin: router.bands?.qualityMargin ?? base.qualityMargin ?? 0,
    rule: base.rule ?? 'ratio',
    ...((router.bands?.qualityHolds ?? base.qualityHolds) ? { qualityHolds: true } : {}),
    // A band set in config is meant to be routed by: it lifts the artefact's hold for its mode
    // unless the config holds that mode too.
    ...((router.bands?.balancedHolds ??
    (router.bands?.balanced === undefined && base.balancedHolds))
      ? { balancedHolds: true }
      : {}),
    ...((router.bands?.costHolds ?? (router.bands?.cost === undefined && base.costHolds))
      ? { costHolds: true }
      : {}),
  };
}

// The trained router over deployments (like:, their own prices, the receipt's reasons) and the
// output-token statistics and request bounds it prices answers with.
import { readFileSync } from 'node:fs';
import { OutputTokenStats, PRIOR_WEIGHT } from './output-token-stats.js';
import { describe, expect, it } from 'vitest';
import { loadPrices } from '../../training/load-prices.js';
import { loadRows } from '../../training/load-rows.js';
import { trainArtefact } from '../../training/train-artefact.js';
import { routerSchema, type RoutingMode } from '../config/schema.js';
import { deploymentSchema, type DeploymentConfig } from '../config/deployment-schema.js';
import { requestFromPrompt } from './features.js';
import { big, simulatedBase, small, stranger } from '../../test/helpers/routing-deployments.js';
import { createTrainedRouter } from './trained-router.js';
import { loadArtefactFile } from './artefact-files.js';
import type { ChatRequest } from '../core/wire-types.js';
import { createCheapestCapableRouter } from './cheapest-capable-router.js';

const FIX = 'test/fixtures/routing';

describe('trained router', () => {
  it('maps deployments by like:, prices them by their own prices, and explains the pick', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`);
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    artefact.groups[0]!.bands = { balanced: 0.01, cost: 0.01, qualityMargin: 0 };
    const router = createTrainedRouter(artefact);
    /** A decision for 'hello' over these candidates, which are also the router's whole subset. */
    const decideOver = (candidates: DeploymentConfig[], mode: RoutingMode = 'balanced') =>
      router.decide({
        request: requestFromPrompt('hello'),
        router: routerSchema.parse({ modelSubset: candidates.map((c) => c.name) }),
        mode,
        candidates,
        promptTokens: 10,
      });
    const decision = decideOver([big, small, stranger]);
    expect(decision.topDeployment).toBe('big');
    expect(decision.ordered[0]).toBe('stranger');
    expect(decision.reason).toContain('conservative default');
    // Two deployments like the same model: the cheaper one is the reference (and the savings
    // baseline), whatever their names.
    const dearTwin = deploymentSchema.parse({
      ...big,
      name: 'a-dear-twin',
      prices: { inputPer1M: 9, outputPer1M: 9 },
    });
    const twins = decideOver([dearTwin, big, small]);
    expect(twins.topDeployment).toBe('big');
    // Deployments the artefact does not know are equally unknown: the dearer is the reference.
    const dearStranger = deploymentSchema.parse({
      ...stranger,
      name: 'z-dear-stranger',
      prices: { inputPer1M: 3, outputPer1M: 3 },
    });
    const strangers = decideOver([stranger, dearStranger]);
    expect(strangers.topDeployment).toBe('z-dear-stranger');
    // What an operator is told about a subset: unknown deployments, like: names the artefact
    // lacks, and deployments spread over data groups.
    const typo = deploymentSchema.parse({ ...small, name: 'typo', like: 'wek' });
    const subset = routerSchema.parse({
      name: 'r',
      modelSubset: ['big', 'small', 'stranger', 'typo'],
    });
    expect(router.describeSubset!(subset, [big, small, stranger, typo])).toEqual([
      'router r (artefact ' +
        artefact.version +
        '): the artefact does not know deployment stranger (model "unknown-model"): it is scored at the conservative default 0.5; map it with like: or score it with `model-router calibrate`',
      'router r (artefact ' +
        artefact.version +
        '): deployment typo is like "wek", a model the artefact does not know; it is scored at the conservative default 0.5',
    ]);
    // A name the artefact spells otherwise (a provider prefix, another case) maps by its bare name,
    // and the operator is told; a name no artefact model has bare stays unknown.
    const { like: _like, ...smallUnliked } = small;
    const vendor = deploymentSchema.parse({
      ...smallUnliked,
      name: 'vendor-small',
      model: 'acme/WEAK',
    });
    const qualityOf = (d: DeploymentConfig, over: DeploymentConfig[]) =>
      decideOver(over).scores.find((x) => x.deployment === d.name)!.predictedQuality;
    expect(qualityOf(vendor, [big, vendor])).toBe(qualityOf(small, [big, small]));
    expect(qualityOf(stranger, [big, stranger])).not.toBe(qualityOf(small, [big, small]));
    expect(
      router.describeSubset!(
        routerSchema.parse({ name: 'r', modelSubset: ['big', 'vendor-small'] }),
        [big, vendor],
      ),
    ).toEqual([
      'router r (artefact ' +
        artefact.version +
        '): deployment vendor-small is mapped to tiny.jsonl:weak by name without provider prefix or case (model "acme/WEAK"); set like: "weak" to say so',
    ]);
    const split = createTrainedRouter({
      ...artefact,
      groups: [...artefact.groups, { ...artefact.groups[0]!, name: 'other.jsonl' }],
      models: [...artefact.models, { ...artefact.models[1]!, group: 'other.jsonl' }],
    });
    const far = deploymentSchema.parse({ ...small, name: 'far', like: 'other.jsonl:weak' });
    const spread = routerSchema.parse({ name: 'r', modelSubset: ['big', 'small', 'far'] });
    expect(split.describeSubset!(spread, [big, small, far])).toEqual([
      expect.stringMatching(
        /^router r .*: its deployments map into 2 data groups \(tiny\.jsonl: big, small; other\.jsonl: far\)/,
      ),
    ]);
    const quality = decideOver([big, small], 'quality');
    expect(quality.scores.find((s) => s.deployment === 'big')?.predictedCostUsd).toBeCloseTo(
      (10 * 5 + 100 * 5) / 1e6,
    );
    expect(quality.reason).toMatch(/^quality mode/);
    // Where training found Quality mode's gain to be noise, it keeps the strongest candidate, even
    // over one favoured here by a margin of −1, and the receipt says why.
    const bandsWith = (qualityHolds: boolean, override?: Record<string, unknown>) =>
      createTrainedRouter({
        ...artefact,
        groups: [
          {
            ...artefact.groups[0]!,
            bands: { balanced: 1, cost: 1, qualityMargin: -1, qualityHolds },
          },
        ],
      }).decide({
        request: requestFromPrompt('hello'),
        router: routerSchema.parse({ modelSubset: ['big', 'small'], bands: override }),
        mode: 'quality',
        candidates: [big, small],
        promptTokens: 10,
      });
    expect(bandsWith(false).ordered).toEqual(['small', 'big']);
    const held = bandsWith(true);
    expect(held.ordered).toEqual(['big', 'small']);
    expect(held.reason).toMatch(
      /^quality mode: big, the strongest model on average .*more than noise/,
    );
    // check-config says so for a router whose deployments share a holding group.
    const holding = createTrainedRouter({
      ...artefact,
      groups: [
        { ...artefact.groups[0]!, bands: { ...artefact.groups[0]!.bands, qualityHolds: true } },
      ],
    });
    const pair = routerSchema.parse({ name: 'r', modelSubset: ['big', 'small'] });
    expect(holding.describeSubset!(pair, [big, small])).toEqual([
      expect.stringMatching(/^router r .*: in Quality mode it keeps the strongest of big, small /),
    ]);
    expect(
      holding.describeSubset!({ ...pair, bands: { qualityHolds: false } }, [big, small]),
    ).toEqual([]);
    // The router's config overrides the verdict and the margin.
    expect(bandsWith(true, { qualityHolds: false }).ordered[0]).toBe('small');
    expect(bandsWith(false, { qualityHolds: true }).ordered[0]).toBe('big');
    expect(bandsWith(false, { qualityMargin: 1 }).ordered[0]).toBe('big');

    // Learned output tokens: `small` turns out to write 300× more than the artefact expects, so it
    // is no longer the cheaper of the two once enough answers are seen.
    /** A Cost-mode decision with no band: the cheaper candidate by expected cost wins. */
    const cheaper = (
      candidates: DeploymentConfig[],
      extra: Record<string, unknown> = {},
      outputTokens?: OutputTokenStats,
    ) =>
      router.decide({
        request: { ...requestFromPrompt('hello'), ...extra },
        router: routerSchema.parse({
          modelSubset: candidates.map((c) => c.name),
          bands: { cost: 0, balanced: 0 },
        }),
        mode: 'cost',
        candidates,
        promptTokens: 10,
        ...(outputTokens ? { outputTokens } : {}),
      });
    const stats = new OutputTokenStats();
    const cost = () => cheaper([big, small], {}, stats);
    expect(cost().ordered[0]).toBe('small');
    for (let i = 0; i < 60; i++) {
      stats.observe('small', 30_000);
      stats.observe('big', 100);
    }
    const learned = cost();
    expect(learned.ordered[0]).toBe('big');
    expect(
      learned.scores.find((x) => x.deployment === 'small')!.expectedOutputTokens,
    ).toBeGreaterThan(10_000);

    // A declared prior (a reasoning model's hidden tokens) counts from the first request; a
    // simulated deployment's prior is what its simulation writes.
    const verbose = deploymentSchema.parse({
      ...simulatedBase,
      name: 'small',
      model: 'y',
      like: 'weak',
      prices: { inputPer1M: 0.1, outputPer1M: 0.1 },
      expectedOutputTokens: 30_000,
    });
    const fresh = cheaper([big, verbose], {}, new OutputTokenStats());
    expect(fresh.ordered[0]).toBe('big');
    const thinker = deploymentSchema.parse({
      ...simulatedBase,
      name: 'thinker',
      model: 'z',
      like: 'weak',
      prices: { inputPer1M: 1, outputPer1M: 1 },
      simulation: { answerTokens: 100, reasoningTokens: 900 },
    });
    const sim = router.decide({
      request: requestFromPrompt('hello'),
      router: routerSchema.parse({ modelSubset: ['thinker'] }),
      mode: 'cost',
      candidates: [thinker],
      promptTokens: 10,
    });
    expect(sim.scores[0]!.expectedOutputTokens).toBe(1000);

    // The request bounds every answer: under max_tokens 100 the verbose cheap model writes no
    // more than the dear one, so Cost mode takes it again; n answers cost n times the output.
    const bounded = (extra: Record<string, unknown>) => cheaper([big, verbose], extra);
    const capped = bounded({ max_tokens: 100 });
    expect(capped.ordered[0]).toBe('small');
    expect(capped.scores.find((x) => x.deployment === 'small')!.expectedOutputTokens).toBe(100);
    expect(capped.reason).toContain(
      "expected output tokens capped at the request's max_tokens (100)",
    );
    const many = bounded({ max_completion_tokens: 100, max_tokens: 5000, n: 3 });
    expect(many.scores.find((x) => x.deployment === 'small')!.expectedOutputTokens).toBe(300);
    expect(many.reason).toContain('max_completion_tokens (100) and times the 3 answers');
    expect(bounded({}).reason).not.toContain('expected output tokens capped');
    const one = router.decide({
      request: { ...requestFromPrompt('hello'), n: 2 },
      router: routerSchema.parse({ modelSubset: ['thinker'] }),
      mode: 'cost',
      candidates: [thinker],
      promptTokens: 10,
    });
    expect(one.scores[0]!.expectedOutputTokens).toBe(2000);
    expect(one.scores[0]!.predictedCostUsd).toBeCloseTo((10 + 2000) / 1e6, 12);
  });

  it("extracts an artefact's features by its own feature version: a version-5 artefact decides as before", () => {
    // Decisions of 2026-12-03b (feature version 5) for prompts in scripts without spaces, Hangul
    // and mixed text, every group and mode, recorded with the build before feature version 6.
    const fixture = JSON.parse(
      readFileSync(`${FIX}/decisions-2026-12-03b-unspaced.json`, 'utf8'),
    ) as {
      artefact: string;
      likes: Record<string, string[]>;
      cases: { group: string; prompt: string; mode: RoutingMode; decision: unknown }[];
    };
    const artefact = loadArtefactFile(`models/${fixture.artefact}.json`);
    expect(artefact.featureVersion).toBe(5);
    const candidatesOf = (group: string) =>
      fixture.likes[group]!.map((m, i) =>
        deploymentSchema.parse({
          name: `d${i}`,
          provider: 'simulated',
          model: `m${i}`,
          like: `${group}:${m}`,
          prices: { inputPer1M: 0.1 * (i + 1), outputPer1M: 0.4 * (i + 1) },
          contextWindow: 128000,
          maxOutputTokens: 4096,
        }),
      );
    const decide = (
      router: ReturnType<typeof createTrainedRouter>,
      c: (typeof fixture.cases)[number],
    ) => {
      const candidates = candidatesOf(c.group);
      const d = router.decide({
        request: {
          model: 'model-router',
          messages: [{ role: 'user', content: c.prompt }],
        } as ChatRequest,
        router: routerSchema.parse({ modelSubset: candidates.map((x) => x.name) }),
        mode: c.mode,
        candidates,
        promptTokens: Math.ceil(c.prompt.length / 2),
      });
      return {
        band: d.band,
        ordered: d.ordered,
        topDeployment: d.topDeployment,
        scores: d.scores.map((x) => x.predictedQuality),
      };
    };
    const router = createTrainedRouter(artefact);
    expect(fixture.cases.length).toBeGreaterThan(100);
    for (const c of fixture.cases) expect(decide(router, c), c.prompt).toEqual(c.decision);
    // The same heads read as version 6 would score these prompts otherwise: the version decides.
    const asSix = createTrainedRouter({ ...artefact, featureVersion: 6 });
    const moved = fixture.cases.filter(
      (c) => JSON.stringify(decide(asSix, c)) !== JSON.stringify(c.decision),
    );
    expect(moved.length).toBeGreaterThan(fixture.cases.length / 2);
  });
});

describe('output token stats', () => {
  it('starts at the prior and moves to the observed mean as answers accumulate', () => {
    const stats = new OutputTokenStats();
    expect(stats.expected('a', 100)).toBe(100);
    for (let i = 0; i < PRIOR_WEIGHT; i++) stats.observe('a', 1000);
    expect(stats.expected('a', 100)).toBe(550); // equal weight after PRIOR_WEIGHT answers
    for (let i = 0; i < 2000; i++) stats.observe('a', 1000);
    expect(stats.expected('a', 100)).toBeGreaterThan(990);
    // A running mean: it follows a deployment whose answers change.
    for (let i = 0; i < 500; i++) stats.observe('a', 200);
    expect(stats.observed('a')!.mean).toBeLessThan(220);
    stats.observe('a', Number.NaN);
    expect(stats.observed('a')!.answers).toBe(2020 + 500);
    stats.forget('a');
    expect(stats.expected('a', 100)).toBe(100);
  });
});

describe('the placeholder router', () => {
  it('bounds expected answers by the request as the trained router does', () => {
    const d = deploymentSchema.parse({
      provider: 'simulated',
      contextWindow: 1000,
      maxOutputTokens: 100,
      name: 'a',
      model: 'a',
      prices: { inputPer1M: 1, outputPer1M: 1 },
    });
    const decide = (extra: Record<string, unknown>) =>
      createCheapestCapableRouter().decide({
        request: { ...requestFromPrompt('hello'), ...extra },
        router: routerSchema.parse({ modelSubset: ['a'] }),
        mode: 'cost',
        candidates: [d],
        promptTokens: 10,
      }).scores[0]!.expectedOutputTokens;
    expect(decide({})).toBe(300);
    expect(decide({ max_tokens: 20 })).toBe(20);
    expect(decide({ max_tokens: 20, n: 2 })).toBe(40);
  });
});

describe('a web search in the predicted cost', () => {
  it('adds each candidate its price of a search (prices.perWebSearch), so the cheaper search wins', () => {
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', loadRows(`${FIX}/tiny.jsonl`)]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    // Alike in quality: cheap tokens with a dear search, dear tokens with a cheap one.
    const dearSearch = deploymentSchema.parse({
      ...simulatedBase,
      name: 'dear-search',
      model: 'x',
      like: 'weak',
      prices: { inputPer1M: 0.1, outputPer1M: 0.1, perWebSearch: 0.03 },
      capabilities: { webSearch: true },
    });
    const cheapSearch = deploymentSchema.parse({
      ...simulatedBase,
      name: 'cheap-search',
      model: 'y',
      like: 'weak',
      prices: { inputPer1M: 1, outputPer1M: 1, perWebSearch: 0.001 },
      capabilities: { webSearch: true },
    });
    const candidates = [dearSearch, cheapSearch];
    for (const router of [createTrainedRouter(artefact), createCheapestCapableRouter()]) {
      const decide = (request: ChatRequest) =>
        router.decide({
          request,
          router: routerSchema.parse({ modelSubset: candidates.map((c) => c.name) }),
          mode: 'cost',
          candidates,
          promptTokens: 10,
        });
      expect(decide(requestFromPrompt('hello')).ordered[0]).toBe('dear-search');
      const searching = decide({ ...requestFromPrompt('hello'), web_search_options: {} });
      expect(searching.ordered[0]).toBe('cheap-search');
      const score = searching.scores.find((c) => c.deployment === 'dear-search')!;
      expect(score.predictedCostUsd).toBeGreaterThan(0.03);
    }
  });
});

describe('bands set in config', () => {
  // Routing audit (2026-12-06): a Cost band above Balanced's (both set, or Balanced alone set
  // under the artefact's Cost band) made Cost route dearer than Balanced, without a word.
  it('a Cost band above Balanced is refused in config', () => {
    const parsed = routerSchema.safeParse({
      modelSubset: ['a'],
      bands: { balanced: 0.1, cost: 0.95 },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({
      path: ['bands', 'cost'],
      message: expect.stringContaining('cost must not be above balanced'),
    });
    expect(
      routerSchema.safeParse({ modelSubset: ['a'], bands: { balanced: 0.9, cost: 0.9 } }).success,
    ).toBe(true);
  });

  it("Balanced set under the artefact's Cost band takes Cost down with it", () => {
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', loadRows(`${FIX}/tiny.jsonl`)]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1 },
    );
    artefact.groups[0]!.bands = { balanced: 0.99, cost: 0.9, qualityMargin: 0 };
    const router = createTrainedRouter(artefact);
    const d = deploymentSchema.parse({
      provider: 'simulated',
      contextWindow: 1000,
      maxOutputTokens: 100,
      name: 'big',
      model: 'x',
      like: 'strong',
      prices: { inputPer1M: 5, outputPer1M: 5 },
    });
    const band = (mode: RoutingMode, bands: Record<string, number>) =>
      router.decide({
        request: requestFromPrompt('hello'),
        router: routerSchema.parse({ modelSubset: ['big'], bands }),
        mode,
        candidates: [d],
        promptTokens: 10,
      }).band;
    expect(band('cost', {})).toBe(0.9);
    expect(band('balanced', { balanced: 0.5 })).toBe(0.5);
    expect(band('cost', { balanced: 0.5 })).toBe(0.5);
    expect(band('cost', { balanced: 0.95 })).toBe(0.9);
  });
});

describe('an artefact trained on scores that are all 0', () => {
  // Audit (2026-12-07): `train` on a file where every score is 0 wrote `bestMean: 0`, and serving
  // divided every strength and prediction by it: NaN and Infinity in the receipt and the headers.
  it('routes deterministically, every model as strong as the others, with no NaN or Infinity', () => {
    const rows = loadRows(`${FIX}/tiny.jsonl`).map((r) => ({
      ...r,
      scores: Object.fromEntries(Object.keys(r.scores).map((m) => [m, 0])),
    }));
    const warnings: string[] = [];
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices(`${FIX}/prices.json`),
      { seed: 1, onWarning: (w) => warnings.push(w) },
    );
    expect(artefact.groups[0]!.bestMean).toBe(0);
    expect(warnings.join('\n')).toContain('every score of its models is 0');
    const router = createTrainedRouter(artefact);
    for (const mode of ['quality', 'balanced', 'cost'] as const) {
      const decide = () =>
        router.decide({
          request: requestFromPrompt('Solve 2x = 4.'),
          router: routerSchema.parse({ modelSubset: ['big', 'small'] }),
          mode,
          candidates: [big, small],
          promptTokens: 10,
        });
      const decision = decide();
      // Equally strong (both 0): the cheaper one is the reference, and serves.
      expect(decision.topDeployment).toBe('small');
      expect(decision.ordered).toEqual(['small', 'big']);
      expect(decide()).toEqual(decision);
      for (const s of decision.scores) expect(Number.isFinite(s.predictedQuality)).toBe(true);
      expect(decision.reason).not.toMatch(/NaN|Infinity/);
      expect(JSON.stringify(decision)).not.toMatch(/NaN|Infinity|null/);
    }
  });
});

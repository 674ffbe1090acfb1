// Receipts of artefacts trained on degenerate files (every score 0, every score 1, two models that
// scored alike, one model) and of modes that hold: each reason says what serving did and why, in
// words an operator can act on, never a bare "band -2.000" (audit 2026-12-07).
import { describe, expect, it } from 'vitest';
import { loadPrices } from '../../training/load-prices.js';
import type { DataRow } from '../../training/load-rows.js';
import { trainArtefact } from '../../training/train-artefact.js';
import { routerSchema, type RoutingMode } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { big, small, stranger } from '../../test/helpers/routing-deployments.js';
import { requestFromPrompt } from './features.js';
import { buildReceipt, withSummary } from './receipt.js';
import type { RoutingArtefact } from './routing-model.js';
import { createTrainedRouter } from './trained-router.js';

const PRICES = loadPrices('test/fixtures/routing/prices.json');
const WORDS = ['prove', 'integral', 'python', 'sort', 'history', 'poem', 'sql', 'chess', 'tax'];

/** 60 prompts of `group`, each model scored by `score(model, i)`. */
function rowsOf(group: string, models: string[], score: (m: string, i: number) => number) {
  return Array.from({ length: 60 }, (_, i): DataRow => ({
    id: `${group}/${i}`,
    source: `${group}/t${i % 3}`,
    prompt: `Q${i}: ${WORDS[i % 9]} ${WORDS[(i * 7) % 9]} ${WORDS[(i * 5) % 9]} ${i % 2 ? 'briefly' : 'step by step'}?`,
    scores: Object.fromEntries(models.map((m) => [m, score(m, i)])),
    contaminated: false,
    group,
  }));
}

function train(group: string, models: string[], score: (m: string, i: number) => number) {
  return trainArtefact(new Map([[group, rowsOf(group, models, score)]]), PRICES, {
    seed: 1,
    onWarning: () => {},
  }).artefact;
}

function decide(
  artefact: RoutingArtefact,
  mode: RoutingMode,
  candidates: DeploymentConfig[] = [big, small],
  bands?: Record<string, unknown>,
) {
  return createTrainedRouter(artefact).decide({
    request: requestFromPrompt('Q1: prove sort history briefly?'),
    router: routerSchema.parse({ modelSubset: candidates.map((c) => c.name), bands }),
    mode,
    candidates,
    promptTokens: 10,
  });
}

const allZero = train('allzero.jsonl', ['strong', 'weak'], () => 0);
const allOne = train('allone.jsonl', ['strong', 'weak'], () => 1);
const alike = train('alike.jsonl', ['strong', 'weak'], (_, i) => i % 2);
const oneModel = train('onemodel.jsonl', ['strong'], (_, i) => (i % 3 ? 0 : 1));

describe('receipts of degenerate artefacts', () => {
  it('were trained as the audit found them: the widest band, or the default bands', () => {
    for (const a of [allZero, allOne, alike])
      expect(a.groups[0]!.bands).toMatchObject({ balanced: -2, cost: -2, qualityHolds: true });
    expect(allZero.groups[0]!.bestMean).toBe(0);
    expect(oneModel.groups[0]!.bands).toMatchObject({ balanced: 1, cost: 0.95, rule: 'ratio' });
  });

  it('every score 0: the cheapest trained candidate serves every mode, and the reason says why', () => {
    for (const mode of ['quality', 'balanced', 'cost'] as const) {
      const d = decide(allZero, mode);
      expect(d.ordered[0]).toBe('small');
      expect(d.reason).toContain('every model of allzero.jsonl scored 0 in training');
      expect(d.reason).toContain('small, the cheapest of big, small');
      expect(d.reason).not.toMatch(
        /strongest model on average|band -2\.000\)|charged 3\.000|close enough/,
      );
    }
    expect(decide(allZero, 'balanced').reason).toBe(
      "balanced mode (band -2.000, the widest, which measured nothing: with every score 0, every band kept the mode's promise): small, the cheapest of big, small, serves (predicted 0.000 at $0.0000310): no candidate is cheaper, and this mode never leads with one dearer than small; next: big (0.000 at $0.00155); every model of allzero.jsonl scored 0 in training, so none is stronger on average and the routing model cannot tell them apart",
    );
    // A cheaper deployment the artefact does not know wins the saving modes on price; the reason
    // says so, and that the trained models' predictions tell nothing.
    const withStranger = decide(allZero, 'cost', [big, small, stranger]);
    expect(withStranger.ordered[0]).toBe('stranger');
    expect(withStranger.reason).toMatch(
      /^cost mode \(band -2\.000, the widest, which measured nothing: with every score 0, every band kept the mode's promise\): stranger has the best predicted quality net of cost/,
    );
    expect(withStranger.reason).toContain('not in the routing model');
  });

  it('every score 1, or two models that scored alike: the cheaper is the reference, and the widest band is named', () => {
    for (const [artefact, group] of [
      [allOne, 'allone.jsonl'],
      [alike, 'alike.jsonl'],
    ] as const) {
      const quality = decide(artefact, 'quality');
      expect(quality.ordered[0]).toBe('small');
      expect(quality.reason).toMatch(
        /^quality mode: small, the cheapest of big, small, which scored alike on average in training \(predicted [\d.]+\), serves wherever it is eligible: on held-out prompts leaving it gained nothing$/,
      );
      for (const mode of ['balanced', 'cost'] as const) {
        const d = decide(artefact, mode);
        expect(d.ordered[0]).toBe('small');
        expect(d.reason).toMatch(
          new RegExp(
            `^${mode} mode \\(band -2\\.000, the widest: on the calibration prompts of ${group.replace('.', '\\.')} even the cheapest routing kept the mode's promise\\): small, the cheapest of big, small, which scored alike on average in training, serves .*: no candidate is cheaper`,
          ),
        );
        expect(d.reason).not.toContain('close enough to the strongest model');
      }
    }
  });

  it('one model: the bands are the defaults, and the receipt says so', () => {
    const d = decide(oneModel, 'balanced', [big, stranger]);
    expect(d.ordered[0]).toBe('big');
    expect(d.reason).toMatch(
      /^balanced mode: no cheaper candidate is predicted within band 1\.000 \(the conservative default: onemodel\.jsonl's bands were not calibrated: one model, strong: nothing to route between\) of big/,
    );
  });

  it('one eligible candidate: it serves, whatever the mode, and the reason compares it with nothing', () => {
    for (const artefact of [allZero, alike, oneModel])
      for (const mode of ['quality', 'balanced', 'cost'] as const) {
        const d = decide(artefact, mode, [big]);
        expect(d.reason).toMatch(
          new RegExp(`^${mode} mode: big is the only eligible candidate \\(`),
        );
        expect(d.reason).not.toMatch(/no other|no cheaper|net of cost|held-out/);
      }
  });

  it('a hold set in the router config is said to come from there, not from calibrate-bands', () => {
    const fromConfig = decide(alike, 'balanced', [big, small], { balancedHolds: true });
    expect(fromConfig.ordered[0]).toBe('small');
    expect(fromConfig.reason).toContain(
      "routers[].bands.balancedHolds is true in this router's config, so it saves nothing here",
    );
    expect(fromConfig.reason).not.toContain('calibrate-bands');
    const quality = decide(
      { ...alike, groups: [{ ...alike.groups[0]!, bands: { balanced: 0.5, cost: 0.5 } }] },
      'quality',
      [big, small],
      { qualityHolds: true },
    );
    expect(quality.reason).toContain(
      "routers[].bands.qualityHolds is true in this router's config",
    );
    expect(quality.reason).not.toContain('held-out');
    // From the artefact (calibrate-bands on the operator's traffic): said so, with how to lift it
    // and what the band would then do.
    const fromArtefact = decide(
      {
        ...alike,
        groups: [{ ...alike.groups[0]!, bands: { ...alike.groups[0]!.bands, costHolds: true } }],
      },
      'cost',
    );
    expect(fromArtefact.reason).toMatch(
      /^cost mode: small, the cheapest of big, small, which scored alike on average in training \(predicted [\d.]+\), serves wherever it is eligible: on scored prompts of this traffic no band kept the mode's promise \(model-router calibrate-bands\), so it saves nothing here; routers\[\]\.bands\.costHolds: false routes by its band again \(band -2\.000, the widest/,
    );
  });

  it("the receipt's summary carries the reason as written", () => {
    const decision = decide(allZero, 'cost');
    const receipt = withSummary(
      buildReceipt({
        id: 'd1',
        time: 1,
        requestId: 'r1',
        router: 'model-router',
        decision,
        checks: [
          { deployment: 'big', failed: [] },
          { deployment: 'small', failed: [] },
        ],
      }),
    );
    expect(receipt.summary).toMatch(
      /^Router model-router in cost mode picked small: cost mode \(band -2\.000, the widest, which measured nothing/,
    );
  });
});

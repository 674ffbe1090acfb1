// Turning predictions into a pick (kept apart from scoring, as RouteLLM does). Each decision has a
// reference: the candidate that is strongest on average (the best single model). Quality: the
// highest predicted quality, leaving the reference only when another model is predicted better by
// a calibrated margin. Balanced and Cost follow the artefact's rule:
// * `tradeoff` (artefacts 2026-11-30 … 2026-11-30f): the candidate with the highest predicted
//   quality after a charge for its cost, (1 − band) × its predicted cost ÷ the reference's
//   predicted cost, on the quality scale where the best single model averages 1. A cheaper model
//   wins when the quality it gives up is smaller than the band's share of the cost it saves; a
//   better model that costs no more than the reference wins when it is worth its price (one
//   dearer than the reference is only a fallback: these modes are for saving). This is the pick
//   that maximises expected quality for a given spend (the Lagrangian of "cheapest within a
//   quality band"); the band is calibrated the same way.
// * `tradeoff-margin` (artefacts from 2026-12-01): the same, except that a candidate other than
//   the reference first gives up Quality mode's calibrated margin, as in Quality mode (the margin
//   is where, on held-out predictions, being predicted higher starts to pay). Without it a model
//   priced like the reference won on any higher prediction, though nothing was saved. Where
//   Quality mode holds (`qualityHolds`), such a model does not lead at all.
// * `ratio` (earlier artefacts): the cheapest candidate whose predicted quality reaches band × the
//   reference's.
// Ties break on cost, then name (Quality mode: on cost, then name; `ratio`: on quality, then name).
// A mode that holds (`qualityHolds`, `balancedHolds`, `costHolds`) leads with the reference wherever
// it is a candidate, the others following in that mode's order: for Quality, where leaving it
// gained nothing beyond noise on held-out prompts; for the saving modes, where no band kept the
// promise on the operator's scored traffic (`model-router calibrate-bands`).
import type { RoutingMode } from '../config/schema.js';

export interface ScoredCandidate {
  name: string;
  /** Predicted quality on a scale comparable across the candidates. */
  quality: number;
  /** Predicted cost, USD. */
  cost: number;
  /** The strongest candidate on average (the best single model among them). */
  reference?: boolean;
}

export type BandRule = 'ratio' | 'tradeoff' | 'tradeoff-margin';

export interface Bands {
  balanced: number;
  cost: number;
  /** How much better than the reference another model must be predicted to win Quality mode. */
  qualityMargin?: number;
  /**
   * Quality mode keeps the reference wherever it is a candidate (the others follow it in Quality
   * order): on held-out predictions no margin gained more than noise by leaving it.
   */
  qualityHolds?: boolean;
  /**
   * Balanced (Cost) keeps the reference wherever it is a candidate: on scored prompts of the
   * traffic, even quality alone kept less than the mode's promise (`model-router calibrate-bands`).
   */
  balancedHolds?: boolean;
  costHolds?: boolean;
  /** How Balanced and Cost use their band (see the file comment); `ratio` when absent. */
  rule?: BandRule;
  /**
   * The best single model's mean quality on the scale of `quality` (the `tradeoff` charge is a
   * share of it). 1 when qualities are relative to the best single model, as in serving.
   */
  scale?: number;
}

type Order = (a: ScoredCandidate, b: ScoredCandidate) => number;

/** Quality mode's order: predicted quality (another model gives up the margin), cost, name. */
function qualityOrder(margin: number): Order {
  const adjusted = (c: ScoredCandidate) => c.quality - (c.reference ? 0 : margin);
  return (a, b) => adjusted(b) - adjusted(a) || a.cost - b.cost || a.name.localeCompare(b.name);
}

/**
 * The `tradeoff` order: never dearer than the reference, then quality net of the charge (and, for
 * a candidate other than the reference, of `margin`), cost, name.
 */
function tradeoffOrder(
  reference: ScoredCandidate,
  charge: number,
  margin: number,
  holds = false,
): Order {
  const value = (c: ScoredCandidate) =>
    c.quality - (c === reference ? 0 : margin) - charge * c.cost;
  // Where Quality mode holds (being predicted higher never paid), a candidate that saves nothing
  // has nothing to offer either: one priced like the reference is a fallback too.
  const dearer = (c: ScoredCandidate) =>
    c.cost > reference.cost || (holds && c !== reference && c.cost >= reference.cost) ? 1 : 0;
  return (a, b) =>
    dearer(a) - dearer(b) || value(b) - value(a) || a.cost - b.cost || a.name.localeCompare(b.name);
}

/** Whether a rule picks by quality net of a charge for cost (`tradeoff`, `tradeoff-margin`). */
export function isTradeoff(rule: BandRule | undefined): boolean {
  return rule === 'tradeoff' || rule === 'tradeoff-margin';
}

/** What a candidate other than the reference gives up under a tradeoff rule. */
function tradeoffMargin(bands: Bands): number {
  return bands.rule === 'tradeoff-margin' ? (bands.qualityMargin ?? 0) : 0;
}

/** Whether the saving modes keep a same-priced model from leading (`tradeoff-margin` only). */
function savingHolds(bands: Bands): boolean {
  return bands.rule === 'tradeoff-margin' && bands.qualityHolds === true;
}

/** The `ratio` order among candidates within the band: cost, quality, name. */
const ratioOrder: Order = (a, b) =>
  a.cost - b.cost || b.quality - a.quality || a.name.localeCompare(b.name);

/** Candidate names in routing-mode order: the pick first, then the fallbacks. */
export function orderByMode(
  candidates: readonly ScoredCandidate[],
  mode: RoutingMode,
  bands: Bands,
): string[] {
  const flagged = candidates.find((c) => c.reference);
  const ordered = orderWithoutHold(candidates, mode, bands, flagged);
  return flagged && modeHolds(mode, bands)
    ? [flagged.name, ...ordered.filter((n) => n !== flagged.name)]
    : ordered;
}

/** Whether `mode` keeps the reference wherever it is a candidate (see the file comment). */
export function modeHolds(mode: RoutingMode, bands: Bands): boolean {
  return (
    (mode === 'quality'
      ? bands.qualityHolds
      : mode === 'balanced'
        ? bands.balancedHolds
        : bands.costHolds) === true
  );
}

/** The mode's order as if it did not hold. */
function orderWithoutHold(
  candidates: readonly ScoredCandidate[],
  mode: RoutingMode,
  bands: Bands,
  flagged: ScoredCandidate | undefined,
): string[] {
  const byQuality = qualityOrder(bands.qualityMargin ?? 0);
  if (mode === 'quality' || candidates.length < 2)
    return [...candidates].sort(byQuality).map((c) => c.name);
  // The first in Quality order, as a stable sort would put it (Balanced and Cost under a tradeoff
  // rule need no more of that order: one sort of the candidates less per decision).
  const reference = flagged ?? first(candidates, byQuality)!;
  const band = mode === 'balanced' ? bands.balanced : bands.cost;
  if (isTradeoff(bands.rule)) {
    // Saving modes never lead with a candidate dearer than the reference: it stays a fallback.
    const charge = tradeoffCharge(candidates, reference, band, bands.scale ?? 1);
    return [...candidates]
      .sort(tradeoffOrder(reference, charge, tradeoffMargin(bands), savingHolds(bands)))
      .map((c) => c.name);
  }
  const floor = band * reference.quality;
  const ok = (c: ScoredCandidate) => c === reference || c.quality >= floor;
  const sorted = [...candidates].sort(byQuality);
  const within = sorted.filter(ok).sort(ratioOrder);
  const rest = sorted.filter((c) => !ok(c));
  return [...within, ...rest].map((c) => c.name);
}

/** The first candidate in `order` (the earliest of equals, as a stable sort keeps them). */
function first(
  candidates: readonly ScoredCandidate[],
  order: Order,
  admit: (c: ScoredCandidate) => boolean = () => true,
): ScoredCandidate | undefined {
  let best: ScoredCandidate | undefined;
  for (const c of candidates) if (admit(c) && (!best || order(c, best) < 0)) best = c;
  return best;
}

/**
 * `orderByMode(...)[0]` in one pass without ordering the fallbacks: the same orders, so the same
 * pick (a test compares both). Calibration prices thousands of bands this way.
 */
export function pickByMode(
  candidates: readonly ScoredCandidate[],
  mode: RoutingMode,
  bands: Bands,
): string {
  const flagged = candidates.find((c) => c.reference);
  if (flagged && modeHolds(mode, bands)) return flagged.name;
  const top = first(candidates, qualityOrder(bands.qualityMargin ?? 0))!;
  if (mode === 'quality' || candidates.length < 2) return top.name;
  const reference = flagged ?? top;
  const band = mode === 'balanced' ? bands.balanced : bands.cost;
  if (isTradeoff(bands.rule)) {
    const charge = tradeoffCharge(candidates, reference, band, bands.scale ?? 1);
    return first(
      candidates,
      tradeoffOrder(reference, charge, tradeoffMargin(bands), savingHolds(bands)),
    )!.name;
  }
  const floor = band * reference.quality;
  return first(candidates, ratioOrder, (c) => c === reference || c.quality >= floor)!.name;
}

/**
 * Quality charged per USD under the `tradeoff` rule: (1 − band) × scale per reference cost. A free
 * reference falls back to the dearest candidate's cost; when every candidate is free, cost is no
 * reason to leave the best predicted quality.
 */
export function tradeoffCharge(
  candidates: readonly ScoredCandidate[],
  reference: ScoredCandidate,
  band: number,
  scale: number,
): number {
  const unit = reference.cost > 0 ? reference.cost : Math.max(0, ...candidates.map((c) => c.cost));
  return unit > 0 ? (Math.max(0, 1 - band) * scale) / unit : 0;
}

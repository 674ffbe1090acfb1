// The reason a trained router's receipt gives for its pick, in the words of what serving did. The
// degenerate cases say what they are instead of a bare figure: one eligible candidate; a reference
// chosen by price among models that scored alike in training (or that all scored 0); a band that
// is the widest there is, a default that was never calibrated, or one set in the router's config;
// a hold set in the config rather than found by `model-router calibrate-bands`.
import { usdText } from '../core/round-figures.js';
import { BAND_RANGE, type RouterConfig, type RoutingMode } from '../config/schema.js';
import { isTradeoff, modeHolds, type Bands } from './pick-by-mode.js';

export interface ReasonCandidate {
  name: string;
  /** Predicted quality, relative to the group's best single model. */
  quality: number;
  cost: number;
  /** Whether the artefact knows it (else it is scored at the conservative default). */
  known: boolean;
}

export interface PickFacts {
  mode: RoutingMode;
  candidates: readonly ReasonCandidate[];
  ordered: readonly string[];
  pick: ReasonCandidate;
  reference: ReasonCandidate;
  /** The bands routed by: the artefact's, with the router's config over them. */
  bands: Bands;
  band: number;
  /** What the router's own config set (`routers[].bands`). */
  configured: RouterConfig['bands'];
  /** The reference's data group: its name, its best single model's mean score, and why its bands were not calibrated, if they were not. */
  group?: { name: string; bestMean: number; uncalibrated?: string };
  /** The candidates the reference was chosen among as strong as it on average, it included. */
  equals: readonly string[];
}

const q3 = (x: number) => x.toFixed(3);

/** Who the reference is, after its name: why it stands for the strongest model. */
function referenceRole(f: PickFacts): string {
  const others = f.equals.join(', ');
  if (!f.reference.known)
    return f.equals.length > 1
      ? `the dearest of ${others}, none of which is in the routing model (price stands in for strength)`
      : 'the strongest by its qualityOffset (no candidate is in the routing model)';
  if (f.equals.length < 2) return 'the strongest model on average';
  // Every score 0: the reason ends by saying so (`explainPick`).
  return allZero(f)
    ? `the cheapest of ${others}`
    : `the cheapest of ${others}, which scored alike on average in training`;
}

/** Every model of the reference's group scored 0: its predictions tell the models nothing apart. */
function allZero(f: PickFacts): boolean {
  return f.reference.known && f.group?.bestMean === 0;
}

/** The saving mode's band, with where it comes from when that is not a calibration that measured something. */
function bandText(f: PickFacts): string {
  const c = f.configured;
  const setHere =
    f.mode === 'cost'
      ? c?.cost !== undefined || (c?.balanced !== undefined && f.band === c.balanced)
      : c?.balanced !== undefined;
  const b = q3(f.band);
  if (setHere) return `band ${b}, set in this router's config`;
  if (f.group?.uncalibrated)
    return `band ${b} (the conservative default: ${f.group.name}'s bands were not calibrated: ${f.group.uncalibrated})`;
  if (f.band <= BAND_RANGE.min)
    return allZero(f)
      ? `band ${b}, the widest, which measured nothing: with every score 0, every band kept the mode's promise`
      : `band ${b}, the widest: on the calibration prompts of ${f.group?.name ?? 'its data'} even the cheapest routing kept the mode's promise`;
  return `band ${b}`;
}

/** The plain-words reason for the pick (the receipt's `reason`, before notes on the scoring). */
export function explainPick(f: PickFacts): string {
  const reason = explainOrder(f);
  return allZero(f)
    ? `${reason}; every model of ${f.group!.name} scored 0 in training, so none is stronger on average and the routing model cannot tell them apart`
    : reason;
}

function explainOrder(f: PickFacts): string {
  const { mode, pick, reference } = f;
  const at = (c: ReasonCandidate) => `${q3(c.quality)} at ${usdText(c.cost)}`;
  if (f.candidates.length === 1)
    return `${mode} mode: ${pick.name} is the only eligible candidate (predicted ${at(pick)})`;
  const who = `${reference.name}, ${referenceRole(f)}`;
  const margin = (f.bands.qualityMargin ?? 0).toFixed(2);
  if (mode === 'quality') {
    const ahead = f.candidates.filter((s) => s !== pick && s.quality > pick.quality);
    const best = ahead.reduce<ReasonCandidate | undefined>(
      (b, s) => (b === undefined || s.quality > b.quality ? s : b),
      undefined,
    );
    if (pick === reference && f.bands.qualityHolds)
      return `quality mode: ${who} (predicted ${q3(pick.quality)}), serves wherever it is eligible: ${
        f.configured?.qualityHolds === true
          ? "routers[].bands.qualityHolds is true in this router's config"
          : f.equals.length > 1 && reference.known
            ? 'on held-out prompts leaving it gained nothing'
            : 'on held-out prompts no other model was predicted better often enough to beat it by more than noise'
      }`;
    // The reference keeps Quality mode unless another is ahead of it by more than the margin, so
    // a receipt that says "highest" must be so (tour audit F3, 2026-12-06).
    if (pick === reference && best)
      return `quality mode: ${who} (predicted ${q3(pick.quality)}); no candidate is predicted ahead of it by more than the calibrated margin ${margin} (the best, ${best.name}, at ${q3(best.quality)})`;
    if (pick === reference) {
      const same = f.candidates.filter((s) => s !== pick && s.quality === pick.quality);
      return same.length
        ? `quality mode: ${who}, serves (predicted ${q3(pick.quality)}): ${same.map((s) => s.name).join(', ')} predicted the same, and another must be predicted ahead of it by more than the calibrated margin ${margin}`
        : `quality mode: ${pick.name} has the highest predicted quality (${q3(pick.quality)}, ${referenceRole(f)})`;
    }
    return `quality mode: ${pick.name} has the highest predicted quality (${q3(pick.quality)}, ahead of ${reference.name} by more than the calibrated margin ${margin})`;
  }
  if (pick === reference && modeHolds(mode, f.bands))
    return `${mode} mode: ${who} (predicted ${q3(pick.quality)}), serves wherever it is eligible: ${
      f.configured?.[`${mode}Holds`] === true
        ? `routers[].bands.${mode}Holds is true in this router's config, so it saves nothing here`
        : `on scored prompts of this traffic no band kept the mode's promise (model-router calibrate-bands), so it saves nothing here; routers[].bands.${mode}Holds: false routes by its band again (${bandText(f)})`
    }`;
  const cheaper = f.candidates.some((s) => s.cost < reference.cost);
  if (isTradeoff(f.bands.rule)) {
    const next = f.candidates.find((s) => s.name === f.ordered[1]);
    const then = next ? `; next: ${next.name} (${at(next)})` : '';
    if (pick === reference && !cheaper)
      return `${mode} mode (${bandText(f)}): ${who}, serves (predicted ${at(pick)}): no candidate is cheaper, and this mode never leads with one dearer than ${reference.name}${then}`;
    const charge = Math.max(0, 1 - f.band);
    return (
      `${mode} mode (${bandText(f)}): ${pick.name} has the best predicted quality net of cost — ` +
      `${at(pick)}; each candidate is charged ${q3(charge)} quality per ${reference.name}'s predicted cost (${usdText(reference.cost)})` +
      (f.bands.rule === 'tradeoff-margin'
        ? `, and each other than ${reference.name} first gives up the calibrated margin ${margin}`
        : '') +
      (pick === reference
        ? `; no cheaper candidate is predicted close enough to ${who}`
        : `; ${reference.name} is predicted ${q3(reference.quality)}`) +
      then
    );
  }
  if (pick === reference)
    return cheaper
      ? `${mode} mode: no cheaper candidate is predicted within ${bandText(f)} of ${reference.name} (predicted ${q3(reference.quality)}), so ${who}, serves`
      : `${mode} mode (${bandText(f)}): ${who}, serves (predicted ${at(pick)}): no candidate is cheaper`;
  return `${mode} mode: ${pick.name} is the cheapest candidate predicted within ${bandText(f)} of ${reference.name} (${q3(pick.quality)} ≥ ${q3(f.band)} × ${q3(reference.quality)}; predicted ${usdText(pick.cost)} vs ${usdText(reference.cost)})`;
}

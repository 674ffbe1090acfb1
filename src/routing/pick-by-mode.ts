// Turning predictions into a pick (kept apart from scoring, as RouteLLM does). Each decision has a
// reference: the candidate that is strongest on average (the best single model). Quality: the
// highest predicted quality, leaving the reference only when another model is predicted better by
// a calibrated margin. Balanced and Cost: the cheapest candidate whose predicted quality reaches
// the mode's band × the reference's predicted quality. Ties break on quality, then name.
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

export interface Bands {
  balanced: number;
  cost: number;
  /** How much better than the reference another model must be predicted to win Quality mode. */
  qualityMargin?: number;
}

/** Candidate names in routing-mode order: the pick first, then the fallbacks. */
export function orderByMode(
  candidates: readonly ScoredCandidate[],
  mode: RoutingMode,
  bands: Bands,
): string[] {
  const margin = bands.qualityMargin ?? 0;
  const adjusted = (c: ScoredCandidate) => c.quality - (c.reference ? 0 : margin);
  const byQuality = [...candidates].sort(
    (a, b) => adjusted(b) - adjusted(a) || a.cost - b.cost || a.name.localeCompare(b.name),
  );
  if (mode === 'quality' || byQuality.length < 2) return byQuality.map((c) => c.name);
  const reference = candidates.find((c) => c.reference) ?? byQuality[0]!;
  const band = mode === 'balanced' ? bands.balanced : bands.cost;
  const floor = band * reference.quality;
  const ok = (c: ScoredCandidate) => c === reference || c.quality >= floor;
  const within = byQuality
    .filter(ok)
    .sort((a, b) => a.cost - b.cost || b.quality - a.quality || a.name.localeCompare(b.name));
  const rest = byQuality.filter((c) => !ok(c));
  return [...within, ...rest].map((c) => c.name);
}

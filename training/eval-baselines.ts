// The model `eval` measures each group against where that is not the artefact's reference.
import type { RoutingArtefact } from '../src/routing/routing-model.js';
import type { PartialBaseline } from './test-rows.js';

/** Models `calibrate` added to each group (`group\u0000model`): not trained on its prompts. */
function calibratedModels(artefact: RoutingArtefact): Set<string> {
  const added = new Set<string>();
  for (const [key, note] of Object.entries(artefact.training)) {
    if (!key.startsWith('calibrated:')) continue;
    const { group, models } = note as { group?: unknown; models?: unknown };
    if (typeof group !== 'string' || !Array.isArray(models)) continue;
    for (const m of models as { model?: unknown }[])
      if (typeof m?.model === 'string') added.add(`${group}\u0000${m.model}`);
  }
  return added;
}

/**
 * The model `eval` measures each group against: the best single model on the training prompts.
 * Of the models trained with the group (not those `calibrate` added), the strongest by its head's
 * `meanScore`: a fully scored model's mean score; a partly scored one's mean difference to the
 * reference on the training prompts both are scored on, plus the reference's mean
 * (`modelStrengths`), so it is compared where both answered, not on its own (perhaps easier)
 * prompts. Ties keep the reference (`bestSingle`). Only groups where it is another model are listed.
 */
export function evalBaselines(artefact: RoutingArtefact): PartialBaseline[] {
  const added = calibratedModels(artefact);
  const out: PartialBaseline[] = [];
  for (const g of artefact.groups) {
    let best = artefact.models.find((m) => m.group === g.name && m.name === g.bestSingle);
    if (!best) continue;
    const reference = best;
    for (const m of artefact.models)
      if (
        m.group === g.name &&
        g.models.includes(m.name) &&
        !added.has(`${g.name}\u0000${m.name}`) &&
        m.meanScore > best.meanScore
      )
        best = m;
    if (best !== reference)
      out.push({
        group: g.name,
        model: best.name,
        strength: best.meanScore,
        reference: g.bestSingle,
        referenceMean: reference.meanScore,
      });
  }
  return out;
}

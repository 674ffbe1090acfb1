// `model-router calibrate-bands --model <artefact.json|version> --data <scored.jsonl>
// --out <artefact.json> [--group <group>] [--confidence-z Z] [--json]`: finds a trained artefact's
// Balanced and Cost bands (and Quality mode's margin) again on prompts of your traffic scored for
// the group's models, without touching its heads (training/recalibrate-bands.ts). For traffic
// unlike the training prompts, where the bands calibrated there do not keep their promise.
import { parseArgs } from 'node:util';
import { targetsWithZ, type BandTargets } from '../../training/band-targets.js';
import { DataError } from '../../training/data-error.js';
import { loadRows, type DataRow } from '../../training/load-rows.js';
import { trainedOn } from '../../training/in-sample.js';
import type { EvalSummary } from '../../training/eval-summary.js';
import {
  MIN_BAND_PROMPTS,
  recalibrateBands,
  type GroupRecalibration,
} from '../../training/recalibrate-bands.js';
import { artefactPathFor, loadArtefactFile } from '../routing/artefact-files.js';
import { serializeArtefact } from '../routing/artefact-json.js';
import { ArtefactError, type RoutingArtefact } from '../routing/routing-model.js';
import { DEFAULT_MODELS_DIR } from '../routing/router-factory.js';
import { artefactVersionOption, checkOutFile, renameArtefact, writeOutFile } from './out-path.js';
import { asUsage } from './usage-error.js';

/** The default --confidence-z: training's is 1, on thousands of prompts. */
const BANDS_Z = 2;

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  group: { type: 'string' },
  'confidence-z': { type: 'string' },
  json: { type: 'boolean', default: false },
  version: { type: 'string' },
} as const;

const USAGE =
  'usage: model-router calibrate-bands --model <artefact.json|version> --data <scored.jsonl> --out <artefact.json> [--group <group>] [--confidence-z Z] [--version V] [--json]';

/** What `model-router calibrate-bands --help` prints: its usage, every option, an example. */
export const HELP = `${USAGE}

Finds the bands of a trained artefact again on prompts of your own traffic, scored for the models
of its group (the shared line format: at least ${MIN_BAND_PROMPTS} prompts scoring the group's best single model
and another of its models; about 200 give bands worth having). The heads are not touched: only how
much predicted quality Balanced and Cost give up for cost, and Quality mode's margin, so that on
these prompts, less --confidence-z standard errors, Balanced keeps 99% and Cost 95% of the best
single model's quality. Where even quality alone keeps less than that on these prompts, the mode
holds: it serves the best single model wherever it is eligible, saving nothing on such traffic
(balancedHolds / costHolds in the artefact's bands; routers[].bands can lift it). For traffic
unlike the training prompts, where the shipped bands may not keep that promise (docs/routing.md,
"A task the router never saw"). Prompts the artefact was trained on are left out (its fingerprint
of them tells): its predictions on them are in-sample. Prints the modes on these prompts at the old
bands and the new ones; the new figures are measured on the prompts the bands were found on, so
check them on other scored prompts with \`eval --model <out> --test …\`.

options:
  --model <artefact>      the artefact: a file, or a version in models/ (latest, 2026-12-04)
  --data <file>           the scored prompts
  --out <file>            where to write the artefact with the new bands (in models/ as
                          <date>.json, a router selects it with version: <date>, and it is
                          the newest, latest, for routers that name latest)
  --group <group>         calibrate only this group (default: every group the file scores)
  --confidence-z <z>      standard errors a band's quality must clear its target by (default 2,
                          where training uses 1: the widest band that passes on a few hundred
                          prompts is the likelier to have passed by luck)
  --version <v>           the new artefact's version, what x-router-version and the request log
                          say (default: the --out file's name without .json, the name a router's
                          version: selects it by; else the artefact's own with .bands)
  --json                  the result as one JSON object on stdout
  -h, --help              this help

example:
  model-router calibrate-bands --model latest --data scored.jsonl --out models/2026-12-05.json
`;

/** "quality 0.930× ± 0.016 at 0.270× the cost" for a mode of a summary. */
function routed(s: EvalSummary, mode: 'balanced' | 'cost'): string {
  const m = s.modes[mode];
  const x = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(3)}×`);
  const se = m.quality_ratio_se === null ? '' : ` ± ${m.quality_ratio_se.toFixed(3)}`;
  return `quality ${x(m.quality_ratio)}${se} at ${x(m.cost_ratio)} the cost`;
}

function describe(r: GroupRecalibration, targets: BandTargets): string {
  const z = targets.confidenceZ ?? 0;
  // Bands sit on a grid of 0.0025 steps; 0.7999999999999999 is read as 0.8.
  const b = (v: number | undefined) => (v === undefined ? '–' : String(Number(v.toFixed(4))));
  return [
    `group ${r.group}: ${r.prompts} scored prompts (best single model ${r.routedBefore.best_single.model}, mean score ${r.routedBefore.best_single.quality.toFixed(3)})`,
    `  balanced band ${b(r.before.balanced)} → ${b(r.after.balanced)}: on these prompts ${routed(r.routedBefore, 'balanced')} → ${routed(r.routedAfter, 'balanced')}`,
    `  cost band     ${b(r.before.cost)} → ${b(r.after.cost)}: on these prompts ${routed(r.routedBefore, 'cost')} → ${routed(r.routedAfter, 'cost')}`,
    `  quality margin ${b(r.before.qualityMargin)} → ${b(r.after.qualityMargin)}, keeps the best single model: ${r.before.qualityHolds === true} → ${r.after.qualityHolds === true}`,
    ...r.held.map(
      (h) =>
        `  ${h.mode} holds: even quality alone kept ${h.qualityRatio.toFixed(3)}× ± ${h.se.toFixed(3)} of ${r.routedBefore.best_single.model} on these prompts (under ${targets[h.mode]}), so ${h.mode === 'balanced' ? 'Balanced' : 'Cost'} serves ${r.routedBefore.best_single.model} wherever it is eligible and saves nothing on this traffic: the artefact's predictions do not tell which of these prompts the cheaper models answer well. Train on prompts like these (their rows added to the group's training file) to route them; routers[].bands.${h.mode}Holds: false routes by the band again`,
    ),
    // Band 1 and above charge nothing for cost: quality alone, the calibration's fallback.
    ...(r.after.balanced >= 1 && !r.after.balancedHolds
      ? [
          `  note: no band that saves kept Balanced at its target less ${z} standard errors on these prompts, so Balanced picks on quality alone; more scored prompts narrow the bound (the standard error shrinks as 1/√n)`,
        ]
      : []),
  ].join('\n');
}

/**
 * The rows to calibrate on: those whose prompts the artefact was not trained on. Its predictions
 * on its own training prompts are in-sample, better than on any new prompt, and bands found on
 * them route more away than new traffic can bear (a CLI audit: bands from a subset of the training
 * file kept Balanced at 0.907× on unseen prompts, against 0.979× with the artefact's own). Said on
 * stderr; an artefact with no fingerprint of its prompts (an older one) cannot tell, and says so.
 */
function outOfSample(
  artefact: RoutingArtefact,
  all: DataRow[],
  file: string,
): { rows: DataRow[]; inSample: number | null } {
  const trained = trainedOn(artefact);
  if (!trained) {
    process.stderr.write(
      `warning: the artefact keeps no fingerprint of its training prompts (trained before 2026-12-04), so prompts of ${file} it was trained on cannot be left out: calibrate on prompts it was not trained on, or bands found on its in-sample predictions will route more away than new traffic bears\n`,
    );
    return { rows: all, inSample: null };
  }
  const rows = all.filter((r) => !trained(r.prompt));
  const left = all.length - rows.length;
  if (rows.length === 0)
    throw new DataError(
      `every prompt of ${file} is one the artefact was trained on: bands found on them would be in-sample. Calibrate on prompts of your traffic it was not trained on`,
    );
  if (left > 0)
    process.stderr.write(
      `note: ${left} of the ${all.length} prompts of ${file} are among the artefact's training prompts; left out (its predictions on them are in-sample and would make wider bands look safe)\n`,
    );
  return { rows, inSample: left };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (!values.model || !values.data || !values.out) {
    // Which are missing first, as train and calibrate say it.
    const missing = (['model', 'data', 'out'] as const).filter((k) => !values[k]);
    process.stderr.write(
      `model-router calibrate-bands: missing ${missing.map((k) => `--${k}`).join(', ')}\n${USAGE}\n(model-router calibrate-bands --help says more)\n`,
    );
    return 2;
  }
  // A bad option value is a usage error (one line, exit 2), found before anything is read.
  const { version, targets } = asUsage(() => ({
    version: artefactVersionOption(values.version, values.out!),
    // Two standard errors by default: on fifteen tasks left out of training, bands found on
    // 80–200 of a task's prompts kept the promise on the rest more often than at one
    // (docs/routing.md, "A task the router never saw").
    targets: targetsWithZ(values['confidence-z'] ?? String(BANDS_Z)),
  }));
  try {
    checkOutFile(values.out);
    const artefact = loadArtefactFile(artefactPathFor(values.model, DEFAULT_MODELS_DIR));
    const { rows, inSample } = outOfSample(artefact, loadRows(values.data), values.data);
    const results = recalibrateBands(artefact, rows, targets, values.group, (m) =>
      process.stderr.write(`note: ${m}\n`),
    );
    for (const r of results) {
      const group = artefact.groups.find((g) => g.name === r.group)!;
      group.bands = r.after;
      artefact.training[`bandsCalibrated:${r.group}`] = {
        data: values.data,
        prompts: r.prompts,
        confidenceZ: targets.confidenceZ,
        before: r.before,
        after: r.after,
        report: r.report,
        at: new Date().toISOString(),
      };
    }
    renameArtefact(artefact, version, 'bands');
    writeOutFile(values.out, serializeArtefact(artefact));
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({
          out: values.out,
          in_sample_left_out: inSample,
          groups: results.map((r) => ({
            group: r.group,
            prompts: r.prompts,
            before: r.before,
            after: r.after,
            holds: r.held,
            on_these_prompts: {
              before: { balanced: r.routedBefore.modes.balanced, cost: r.routedBefore.modes.cost },
              after: { balanced: r.routedAfter.modes.balanced, cost: r.routedAfter.modes.cost },
            },
          })),
        })}\n`,
      );
    else for (const r of results) process.stderr.write(`${describe(r, targets)}\n`);
    process.stderr.write(
      `wrote ${values.out}: select it per router with version: (a file in models/), or put the new bands in the config (routers[].bands)\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof DataError || err instanceof ArtefactError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

// `model-router calibrate --model <artefact.json> --data <scored.jsonl> --prices <prices.json>
// --out <artefact.json> [--group <data group>] [--anchor <model>] [--confidence-z 1]
// [--background <a.jsonl>[,…]] [--seed N]`:
// adds models the artefact does not know, each fitted from a small scored set (~200 prompts in
// the shared line format) without retraining the rest. The new heads join the group whose models
// the file also scores (so their qualities are on one scale), or `--group`, or a new group named
// after the file.
// In a group the artefact has, a new model's head is fitted as a correction to the known head that,
// so corrected, fits the set best (or `--anchor`'s): 200 prompts are too few to learn which
// prompts a model is good at from scratch, but enough to learn how it differs from a known model.
// Its level is then lowered by `--confidence-z` standard errors of its mean score (default 1, as
// the bands' bound): the group's bands were calibrated without it (`calibrateModel`). With
// `--background` prompts it also gets a coverage head, so its scores count only on prompts like
// the scored ones.
import { parseArgs } from 'node:util';
import { DataError } from '../../training/data-error.js';
import { countOf } from '../../training/count-of.js';
import { loadPrices, pricesByBareName } from '../../training/load-prices.js';
import { loadRows } from '../../training/load-rows.js';
import { fileList } from './train.js';
import { targetsWithZ } from '../../training/band-targets.js';
import { seedOption } from '../../training/number-option.js';
import { calibrateModel } from '../../training/calibrate-model.js';
import { featurize, trainHeads } from '../../training/heads.js';
import { bestSingleModel } from '../../training/model-pool.js';
import { promptFingerprint, withPrompts } from '../../training/in-sample.js';
import { artefactPathFor, loadArtefactFile } from '../routing/artefact-files.js';
import { serializeArtefact } from '../routing/artefact-json.js';
import { ArtefactError } from '../routing/routing-model.js';
import { DEFAULT_MODELS_DIR } from '../routing/router-factory.js';
import { artefactVersionOption, checkOutFile, renameArtefact, writeOutFile } from './out-path.js';
import { asUsage } from './usage-error.js';

/**
 * Fewer scored prompts than this for a new model get a warning that says it is added all the same
 * (about 200 are advised): its head and level rest on few answers, though lowered by their
 * standard error. Not refused: exported feedback (`feedback export`) may score a model on fewer.
 */
export const FEW_SCORED_PROMPTS = 50;

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  prices: { type: 'string' },
  out: { type: 'string' },
  group: { type: 'string' },
  anchor: { type: 'string' },
  'confidence-z': { type: 'string' },
  background: { type: 'string' },
  seed: { type: 'string', default: '1' },
  version: { type: 'string' },
} as const;

/** What `model-router calibrate --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router calibrate --model <artefact.json|version> --data <scored.jsonl> --prices <prices.json>
                              --out <artefact.json> [--group <group>] [--anchor <model>]
                              [--confidence-z Z] [--background <a.jsonl>[,…]] [--seed N] [--version V]

Adds the models a small scored set (~200 prompts in the shared line format) scores and the
artefact does not know, without retraining the rest: each new model's head is fitted as a
correction to a known model's head, and its level lowered by --confidence-z standard errors.

options:
  --model <artefact>      the artefact to extend: a file, or a version in models/ (latest, 2026-12-04)
  --data <file>           the scored prompts (rows scoring new models, and known ones to compare)
  --prices <file>         the new models' prices (an unpriced one is left out, with a warning)
  --out <file>            where to write the extended artefact
  --group <group>         the data group the new models join. Default: the group of the artefact's
                          models the file also scores (so the scores share one scale), else a new
                          group named after the file
  --anchor <model>        the known model whose head the new one corrects (default: the best fit)
  --confidence-z <z>      standard errors its mean score is lowered by (default 1)
  --background <files>    the group's training prompts: the new model then counts only on prompts
                          like its scored ones
  --seed <n>              the fitting seed (default 1)
  --version <v>           the new artefact's version, what x-router-version and the request log
                          say (default: the --out file's name without .json, the name a router's
                          version: selects it by; else the artefact's own with .calibrated)
  -h, --help              this help

example:
  model-router calibrate --model latest --data scored.jsonl --prices prices.json --out models/2026-12-05.json
`;

/**
 * `--background`'s files. A list that names none (`,`, '') calibrated as without the option,
 * trusting the new models on every prompt, without a word: it is refused instead.
 */
function backgroundOption(raw: string | undefined): string[] {
  const files = fileList(raw);
  if (raw !== undefined && files.length === 0)
    throw new Error(
      `--background names no file (got "${raw}"): give the group's training file(s), comma-separated, or leave --background out to trust the new models on every prompt`,
    );
  return files;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  if (!values.model || !values.data || !values.prices || !values.out) {
    // Which are missing first, as train says it.
    const missing = (['model', 'data', 'prices', 'out'] as const).filter((k) => !values[k]);
    process.stderr.write(
      `model-router calibrate: missing ${missing.map((k) => `--${k}`).join(', ')}\n` +
        'usage: model-router calibrate --model <artefact.json|version> --data <scored.jsonl> --prices <prices.json> --out <artefact.json> [--group <group>] [--anchor <model>] [--confidence-z 1] [--background <a.jsonl>[,<b.jsonl>…]]\n',
    );
    return 2;
  }
  // A bad option value is a usage error (one line, exit 2), found before anything is read.
  const {
    version,
    z,
    seed,
    background: backgroundFiles,
  } = asUsage(() => ({
    version: artefactVersionOption(values.version, values.out!),
    z: targetsWithZ(values['confidence-z']).confidenceZ,
    seed: seedOption(values.seed),
    group: groupOption(values.group),
    background: backgroundOption(values.background),
  }));
  try {
    checkOutFile(values.out);
    const artefact = loadArtefactFile(artefactPathFor(values.model, DEFAULT_MODELS_DIR));
    const rows = loadRows(values.data);
    const known = new Set(artefact.models.map((m) => m.name));
    const scored = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))];
    const fresh = scored.filter((m) => !known.has(m));
    if (fresh.length === 0) {
      process.stderr.write(
        `error: ${values.data}: every model it scores is already in the artefact; nothing to calibrate\n`,
      );
      return 1;
    }
    const shared = scored.filter((m) => known.has(m));
    const groupName =
      values.group ?? artefact.models.find((m) => shared.includes(m.name))?.group ?? rows[0]!.group;
    const prices = pricesByBareName(
      loadPrices(values.prices)(rows[0]!.group),
      fresh,
      values.data,
      (w) => process.stderr.write(`warning: ${w}\n`),
    );
    const priced = fresh.filter((m) => {
      if (prices.has(m)) return true;
      process.stderr.write(
        `warning: model "${m}" has no price in ${values.prices} (none, or null: unknown); left out\n`,
      );
      return false;
    });
    if (priced.length === 0)
      throw new DataError(
        `none of the new models (${fresh.join(', ')}) has a price in ${values.prices}: give each input_per_1m_usd and output_per_1m_usd`,
      );
    // A fit on a handful of prompts would print as any other's: said, with what is done.
    for (const m of priced) {
      const n = rows.filter((r) => r.scores[m] !== undefined).length;
      if (n < FEW_SCORED_PROMPTS)
        process.stderr.write(
          `warning: model "${m}" is scored on ${countOf(n, 'prompt')} of ${values.data}, under the ${FEW_SCORED_PROMPTS} below which its head and level rest on too few answers to say much; it is added all the same, its level lowered by the standard error of its mean score (below). About 200 scored prompts are advised: score it on more and calibrate again\n`,
        );
    }
    const featured = featurize(rows, undefined, artefact.featureVersion);
    // Prompts the new models were not scored on (the group's training file, say, or prompts of
    // your traffic with no scores at all): each gets a coverage head, so its scores are trusted
    // only on prompts like those it was scored on.
    const background = featurize(
      backgroundFiles.flatMap((f) => loadRows(f, undefined, true)),
      undefined,
      artefact.featureVersion,
    );
    const groupNames = artefact.groups.map((g) => g.name);
    let group = artefact.groups.find((g) => g.name === groupName);
    const notes: Record<string, unknown>[] = [];
    let holdCleared = false;
    if (group) {
      // The heads before this run (no new model anchors another); calibrateModel takes the
      // group's among them.
      const heads = artefact.models.slice();
      for (const name of priced) {
        const fit = calibrateModel(featured, name, group, heads, prices, {
          anchor: values.anchor,
          z,
          background,
        });
        group.models.push(name);
        artefact.models.push(fit.head);
        if (fit.sourceHeads.length) group.experts!.heads.push(...fit.sourceHeads);
        notes.push({
          model: name,
          anchor: fit.anchor,
          meanScore: fit.meanScore,
          strength: fit.head.meanScore,
          logLoss: fit.logLoss,
          standardError: fit.standardError,
          confidenceZ: z,
          biasShift: fit.biasShift,
          coverageBackground: fit.background,
        });
        // A file may score each model on some of its prompts only (exported feedback does).
        const scoredOn = rows.filter((r) => r.scores[name] !== undefined).length;
        process.stderr.write(
          `added ${name} to group ${groupName}: mean score ${fit.meanScore.toFixed(3)} on ${scoredOn} prompts (strength ${fit.head.meanScore.toFixed(3)} against ${group.bestSingle}'s ${group.bestMean.toFixed(3)} on the group), ${fit.head.expectedOutputTokens} expected output tokens; fitted as a correction to ${fit.anchor}'s head (log-loss ${fit.logLoss.toFixed(3)}), its mean predicted quality lowered by ${z} standard error(s) of its mean score (${fit.standardError.toFixed(3)})${fit.sourceHeads.length ? `, with its per-source heads (${fit.sourceHeads.map((h) => h.source).join(', ')})` : ''}; ${fit.background ? `trusted on prompts like its ${scoredOn} scored ones (a coverage head against ${fit.background} background prompts)` : "trusted on every prompt (--background <the group's training file> would trust it only on prompts like those scored here)"}\n`,
        );
      }
      // Training found that leaving the best single model gained nothing beyond noise, among the
      // models it had; a new one may be the model worth leaving it for.
      if (group.bands.qualityHolds) {
        delete group.bands.qualityHolds;
        holdCleared = true;
        process.stderr.write(
          `note: group ${groupName}'s Quality mode had kept ${group.bestSingle} (in training no other model beat it by more than noise); with ${priced.join(', ')} added it again leaves ${group.bestSingle} where another is predicted better by the calibrated margin ${(group.bands.qualityMargin ?? 0).toFixed(2)}\n`,
        );
      }
    } else {
      if (values.anchor !== undefined)
        throw new DataError(
          `--anchor needs a group the artefact has; ${groupName} is new (name one of ${groupNames.join(', ')} with --group)`,
        );
      if (background.length)
        process.stderr.write(
          `note: --background is not used for a new group: its heads are fitted from scratch on ${values.data} alone (name a group of the artefact with --group to fit the new models as corrections, trusted on prompts like the scored ones)\n`,
        );
      const heads = trainHeads(featured, priced, groupName, prices, {
        seed,
      });
      // The reference of the group's scale and of `eval`'s ratios: the best single model, as
      // training chooses it (not the first head fitted, which was the first by name).
      const best = heads.find((h) => h.name === bestSingleModel(rows, priced, prices))!;
      group = {
        name: groupName,
        models: [],
        bestSingle: best.name,
        bestMean: best.meanScore,
        bands: { balanced: 1, cost: 0.95, qualityMargin: 0.1 },
      };
      artefact.groups.push(group);
      for (const h of heads) {
        group.models.push(h.name);
        artefact.models.push(h);
        notes.push({ model: h.name });
        process.stderr.write(
          `added ${h.name} to new group ${groupName}: mean score ${h.meanScore.toFixed(3)} on ${rows.filter((r) => r.scores[h.name] !== undefined).length} prompts, ${h.expectedOutputTokens} expected output tokens (fitted from scratch: no known heads to correct; --group ${groupNames.join(' | ')} would fit it as a correction to a known model of that group)\n`,
        );
      }
    }
    // The group's fingerprint takes the scored prompts: the new heads were fitted on them, so
    // `eval --model` and `calibrate-bands` tell them as in-sample (training/in-sample.ts). A new
    // group has no notes of its own until now, which left every group's prompts unknown.
    const prompts = rows.map((r) => r.prompt);
    const groupNotes = artefact.training[groupName] as { promptHashes?: unknown } | undefined;
    if (!groupNotes)
      artefact.training[groupName] = {
        prompts: rows.length,
        promptHashes: promptFingerprint(prompts),
        calibratedBy: `calibrated:${priced.join(',')}`,
      };
    else if (typeof groupNotes.promptHashes === 'string')
      groupNotes.promptHashes = withPrompts(groupNotes.promptHashes, prompts);
    artefact.training[`calibrated:${priced.join(',')}`] = {
      prompts: rows.length,
      group: groupName,
      models: notes,
      ...(holdCleared ? { qualityHoldsCleared: true } : {}),
      at: new Date().toISOString(),
    };
    renameArtefact(artefact, version, 'calibrated');
    writeOutFile(values.out, serializeArtefact(artefact));
    process.stderr.write(
      `wrote ${values.out}; point deployments at the new models by name (or like:) and add them to a router subset yourself\n`,
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

/** `--group`: a data group's name (a data file's, such as llmrouter_9open.jsonl), not empty. */
function groupOption(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.trim() === '')
    throw new DataError(`--group must name a data group (e.g. llmrouter_9open.jsonl), got ""`);
  return raw;
}

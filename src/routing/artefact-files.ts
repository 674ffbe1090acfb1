// Routing artefact files: loading one, and the versions in a models folder that a router's
// `version:` (or `eval --model`, `calibrate --model`) can name, `latest` the newest dated one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileReadReason } from '../core/file-read-reason.js';
import { parseArtefact } from './artefact-json.js';
import { ARTEFACT_VERSION } from './artefact-version.js';
import { ArtefactError, type RoutingArtefact } from './routing-model.js';

export function loadArtefactFile(file: string): RoutingArtefact {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ArtefactError(`cannot read ${file}: ${fileReadReason(err)}`);
  }
  // Said so, not as JSON.parse's "Unexpected end of JSON input".
  if (!text.trim())
    throw new ArtefactError(`${file} is empty: an artefact is the JSON file train writes`);
  return parseArtefact(text, file);
}

/**
 * An artefact named on the command line (`eval --model`, `calibrate --model`): a file, or a
 * version of those in `dir` as a router's `version:` names them (`latest`, `2026-12-01b`).
 */
export function artefactPathFor(value: string, dir: string): string {
  if (existsSync(value) || value.includes('/') || value.endsWith('.json')) return value;
  const versions = artefactVersions(dir);
  if (value !== 'latest' && !versions.includes(value))
    throw new ArtefactError(
      `no artefact "${value}": not a file, nor a version in ${dir} (${versions.length ? `versions: ${versions.join(', ')}, or latest` : 'none there'})`,
    );
  return resolveArtefactPath(dir, value);
}

/** The versions a router can name: every `<version>.json` in the models folder, sorted. */
export function artefactVersions(modelsDir: string): string[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The file names `latest` chooses among (the newest by name): dated artefacts. */
export const DATED_ARTEFACT = /^\d{4}-\d{2}-\d{2}.*\.json$/;

/** `models/<version>.json`; `latest` = the newest `YYYY-MM-DD*.json` in the folder. */
export function resolveArtefactPath(dir: string, version: string): string {
  if (version !== 'latest') return join(dir, `${version}.json`);
  const files = readdirSync(dir)
    .filter((f) => DATED_ARTEFACT.test(f))
    .sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`no routing artefact (YYYY-MM-DD.json) in ${dir}`);
  return join(dir, newest);
}

/**
 * The artefact a router's `version:` selects, as it serves: its version is its file's name, the
 * name the config selects it by (what `x-router-version`, receipts and the request log say, and
 * `simulate --version` finds), whatever its file says (a file copied or renamed, or written by an
 * older `calibrate`, which kept its parent's).
 */
export function loadServedArtefact(dir: string, version: string): RoutingArtefact {
  const file = resolveArtefactPath(dir, version);
  const artefact = loadArtefactFile(file);
  const name = basename(file, '.json');
  if (ARTEFACT_VERSION.test(name)) artefact.version = name;
  return artefact;
}

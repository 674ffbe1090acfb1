// Where a command writes (`--out`): checked before any work, so a typo in a directory does not
// cost a whole training run, and a file that cannot be written is one line naming it, not a stack
// trace after the work is done.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { DataError } from '../../training/data-error.js';
import { fileWriteReason } from '../core/file-write-reason.js';
import { artefactTime } from '../../training/artefact-time.js';
import { ARTEFACT_VERSION } from '../routing/artefact-version.js';

/** `--out <file>`: its directory exists and can be written to, and it is not a directory. */
export function checkOutFile(path: string, option = '--out'): void {
  const full = resolve(path);
  if (isDirectory(full))
    throw new DataError(`${option} ${path} is a directory: name the file to write`);
  const dir = dirname(full);
  if (!isDirectory(dir)) {
    // A file on the way (`out.json/x.json`) is not a directory to create.
    const file = fileOnPath(dir);
    throw new DataError(
      file
        ? `${option} ${path}: ${file} is a file, not a directory`
        : `${option} ${path}: directory ${dir} does not exist (create it first)`,
    );
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new DataError(`${option} ${path}: directory ${dir} is not writable`);
  }
}

/**
 * A command's text to `--out` (checked first, written whole or not at all as `writeOutFile`
 * writes; a bad path or a failed write is one line on stderr and exit code 1) or, without it, to
 * stdout; the exit code.
 */
export function writeTextOut(out: string | undefined, text: () => string): number {
  if (out) {
    try {
      checkOutFile(out);
      writeOutFile(out, text());
    } catch (err) {
      // Before, a failed write was Node's "ENOSPC: no space left on device, write".
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
  } else process.stdout.write(text());
  return 0;
}

/**
 * Writes an artefact to `--out` (checked before the work by `checkOutFile`): whole or not at all,
 * through a file beside it renamed over it, so a full disk leaves no cut-off artefact for a
 * router's `latest` to load; a device or pipe (/dev/stdout) is written to as it is. A failure is a
 * DataError naming the path and why (before, Node's "ENOSPC: …, write", after the training).
 */
export function writeOutFile(path: string, text: string, option = '--out'): void {
  let direct = false;
  // A symbolic link is written through to its file, as writing it in place did.
  let target = path;
  try {
    direct = !statSync(path).isFile();
    target = realpathSync(path);
  } catch {
    // Not there yet: written through a file beside it.
  }
  const temp = direct ? target : `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    if (!direct) renameSync(temp, target);
  } catch (err) {
    if (!direct) rmSync(temp, { force: true });
    throw new DataError(`${option} ${path}: cannot write (${fileWriteReason(err)})`);
  }
}

/** `--out <dir>`: created now if it is not there (parents too), else it must be a writable directory. */
export function prepareOutDir(path: string, option = '--out'): void {
  if (existsSync(path) && !isDirectory(resolve(path)))
    throw new DataError(
      `${option} ${path} is a file, not a directory: name a directory to write into`,
    );
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new DataError(`${option} ${path}: cannot create the directory (${fileWriteReason(err)})`);
  }
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new DataError(`${option} ${path}: directory is not writable`);
  }
}

/** The first part of `dir`'s path that is a file, if any: `/a/f.json` of `/a/f.json/b`. */
function fileOnPath(dir: string): string | undefined {
  for (let p = dir; p !== dirname(p); p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory() && isDirectory(dirname(p))) return p;
    } catch {
      // Not there: look further up.
    }
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The version an artefact written to `out` carries: `--version` when given (one a router's
 * `version:` can name, else an error saying so), else `out`'s file name without `.json` (the name
 * a router selects it by in its models folder), else undefined (the command's own default).
 */
export function artefactVersionOption(value: string | undefined, out: string): string | undefined {
  if (value !== undefined) {
    if (!ARTEFACT_VERSION.test(value))
      throw new DataError(
        `--version ${JSON.stringify(value)}: a version is what a router's version: names, the artefact's file name in the models folder without .json: letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. 2026-12-05b)`,
      );
    return value;
  }
  const name = basename(out, '.json');
  return out.endsWith('.json') && ARTEFACT_VERSION.test(name) ? name : undefined;
}

/**
 * An artefact written from another (calibrate, calibrate-bands) is a new one: its own version
 * (`version`, else its parent's with `.<suffix>`), the parent's kept in `derivedFrom`, and its
 * own time. Before, it kept its parent's version, so what served named the parent.
 */
export function renameArtefact(
  artefact: { version: string; createdAt: string; derivedFrom?: string },
  version: string | undefined,
  suffix: string,
): void {
  artefact.derivedFrom = artefact.version;
  artefact.version = version ?? `${artefact.version}.${suffix}`;
  artefact.createdAt = artefactTime();
}

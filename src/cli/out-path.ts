// Where a command writes (`--out`): checked before any work, so a typo in a directory does not
// cost a whole training run, and a file that cannot be written is one line naming it, not a stack
// trace after the work is done.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataError } from '../../training/dataset.js';

/** `--out <file>`: its directory exists and can be written to, and it is not a directory. */
export function checkOutFile(path: string, option = '--out'): void {
  const full = resolve(path);
  if (isDirectory(full))
    throw new DataError(`${option} ${path} is a directory: name the file to write`);
  const dir = dirname(full);
  if (!isDirectory(dir))
    throw new DataError(`${option} ${path}: directory ${dir} does not exist (create it first)`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new DataError(`${option} ${path}: directory ${dir} is not writable`);
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
    throw new DataError(`${option} ${path}: cannot create the directory (${errorText(err)})`);
  }
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new DataError(`${option} ${path}: directory is not writable`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Why a directory could not be made, in words (Node's codes as its docs explain them). */
const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of its path is a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

function errorText(err: unknown): string {
  const code = (err as { code?: string }).code;
  return (code && REASONS[code]) ?? code ?? String((err as Error).message ?? err);
}

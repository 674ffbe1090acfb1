// The request-log store the config names: SQLite (default) or PostgreSQL. Each driver is loaded
// only when the config asks for it (the PostgreSQL client is ≈4 MB resident that a SQLite-only or
// log-less router never needs).
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readSync,
  statSync,
} from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { RequestLogStore } from './request-log.js';

export async function openRequestStore(cfg: Config['requestLog']): Promise<RequestLogStore> {
  if (cfg.kind === 'postgres') {
    const { createPostgresRequestStore } = await import('./sql/postgres-request-store.js');
    return createPostgresRequestStore(
      cfg.postgresUrl!,
      cfg.postgresSchema ? { schema: cfg.postgresSchema } : {},
    );
  }
  const { createSqliteRequestStore } = await import('./sql/sqlite-request-store.js');
  return createSqliteRequestStore(cfg.sqlitePath);
}

/** A command that only reads the request log found none where the config says it is. */
export class MissingRequestLog extends Error {}

/**
 * The request log as the commands that only read it open it (report, simulate, distribution,
 * feedback export): a SQLite file that is not there is an error naming the setting, not a new,
 * empty log reported as $0 (a chargeback job on a mistyped path succeeded, billing nothing).
 */
export async function openRequestLogToRead(cfg: Config['requestLog']): Promise<RequestLogStore> {
  if (cfg.kind === 'sqlite' && !existsSync(cfg.sqlitePath)) {
    const from = isAbsolute(cfg.sqlitePath)
      ? ''
      : `, read from the current directory ${process.cwd()}`;
    throw new MissingRequestLog(
      `no request log at ${cfg.sqlitePath} (requestLog.sqlitePath${from}): the router writes it there once it has served a request. Check the path, or run this where the router runs`,
    );
  }
  if (cfg.kind === 'sqlite') checkSqliteFile(cfg.sqlitePath);
  return openRequestStore(cfg);
}

/** Every SQLite 3 database starts with these 16 bytes (sqlite.org/fileformat.html, 1.3.1). */
const SQLITE_HEADER = 'SQLite format 3\u0000';

/**
 * A sqlitePath that is there but is no database: a directory, or a file that does not start as a
 * SQLite 3 one (an empty file is an empty database). SQLite's own words for them are "unable to
 * open database file" and, at the first query, "file is not a database".
 */
export function checkSqliteFile(path: string): void {
  if (statSync(path).isDirectory())
    throw new MissingRequestLog(
      `requestLog.sqlitePath ${path} is a directory: name the SQLite file in it the router writes (./data/requests.db by default)`,
    );
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read > 0 && head.toString('latin1', 0, read) !== SQLITE_HEADER)
    throw new MissingRequestLog(
      `requestLog.sqlitePath ${path} is not a SQLite database (it does not start as one): is it the router's request log?`,
    );
}

/**
 * What the router needs of `requestLog.sqlitePath` before it opens the log (serve's start-up, and
 * check-config, which says it before a deploy): an existing file is a SQLite database
 * (checkSqliteFile) it can read and write, in a folder it can write (SQLite writes its -wal and
 * -shm files beside it); a new file's folder exists or can be made (the router makes it), and can
 * be written. Each failure names the setting and what to fix; SQLite's own words were "unable to
 * open database file" and a stack.
 */
export function checkSqlitePath(path: string): void {
  if (path === ':memory:') return;
  const setting = `requestLog.sqlitePath ${path}${isAbsolute(path) ? '' : ` (from the current directory ${process.cwd()})`}`;
  if (existsSync(path)) {
    checkSqliteFile(path);
    if (!canWrite(path))
      throw new MissingRequestLog(
        `${setting} is not writable by this user: the router appends every request to it. Give it write permission, or name another file`,
      );
  }
  // The nearest folder above it that is there: the router makes the rest.
  let folder = dirname(resolve(path));
  while (!existsSync(folder)) folder = dirname(folder);
  if (!statSync(folder).isDirectory())
    throw new MissingRequestLog(
      `${setting}: ${folder} is a file, so the folder for the log cannot be made there. Name a path under a folder`,
    );
  if (!canWrite(folder))
    throw new MissingRequestLog(
      `${setting}: the folder ${folder} is not writable by this user, so the log${folder === dirname(resolve(path)) ? ' (and its -wal and -shm files)' : "'s folder"} cannot be made there. Give it write permission, or name a path in a writable folder`,
    );
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

// The request log as the composition root (runtime.ts) opens it, when `requestLog.kind` is not
// `none`: its store (SQLite or PostgreSQL) behind the batched writer, receipts stored as the live
// config says.
import type { Logger } from 'pino';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Config } from './config/schema.js';
import { ConfigError } from './config/load-config.js';
import { checkSqlitePath, openRequestStore } from './store/open-request-store.js';
import { RequestLog } from './store/request-log.js';

/** The batched request log the config asks for, or undefined for `requestLog.kind: none`. */
export async function openRequestLog(
  initial: Config,
  holder: ConfigHolder,
  logger: Logger,
): Promise<RequestLog | undefined> {
  if (initial.requestLog.kind === 'none') return undefined;
  // A sqlitePath that is a directory, another kind of file, or where this user cannot write: one
  // line naming the setting, as the commands that read the log say it (it was SQLite's "unable to
  // open database file" and a stack). check-config runs the same check.
  const { kind, sqlitePath } = initial.requestLog;
  if (kind === 'sqlite') {
    try {
      checkSqlitePath(sqlitePath);
    } catch (err) {
      throw new ConfigError((err as Error).message, ['requestLog.sqlitePath']);
    }
  }
  return new RequestLog(await openRequestStore(initial.requestLog), {
    maxBuffer: initial.requestLog.maxBuffer,
    storeText: initial.requestLog.storeText,
    storeReceipts: () => holder.current.config.requestLog.storeReceipts,
    retentionDays: initial.requestLog.retentionDays,
    onError: (msg) => logger.error(msg),
  });
}

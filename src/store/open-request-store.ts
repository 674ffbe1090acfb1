// The request-log store the config names: SQLite (default) or PostgreSQL.
import type { Config } from '../config/schema.js';
import type { RequestLogStore } from './request-log.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

export function openRequestStore(cfg: Config['requestLog']): RequestLogStore {
  if (cfg.kind === 'postgres')
    return createPostgresRequestStore(
      cfg.postgresUrl!,
      cfg.postgresSchema ? { schema: cfg.postgresSchema } : {},
    );
  return createSqliteRequestStore(cfg.sqlitePath);
}

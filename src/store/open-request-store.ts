// The request-log store the config names: SQLite (default) or PostgreSQL. Each driver is loaded
// only when the config asks for it (the PostgreSQL client is ≈4 MB resident that a SQLite-only or
// log-less router never needs).
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

// Helpers for tests against a real PostgreSQL (CI has one on 127.0.0.1): its address, the check a
// suite skips loudly on when it is not there, and dropping the schema a test wrote its tables in.
import pg from 'pg';

export const PG_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers at PG_URL; when not, says so with what is skipped. */
export async function pgAvailable(skipping: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    console.warn(`\n*** PostgreSQL is not reachable at ${PG_URL}: skipping ${skipping} ***\n`);
    return false;
  }
}

/** Drops a test's schema and everything in it (schemas are named per process, so runs never meet). */
export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}

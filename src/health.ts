/**
 * Health endpoints (docs/operations.md), the same on Node and Workers:
 *
 * - `/livez`: the process answers. No I/O, so a slow database never gets a live process restarted.
 * - `/readyz`: the database answers and has every migration this code expects; 503 otherwise, with
 *   which of the two failed. A load balancer sends traffic only to ready instances.
 *
 * The expected migration is the newest folder under drizzle/: Node reads it from the folder at
 * start-up (src/node/database.ts); a Worker cannot read files, so it uses LATEST_MIGRATION, which
 * test/api/health.test.ts keeps equal to the newest folder.
 */
import type { Client } from '@libsql/client';

/** The newest migration under drizzle/ (a test fails when a newer folder is added without updating it). */
export const LATEST_MIGRATION = '20261207045007_liveness_grace';

export interface Readiness {
  ok: boolean;
  database: 'ok' | 'unreachable';
  migrations: { expected: string; current: boolean };
  error?: string;
}

/** Checks the database and its migrations; never throws. */
export async function checkReadiness(client: Client, expectedMigration: string): Promise<Readiness> {
  const expected = expectedMigration;
  try {
    await client.execute('select 1');
  } catch (error) {
    return { ok: false, database: 'unreachable', migrations: { expected, current: false }, error: (error as Error).message.slice(0, 200) };
  }
  try {
    const found = await client.execute({ sql: 'select 1 from __drizzle_migrations where name = ? limit 1', args: [expected] });
    const current = found.rows.length === 1;
    return { ok: current, database: 'ok', migrations: { expected, current } };
  } catch {
    return { ok: false, database: 'ok', migrations: { expected, current: false } }; // no migrations table: never migrated
  }
}

/**
 * Node-only: open the libSQL database (embedded file by default, remote with DATABASE_URL and an
 * auth token) and apply drizzle-kit migrations at start-up.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/** The data directory of an embedded `file:` URL, or null for a remote database. */
export function embeddedDataDir(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  return dirname(resolve(url.slice('file:'.length)));
}

/** Opens the database; for an embedded file, creates its directory and turns on WAL. */
export async function openDatabase(url: string, authToken?: string): Promise<Client> {
  const dir = embeddedDataDir(url);
  if (dir) mkdirSync(dir, { recursive: true });
  const client = createClient({ url, authToken, timeout: 5000 });
  if (dir) {
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = NORMAL');
  }
  await client.execute('PRAGMA foreign_keys = ON');
  return client;
}

/** Applies pending migrations (idempotent). */
export async function migrateDatabase(client: Client): Promise<void> {
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
}

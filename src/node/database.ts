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

export interface OpenedDatabase {
  client: Client; // pooled: reads
  writeClient: Client; // one connection: the serialised write transactions
  close(): void;
}

/**
 * Opens the database. For an embedded file: creates its directory, turns on WAL, and opens a
 * one-connection write client with `synchronous` set as configured — NORMAL (default) survives a
 * crash of the process (kill -9) but may lose the last commits on power loss; FULL fsyncs every
 * commit (~500 writes/s on this kind of disk instead of thousands). Agents detect a feed that went
 * backwards (their revision above the head) and list again, so a lost tail never goes unnoticed.
 */
export async function openDatabase(url: string, authToken?: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): Promise<OpenedDatabase> {
  const dir = embeddedDataDir(url);
  if (dir) mkdirSync(dir, { recursive: true });
  const client = createClient({ url, authToken, timeout: 5000 });
  if (!dir) return { client, writeClient: client, close: () => client.close() };
  await client.execute('PRAGMA journal_mode = WAL');
  const writeClient = createClient({ url, timeout: 5000, concurrency: 1 });
  await writeClient.execute(`PRAGMA synchronous = ${synchronous}`);
  await writeClient.execute('PRAGMA foreign_keys = ON');
  return {
    client,
    writeClient,
    close: () => {
      writeClient.close();
      client.close();
    },
  };
}

/** Applies pending migrations (idempotent). */
export async function migrateDatabase(client: Client): Promise<void> {
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
}

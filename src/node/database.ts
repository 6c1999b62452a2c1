/**
 * Node-only: open the libSQL database (embedded file by default, remote with DATABASE_URL and an
 * auth token) and apply drizzle-kit migrations at start-up.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';

/** drizzle/ of the checkout (this file is src/node/database.ts), or of the package (bundled into build/weft-api.mjs). */
export const MIGRATIONS_DIR = ['../../drizzle', '../drizzle']
  .map((up) => resolve(dirname(fileURLToPath(import.meta.url)), up))
  .find((dir) => existsSync(join(dir, '..', 'package.json')) && existsSync(dir)) as string;

/** The newest migration folder (what `/readyz` expects the database to have applied). */
export function latestMigration(dir: string = MIGRATIONS_DIR): string {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d{14}_/.test(e.name))
    .map((e) => e.name)
    .sort();
  if (!names.length) throw new Error(`no migrations in ${dir}`);
  return names[names.length - 1];
}

/** The data directory of an embedded `file:` URL, or null for a remote database. */
export function embeddedDataDir(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  return dirname(resolve(url.slice('file:'.length)));
}

/**
 * The embedded file holds webhook signing secrets, so it is owner-only like the signing key beside
 * it. A missing file is created 0600 before libSQL opens it (SQLite gives the -wal and -shm files the
 * database file's mode); an existing one, or a -wal/-shm left behind, that group or others may access
 * is tightened to 0600 (files of earlier versions were created with the umask's 0644).
 */
function restrictDatabaseFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch {
      continue; // no such sibling
    }
    if (mode & 0o077) chmodSync(path, 0o600);
  }
}

export interface OpenedDatabase {
  client: Client; // pooled: reads
  writeClient: Client; // one connection: the serialised write transactions
  close(): void;
}

/**
 * Opens the database. For an embedded file: creates its directory and the file owner-only, turns
 * on WAL, and opens a one-connection write client with `synchronous` set as configured — NORMAL
 * (default) survives a crash of the process (kill -9) but may lose the last commits on power loss;
 * FULL fsyncs every commit (~500 writes/s on this kind of disk instead of thousands). Agents detect
 * a feed that went backwards (their revision above the head) and list again, so a lost tail never
 * goes unnoticed.
 */
export async function openDatabase(url: string, authToken?: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): Promise<OpenedDatabase> {
  const dir = embeddedDataDir(url);
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const file = url.slice('file:'.length).replace(/\?.*$/, '');
    if (file !== ':memory:') restrictDatabaseFile(resolve(file));
  }
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

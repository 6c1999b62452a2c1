/**
 * Applies drizzle-kit migrations to DATABASE_URL (+ DATABASE_AUTH_TOKEN): the embedded file, or a
 * remote libSQL (Turso / sqld) before a Worker deploy — Workers cannot run migrations themselves.
 */
import { parseConfig } from '../src/config.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';

const config = parseConfig(process.env);
const opened = await openDatabase(config.databaseUrl, config.databaseAuthToken);
await migrateDatabase(opened.writeClient);
opened.close();
console.log(`migrations applied to ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}`);

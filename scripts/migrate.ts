/**
 * Applies drizzle-kit migrations to DATABASE_URL (+ DATABASE_AUTH_TOKEN): the embedded file, or a
 * remote libSQL (Turso / sqld) before a Worker deploy — Workers cannot run migrations themselves.
 */
import { parseConfig } from '../src/config.ts';
import { migrateDatabase, openDatabase } from '../src/node/database.ts';

const USAGE = `usage: npm run db:migrate   (DATABASE_URL, DATABASE_AUTH_TOKEN from the environment)
Applies the migrations under drizzle/ to DATABASE_URL; takes no arguments.
`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.length) {
  process.stderr.write(`migrate: unknown argument ${JSON.stringify(args[0])}\n${USAGE}`);
  process.exit(2);
}

const config = parseConfig(process.env);
const opened = await openDatabase(config.databaseUrl, config.databaseAuthToken);
await migrateDatabase(opened.writeClient);
opened.close();
console.log(`migrations applied to ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}`);

/**
 * weft-api — the Node entry point: parse the environment, start the API, stop cleanly on
 * SIGINT/SIGTERM. Configuration is the environment only (README "Configuration"); the command line
 * takes just --help (usage on stdout, exit 0), and refuses anything else with exit 2.
 */
import { parseConfig } from './config.ts';
import { startNodeServer } from './node/server.ts';

const USAGE = `usage: weft-api [--help]

Starts the Weft control API (GraphQL on http://HOST:PORT/graphql, /livez, /readyz, /healthz).
Every setting is an environment variable: PORT, HOST, DATABASE_URL, AUTH_EDDSA_PRIVATE_KEY or
AUTH_HS256_SECRET, METRICS_PORT / METRICS_HOST (Prometheus listener, off by default), LOG_LEVEL,
LOG_FORMAT=json|pretty, … (README "Configuration" lists them all).
`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.length) {
  process.stderr.write(`weft-api: unknown argument ${JSON.stringify(args[0])} (settings are environment variables)\n\n${USAGE}`);
  process.exit(2);
}

const server = await startNodeServer(parseConfig(process.env));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}

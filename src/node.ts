/**
 * Node entry point: parse the environment, start the API, stop cleanly on SIGINT/SIGTERM.
 */
import { parseConfig } from './config.ts';
import { startNodeServer } from './node/server.ts';

const server = await startNodeServer(parseConfig(process.env));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}

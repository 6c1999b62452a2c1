/**
 * Node-only: start the API — database and migrations, keys, the Hono app on @hono/node-server,
 * graphql-ws on the same /graphql path, the feed wake-ups, the retention timer, the webhook worker and
 * the fleet sweep (liveness, drains).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import { createApp } from '../app.ts';
import { signToken } from '../auth/jwt.ts';
import { loadSigningKeys } from '../auth/keys.ts';
import type { Config } from '../config.ts';
import { createDatabase } from '../db/client.ts';
import { compactFeed } from '../feed/compact.ts';
import { notifyCommitted } from '../feed/hub.ts';
import { createWatchCache, watchCacheSettings } from '../feed/watch-cache.ts';
import { openDatabase, migrateDatabase, embeddedDataDir } from './database.ts';
import { loadOrCreateDevKey } from './dev-keys.ts';
import { agentReportListener } from './agent-report-listener.ts';
import { drainRefusedBody } from './drain.ts';
import { createLogger, lineLogger, withRequestId } from './logger.ts';
import { createApiMetrics, startMetricsServer, timedClient } from './metrics.ts';
import { latestMigration } from './database.ts';
import { startWebhookWorker } from './webhook-worker.ts';
import { startFleetWorker } from './fleet-worker.ts';
import { mountConsole } from './console.ts';

export interface RunningServer {
  url: string;
  port: number;
  /** The Prometheus listener's URL, when METRICS_PORT is set. */
  metricsUrl?: string;
  devAdminToken?: string;
  close(): Promise<void>;
}

/**
 * Starts the API and resolves once it listens. Logs are JSON lines (pino, src/node/logger.ts) on
 * stdout, or, when `sink` is given, handed to it one line at a time (tests collect or drop them).
 */
export async function startNodeServer(config: Config, sink?: (line: string) => void): Promise<RunningServer> {
  const logger = createLogger(config.log, sink ? { write: (s: string) => sink(s.replace(/\n$/, '')) } : undefined);
  const log = lineLogger(logger);
  const metrics = createApiMetrics();
  const opened = await openDatabase(config.databaseUrl, config.databaseAuthToken, config.databaseSynchronous);
  await migrateDatabase(opened.writeClient);
  const readClient = timedClient(opened.client, 'read', metrics);
  const writeClient = opened.writeClient === opened.client ? readClient : timedClient(opened.writeClient, 'write', metrics);
  // One reader of the change table for this process (docs/architecture.md §8.5); every commit wakes it.
  const db = createDatabase(readClient, (committed) => notifyCommitted(hub, committed), writeClient);
  const hub = createWatchCache({ db, ...watchCacheSettings(config), log: lineLogger(logger, { component: 'feed' }) });
  await hub.start();
  metrics.watch(db, () => hub.stats());

  let devAdminToken: string | undefined;
  let auth = config.auth;
  const devDir = embeddedDataDir(config.databaseUrl);
  // The development admin token is minted only with the generated development key, never with a
  // configured one (whether it came from the environment or from a Config built in code).
  const usingDevKey = !auth.eddsaPrivateKey && !auth.hs256Secret;
  if (usingDevKey) {
    if (!devDir)
      throw new Error(
        'no signing key configured: set AUTH_EDDSA_PRIVATE_KEY or AUTH_HS256_SECRET (a development key is only generated for an embedded database)',
      );
    const dev = await loadOrCreateDevKey(devDir);
    auth = { ...auth, eddsaPrivateKey: dev.jwk };
    config = { ...config, auth };
  }
  const keys = await loadSigningKeys(auth);
  if (usingDevKey && devDir) {
    devAdminToken = await signToken(keys, auth, { kind: 'admin', sub: 'dev-admin' }, 30 * 24 * 3600);
    writeFileSync(join(devDir, 'dev-admin-token'), `${devAdminToken}\n`, { mode: 0o600 });
  }

  const { app, yoga, makeContext, reports } = createApp({
    config,
    db,
    keys,
    hub,
    drainRefusedBody,
    logger,
    telemetry: metrics,
    withRequestId,
    expectedMigration: latestMigration(),
  });
  mountConsole(app);
  const server = await new Promise<Server>((resolveServer) => {
    // Agents' reports are answered by Node's own listener, everything else by Hono (./agent-report-listener.ts).
    const ownReports = agentReportListener({ reports, maxBodyBytes: config.maxBodyBytes, telemetry: metrics, withRequestId });
    const s = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        createServer: ((options: ServerOptions, hono: RequestListener) => createServer(options, (req, res) => ownReports(req, res) || hono(req, res))) as never,
      },
      () => resolveServer(s as Server),
    ) as Server;
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    if (!request.url?.startsWith('/graphql')) return socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  const wsServer = useServer(
    {
      execute: (args: { rootValue: { execute: (a: unknown) => unknown } }) => args.rootValue.execute(args),
      subscribe: (args: { rootValue: { subscribe: (a: unknown) => unknown } }) => args.rootValue.subscribe(args),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      onSubscribe: async (ctx: any, _id: string, params: any) => {
        const header =
          ctx.extra.request.headers.authorization ?? (typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : null);
        const { schema, execute, subscribe, parse, validate } = yoga.getEnveloped({ request: ctx.extra.request, params });
        let document;
        try {
          document = parse(params.query); // refuses over-nested and over-long documents (src/limits.ts)
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = validate(schema, document);
        if (errors.length) return errors;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await makeContext(header),
          rootValue: { execute, subscribe },
        };
      },
    } as never,
    wss,
  );

  const retention = setInterval(() => {
    compactFeed(db, { before: Date.now() - config.feedRetentionMs }).catch((error) => log(`feed retention failed: ${(error as Error).message}`));
  }, 60_000);
  retention.unref();
  const webhooks = startWebhookWorker({ db, hub, config, log: lineLogger(logger, { component: 'webhooks' }), onOutcome: (o) => metrics.webhookAttempt(o) });
  const fleet = startFleetWorker({ db, config, log: lineLogger(logger, { component: 'fleet' }) });
  const metricsListener = config.metrics ? await startMetricsServer(metrics.registry, config.metrics.port, config.metrics.host) : null;

  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (devAdminToken) {
    log('DEVELOPMENT ONLY: no signing key configured, so one was generated in the data directory.');
    // The path, never the token itself: logs must not hold a credential.
    log(`DEVELOPMENT ONLY: an admin token (30 days) is in ${join(devDir!, 'dev-admin-token')}`);
  }
  if (metricsListener) log(`weft API metrics on ${metricsListener.url}`);
  log(`weft API listening on ${url}/graphql (database ${redactUrl(config.databaseUrl)})`);
  log(`weft console on ${url}/console/${devAdminToken ? ` (sign in with the token in ${join(devDir!, 'dev-admin-token')})` : ''}`);
  return {
    url,
    port,
    metricsUrl: metricsListener?.url,
    devAdminToken,
    async close() {
      if (metricsListener) await new Promise<void>((r) => metricsListener.server.close(() => r()));
      hub.close(); // open feed streams end now, before the database closes under them
      clearInterval(retention);
      await webhooks.close();
      await fleet.close();
      await wsServer.dispose();
      wss.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await closed;
      opened.close();
    },
  };
}

/** A database URL without credentials or query parameters (an `authToken=` may be given there). */
function redactUrl(url: string): string {
  return url.replace(/\?.*$/, '').replace(/\/\/[^/@]*@/, '//');
}

/**
 * The HTTP application, the same on Node and Workers: request ids and the access log, body limit,
 * /healthz, /livez, /readyz, /.well-known/jwks.json, /graphql (Yoga: HTTP and SSE) and /agent/report
 * (agents' status reports without GraphQL, src/agent-report.ts). The actor of each request is resolved
 * here, once, from the Authorization header.
 */
import { createYoga, type Plugin } from 'graphql-yoga';
import { type ExecutionResult, GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { timing } from 'hono/timing';
import { AGENT_REPORT_PATH } from '../protocol/agent-report.ts';
import { type AgentReportDeps, agentReportHandler, bodyTooLarge, reportLogLevel } from './agent-report.ts';
import { type Actor, resolveActor, streamTokenCheck } from './auth/actor.ts';
import { assertTokenSettings, type VerifiedClaims, verifyToken } from './auth/jwt.ts';
import { cachedVerifier } from './auth/token-cache.ts';
import type { SigningKeys } from './auth/keys.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { FeedHub } from './feed/hub.ts';
import { headRevision } from './feed/snapshot.ts';
import type { FeedEvent } from './feed/stream.ts';
import { getGeneration } from './db/lookups.ts';
import { maskError, serverFaultLogger } from './graphql-errors.ts';
import { sharedSubscriptionResults } from './graphql-shared-results.ts';
import { telemetryPlugin } from './graphql-telemetry.ts';
import { checkReadiness, LATEST_MIGRATION } from './health.ts';
import { FIXED_LIMITS, measureDocument, parseWithin, type QueryLimits } from './limits.ts';
import type { GraphQLContext } from './schema/context.ts';
import { seesHosts } from './schema/feed.ts';
import { schema } from './schema/index.ts';
import { consoleLogger, type Logger, noTelemetry, type Telemetry } from './telemetry.ts';

export interface AppDeps {
  config: Config;
  db: Database;
  keys: SigningKeys;
  hub: FeedHub;
  now?: () => number;
  /** Reads away the rest of a refused request body, given the runtime's bindings (Node only). */
  drainRefusedBody?: (env: unknown) => Promise<void>;
  /** Structured logger (pino on Node); JSON lines on the console by default. */
  logger?: Logger;
  /** Metric events (prom-client on Node); none by default. */
  telemetry?: Telemetry;
  /** Runs the rest of a request with its id as the logging context (Node: AsyncLocalStorage), so every line it logs carries the id. */
  withRequestId?: <T>(requestId: string, fn: () => T) => T;
  /** The newest migration this code needs (`/readyz`); LATEST_MIGRATION by default. */
  expectedMigration?: string;
}

/** Paths named in metrics; anything else is `other`, so a scan of random URLs adds no series. */
const ROUTES = new Set(['/graphql', AGENT_REPORT_PATH, '/healthz', '/livez', '/readyz', '/.well-known/jwks.json']);

/** The revision of a feed event (`hostChanges { revision }`), when the subscriber selected it. */
function eventRevision(result: ExecutionResult): number | undefined {
  const event = result.data && Object.values(result.data)[0];
  const revision = (event as { revision?: unknown } | null | undefined)?.revision;
  return typeof revision === 'number' ? revision : undefined;
}

/**
 * Wraps a subscription's event stream so that each event is delivered only while the subscriber's
 * token is still valid: authorization happens at subscribe time, but an agent token revoked (or any
 * token expired) while its stream is open must not go on receiving changes. The stream then ends with
 * one UNAUTHENTICATED error. `return()` passes straight through, so a client going away still aborts
 * the underlying feed reader at once.
 */
function guardStream(
  source: AsyncIterable<ExecutionResult>,
  lapsed: (revision: number | undefined) => Promise<string | null>,
): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]();
  let over = false;
  const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (over) return done();
      const next = await inner.next();
      if (next.done || over) return next.done ? next : done();
      const reason = await lapsed(eventRevision(next.value));
      if (!reason) return next;
      over = true;
      await inner.return?.();
      return { done: false, value: { errors: [new GraphQLError(`subscription ended: ${reason}`, { extensions: { code: 'UNAUTHENTICATED' } })] } };
    },
    async return() {
      over = true;
      await inner.return?.();
      return done();
    },
  };
}

/** Builds the GraphQL context for one request or one WebSocket connection. */
export function contextFactory(deps: AppDeps, verify?: (token: string) => Promise<VerifiedClaims>) {
  const services = { db: deps.db, config: deps.config, now: deps.now ?? (() => Date.now()) };
  return async (authorization: string | null | undefined): Promise<GraphQLContext> => {
    const actor: Actor = await resolveActor(authorization, { keys: deps.keys, settings: deps.config.auth, db: deps.db.read, verify });
    return { actor, services, keys: deps.keys, hub: deps.hub };
  };
}

/** Creates the Hono app and its Yoga instance. */
export function createApp(deps: AppDeps) {
  assertTokenSettings(deps.config.auth);
  // Agent tokens verified once per process until they expire (src/auth/token-cache.ts).
  const verify = cachedVerifier((token) => verifyToken(deps.keys, deps.config.auth, token));
  const makeContext = contextFactory(deps, verify);
  const log = deps.logger ?? consoleLogger();
  const telemetry = deps.telemetry ?? noTelemetry;
  const queryLimits: QueryLimits = { ...FIXED_LIMITS, maxDepth: deps.config.maxQueryDepth };
  // Structural limits first (src/limits.ts): a refused document never reaches graphql's own rules.
  const limits: Plugin = {
    onParse({ setParseFn }) {
      setParseFn((source) => parseWithin(typeof source === 'string' ? source : source.body, queryLimits));
    },
    onValidate({ params, addValidationRule, setResult }) {
      const refused = measureDocument(params.documentAST, queryLimits);
      if (refused) return setResult([refused]);
      if (!deps.config.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
  const tokenGuard: Plugin<GraphQLContext> = {
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result, setResult }) => {
        if (!(Symbol.asyncIterator in result)) return;
        const actor = args.contextValue.actor;
        setResult(guardStream(result, streamTokenCheck(actor, { db: deps.db.read, now: Date.now, tokens: deps.hub.tokens })));
      },
    }),
  };
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: deps.config.graphiql ? { title: 'Weft' } : false,
    landingPage: false,
    maskedErrors: { maskError },
    logging: serverFaultLogger(log),
    plugins: [
      limits,
      tokenGuard,
      telemetryPlugin(telemetry),
      // A change row reaches every interested stream as one object: execute its selection once per shape.
      sharedSubscriptionResults<GraphQLContext>({
        fields: new Set(['hostChanges', 'projectChanges']),
        sharedKey: (event) => {
          const e = event as FeedEvent;
          return e.type === 'CHANGE' ? e.row : e.type === 'CURSOR' ? e : null; // a CURSOR object is shared per revision (stream.ts)
        },
        audienceOf: (ctx) => (ctx.actor.kind === 'agent' ? 'agent' : seesHosts(ctx) ? 'sees-hosts' : 'no-hosts'), // as the payload resolver decides
      }),
    ],
    context: ({ request }) => makeContext(request.headers.get('authorization')),
  });

  const app = new Hono();
  app.use('*', requestId());
  // The access log: one line per request, with its id (also on every line logged while it runs).
  // The path only, never the query string or headers: a token there must not reach the log.
  app.use('*', async (c, next) => {
    const reqId = c.get('requestId');
    const t0 = performance.now();
    await (deps.withRequestId ? deps.withRequestId(reqId, next) : next());
    // requestId() sets the header on Hono's own responses; Yoga's Response is returned as is, so set it here.
    if (!c.res.headers.has('x-request-id')) {
      try {
        c.res.headers.set('x-request-id', reqId);
      } catch {
        c.res = new Response(c.res.body, c.res); // immutable headers: copy the response
        c.res.headers.set('x-request-id', reqId);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const route = ROUTES.has(c.req.path) ? c.req.path : 'other';
    telemetry.httpRequest(route, c.req.method, c.res.status, seconds);
    const level = c.req.path === AGENT_REPORT_PATH ? reportLogLevel(c.res.status) : 'info'; // accepted reports at debug
    log[level]({ reqId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 10_000) / 10 }, 'request');
  });
  app.use('*', timing({ totalDescription: 'server' })); // Server-Timing: total;dur=<ms>, what bench/edge.ts reads
  const tooLarge = bodyTooLarge(deps.config.maxBodyBytes);
  const limitBody = bodyLimit({
    maxSize: deps.config.maxBodyBytes,
    onError: async (c) => {
      await deps.drainRefusedBody?.(c.env); // so the client reads the 413, not a reset (src/node/drain.ts)
      return c.json(tooLarge, 413);
    },
  });
  app.use('/graphql', limitBody);
  app.use(AGENT_REPORT_PATH, limitBody);
  app.get('/healthz', async (c) => {
    try {
      // The generation lets an agent that this database does not know tell it is another database (architecture §8.3).
      return c.json({ ok: true, revision: await headRevision(deps.db.read), generation: await getGeneration(deps.db.read) });
    } catch {
      return c.json({ ok: false }, 503);
    }
  });
  app.get('/livez', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const ready = await checkReadiness(deps.db.client, deps.expectedMigration ?? LATEST_MIGRATION);
    if (!ready.ok) log.warn({ reqId: c.get('requestId'), readiness: ready }, 'not ready');
    return c.json(ready, ready.ok ? 200 : 503);
  });
  app.get('/.well-known/jwks.json', (c) => c.json(deps.keys.publicJwks));
  app.on(['GET', 'POST', 'OPTIONS'], '/graphql', (c) => yoga.fetch(c.req.raw, {}));
  // Agents' status reports without GraphQL: most of the API's requests at scale (src/agent-report.ts).
  const reports: AgentReportDeps = {
    // The token's version is checked inside the report's write, not read here (src/services/hosts/report.ts).
    actorOf: (authorization) => resolveActor(authorization, { keys: deps.keys, settings: deps.config.auth, db: deps.db.read, verify, revocation: 'caller' }),
    services: { db: deps.db, config: deps.config, now: deps.now ?? (() => Date.now()) },
    log,
  };
  app.post(AGENT_REPORT_PATH, agentReportHandler(reports));
  // `reports`: what Node's own listener for the route answers with (src/node/agent-report-listener.ts).
  return { app, yoga, makeContext, reports };
}

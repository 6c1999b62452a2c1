/**
 * Node-only: the API's Prometheus metrics (prom-client), on a listener of their own
 * (METRICS_HOST:METRICS_PORT, off unless METRICS_PORT is set; docs/operations.md says why a separate
 * address rather than a token). Families, all prefixed `weft_`, units in the names:
 *
 * - request path (events from src/app.ts and src/graphql-telemetry.ts): GraphQL operations by name,
 *   type and outcome code with a latency histogram, HTTP requests by route, open feed streams by
 *   kind and transport, webhook attempts by outcome, database statement latency;
 * - read from the database at scrape time (one set of queries per scrape, shared by every gauge):
 *   feed head and lag, hosts behind, per-network convergence p50/p99 over the last 5 minutes,
 *   webhook queue depth, oldest pending age and dead letters;
 * - process and Node.js metrics (prom-client's defaults, unprefixed so stock dashboards work).
 *
 * Cardinality is bounded: labels are route, method, status, operation name (capped, see
 * src/telemetry.ts), outcome codes and network ids of networks with recent convergence samples.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@libsql/client';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client.ts';
import { percentile } from '../feed/convergence.ts';
import { countPending } from '../feed/read.ts';
import type { WatchCacheStats } from '../feed/watch-cache.ts';
import type { Telemetry } from '../telemetry.ts';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DB_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD']);
const CONVERGENCE_WINDOW_MS = 5 * 60_000;
const HOSTS_BEHIND_CACHE_MS = 10_000;

export type WebhookOutcome = 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'LOST';

export interface ApiMetrics extends Telemetry {
  registry: Registry;
  /** Times one statement of a libSQL client (`client`: read or write). */
  dbStatement(client: 'read' | 'write', statement: string, seconds: number): void;
  webhookAttempt(outcome: WebhookOutcome): void;
  /** Starts reading the database, and the watch cache's counts, at scrape time. */
  watch(db: Database, cache?: () => WatchCacheStats): void;
}

/** The first keyword of a statement, one of a few (bounded label). */
export function statementKind(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback', 'pragma', 'with', 'create'].includes(word) ? word : 'other';
}

/** Creates the metrics of one API process in a registry of its own (tests run several APIs in one process). */
export function createApiMetrics(options: { now?: () => number } = {}): ApiMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  // Gauges that prom-client names with `_total`, which `promtool check metrics` rejects for a
  // non-counter; nodejs_active_handles and nodejs_active_requests (by type) carry the same numbers.
  for (const misnamed of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(misnamed);

  const operations = new Counter({
    name: 'weft_graphql_operations_total',
    help: 'GraphQL operations answered, by operation name, type and outcome code (OK or the first error code)',
    labelNames: ['operation', 'type', 'code'],
    registers,
  });
  const operationSeconds = new Histogram({
    name: 'weft_graphql_operation_duration_seconds',
    help: 'Time from request to result of a GraphQL operation (for a subscription: until its stream opened)',
    labelNames: ['operation', 'type'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const requests = new Counter({ name: 'weft_http_requests_total', help: 'HTTP requests answered', labelNames: ['route', 'method', 'status'], registers });
  const requestSeconds = new Histogram({
    name: 'weft_http_request_duration_seconds',
    help: 'Time to the response headers of an HTTP request',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const streams = new Gauge({
    name: 'weft_feed_streams_open',
    help: 'Open feed subscriptions, by kind and transport',
    labelNames: ['kind', 'transport'],
    registers,
  });
  const webhooks = new Counter({
    name: 'weft_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (succeeded, failed: will be retried, dead: dead-lettered, lost: lease taken over or shutting down)',
    labelNames: ['outcome'],
    registers,
  });
  const dbSeconds = new Histogram({
    name: 'weft_db_statement_duration_seconds',
    help: 'libSQL statement latency, by client (read pool or the write connection) and statement kind',
    labelNames: ['client', 'statement'],
    buckets: DB_BUCKETS,
    registers,
  });
  for (const outcome of ['succeeded', 'failed', 'dead', 'lost']) webhooks.inc({ outcome }, 0);

  let db: Database | null = null;
  let scrape: { at: number; values: Promise<ScrapeValues> } | null = null;
  const hostsBehindCache = { at: 0, value: 0 };
  const current = (): Promise<ScrapeValues> => {
    if (!db) return Promise.resolve(EMPTY);
    if (!scrape || now() - scrape.at > 1000) scrape = { at: now(), values: readScrapeValues(db, now(), hostsBehindCache) };
    return scrape.values;
  };
  const gauge = (name: string, help: string, pick: (v: ScrapeValues) => number | null) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const value = pick(await current());
        if (value === null) this.reset();
        else this.set(value);
      },
    });
  gauge('weft_feed_head_revision', 'Newest revision of the change feed', (v) => v.head);
  gauge('weft_feed_lag_revisions', 'Head revision minus the lowest applied revision any reporting host has reported', (v) => v.lag);
  gauge('weft_hosts', 'Registered hosts', (v) => v.hosts);
  gauge('weft_hosts_behind', 'Hosts with changes that concern them beyond their applied revision (re-counted at most every 10 s)', (v) => v.hostsBehind);
  gauge('weft_webhook_queue_depth', 'Webhook deliveries open (pending or failed, awaiting an attempt)', (v) => v.queueDepth);
  gauge('weft_webhook_oldest_pending_age_seconds', 'Age of the oldest open webhook delivery (0 when none)', (v) => v.oldestPendingSeconds);
  gauge('weft_webhook_dead_letters', 'Dead-lettered webhook deliveries still retained', (v) => v.deadLetters);
  // Two gauges rather than a `quantile` label: that label belongs to summaries (promtool refuses it on a gauge).
  const convergenceGauge = (name: string, help: string, p: number) =>
    new Gauge({
      name,
      help,
      labelNames: ['network'],
      registers,
      async collect() {
        const v = await current();
        this.reset();
        for (const [network, sorted] of v.convergence) this.set({ network }, (percentile(sorted, p) ?? 0) / 1000);
      },
    });
  convergenceGauge(
    'weft_network_convergence_p50_seconds',
    'Median commit-to-applied time of changes reported in the last 5 minutes, per network (networks with reports only)',
    50,
  );
  convergenceGauge('weft_network_convergence_p99_seconds', '99th percentile commit-to-applied time of changes reported in the last 5 minutes, per network', 99);

  // The watch cache (docs/architecture.md §8.5): read from its counts at scrape time.
  let cacheStats: (() => WatchCacheStats) | null = null;
  const fromCache = (pick: (s: WatchCacheStats) => number) =>
    function (this: Gauge | Counter) {
      if (!cacheStats) return;
      this.reset();
      (this as Gauge).inc(pick(cacheStats()));
    };
  new Gauge({ name: 'weft_feed_cache_rows', help: 'Change rows held in the watch cache window', registers, collect: fromCache((s) => s.rows) });
  new Counter({
    name: 'weft_feed_cache_rows_read_total',
    help: 'Change rows the watch cache read from the table (once each, whatever the number of streams)',
    registers,
    collect: fromCache((s) => s.rowsRead),
  });
  new Counter({
    name: 'weft_feed_cache_rows_taken_total',
    help: "Change rows of this process's own commits the watch cache took without reading them back",
    registers,
    collect: fromCache((s) => s.rowsTaken),
  });
  new Counter({
    name: 'weft_feed_cache_restarts_total',
    help: 'Times the watch cache started again from the table (head went back, unread rows compacted)',
    registers,
    collect: fromCache((s) => s.restarts),
  });

  return {
    registry,
    graphqlOperation(operation, type, code, seconds) {
      operations.inc({ operation, type, code });
      operationSeconds.observe({ operation, type }, seconds);
    },
    feedStream(kind, transport, delta) {
      streams.inc({ kind, transport }, delta);
    },
    httpRequest(route, method, status, seconds) {
      requests.inc({ route, method: METHODS.has(method) ? method : 'OTHER', status: String(status) });
      requestSeconds.observe({ route }, seconds);
    },
    dbStatement(client, statement, seconds) {
      dbSeconds.observe({ client, statement }, seconds);
    },
    webhookAttempt(outcome) {
      webhooks.inc({ outcome: outcome.toLowerCase() });
    },
    watch(database, cache) {
      db = database;
      cacheStats = cache ?? null;
    },
  };
}

interface ScrapeValues {
  head: number | null;
  lag: number | null;
  hosts: number | null;
  hostsBehind: number | null;
  queueDepth: number | null;
  oldestPendingSeconds: number | null;
  deadLetters: number | null;
  convergence: Map<string, number[]>;
}

const EMPTY: ScrapeValues = {
  head: null,
  lag: null,
  hosts: null,
  hostsBehind: null,
  queueDepth: null,
  oldestPendingSeconds: null,
  deadLetters: null,
  convergence: new Map(),
};

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The database-derived values of one scrape. A failing query leaves its gauges out rather than failing the scrape. */
async function readScrapeValues(db: Database, now: number, cache: { at: number; value: number }): Promise<ScrapeValues> {
  const q = async (sql: string, args: (string | number)[] = []) => (await db.client.execute({ sql, args })).rows;
  try {
    const [feed] = await q('select (select coalesce(max(revision), 0) from changes) as head');
    const [hostRow] = await q('select count(*) as n, min(applied_revision) as slowest from hosts');
    const [queue] = await q(
      "select sum(status in ('PENDING','FAILED')) as open, min(case when status in ('PENDING','FAILED') then created_at end) as oldest, sum(status = 'DEAD') as dead from webhook_deliveries",
    );
    const head = Number(feed.head);
    const samples = await q('select network_id, latency_ms from convergence_samples where reported_at > ? and network_id is not null', [
      now - CONVERGENCE_WINDOW_MS,
    ]);
    const convergence = new Map<string, number[]>();
    for (const r of samples) {
      const list = convergence.get(String(r.network_id)) ?? [];
      list.push(Number(r.latency_ms));
      convergence.set(String(r.network_id), list);
    }
    for (const list of convergence.values()) list.sort((a, b) => a - b);
    if (now - cache.at > HOSTS_BEHIND_CACHE_MS) {
      let behind = 0;
      for (const h of await q('select id, coalesce(applied_revision, 0) as applied from hosts where coalesce(applied_revision, 0) < ?', [head])) {
        if ((await countPending(db.read, { hostId: String(h.id) }, Number(h.applied), head)) !== 0) behind++;
      }
      cache.at = now;
      cache.value = behind;
    }
    const oldest = num(queue.oldest);
    return {
      head,
      lag: hostRow.slowest === null ? 0 : head - Number(hostRow.slowest),
      hosts: Number(hostRow.n),
      hostsBehind: cache.value,
      queueDepth: Number(queue.open ?? 0),
      oldestPendingSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
      deadLetters: Number(queue.dead ?? 0),
      convergence,
    };
  } catch {
    return EMPTY; // e.g. the database is closing: the scrape still answers with the other families
  }
}

/** Wraps a libSQL client so every statement is timed (execute, batch, and those of an interactive transaction). */
export function timedClient(client: Client, name: 'read' | 'write', metrics: Pick<ApiMetrics, 'dbStatement'>): Client {
  const time = async <T>(statement: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      metrics.dbStatement(name, statement, (performance.now() - t0) / 1000);
    }
  };
  const sqlOf = (stmt: unknown) => (typeof stmt === 'string' ? stmt : ((stmt as { sql?: string })?.sql ?? ''));
  const wrap = <C extends object>(target: C): C =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof value !== 'function') return value;
        if (prop === 'execute') return (stmt: unknown, args?: unknown) => time(statementKind(sqlOf(stmt)), () => value.call(t, stmt, args));
        if (prop === 'batch') return (stmts: unknown[], mode?: unknown) => time('batch', () => value.call(t, stmts, mode));
        if (prop === 'transaction') return async (...a: unknown[]) => wrap(await value.apply(t, a));
        return value.bind(t);
      },
    });
  return wrap(client);
}

/** Serves GET /metrics on its own listener; resolves once it listens. */
export async function startMetricsServer(registry: Registry, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics` };
}

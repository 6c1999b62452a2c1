/**
 * Issue 18, the API side: the Prometheus listener, JSON logs with request ids, /livez and /readyz.
 * Counters are checked to move by exactly what the test did; the scrape is parsed by `promtool check
 * metrics` (Debian's `prometheus` package; required in CI, skipped elsewhere when absent).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { checkReadiness, LATEST_MIGRATION } from '../../src/health.ts';
import { latestMigration, MIGRATIONS_DIR, migrateDatabase } from '../../src/node/database.ts';
import { createLogger, withRequestId } from '../../src/node/logger.ts';
import { type RunningServer, startNodeServer } from '../../src/node/server.ts';
import { operationLabeller } from '../../src/telemetry.ts';
import { newEdKey } from '../support/api.ts';
import { hasPromtool, promtoolCheck, sample } from '../support/prometheus.ts';
import { watchSse } from '../support/sse.ts';

const requirePromtool = process.env.WEFT_REQUIRE_ROOT_SUITES === '1';

describe('API operations: metrics, logs, health', () => {
  let dir: string;
  let server: RunningServer;
  let admin: string;
  const lines: string[] = [];
  const scrape = async () => (await fetch(server.metricsUrl!)).text();
  const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { res, body: (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-ops-'));
    const config = parseConfig({ PORT: '0', METRICS_PORT: '0', DATABASE_URL: `file:${join(dir, 'weft.db')}`, AUTH_EDDSA_PRIVATE_KEY: await newEdKey() });
    server = await startNodeServer(config, (line) => lines.push(line));
    const { loadSigningKeys } = await import('../../src/auth/keys.ts');
    const { signToken } = await import('../../src/auth/jwt.ts');
    admin = await signToken(await loadSigningKeys(config.auth), config.auth, { kind: 'admin', sub: 'ops-test' }, 600);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /metrics on its own listener, not on the API port', async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(server.metricsUrl!).port).not.toBe(String(server.port));
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const res = await fetch(server.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await fetch(server.metricsUrl!.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('counts GraphQL operations by name and outcome code, exactly', async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await gql('query OpsCount { projects(first: 1) { edges { node { id } } } }')).body.errors).toBeUndefined();
    expect((await gql('query OpsCount { project(id: "prj-00000000-0000-4000-8000-000000000000") { id } }')).body.errors?.[0].extensions?.code).toBe(
      'NOT_FOUND',
    );
    await gql('{ projects(');
    const after = await scrape();
    const delta = (labels: Record<string, string>) =>
      sample(after, 'weft_graphql_operations_total', labels) - sample(before, 'weft_graphql_operations_total', labels);
    expect(delta({ operation: 'OpsCount', type: 'query', code: 'OK' })).toBe(3);
    expect(delta({ operation: 'OpsCount', type: 'query', code: 'NOT_FOUND' })).toBe(1);
    expect(delta({ operation: '_invalid', type: 'unknown', code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    const count = (t: string) => sample(t, 'weft_graphql_operation_duration_seconds_count', { operation: 'OpsCount', type: 'query' });
    expect(count(after) - count(before)).toBe(4);
    expect(sample(after, 'weft_db_statement_duration_seconds_count', { client: 'read', statement: 'select' })).toBeGreaterThan(0);
    expect(sample(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('counts queries and mutations sent over graphql-ws too', async () => {
    const before = await scrape();
    class BearerWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: { authorization: `Bearer ${admin}` } });
      }
    }
    const client = createWsClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: BearerWebSocket, retryAttempts: 0 });
    try {
      for (let i = 0; i < 2; i++) {
        const result = await new Promise<{ data?: unknown; errors?: unknown }>((resolve, reject) => {
          let got: { data?: unknown; errors?: unknown } = {};
          client.subscribe(
            { query: 'query OverWs { projects(first: 1) { edges { node { id } } } }' },
            { next: (r) => (got = r), error: reject, complete: () => resolve(got) },
          );
        });
        expect(result.errors).toBeUndefined();
      }
    } finally {
      await client.dispose();
    }
    const after = await scrape();
    const delta =
      sample(after, 'weft_graphql_operations_total', { operation: 'OverWs', type: 'query', code: 'OK' }) -
      sample(before, 'weft_graphql_operations_total', { operation: 'OverWs', type: 'query', code: 'OK' });
    expect(delta).toBe(2);
    expect(sample(after, 'weft_graphql_operation_duration_seconds_count', { operation: 'OverWs', type: 'query' })).toBe(2);
  });

  it('counts open feed streams by kind and transport while they are open', async () => {
    const created = await gql('mutation { createProject(input: {name: "ops"}) { project { id } } }');
    const projectId = created.body.data.createProject.project.id;
    const open = () => scrape().then((t) => sample(t, 'weft_feed_streams_open', { kind: 'projectChanges', transport: 'sse' }));
    expect(await open()).toBe(0);
    const subs = await Promise.all(
      [1, 2].map(() => watchSse(server.url, 'subscription($p: ID!) { projectChanges(projectId: $p, since: 0) { type revision } }', { p: projectId }, admin)),
    );
    await Promise.all(subs.map((s) => s.next((e) => e.type === 'CHANGE')));
    expect(await open()).toBe(2);
    await Promise.all(subs.map((s) => s.close()));
    await expect.poll(open, { timeout: 5000 }).toBe(0);
  });

  it("shows the watch cache's window and that it read each row once for two streams", async () => {
    const cache = async () => {
      const t = await scrape();
      return {
        rows: sample(t, 'weft_feed_cache_rows'),
        read: sample(t, 'weft_feed_cache_rows_read_total'),
        taken: sample(t, 'weft_feed_cache_rows_taken_total'),
      };
    };
    const before = await cache();
    const created = await gql('mutation { createProject(input: {name: "ops-cache"}) { revision project { id } } }');
    const projectId = created.body.data.createProject.project.id;
    const subs = await Promise.all(
      [1, 2].map(() => watchSse(server.url, 'subscription($p: ID!) { projectChanges(projectId: $p, since: 0) { type revision } }', { p: projectId }, admin)),
    );
    try {
      await gql(`mutation($p: ID!) { createApplication(input: {projectId: $p, name: "web-app"}) { revision } }`, { p: projectId });
      await Promise.all(subs.map((s) => s.next((e) => e.type === 'CHANGE' && e.revision > created.body.data.createProject.revision)));
      const after = await cache();
      // two commits (project, application), each taken or read once, though two streams follow them
      expect(after.read + after.taken - before.read - before.taken).toBe(2);
      expect(after.rows).toBe(before.rows + 2);
      expect(await scrape()).toMatch(/^weft_feed_cache_restarts_total 0$/m);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
  });

  it('reads feed head, lag, hosts and the webhook queue from the database at scrape time', async () => {
    const created = await gql('mutation { createProject(input: {name: "ops-head"}) { revision } }');
    const revision = created.body.data.createProject.revision;
    await new Promise((r) => setTimeout(r, 1100)); // past the one-second sharing of scrape-time reads
    const text = await scrape();
    expect(sample(text, 'weft_feed_head_revision')).toBe(revision);
    expect(text).toMatch(/^weft_feed_lag_revisions 0$/m); // no host has reported
    expect(text).toMatch(/^weft_hosts 0$/m);
    expect(text).toMatch(/^weft_webhook_queue_depth 0$/m);
    expect(text).toMatch(/^weft_webhook_oldest_pending_age_seconds 0$/m);
    expect(text).toMatch(/^weft_webhook_deliveries_total\{outcome="dead"\} 0$/m);
  });

  it('reports per-network convergence p50 and p99 from the reports of the last 5 minutes', async () => {
    const client = createClient({ url: `file:${join(dir, 'weft.db')}` });
    try {
      const now = Date.now();
      // 100 samples of 1..100 ms for one network, and an old one that is out of the window
      for (let ms = 1; ms <= 100; ms++)
        await client.execute({
          sql: 'insert into convergence_samples (host_id, network_id, revision, latency_ms, reported_at) values (?, ?, ?, ?, ?)',
          args: ['host-x', 'pn-ops', ms, ms, now],
        });
      await client.execute({
        sql: 'insert into convergence_samples (host_id, network_id, revision, latency_ms, reported_at) values (?, ?, ?, ?, ?)',
        args: ['host-x', 'pn-old', 1, 5000, now - 3_600_000],
      });
    } finally {
      client.close();
    }
    await new Promise((r) => setTimeout(r, 1100));
    const text = await scrape();
    expect(sample(text, 'weft_network_convergence_p50_seconds', { network: 'pn-ops' })).toBe(0.05);
    expect(sample(text, 'weft_network_convergence_p99_seconds', { network: 'pn-ops' })).toBe(0.099);
    expect(text).not.toContain('pn-old');
  });

  it.skipIf(!hasPromtool && !requirePromtool)('passes promtool check metrics', async () => {
    expect(promtoolCheck(await scrape())).toBe('');
  });

  it('logs JSON lines: an access log line per request with its id, the same as the x-request-id header', async () => {
    const { res } = await gql('query LogMe { projects(first: 1) { edges { node { id } } } }', {}, { 'x-request-id': 'ops-test-request-1' });
    expect(res.headers.get('x-request-id')).toBe('ops-test-request-1');
    const unnamed = await fetch(`${server.url}/livez`);
    const generated = unnamed.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const p of parsed) expect(typeof p.level === 'string' && typeof p.time === 'number' && p.service === 'weft-api').toBe(true);
    const access = parsed.filter((p) => p.msg === 'request');
    expect(access.find((p) => p.reqId === 'ops-test-request-1')).toMatchObject({ method: 'POST', path: '/graphql', status: 200 });
    expect(access.find((p) => p.reqId === generated)).toMatchObject({ method: 'GET', path: '/livez', status: 200 });
    expect(access.every((p) => typeof p.reqId === 'string')).toBe(true);
    expect(lines.join('\n')).not.toContain(admin); // the bearer token of every request above
  });

  it('answers /livez and /readyz', async () => {
    expect(await (await fetch(`${server.url}/livez`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, database: 'ok', migrations: { expected: latestMigration(), current: true } });
  });
});

describe('readiness', () => {
  it('is not ready on a database without migrations, nor when the newest migration is missing, nor when unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-ready-'));
    const client = createClient({ url: `file:${join(dir, 'r.db')}` });
    try {
      expect(await checkReadiness(client, latestMigration())).toEqual({
        ok: false,
        database: 'ok',
        migrations: { expected: latestMigration(), current: false },
      });
      await migrateDatabase(client);
      expect((await checkReadiness(client, latestMigration())).ok).toBe(true);
      expect(await checkReadiness(client, '29991231000000_future')).toMatchObject({ ok: false, database: 'ok', migrations: { current: false } });
      client.close();
      expect(await checkReadiness(client, latestMigration())).toMatchObject({ ok: false, database: 'unreachable' });
    } finally {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('LATEST_MIGRATION (what a Worker expects) is the newest folder under drizzle/: update src/health.ts with a new migration', () => {
    expect(readdirSync(MIGRATIONS_DIR).length).toBeGreaterThan(0);
    expect(LATEST_MIGRATION).toBe(latestMigration());
  });
});

describe('log context and label bounds', () => {
  it('puts the request id on every line logged while the request runs, and only then', async () => {
    const out: string[] = [];
    const log = createLogger({ level: 'info', format: 'json' }, { write: (s: string) => out.push(s) });
    await withRequestId('rid-1', async () => {
      await new Promise((r) => setTimeout(r, 1));
      log.info('inside');
    });
    log.info({ token: 'should-not-appear' }, 'outside');
    const [inside, outside] = out.map((l) => JSON.parse(l));
    expect(inside).toMatchObject({ msg: 'inside', reqId: 'rid-1', level: 'info' });
    expect(outside.reqId).toBeUndefined();
    expect(out.join('')).not.toContain('should-not-appear'); // redacted field names
  });

  it('keeps the operation label bounded', () => {
    const label = operationLabeller(3);
    expect(['a', 'b', 'c', 'd', 'a'].map((n) => label(n, []))).toEqual(['a', 'b', 'c', '_other', 'a']);
    expect(label(null, ['projects'])).toBe('_other'); // the cap holds for anonymous operations too
    expect(operationLabeller()(null, ['projects', 'hosts'])).toBe('{hosts,projects}');
    expect(operationLabeller()('not a name!', [])).toBe('_anonymous');
  });
});

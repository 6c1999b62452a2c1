/**
 * Node's own listener for POST /agent/report (src/node/agent-report-listener.ts) on the real server:
 * it answers what the Hono route answers, byte for byte (the same path with a query string goes to
 * Hono), keeps the X-Request-Id, Server-Timing, the access-log line, and moves the host's applied
 * revision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_REPORT_PATH, REPORT_INTERVAL_HEADER } from '../../protocol/agent-report.ts';
import { type ApiServer, CREATE_CONTAINER, seedWorld, startApiServer, type TestApi } from '../support/api.ts';

describe('POST /agent/report on the Node server', () => {
  let server: ApiServer;
  const lines: string[] = [];
  let w: Awaited<ReturnType<typeof seedWorld>>;
  let agent: string[];
  let revision: number;

  beforeAll(async () => {
    server = await startApiServer({ LOG_LEVEL: 'debug', AGENT_REPORTS_PER_SECOND: '1' }, (line) => lines.push(line));
    w = await seedWorld(server as unknown as TestApi, { hosts: 2 });
    agent = await Promise.all(w.hostIds.map((h) => server.token({ kind: 'agent', sub: `agent:${h}`, host: h, ver: 1 })));
    for (const hostId of w.hostIds)
      revision = (await server.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId } })).createContainer.revision;
  });
  afterAll(() => server?.close());

  const post = async (path: string, body: string, token: string | null, headers: Record<string, string> = {}) => {
    const r = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body,
    });
    return {
      status: r.status,
      body: await r.text(),
      requestId: r.headers.get('x-request-id'),
      timing: r.headers.get('server-timing'),
      pace: r.headers.get(REPORT_INTERVAL_HEADER),
    };
  };

  it('answers 204, keeps the request id, logs the request and moves the applied revision', async () => {
    const report = JSON.stringify({ hostId: w.hostIds[0], appliedRevision: revision, networks: [{ networkId: w.networkId, healthy: true }] });
    const answer = await post(AGENT_REPORT_PATH, report, agent[0], { 'x-request-id': 'agent-report-1' });
    expect(answer).toMatchObject({ status: 204, body: '', requestId: 'agent-report-1' });
    expect(answer.timing).toMatch(/^total;dur=\d+(\.\d)?;desc="server"$/);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === 'agent-report-1' && l.msg === 'request');
    // An accepted report is logged at debug (src/agent-report.ts `reportLogLevel`): at a thousand hosts they would be most of the log.
    expect(logged).toMatchObject({ level: 'debug', method: 'POST', path: AGENT_REPORT_PATH, status: 204 });
    const host = await server.ok(`query($id: ID!) { host(id: $id) { appliedRevision } }`, { id: w.hostIds[0] });
    expect(host.host.appliedRevision).toBe(revision);
    // a request id the middleware would not take is replaced
    expect((await post(AGENT_REPORT_PATH, report, agent[0], { 'x-request-id': 'not valid!' })).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('paces routine reports in its answer as the Hono route does: one host reporting at 1 report/s, one per 1,000 ms', async () => {
    const report = JSON.stringify({ hostId: w.hostIds[0], appliedRevision: revision });
    expect((await post(AGENT_REPORT_PATH, report, agent[0])).pace).toBe('1000');
    expect((await post(`${AGENT_REPORT_PATH}?via=hono`, report, agent[0])).pace).toBe('1000');
    expect((await post(AGENT_REPORT_PATH, JSON.stringify({ hostId: w.hostIds[0], appliedRevision: -1 }), agent[0])).pace).toBeNull();
  });

  it.each([
    { name: 'no token', body: () => JSON.stringify({ hostId: w.hostIds[0], appliedRevision: 1 }), token: () => null, status: 401 },
    { name: 'a body that is not JSON', body: () => '{"hostId":', token: () => agent[0], status: 400 },
    { name: 'a bad field', body: () => JSON.stringify({ hostId: w.hostIds[0], appliedRevision: -1 }), token: () => agent[0], status: 400 },
    { name: "another host's report", body: () => JSON.stringify({ hostId: w.hostIds[1], appliedRevision: 1 }), token: () => agent[0], status: 403 },
    {
      name: 'a revision above the head',
      body: () => JSON.stringify({ hostId: w.hostIds[0], appliedRevision: revision + 50 }),
      token: () => agent[0],
      status: 400,
    },
  ])('refuses $name with the answer of the Hono route', async ({ body, token, status }) => {
    const own = await post(AGENT_REPORT_PATH, body(), token());
    const hono = await post(`${AGENT_REPORT_PATH}?via=hono`, body(), token());
    expect(own.status).toBe(status);
    expect({ status: own.status, body: own.body }).toEqual({ status: hono.status, body: hono.body });
    expect(JSON.parse(own.body).errors[0].extensions.code).toMatch(/^[A-Z_]+$/);
    // A refusal is logged at info, by the listener and by the Hono route alike.
    const refusals = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.status === status && l.path === AGENT_REPORT_PATH);
    expect(refusals.map((l) => l.level).slice(-2)).toEqual(['info', 'info']);
  });
});

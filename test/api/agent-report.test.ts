/**
 * The agent report route (issue 17, docs/control-api.md#agent-reports): POST /agent/report takes
 * the reportHostStatus mutation's input with its authorization (only the host's own agent) and its
 * coded errors, changes nothing when it refuses, refuses a revoked token although the token's
 * signature was verified (and remembered) before, and moves the applied revision, the per-network
 * health and the convergence samples exactly as the mutation does.
 */
import { and, eq, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_REPORT_PATH, REPORT_INTERVAL_HEADER } from '../../protocol/agent-report.ts';
import { convergenceSamples, hostNetworkStatus, hosts } from '../../src/db/schema/index.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi, type TestApi } from '../support/api.ts';

const REPORT = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId samples reportIntervalMs } }`;
const CONVERGENCE = `query($id: ID!) { network(id: $id) { convergence { headRevision hosts { hostId appliedRevision pendingChanges healthy } samples } } }`;

describe('POST /agent/report', () => {
  let api: TestApi;
  let w: Awaited<ReturnType<typeof seedWorld>>;
  const agent: string[] = [];
  let revision = 0;
  /** The API's clock when set; Date.now() otherwise. */
  let clock: number | null = null;

  const post = async (body: unknown, token: string | null) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await api.fetch(
      new Request(`http://weft.test${AGENT_REPORT_PATH}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    );
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as { errors: { message: string; extensions: Record<string, unknown> }[] }) : null };
  };
  /** What a report may change about a host, to show that a refused one changed nothing. */
  const state = async (hostId: string) => ({
    host: (
      await api.db.read
        .select({ applied: hosts.appliedRevision, heartbeat: hosts.lastHeartbeatAt, safety: hosts.agentSafety })
        .from(hosts)
        .where(eq(hosts.id, hostId))
    )[0],
    health: await api.db.read.select().from(hostNetworkStatus).where(eq(hostNetworkStatus.hostId, hostId)),
    samples: (await api.db.read.select().from(convergenceSamples).where(eq(convergenceSamples.hostId, hostId))).length,
  });
  const commit = async (hostIndex: number) => {
    const c = await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[hostIndex] } });
    revision = c.createContainer.revision;
    return revision;
  };

  beforeAll(async () => {
    api = await startTestApi({}, { now: () => clock ?? Date.now() });
    w = await seedWorld(api, { hosts: 3 });
    for (const h of w.hostIds) agent.push(await api.token({ kind: 'agent', sub: `agent:${h}`, host: h, ver: 1 }));
    // both hosts are members of the network (a container on each), so every later change concerns both
    await commit(0);
    await commit(1);
  });
  afterAll(() => api?.close());

  it('moves the applied revision, the health and the convergence samples exactly as the mutation does', async () => {
    // host 0 reports through the mutation, host 1 through the route: the same reports, in the same order
    const first = revision;
    await api.ok(REPORT, { i: { hostId: w.hostIds[0], appliedRevision: first, networks: [{ networkId: w.networkId, healthy: true }] } }, agent[0]);
    expect((await post({ hostId: w.hostIds[1], appliedRevision: first, networks: [{ networkId: w.networkId, healthy: true }] }, agent[1])).status).toBe(204);
    await commit(0);
    await commit(1);
    await commit(0);
    const input = (i: number) => ({
      hostId: w.hostIds[i],
      appliedRevision: revision,
      applyMs: 4,
      networks: [{ networkId: w.networkId, healthy: false, message: 'dns: bind failed' }],
      safety: { brake: null, fence: null },
    });
    expect((await api.ok(REPORT, { i: input(0) }, agent[0])).reportHostStatus).toEqual({ hostId: w.hostIds[0], samples: 3, reportIntervalMs: 0 });
    expect(await post(input(1), agent[1])).toEqual({ status: 204, body: null });
    const [viaMutation, viaRoute] = [await state(w.hostIds[0]), await state(w.hostIds[1])];
    expect(viaRoute.host.applied).toBe(revision);
    expect(viaRoute.samples).toBe(3);
    expect(viaRoute.health.map((h) => [h.healthy, h.message, h.appliedRevision])).toEqual([[false, 'dns: bind failed', revision]]);
    expect({ ...viaRoute, host: { ...viaRoute.host, heartbeat: 0 }, health: viaRoute.health.map((h) => ({ ...h, hostId: '', reportedAt: 0 })) }).toEqual({
      ...viaMutation,
      host: { ...viaMutation.host, heartbeat: 0 },
      health: viaMutation.health.map((h) => ({ ...h, hostId: '', reportedAt: 0 })),
    });
    const hostsSeen = (await api.ok(CONVERGENCE, { id: w.networkId })).network.convergence.hosts as {
      hostId: string;
      appliedRevision: number;
      pendingChanges: number;
    }[];
    expect(hostsSeen.filter((h) => h.hostId !== w.hostIds[2]).map((h) => [h.appliedRevision, h.pendingChanges])).toEqual([
      [revision, 0],
      [revision, 0],
    ]);
    // a heartbeat (no revision) keeps the revision and the samples
    expect((await post({ hostId: w.hostIds[1], safety: { brake: null, fence: null } }, agent[1])).status).toBe(204);
    expect((await state(w.hostIds[1])).host.applied).toBe(revision);
  });

  it("dates each change's commit-to-applied sample by the report's first pass that reached it", async () => {
    const h = w.hostIds[1];
    // where the host stands now, so the samples below are those of the three commits only
    expect((await post({ hostId: h, appliedRevision: revision }, agent[1])).status).toBe(204);
    clock = 1_000_000;
    const first = await commit(0);
    clock = 1_000_100;
    const second = await commit(1);
    clock = 1_000_200;
    const third = await commit(0);
    // applied by two passes: one at 1,000,150 (the first two), one at 1,000,260; the report arrives at 1,000,400
    clock = 1_000_400;
    const passes = [
      { revision: second, agoMs: 250 },
      { revision: third, agoMs: 140 },
    ];
    expect((await post({ hostId: h, appliedRevision: third, passes }, agent[1])).status).toBe(204);
    clock = null;
    const samples = await api.db.read
      .select({ revision: convergenceSamples.revision, latencyMs: convergenceSamples.latencyMs })
      .from(convergenceSamples)
      .where(and(eq(convergenceSamples.hostId, h), gt(convergenceSamples.revision, first - 1)))
      .orderBy(convergenceSamples.revision);
    expect(samples).toEqual([
      { revision: first, latencyMs: 150 },
      { revision: second, latencyMs: 50 },
      { revision: third, latencyMs: 60 },
    ]);
  });

  it('refuses another host, an admin, a user and no token with the codes the mutation answers, and changes nothing', async () => {
    const before = await state(w.hostIds[1]);
    const user = await api.token({ kind: 'user', sub: 'u', projects: { [w.projectId]: 'write' } });
    const body = { hostId: w.hostIds[1], appliedRevision: revision };
    const refusals = [];
    for (const token of [agent[0], api.admin, user, null, 'not.a.token'])
      refusals.push(await post(body, token).then((r) => [r.status, r.body?.errors[0].extensions.code]));
    expect(refusals).toEqual([
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [401, 'UNAUTHENTICATED'],
      [401, 'UNAUTHENTICATED'],
    ]);
    // the mutation answers the same codes for the same actors
    const codes = [];
    for (const token of [agent[0], api.admin, user, null]) codes.push((await api.gql(REPORT, { i: body }, token)).errors?.[0].extensions?.code);
    expect(codes).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'UNAUTHENTICATED']);
    expect(await state(w.hostIds[1])).toEqual(before);
  });

  it('answers bad input with BAD_USER_INPUT naming the field, and changes nothing', async () => {
    const before = await state(w.hostIds[1]);
    const h = w.hostIds[1];
    const cases: [unknown, string, string][] = [
      ['{"hostId":', '', 'the body must be a JSON object (content-type: application/json)'],
      [[h], '', 'the report must be an object'],
      [{ appliedRevision: 1 }, 'hostId', 'hostId is required'],
      [{ hostId: h, appliedRevision: '7' }, 'appliedRevision', 'appliedRevision must be a 32-bit integer'],
      [{ hostId: h, appliedRevision: 2 ** 31 }, 'appliedRevision', 'appliedRevision must be a 32-bit integer'],
      [{ hostId: h, appliedRevision: -1 }, 'appliedRevision', 'appliedRevision must be a non-negative integer'],
      [{ hostId: h, appliedRevision: revision + 1000 }, 'appliedRevision', `appliedRevision ${revision + 1000} is above the head revision ${revision}`],
      [{ hostId: h, applied: 3 }, 'applied', 'unknown field applied'],
      [{ hostId: h, networks: [{ networkId: w.networkId }] }, 'networks.0.healthy', 'networks.0.healthy is required'],
      [{ hostId: h, safety: { brake: { since: 'x' } } }, 'safety.brake.objectsHeld', 'safety.brake.objectsHeld is required'],
      [{ hostId: h, appliedRevision: revision, passes: [{ revision }] }, 'passes.0.agoMs', 'passes.0.agoMs is required'],
      [{ hostId: h, appliedRevision: revision, passes: [{ revision, agoMs: -5 }] }, 'passes.0.agoMs', 'agoMs must not be negative'],
      [{ hostId: h, passes: [{ revision, agoMs: 5 }] }, 'passes', 'passes come with an appliedRevision'],
      [
        { hostId: h, policyCounters: [{ networkId: w.networkId, version: 1, counters: {} }] },
        'policyCounters.0.counters',
        'policyCounters.0.counters must be a list',
      ],
    ];
    const answers = [];
    for (const [body] of cases) answers.push(await post(body, agent[1]));
    expect(answers.map((a) => [a.status, a.body?.errors[0].extensions.code, a.body?.errors[0].extensions.field ?? '', a.body?.errors[0].message])).toEqual(
      cases.map(([, field, message]) => [400, 'BAD_USER_INPUT', field, message]),
    );
    expect(await state(w.hostIds[1])).toEqual(before);
  });

  it('refuses a revoked token at its next report, although its signature was verified before', async () => {
    const token = await api.token({ kind: 'agent', sub: `agent:${w.hostIds[2]}`, host: w.hostIds[2], ver: 1 });
    expect((await post({ hostId: w.hostIds[2], appliedRevision: 0 }, token)).status).toBe(204); // verified, and remembered
    const before = await state(w.hostIds[2]);
    await api.ok(`mutation($h: ID!) { revokeHostToken(hostId: $h) { revision } }`, { h: w.hostIds[2] });
    const refused = await post({ hostId: w.hostIds[2], appliedRevision: revision }, token);
    expect([refused.status, refused.body?.errors[0].extensions.code, refused.body?.errors[0].message]).toEqual([
      401,
      'UNAUTHENTICATED',
      'not authenticated: agent token was revoked or its host no longer exists',
    ]);
    // the revocation appended a change and the refusal wrote nothing
    expect(await state(w.hostIds[2])).toEqual(before);
    // the GraphQL way refuses it as well, through the same remembered signature
    expect((await api.gql(REPORT, { i: { hostId: w.hostIds[2] } }, token)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('the pace of routine reports (AGENT_REPORTS_PER_SECOND)', () => {
  let api: TestApi;
  afterAll(() => api?.close());

  it('answers the hosts that report over the budget: on the route as a header, in the mutation as reportIntervalMs', async () => {
    api = await startTestApi({ AGENT_REPORTS_PER_SECOND: '10' });
    const w = await seedWorld(api, { hosts: 3 });
    const tokens = await Promise.all(w.hostIds.map((h) => api.token({ kind: 'agent', sub: `agent:${h}`, host: h, ver: 1 })));
    const viaRoute = async (i: number) => {
      const response = await api.fetch(
        new Request(`http://weft.test${AGENT_REPORT_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
          body: JSON.stringify({ hostId: w.hostIds[i] }),
        }),
      );
      expect(response.status).toBe(204);
      return Number(response.headers.get(REPORT_INTERVAL_HEADER));
    };
    const viaMutation = async (i: number) => (await api.ok(REPORT, { i: { hostId: w.hostIds[i] } }, tokens[i])).reportHostStatus.reportIntervalMs as number;
    // each report counts the hosts that had reported before it: 0 (unpaced), 1, 1, 2, 3 at 10 reports/s
    const paces = [await viaRoute(0), await viaRoute(0), await viaRoute(1), await viaMutation(2), await viaMutation(2)];
    expect(paces).toEqual([0, 100, 100, 200, 300]);
  });
});

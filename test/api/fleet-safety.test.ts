/**
 * Fleet safety through the API (issue 14, docs/architecture.md §8.2–§8.4, §8.9), without root: the
 * generation on every read an agent makes, the safety state an agent reports (host { brake fence })
 * with host.brake_engaged appended once per engagement, a fenced report that moves no revision, and
 * drains an agent may run for containers of its own host.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes } from '../../src/db/schema/index.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi, type TestApi } from '../support/api.ts';

const REPORT = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`;
const HOST = `query($id: ID!) { host(id: $id) { appliedRevision liveness brake { objectsHeld nearEmpty reason } fence { reason trustedGeneration seenGeneration seenRevision } } }`;
const brake = { since: '2026-12-06T10:00:00.000Z', objectsHeld: 12, hostObjects: 14, nearEmpty: true, reason: 'the API lists 0 of the 14 objects' };

describe('fleet safety through the API', () => {
  let api: TestApi;
  let w: Awaited<ReturnType<typeof seedWorld>>;
  let agent1 = '';
  let agent2 = '';
  let containerId = '';
  const brakeRows = async () =>
    (
      await api.db.read
        .select()
        .from(changes)
        .where(and(eq(changes.kind, 'host.brake_engaged'), eq(changes.hostId, w.hostIds[0])))
    ).length;

  beforeAll(async () => {
    api = await startTestApi();
    w = await seedWorld(api);
    agent1 = await api.token({ kind: 'agent', sub: `agent:${w.hostIds[0]}`, host: w.hostIds[0], ver: 1 });
    agent2 = await api.token({ kind: 'agent', sub: `agent:${w.hostIds[1]}`, host: w.hostIds[1], ver: 1 });
    const c = await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    containerId = c.createContainer.container.id;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: containerId });
  });
  afterAll(() => api?.close());

  it('hostConfig and /healthz carry the same database generation', async () => {
    const health = (await (await api.fetch(new Request('http://api/healthz'))).json()) as { generation: string };
    expect(health.generation).toMatch(/^[0-9a-f]{32}$/);
    const snap = await api.ok(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: w.hostIds[0] }, agent1);
    expect(snap.hostConfig.config.generation).toBe(health.generation);
    const fleet = await api.ok(`{ fleetLiveness { generation partitioned silentHosts } }`);
    expect(fleet.fleetLiveness).toEqual({ generation: health.generation, partitioned: false, silentHosts: [] });
  });

  it('a report with the brake engaged shows in host { brake } and appends host.brake_engaged once per engagement', async () => {
    await api.ok(REPORT, { i: { hostId: w.hostIds[0], appliedRevision: 1, safety: { brake } } }, agent1);
    await api.ok(REPORT, { i: { hostId: w.hostIds[0], safety: { brake } } }, agent1); // a heartbeat while still engaged
    expect(await brakeRows()).toBe(1);
    expect((await api.ok(HOST, { id: w.hostIds[0] })).host).toMatchObject({ brake: { objectsHeld: 12, nearEmpty: true }, fence: null, liveness: 'UP' });
    await api.ok(REPORT, { i: { hostId: w.hostIds[0], safety: { brake: null, fence: null } } }, agent1);
    expect((await api.ok(HOST, { id: w.hostIds[0] })).host.brake).toBeNull();
    await api.ok(REPORT, { i: { hostId: w.hostIds[0], safety: { brake } } }, agent1);
    expect(await brakeRows()).toBe(2);
  });

  it('a fenced report (no revision) records the fence with both generations and moves no revision', async () => {
    const before = (await api.ok(HOST, { id: w.hostIds[0] })).host.appliedRevision;
    const fence = {
      reason: 'REVISION_BACKWARDS',
      trustedGeneration: 'a'.repeat(32),
      trustedRevision: 90,
      seenGeneration: 'a'.repeat(32),
      seenRevision: 70,
      since: brake.since,
    };
    await api.ok(REPORT, { i: { hostId: w.hostIds[0], safety: { fence } } }, agent1);
    const host = (await api.ok(HOST, { id: w.hostIds[0] })).host;
    expect(host.fence).toEqual({ reason: 'REVISION_BACKWARDS', trustedGeneration: 'a'.repeat(32), seenGeneration: 'a'.repeat(32), seenRevision: 70 });
    expect(host.appliedRevision).toBe(before);
  });

  it('the agent of the container host may drain it and ask where the drain stands; another host may not', async () => {
    const other = await api.gql(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: containerId }, agent2);
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const drained = await api.ok(
      `mutation($id: ID!) { drainContainer(id: $id) { revision drain { revision safeToStopAt pendingHosts } } }`,
      { id: containerId },
      agent1,
    );
    expect(drained.drainContainer.drain.revision).toBe(drained.drainContainer.revision);
    expect(drained.drainContainer.drain.safeToStopAt).toBeNull();
    expect(drained.drainContainer.drain.pendingHosts).toEqual([w.hostIds[0]]); // host 1 reported once: it is a member with an agent
    const again = await api.ok(`mutation($id: ID!) { drainContainer(id: $id) { revision drain { revision } } }`, { id: containerId }, agent1);
    expect(again.drainContainer).toEqual({ revision: null, drain: { revision: drained.drainContainer.revision } }); // idempotent
    const status = await api.ok(`query($id: ID!) { drainStatus(containerId: $id) { containerId revision } }`, { id: containerId }, agent1);
    expect(status.drainStatus).toEqual({ containerId, revision: drained.drainContainer.revision });
  });
});

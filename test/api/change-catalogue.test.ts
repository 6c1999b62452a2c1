/**
 * The change catalogue (protocol/changes.ts) against the code around it, headscale's
 * TestChange_FieldSync idea: every kind is emitted by some service, every emitted row matches its
 * kind's address and payload schema exactly, and every consumer — the agent, the webhooks, the
 * project feed — handles each kind or says that it does not apply. A kind added to the catalogue
 * fails here until a service emits it and each consumer has decided.
 */
import { asc, max } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_HANDLING, applyChange } from '../../agent/api/apply-delta.ts';
import {
  type AddressColumn,
  addressOf,
  CHANGE_CATALOGUE,
  CHANGE_KINDS,
  type ChangeKind,
  type Handling,
  isChangeKind,
  parseHostDelta,
} from '../../protocol/changes.ts';
import type { HostConfig } from '../../protocol/model.ts';
import { changes } from '../../src/db/schema/index.ts';
import { type FeedPage, readFeedPage } from '../../src/feed/read.ts';
import { PROJECT_FEED_HANDLING } from '../../src/schema/feed.ts';
import { createApplication } from '../../src/services/applications/create.ts';
import { deleteApplication } from '../../src/services/applications/delete.ts';
import { setDefaultProcessType, setProcessExposure } from '../../src/services/applications/update.ts';
import { createContainer } from '../../src/services/containers/create.ts';
import { removeContainer } from '../../src/services/containers/remove.ts';
import { transitionContainer } from '../../src/services/containers/transition.ts';
import { settleDrains } from '../../src/services/containers/drain.ts';
import { type ReportHostStatusInput, reportHostStatus } from '../../src/services/hosts/report.ts';
import { sweepLiveness } from '../../src/services/hosts/liveness.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { registerHost, updateHost } from '../../src/services/hosts/register.ts';
import { bumpHostTokenVersion } from '../../src/services/hosts/token.ts';
import { createProject } from '../../src/services/projects/create.ts';
import { setNetworkAlias, updateNetwork } from '../../src/services/dns/network.ts';
import { setProcessPorts } from '../../src/services/dns/ports.ts';
import { setNetworkPolicy } from '../../src/services/policies/set.ts';
import { deleteProject } from '../../src/services/projects/delete.ts';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_HANDLING } from '../../src/webhooks/events.ts';
import { fakeKey, startTestApi, type TestApi } from '../support/api.ts';

const COLUMNS: AddressColumn[] = ['projectId', 'networkId', 'hostId'];

const CONSUMERS: [string, Record<ChangeKind, Handling>][] = [
  ['agent (agent/api/apply-delta.ts)', AGENT_HANDLING],
  ['webhooks (src/webhooks/events.ts)', WEBHOOK_HANDLING],
  ['project feed (src/schema/feed.ts)', PROJECT_FEED_HANDLING],
];

describe('every consumer decides on every kind', () => {
  // The tables are typed Record<ChangeKind, Handling>, so tsc catches a missing entry; this catches it
  // in a test run too (vitest does not typecheck), and an entry for a kind the catalogue dropped.
  it.each(CONSUMERS)('%s has exactly one entry per catalogue kind', (_name, table) => {
    expect(Object.keys(table).sort()).toEqual([...CHANGE_KINDS].sort());
    for (const value of Object.values(table)) expect(['handled', 'not-applicable']).toContain(value);
  });

  const reaches = (kind: ChangeKind, column: AddressColumn) => addressOf(kind).includes(column);

  it('the project feed shows exactly the kinds addressed to a project', () => {
    for (const kind of CHANGE_KINDS) expect([kind, PROJECT_FEED_HANDLING[kind]]).toEqual([kind, reaches(kind, 'projectId') ? 'handled' : 'not-applicable']);
  });

  it('webhooks offer only kinds addressed to a project (deliveries select rows by project)', () => {
    for (const kind of WEBHOOK_EVENT_TYPES) expect([kind, reaches(kind, 'projectId')]).toEqual([kind, true]);
    expect(WEBHOOK_EVENT_TYPES).toContain('host.down');
  });

  it('the agent handles only kinds whose rows reach hosts (addressed to a host or to a network)', () => {
    for (const kind of CHANGE_KINDS.filter((k) => AGENT_HANDLING[k] === 'handled')) {
      expect([kind, reaches(kind, 'hostId') || reaches(kind, 'networkId')]).toEqual([kind, true]);
    }
  });
});

describe('every kind is emitted by a service, as the catalogue describes it', () => {
  let api: TestApi;
  let rows: (typeof changes.$inferSelect)[];
  let hostIds: string[];
  const hostPages: FeedPage[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    let clock = Date.now();
    const ctx: ServiceContext = { db: api.db, config: api.config, now: () => clock };
    const { result: project } = await createProject(ctx, { name: 'catalogue' });
    hostIds = [];
    for (const n of [1, 2, 3]) hostIds.push((await registerHost(ctx, { name: `h${n}`, endpoint: `192.0.2.${n}:51820`, publicKey: fakeKey(n) })).result.hostId);
    const [h1, h2, h3] = hostIds;
    const { result: app } = await createApplication(ctx, { projectId: project.projectId, name: 'web', processTypes: ['web'] });
    const { result: c1 } = await createContainer(ctx, { applicationId: app.applicationId, processType: 'web', hostId: h1 });
    const { result: c2 } = await createContainer(ctx, { applicationId: app.applicationId, processType: 'web', hostId: h2 }); // h2 joins: peers
    await transitionContainer(ctx, c1.containerId, 'RUNNING');
    await transitionContainer(ctx, c1.containerId, 'DRAINING');
    // Every host reports (h1 with its brake engaged: host.brake_engaged); after the DNS TTL the drain is
    // safe to stop (container.drained); then h1 falls silent (host.down) and reports again (host.up).
    const reportAll = async (ids: string[], safety?: ReportHostStatusInput['safety']) => {
      const head = Number((await api.db.read.select({ r: max(changes.revision) }).from(changes))[0].r);
      for (const hostId of ids) await reportHostStatus(ctx, { hostId, appliedRevision: head, safety: hostId === h1 ? safety : undefined });
    };
    await reportAll([h1, h2, h3], { brake: { since: new Date(clock).toISOString(), objectsHeld: 9, hostObjects: 12, nearEmpty: true, reason: 'test' } });
    expect((await settleDrains(ctx)).result.drained).toEqual([]); // every host applied it: one TTL to go
    clock += api.config.defaultDnsTtl * 1000;
    await reportAll([h1, h2, h3]);
    expect((await settleDrains(ctx)).result.drained).toEqual([c1.containerId]);
    clock += api.config.fleet.downAfterMs + 1;
    await reportAll([h2, h3]);
    expect((await sweepLiveness(ctx)).result.down).toEqual([h1]);
    await reportAll([h1]);
    expect((await sweepLiveness(ctx)).result.up).toEqual([h1]);
    await setNetworkPolicy(ctx, {
      networkId: project.networkId,
      mode: 'AUDIT',
      rules: [{ from: { application: 'web' }, to: { application: 'web' }, protocol: 'TCP', ports: [{ from: 80 }] }],
      tests: [{ from: 'web', to: 'web:80/tcp', expect: 'ALLOW' }],
    });
    await setDefaultProcessType(ctx, app.applicationId, 'worker');
    await setProcessExposure(ctx, app.applicationId, 'web', 'PRIVATE');
    await setProcessPorts(ctx, app.applicationId, 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    await setNetworkAlias(ctx, { networkId: project.networkId, name: 'front', applicationId: app.applicationId });
    await updateNetwork(ctx, { networkId: project.networkId, dnsTtl: 10 });
    await updateHost(ctx, { hostId: h1, endpoint: '192.0.2.11:51820' });
    await bumpHostTokenVersion(ctx, h1, 'rotated');
    await bumpHostTokenVersion(ctx, h2, 'revoked');
    await removeContainer(ctx, c2.containerId); // h2 leaves: peers removed
    const { result: other } = await createApplication(ctx, { projectId: project.projectId, name: 'jobs' });
    await createContainer(ctx, { applicationId: other.applicationId, processType: 'worker', hostId: h1 });
    await deleteApplication(ctx, other.applicationId);
    // The hosts' feeds before the project goes, while h1 is still a member of its network.
    for (const hostId of hostIds) hostPages.push(await readFeedPage(api.db, { hostId }, 0, 1000));
    await deleteProject(ctx, project.projectId);
    rows = await api.db.read.select().from(changes).orderBy(asc(changes.revision));
  });
  afterAll(() => api?.close());

  it('emits every catalogue kind, and nothing outside it', () => {
    const kinds = new Set(rows.map((r) => r.kind));
    expect([...kinds].filter((k) => !isChangeKind(k))).toEqual([]);
    expect(CHANGE_KINDS.filter((k) => !kinds.has(k))).toEqual([]);
  });

  it("stores each row with its kind's address columns and a payload its schema accepts without dropping a key", () => {
    for (const row of rows) {
      const kind = row.kind;
      if (!isChangeKind(kind)) continue;
      const address = Object.fromEntries(COLUMNS.map((c) => [c, typeof row[c] === 'string']));
      expect([kind, address]).toEqual([kind, Object.fromEntries(COLUMNS.map((c) => [c, addressOf(kind).includes(c)]))]);
      const payload = JSON.parse(row.payload);
      const parsed = CHANGE_CATALOGUE[kind].payload.safeParse(payload);
      expect([kind, parsed.success && parsed.data]).toEqual([kind, payload]);
    }
  });

  it('sends each host rows the agent parses, and applies them', () => {
    for (const [i, hostId] of hostIds.entries()) {
      const page = hostPages[i];
      expect(page.resync).toBe(false);
      if (page.resync) continue;
      expect(page.rows.length).toBeGreaterThan(0);
      const model: HostConfig = {
        revision: 0,
        generation: 'gen-test',
        host: { id: hostId, name: 'h', meshIp: '100.64.0.1', meshCidr: '100.64.0.0/16', endpoint: '192.0.2.1:51820', publicKey: 'k' },
        peers: [],
        networks: [],
      };
      for (const row of page.rows) {
        expect([row.kind, parseHostDelta(row).ok]).toEqual([row.kind, true]);
        const result = applyChange(model, row);
        // network.joined of a network the empty model does not hold asks for a list, which is the design
        if (result.kind === 'relist') expect(result.reason).toMatch(/^(joined network|container of unknown network)/);
      }
    }
  });
});

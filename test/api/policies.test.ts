/**
 * Issue 20's API: setNetworkPolicy with tests on write, `network { policy }` with counters from the
 * agents' reports, evaluatePolicy, the feed change, roles, and bad input that changes nothing.
 */
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes } from '../../src/db/schema/index.ts';
import { CREATE_CONTAINER, fakeKey, startTestApi, type TestApi } from '../support/api.ts';
import { tokenVersion } from '../support/auth-world.ts';

let api: TestApi;
let net: string;
let project: string;
let hostId: string;
const apps: Record<string, string> = {};

const SET = `mutation($i: SetNetworkPolicyInput!) { setNetworkPolicy(input: $i) { revision policy { mode version rules { index } } } }`;
const READ = `query($n: ID!) { network(id: $n) { policy { mode version
  rules { index from { applicationName processType } to { applicationName processType } protocol ports { from to } hits { packets bytes } }
  tests { from to expect } defaultDeny { packets bytes } wouldDrop { packets bytes } } } }`;
const modsec = (mode = 'ENFORCE') => ({
  networkId: net,
  mode,
  rules: [{ from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 8080 }] }],
  tests: [
    { from: 'proxy', to: 'backend:8080/tcp', expect: 'ALLOW' },
    { from: 'worker', to: 'backend:8080/tcp', expect: 'DENY' },
    { from: 'worker', to: 'proxy:80/tcp', expect: 'ALLOW' },
  ],
});
const feedRows = async () => Number((await api.db.read.select({ n: count() }).from(changes))[0].n);

beforeAll(async () => {
  api = await startTestApi();
  const p = await api.ok(`mutation { createProject(input: {name: "modsec"}) { project { id network { id } } } }`);
  project = p.createProject.project.id;
  net = p.createProject.project.network.id;
  for (const [name, types] of [
    ['proxy', ['web']],
    ['backend', ['web']],
    ['worker', ['worker']],
  ] as const) {
    const a = await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
      i: { projectId: project, name, processTypes: types },
    });
    apps[name] = a.createApplication.application.id;
  }
  const h = await api.ok(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } } }`, {
    i: { name: 'h1', endpoint: '192.0.2.1:51820', publicKey: fakeKey(1) },
  });
  hostId = h.registerHost.host.id;
  await api.ok(CREATE_CONTAINER, { i: { applicationId: apps.backend, processType: 'web', hostId } });
});
afterAll(() => api?.close());

describe('network policies (issue 20)', () => {
  it('starts OFF with no rule', async () => {
    expect((await api.ok(READ, { n: net })).network.policy).toMatchObject({ mode: 'OFF', version: 0, rules: [], tests: [] });
  });

  it('writes a policy whose tests pass, as one network.policy_set change the host receives', async () => {
    const set = (await api.ok(SET, { i: modsec() })).setNetworkPolicy;
    expect(set.policy).toEqual({ mode: 'ENFORCE', version: 1, rules: [{ index: 0 }] });
    const policy = (await api.ok(READ, { n: net })).network.policy;
    expect(policy.rules).toEqual([
      {
        index: 0,
        from: { applicationName: 'proxy', processType: null },
        to: { applicationName: 'backend', processType: null },
        protocol: 'TCP',
        ports: [{ from: 8080, to: 8080 }],
        hits: { packets: 0, bytes: 0 },
      },
    ]);
    const agent = await api.token({ kind: 'agent', sub: `agent:${hostId}`, host: hostId, ver: await tokenVersion(api, hostId) });
    const feed = await api.ok(`query($h: ID!) { hostChanges(hostId: $h, since: 0) { changes { revision kind payload } } }`, { h: hostId }, agent);
    const last = feed.hostChanges.changes.at(-1);
    expect(last.revision).toBe(set.revision);
    expect(last.kind).toBe('network.policy_set');
    expect(last.payload.policy).toMatchObject({
      mode: 'ENFORCE',
      version: 1,
      rules: [{ from: { applicationId: apps.proxy }, to: { applicationId: apps.backend } }],
    });
    const snapshot = await api.ok(`query($h: ID!) { hostConfig(hostId: $h) { config } }`, { h: hostId }, agent);
    expect(snapshot.hostConfig.config.networks[0].policy).toMatchObject({ mode: 'ENFORCE', version: 1 });
  });

  it('writing the same policy again appends nothing; switching the mode is a change', async () => {
    const before = await feedRows();
    expect((await api.ok(SET, { i: modsec() })).setNetworkPolicy).toMatchObject({ revision: null, policy: { version: 1 } });
    expect(await feedRows()).toBe(before);
    expect((await api.ok(SET, { i: modsec('AUDIT') })).setNetworkPolicy.policy).toMatchObject({ mode: 'AUDIT', version: 2 });
    expect(await feedRows()).toBe(before + 1);
  });

  it('refuses a write whose tests fail with POLICY_TEST_FAILED listing the failing cases, and changes nothing', async () => {
    const before = await feedRows();
    const broken = {
      ...modsec(),
      tests: [...modsec().tests, { from: 'worker', to: 'backend:8080/tcp', expect: 'ALLOW' }, { from: 'proxy', to: 'backend:9000/tcp', expect: 'ALLOW' }],
    };
    const r = await api.gql(SET, { i: broken });
    expect(r.errors?.[0].extensions).toEqual({
      code: 'POLICY_TEST_FAILED',
      failures: [
        {
          index: 3,
          from: 'worker',
          to: 'backend:8080/tcp',
          expect: 'ALLOW',
          got: 'DENY',
          reason: 'DEFAULT_DENY',
          case: 'worker/worker → backend/web:8080/TCP',
        },
        { index: 4, from: 'proxy', to: 'backend:9000/tcp', expect: 'ALLOW', got: 'DENY', reason: 'DEFAULT_DENY', case: 'proxy/web → backend/web:9000/TCP' },
      ],
    });
    expect(await feedRows()).toBe(before);
    expect((await api.ok(READ, { n: net })).network.policy).toMatchObject({ mode: 'AUDIT', version: 2 });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    [
      'an unknown application',
      { rules: [{ from: { application: 'ghost' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 1 }] }] },
      'rules[0].from: unknown application "ghost"',
    ],
    [
      'an unknown process type',
      { rules: [{ from: { application: 'proxy', processType: 'clock' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 1 }] }] },
      'no process type "clock"',
    ],
    [
      'a reversed range',
      { rules: [{ from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'UDP', ports: [{ from: 9, to: 1 }] }] },
      'port range 9-1 is reversed',
    ],
    [
      'an empty port list',
      { rules: [{ from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'UDP', ports: [] }] },
      'needs at least one port range',
    ],
    [
      'overlapping duplicates',
      {
        rules: [
          { from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 8000, to: 8100 }] },
          { from: { application: 'proxy' }, to: { application: 'backend' }, protocol: 'TCP', ports: [{ from: 8080 }] },
        ],
      },
      'duplicates rules[0]',
    ],
    [
      'too many rules',
      {
        rules: Array.from({ length: 257 }, (_, i) => ({
          from: { application: 'proxy' },
          to: { application: 'backend' },
          protocol: 'TCP',
          ports: [{ from: i + 1 }],
        })),
      },
      'at most 256 rules',
    ],
  ];
  it.each(bad)('refuses %s with BAD_USER_INPUT and changes nothing', async (_name, patch, message) => {
    const before = await feedRows();
    const r = await api.gql(SET, { i: { ...modsec(), tests: [], ...patch } });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toContain(message);
    expect(await feedRows()).toBe(before);
  });

  it('needs the write role; a reader sees the policy', async () => {
    const reader = await api.token({ kind: 'user', sub: 'reader', projects: { [project]: 'read' } });
    expect((await api.gql(SET, { i: modsec() }, reader)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const stranger = await api.token({ kind: 'user', sub: 'stranger', projects: {} });
    expect((await api.gql(SET, { i: modsec() }, stranger)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await api.ok(READ, { n: net }, reader)).network.policy.mode).toBe('AUDIT');
  });

  it('evaluatePolicy answers what the rules say, with the mode', async () => {
    const q = `query($n: ID!, $f: String!, $t: String!, $p: Int, $x: PolicyProtocol!) { evaluatePolicy(networkId: $n, from: $f, to: $t, port: $p, protocol: $x) { verdict reason ruleIndex mode } }`;
    const ask = async (f: string, t: string, x: string, p?: number) => (await api.ok(q, { n: net, f, t, p, x })).evaluatePolicy;
    expect(await ask('proxy', 'backend', 'TCP', 8080)).toEqual({ verdict: 'ALLOW', reason: 'RULE', ruleIndex: 0, mode: 'AUDIT' });
    expect(await ask('worker/worker', 'backend/web', 'TCP', 8080)).toEqual({ verdict: 'DENY', reason: 'DEFAULT_DENY', ruleIndex: null, mode: 'AUDIT' });
    expect(await ask('worker', 'proxy', 'UDP', 53)).toEqual({ verdict: 'ALLOW', reason: 'OPEN', ruleIndex: null, mode: 'AUDIT' });
    expect(await ask('proxy', 'backend', 'ICMP')).toEqual({ verdict: 'DENY', reason: 'DEFAULT_DENY', ruleIndex: null, mode: 'AUDIT' });
    expect((await api.gql(q, { n: net, f: 'proxy', t: 'backend', x: 'TCP' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await api.gql(q, { n: net, f: 'nope', t: 'backend', x: 'TCP', p: 1 })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('sums the counters hosts report for the current version, ignoring older versions', async () => {
    const agent = await api.token({ kind: 'agent', sub: `agent:${hostId}`, host: hostId, ver: await tokenVersion(api, hostId) });
    const report = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`;
    const counters = (version: number, n: number) => ({
      hostId,
      policyCounters: [
        {
          networkId: net,
          version,
          counters: [
            { counter: 'rule-0', packets: n, bytes: n * 60 },
            { counter: 'would-drop', packets: 2 * n, bytes: 2 * n * 60 },
          ],
        },
      ],
    });
    await api.ok(report, { i: counters(1, 50) }, agent); // an older version: not shown
    let policy = (await api.ok(READ, { n: net })).network.policy;
    expect([policy.rules[0].hits, policy.wouldDrop]).toEqual([
      { packets: 0, bytes: 0 },
      { packets: 0, bytes: 0 },
    ]);
    await api.ok(report, { i: counters(2, 3) }, agent);
    policy = (await api.ok(READ, { n: net })).network.policy;
    expect([policy.rules[0].hits, policy.wouldDrop, policy.defaultDeny]).toEqual([
      { packets: 3, bytes: 180 },
      { packets: 6, bytes: 360 },
      { packets: 0, bytes: 0 },
    ]);
    await api.ok(report, { i: { hostId, policyCounters: [] } }, agent); // the policy went OFF on this host: its rows go
    expect((await api.ok(READ, { n: net })).network.policy.wouldDrop).toEqual({ packets: 0, bytes: 0 });
    const bogus = await api.gql(
      report,
      { i: { hostId, policyCounters: [{ networkId: net, version: 2, counters: [{ counter: 'x; drop', packets: 1, bytes: 1 }] }] } },
      agent,
    );
    expect(bogus.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('containerPolicySources: a new source waits for the hosts of its destinations to apply its creation; OFF and non-sources wait for nothing', async () => {
    const agent = await api.token({ kind: 'agent', sub: `agent:${hostId}`, host: hostId, ver: await tokenVersion(api, hostId) });
    const report = `mutation($i: ReportHostStatusInput!) { reportHostStatus(input: $i) { hostId } }`;
    const SOURCES = `query($c: ID!) { containerPolicySources(containerId: $c) { containerId revision hosts pendingHosts ready } }`;
    const h2 = (
      await api.ok(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } } }`, {
        i: { name: 'h2', endpoint: '192.0.2.2:51820', publicKey: fakeKey(2) },
      })
    ).registerHost.host.id;
    await api.ok(SET, { i: modsec('ENFORCE') });
    await api.ok(report, { i: { hostId, appliedRevision: 1 } }, agent); // host 1 (backend) has reported, far behind
    const create = async (app: string, type: string) =>
      (
        await api.ok(`mutation($i: CreateContainerInput!) { createContainer(input: $i) { revision container { id } } }`, {
          i: { applicationId: app, processType: type, hostId: h2 },
        })
      ).createContainer;
    const proxy = await create(apps.proxy, 'web');
    const id = proxy.container.id;
    const waiting = (await api.ok(SOURCES, { c: id })).containerPolicySources;
    // its container.created change: host 2 joining the network appends its peer changes after it, in the same commit
    expect(waiting).toEqual({ containerId: id, revision: waiting.revision, hosts: [hostId], pendingHosts: [hostId], ready: false });
    expect(waiting.revision).toBeLessThanOrEqual(proxy.revision);
    await api.ok(report, { i: { hostId, appliedRevision: waiting.revision - 1 } }, agent);
    expect((await api.ok(SOURCES, { c: id })).containerPolicySources.pendingHosts).toEqual([hostId]);
    await api.ok(report, { i: { hostId, appliedRevision: waiting.revision } }, agent);
    expect((await api.ok(SOURCES, { c: id })).containerPolicySources).toMatchObject({ hosts: [hostId], pendingHosts: [], ready: true });

    const worker = (await create(apps.worker, 'worker')).container.id; // denied everywhere: in no set
    expect((await api.ok(SOURCES, { c: worker })).containerPolicySources).toMatchObject({ hosts: [], pendingHosts: [], ready: true });
    await api.ok(SET, { i: modsec('OFF') });
    const off = (await create(apps.proxy, 'web')).container.id;
    expect((await api.ok(SOURCES, { c: off })).containerPolicySources).toEqual({ containerId: off, revision: null, hosts: [], pendingHosts: [], ready: true });
  });
});

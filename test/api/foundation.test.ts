import { count, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { changes, containers, projects } from '../../src/db/schema/index.ts';
import { buildNetworkModel } from '../../src/feed/snapshot.ts';
import { CREATE_CONTAINER, fakeKey, seedWorld, startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
afterEach(async () => api?.close());

describe('control API foundation', () => {
  it('creates a project, app, hosts and containers, with names, env and resolve', async () => {
    api = await startTestApi();
    const w = await seedWorld(api);
    const made = [];
    for (const [type, host] of [
      ['web', 0],
      ['web', 1],
      ['worker', 1],
    ] as const) {
      made.push(
        (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: type, hostId: w.hostIds[host] } })).createContainer.container,
      );
    }
    expect(made.map((c) => [c.number, c.ip, c.mac, c.state])).toEqual([
      [1, '10.240.0.2', '02:00:0a:f0:00:02', 'PENDING'],
      [2, '10.240.0.3', '02:00:0a:f0:00:03', 'PENDING'],
      [1, '10.240.0.4', '02:00:0a:f0:00:04', 'PENDING'],
    ]);
    expect(made[2].hostname).toBe(`1.worker.${w.applicationId}.${w.networkId}.private-network.internal`);

    const name = `${w.applicationId}.${w.networkId}.private-network.internal`;
    const resolve = `query($n: ID!, $q: String!, $t: String) { resolve(networkId: $n, name: $q, type: $t) { rcode records { name type ttl data } } }`;
    expect((await api.ok(resolve, { n: w.networkId, q: name })).resolve).toEqual({ rcode: 'NOERROR', records: [] });
    for (const c of made) await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { container { state } } }`, { id: c.id });
    const answer = (await api.ok(resolve, { n: w.networkId, q: name.toUpperCase() })).resolve;
    expect(answer.rcode).toBe('NOERROR');
    expect(answer.records.map((r: { data: string }) => r.data)).toEqual(['10.240.0.2', '10.240.0.3']);
    expect(answer.records[0]).toMatchObject({ type: 'A', ttl: 5 });
    expect((await api.ok(resolve, { n: w.networkId, q: `nope.${name}` })).resolve.rcode).toBe('NXDOMAIN');
    // dual-stack is ON by default (issue 21): AAAA beside each A, the same offsets in the network's /64
    const { network } = await api.ok(`query($n: ID!) { network(id: $n) { ipv6Cidr } }`, { n: w.networkId });
    const prefix = network.ipv6Cidr.replace('/64', '');
    expect(
      (await api.ok(resolve, { n: w.networkId, q: name, t: 'AAAA' })).resolve.records.map((r: { type: string; data: string }) => [r.type, r.data]),
    ).toEqual([
      ['AAAA', `${prefix}2`],
      ['AAAA', `${prefix}3`],
    ]);

    const env = await api.ok(`query($id: ID!) { container(id: $id) { environment { name value } } }`, { id: made[0].id });
    expect(Object.fromEntries(env.container.environment.map((e: { name: string; value: string }) => [e.name, e.value]))).toEqual({
      SCALINGO_APPLICATION_ID: w.applicationId,
      SCALINGO_PRIVATE_NETWORK_ID: w.networkId,
      SCALINGO_PRIVATE_HOSTNAME: made[0].hostname,
    });
    const names = await api.ok(`query($a: ID!) { privateDomainNames(applicationId: $a) }`, { a: w.applicationId });
    expect(names.privateDomainNames).toEqual([name, `web.${name}`, `worker.${name}`, `1.web.${name}`, `2.web.${name}`, `1.worker.${name}`]);
  });

  it("multicast is a per-network switch set at creation: ON by default, OFF on request, in the hosts' model", async () => {
    api = await startTestApi();
    const made = async (input: string) =>
      (await api.ok(`mutation { createProject(input: { name: "m"${input} }) { project { network { id multicast } } } }`)).createProject.project.network;
    const on = await made('');
    const off = await made(', multicast: OFF');
    expect([on.multicast, off.multicast]).toEqual(['ON', 'OFF']);
    expect((await buildNetworkModel(api.db.read, off.id)).multicast).toBe('OFF');
  });

  it('rotateHostKey: pending until the host publishes a new key, in its model; asking twice changes nothing', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 1 });
    const ask = `mutation($h: ID!) { rotateHostKey(hostId: $h) { revision } }`;
    const first = (await api.ok(ask, { h: w.hostIds[0] })).rotateHostKey.revision;
    expect(first).toBeGreaterThan(0);
    expect((await api.ok(ask, { h: w.hostIds[0] })).rotateHostKey.revision).toBeNull();
    const pending = async () => (await api.ok(`query($h: ID!) { host(id: $h) { keyRotationRequestedAt } }`, { h: w.hostIds[0] })).host.keyRotationRequestedAt;
    expect(await pending()).toMatch(/^\d{4}-\d\d-\d\dT/);
    const [row] = await api.db.read.select().from(changes).where(eq(changes.revision, first));
    expect(row.kind).toBe('host.updated');
    expect(JSON.parse(row.payload).host.keyRotationRequestedAt).toMatch(/^\d{4}-/);
    await api.ok(`mutation($h: ID!, $k: String!) { updateHost(input: { hostId: $h, publicKey: $k }) { revision } }`, { h: w.hostIds[0], k: fakeKey(99) });
    expect(await pending()).toBeNull();
  });

  it('switches exposure without renaming and honours the default process type', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 1 });
    const types = async () =>
      (await api.ok(`query($a: ID!) { application(id: $a) { processTypes { name exposure } } }`, { a: w.applicationId })).application.processTypes;
    expect(await types()).toEqual([
      { name: 'web', exposure: 'PUBLIC' },
      { name: 'worker', exposure: 'PRIVATE' },
    ]);
    await api.ok(`mutation($a: ID!) { setProcessExposure(applicationId: $a, processType: "web", exposure: PRIVATE) { revision } }`, { a: w.applicationId });
    expect(await types()).toEqual([
      { name: 'web', exposure: 'PRIVATE' },
      { name: 'worker', exposure: 'PRIVATE' },
    ]);
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'worker', hostId: w.hostIds[0] } })).createContainer
      .container;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    await api.ok(`mutation($a: ID!) { setDefaultProcessType(applicationId: $a, processType: "worker") { application { defaultProcessType } } }`, {
      a: w.applicationId,
    });
    const r = await api.ok(`query($n: ID!, $q: String!) { resolve(networkId: $n, name: $q) { records { data } } }`, {
      n: w.networkId,
      q: `${w.applicationId}.${w.networkId}.private-network.internal`,
    });
    expect(r.resolve.records).toEqual([{ data: c.ip }]);
  });

  it('reuses numbers lowest-first and lets freed addresses cool down', async () => {
    let now = 1_000_000;
    api = await startTestApi({ IP_COOLDOWN_SECONDS: '60', DEFAULT_NETWORK_CIDR: '10.1.0.0/28' }, { now: () => now });
    const w = await seedWorld(api, { hosts: 1 });
    const create = async () =>
      (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    const all = [];
    for (let i = 0; i < 13; i++) all.push(await create()); // a /28 has 13 usable addresses after the gateway
    expect(new Set(all.map((c) => c.ip)).size).toBe(13);
    const full = await api.gql(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    expect(full.errors?.[0].extensions?.code).toBe('NETWORK_FULL');
    await api.ok(`mutation($id: ID!) { removeContainer(id: $id) { deletedId } }`, { id: all[1].id });
    const stillFull = await api.gql(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } });
    expect(stillFull.errors?.[0].extensions?.code).toBe('NETWORK_FULL'); // cooling down
    now += 61_000;
    const again = await create();
    expect(again.number).toBe(2); // lowest free number
    expect(again.ip).toBe(all[1].ip); // the only address, cooled down
  });

  it('answers bad input with coded errors and changes nothing', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 1 });
    const before = await api.db.read.select({ n: count() }).from(changes);
    const cases: [string, Record<string, unknown>, string][] = [
      [`mutation { createProject(input: { name: "x", cidr: "10.0.0.0/8" }) { revision } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { createProject(input: { name: "", cidr: "10.0.0.0/24" }) { revision } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { createProject(input: { name: "x", dnsTtl: -1 }) { revision } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { createProject(input: { name: "x", multicast: MAYBE }) { revision } }`, {}, 'GRAPHQL_VALIDATION_FAILED'],
      [`mutation($a: ID!) { createApplication(input: { projectId: $a, name: "api" }) { revision } }`, { a: w.projectId }, 'CONFLICT'],
      [`mutation { createApplication(input: { projectId: "prj-nope", name: "z" }) { revision } }`, {}, 'NOT_FOUND'],
      [
        `mutation($a: ID!) { createApplication(input: { projectId: $a, name: "z", processTypes: ["Web"] }) { revision } }`,
        { a: w.projectId },
        'BAD_USER_INPUT',
      ],
      [`mutation { registerHost(input: { name: "h", endpoint: "nope", publicKey: "${fakeKey(90)}" }) { revision } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { registerHost(input: { name: "h", endpoint: "192.0.2.9:51820", publicKey: "short" }) { revision } }`, {}, 'BAD_USER_INPUT'],
      [`mutation { registerHost(input: { name: "shop-h1", endpoint: "192.0.2.9:51820", publicKey: "${fakeKey(91)}" }) { revision } }`, {}, 'CONFLICT'],
      [
        `mutation($a: ID!, $h: ID!) { createContainer(input: { applicationId: $a, processType: "we b", hostId: $h }) { revision } }`,
        { a: w.applicationId, h: w.hostIds[0] },
        'BAD_USER_INPUT',
      ],
      [
        `mutation($a: ID!) { createContainer(input: { applicationId: $a, processType: "web", hostId: "host-nope" }) { revision } }`,
        { a: w.applicationId },
        'NOT_FOUND',
      ],
      [`mutation { markContainerRunning(id: "ctr-nope") { revision } }`, {}, 'NOT_FOUND'],
      [`mutation { deleteProject(id: "prj-nope") { revision } }`, {}, 'NOT_FOUND'],
      [`query { application(id: "ap-nope") { id } }`, {}, 'NOT_FOUND'],
    ];
    for (const [query, variables, code] of cases) {
      const result = await api.gql(query, variables);
      expect(result.errors?.[0].extensions?.code, query).toBe(code);
    }
    const after = await api.db.read.select({ n: count() }).from(changes);
    expect(after).toEqual(before);
    expect(await api.db.read.select({ n: count() }).from(projects)).toEqual([{ n: 1 }]);
  });

  it('refuses backwards state moves with CONFLICT', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 1 });
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    await api.ok(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: c.id });
    const back = await api.gql(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    expect(back.errors?.[0].extensions?.code).toBe('CONFLICT');
    const again = await api.ok(`mutation($id: ID!) { drainContainer(id: $id) { revision } }`, { id: c.id });
    expect(again.drainContainer.revision).toBeNull(); // no-op, nothing appended
  });

  it('masks unexpected errors', async () => {
    api = await startTestApi();
    await seedWorld(api, { hosts: 1 });
    api.db.client.close(); // every query now fails inside the driver
    const result = await api.gql(`{ projects { edges { node { id } } } }`);
    expect(result.errors?.[0].message).toBe('Unexpected error.');
    expect(result.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('gives 100 parallel creations 100 distinct IPs and numbers, without errors', async () => {
    api = await startTestApi();
    const w = await seedWorld(api, { hosts: 3 });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => api.gql(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[i % 3] } })),
    );
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const made = results.map((r) => r.data.createContainer.container);
    expect(new Set(made.map((c) => c.ip)).size).toBe(100);
    expect(new Set(made.map((c) => c.number))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i + 1)));
    expect(await api.db.read.select({ n: count() }).from(containers).where(eq(containers.networkId, w.networkId))).toEqual([{ n: 100 }]);
  });
});

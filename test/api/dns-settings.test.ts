// Issue 19 through the API: declared ports (createApplication, setProcessPorts), aliases
// (setNetworkAlias, updateNetwork) and the live TTL, seen by `resolve`; each bad input gets a coded
// error and changes nothing (same rows, same feed head).
import { count, eq, max } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes, networkAliases, networks, processPorts } from '../../src/db/schema/index.ts';
import { CREATE_CONTAINER, seedWorld, startTestApi, type TestApi } from '../support/api.ts';
import { ulaOfVni } from '../../protocol/addressing/ipv6.ts';

let api: TestApi;
let w: Awaited<ReturnType<typeof seedWorld>>;
let other: string; // an application of another project
beforeAll(async () => {
  api = await startTestApi();
  w = await seedWorld(api, { hosts: 1 });
  other = (await seedWorld(api, { hosts: 0, name: 'other' })).applicationId;
});
afterAll(() => api?.close());

const SET_PORTS = `mutation($a: ID!, $t: String!, $p: [PortInput!]!) { setProcessPorts(applicationId: $a, processType: $t, ports: $p) { revision application { processTypes { name ports { name port protocol } } } } }`;
const SET_ALIAS = `mutation($n: ID!, $name: String!, $a: ID, $t: String) { setNetworkAlias(networkId: $n, name: $name, applicationId: $a, processType: $t) { revision network { dnsTtl aliases { name processType application { id } } } } }`;
const UPDATE = `mutation($i: UpdateNetworkInput!) { updateNetwork(input: $i) { revision network { dnsTtl aliases { name } } } }`;
const RESOLVE = `query($n: ID!, $q: String!, $t: String) { resolve(networkId: $n, name: $q, type: $t) { rcode records { name type ttl data } } }`;

const name = (prefix: string) => `${prefix}.${w.networkId}.private-network.internal`;

async function state() {
  const db = api.db.read;
  return {
    head: (await db.select({ r: max(changes.revision) }).from(changes))[0].r,
    ports: (await db.select({ n: count() }).from(processPorts))[0].n,
    aliases: (await db.select({ n: count() }).from(networkAliases))[0].n,
    ttls: (await db.select({ t: networks.dnsTtl }).from(networks)).map((r) => r.t),
    multicast: (await db.select({ m: networks.multicast }).from(networks)).map((r) => r.m),
  };
}

describe('DNS settings through the API (issue 19)', () => {
  it('declares ports, and resolve answers SRV per RUNNING container', async () => {
    const r = await api.ok(SET_PORTS, { a: w.applicationId, t: 'web', p: [{ name: 'http', port: 8080, protocol: 'tcp' }] });
    expect(r.setProcessPorts.application.processTypes).toEqual([
      { name: 'web', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { name: 'worker', ports: [] },
    ]);
    const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
    await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
    const srv = await api.ok(RESOLVE, { n: w.networkId, q: name(`_http._tcp.web.${w.applicationId}`), t: 'SRV' });
    expect(srv.resolve).toEqual({
      rcode: 'NOERROR',
      records: [{ name: name(`_http._tcp.web.${w.applicationId}`), type: 'SRV', ttl: 5, data: `0 0 8080 ${name(`1.web.${w.applicationId}`)}.` }],
    });
    const ptr = await api.ok(RESOLVE, { n: w.networkId, q: `${c.ip.split('.').reverse().join('.')}.in-addr.arpa`, t: 'PTR' });
    expect(ptr.resolve.records.map((x: { data: string }) => x.data)).toEqual([`${name(`1.web.${w.applicationId}`)}.`]);
    // The same list again is a no-op: no revision.
    expect((await api.ok(SET_PORTS, { a: w.applicationId, t: 'web', p: [{ name: 'http', port: 8080, protocol: 'TCP' }] })).setProcessPorts.revision).toBeNull();
  });

  it('createApplication takes ports', async () => {
    const a = await api.ok(
      `mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { processTypes { name ports { name port protocol } } } } }`,
      {
        i: {
          projectId: w.projectId,
          name: 'dns',
          processTypes: ['dns'],
          ports: [
            { processType: 'dns', name: 'dns', port: 53, protocol: 'UDP' },
            { processType: 'dns', name: 'dns', port: 53, protocol: 'TCP' },
          ],
        },
      },
    );
    expect(a.createApplication.application.processTypes).toEqual([
      {
        name: 'dns',
        ports: [
          { name: 'dns', port: 53, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      },
    ]);
  });

  it('switches an alias atomically and changes the TTL live', async () => {
    const set = await api.ok(SET_ALIAS, { n: w.networkId, name: 'db', a: w.applicationId, t: 'web' });
    expect(set.setNetworkAlias.network.aliases).toEqual([{ name: 'db', processType: 'web', application: { id: w.applicationId } }]);
    const a1 = await api.ok(RESOLVE, { n: w.networkId, q: name('db') });
    expect(a1.resolve.records.map((r: { data: string }) => r.data)).toHaveLength(1);
    await api.ok(SET_ALIAS, { n: w.networkId, name: 'db', a: w.applicationId, t: 'worker' }); // nothing RUNNING: NODATA
    expect((await api.ok(RESOLVE, { n: w.networkId, q: name('db') })).resolve).toEqual({ rcode: 'NOERROR', records: [] });
    const up = await api.ok(UPDATE, { i: { networkId: w.networkId, dnsTtl: 42 } });
    expect(up.updateNetwork.network).toEqual({ dnsTtl: 42, aliases: [{ name: 'db' }] });
    expect((await api.ok(RESOLVE, { n: w.networkId, q: name(`web.${w.applicationId}`) })).resolve.records[0].ttl).toBe(42);
    await api.ok(SET_ALIAS, { n: w.networkId, name: 'db', a: null });
    expect((await api.ok(RESOLVE, { n: w.networkId, q: name('db') })).resolve.rcode).toBe('NXDOMAIN');
    await api.ok(UPDATE, { i: { networkId: w.networkId, aliases: [{ name: 'front', applicationId: w.applicationId }] } });
    expect((await api.ok(RESOLVE, { n: w.networkId, q: name('front') })).resolve.records).toHaveLength(1);
  });

  it('switches multicast live: one network.updated with the whole settings; the same value again appends nothing (issue 21)', async () => {
    const SWITCH = `mutation($i: UpdateNetworkInput!) { updateNetwork(input: $i) { revision network { multicast dnsTtl } } }`;
    const off = await api.ok(SWITCH, { i: { networkId: w.networkId, multicast: 'OFF' } });
    expect(off.updateNetwork.network).toEqual({ multicast: 'OFF', dnsTtl: 42 });
    const [row] = await api.db.read.select().from(changes).where(eq(changes.revision, off.updateNetwork.revision));
    const [{ vni }] = await api.db.read.select({ vni: networks.vni }).from(networks).where(eq(networks.id, w.networkId));
    const cidr = ulaOfVni(vni); // the network's ipv6 is ON (the default), so its settings carry it
    expect([row.kind, JSON.parse(row.payload)]).toEqual([
      'network.updated',
      {
        dnsTtl: 42,
        aliases: [{ name: 'front', applicationId: w.applicationId, processType: null }],
        multicast: 'OFF',
        ipv6: { cidr, gateway: cidr.replace('/64', '1') },
      },
    ]);
    expect((await api.ok(SWITCH, { i: { networkId: w.networkId, multicast: 'OFF' } })).updateNetwork.revision).toBeNull();
    expect((await api.ok(SWITCH, { i: { networkId: w.networkId, multicast: 'ON' } })).updateNetwork.network.multicast).toBe('ON');
  });

  const bad: [string, string, () => Record<string, unknown>][] = [
    ['a port of 0', SET_PORTS, () => ({ a: w.applicationId, t: 'web', p: [{ name: 'http', port: 0, protocol: 'TCP' }] })],
    ['a port of 65536', SET_PORTS, () => ({ a: w.applicationId, t: 'web', p: [{ name: 'http', port: 65536, protocol: 'TCP' }] })],
    [
      'a duplicate port name',
      SET_PORTS,
      () => ({
        a: w.applicationId,
        t: 'web',
        p: [
          { name: 'h', port: 1, protocol: 'TCP' },
          { name: 'h', port: 2, protocol: 'tcp' },
        ],
      }),
    ],
    ['a bad protocol', SET_PORTS, () => ({ a: w.applicationId, t: 'web', p: [{ name: 'http', port: 80, protocol: 'SCTP' }] })],
    ['a port name that is no label', SET_PORTS, () => ({ a: w.applicationId, t: 'web', p: [{ name: '_http', port: 80, protocol: 'TCP' }] })],
    ['an alias that is an app id', SET_ALIAS, () => ({ n: w.networkId, name: w.applicationId, a: w.applicationId })],
    ['an alias with a reserved label', SET_ALIAS, () => ({ n: w.networkId, name: 'ns', a: w.applicationId })],
    ['an alias with a reserved prefix', SET_ALIAS, () => ({ n: w.networkId, name: 'pn-x', a: w.applicationId })],
    ['an alias that is no label', SET_ALIAS, () => ({ n: w.networkId, name: '_apps', a: w.applicationId })],
    ["an alias to another project's app", SET_ALIAS, () => ({ n: w.networkId, name: 'x', a: other })],
    ['a negative TTL', UPDATE, () => ({ i: { networkId: w.networkId, dnsTtl: -1 } })],
    ['a multicast switch that is neither ON nor OFF', UPDATE, () => ({ i: { networkId: w.networkId, multicast: 'MAYBE' } })],
    [
      'a duplicate alias in updateNetwork',
      UPDATE,
      () => ({
        i: {
          networkId: w.networkId,
          aliases: [
            { name: 'a', applicationId: w.applicationId },
            { name: 'a', applicationId: w.applicationId },
          ],
        },
      }),
    ],
  ];
  it.each(bad)('%s: BAD_USER_INPUT, nothing changes', async (_what, query, vars) => {
    const before = await state();
    const r = await api.gql(query, vars());
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(await state()).toEqual(before);
  });
});

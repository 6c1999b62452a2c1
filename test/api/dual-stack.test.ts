// Issue 21 part 2 (dual-stack IPv6) through the API: a network's /64 (derived from its VNI or given),
// its ipv6 switch at creation and live (network.updated), the snapshot and GraphQL fields, a
// container's derived v6 address, and `resolve` answering AAAA and ip6.arpa PTR. Each bad input
// gets a coded error with its field and changes nothing.
import { count, eq, max } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulaOfVni } from '../../protocol/addressing/ipv6.ts';
import { changes, networks } from '../../src/db/schema/index.ts';
import { buildNetworkModel } from '../../src/feed/snapshot.ts';
import { CREATE_CONTAINER, startTestApi, type TestApi } from '../support/api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const CREATE = `mutation($i: CreateProjectInput!) { createProject(input: $i) { revision project { id network { id vni ipv6 ipv6Cidr ipv6Gateway } } } }`;
const NETWORK = `query($n: ID!) { network(id: $n) { ipv6 ipv6Cidr ipv6Gateway containers { edges { node { ip ipv6 } } } } }`;
const RESOLVE = `query($n: ID!, $q: String!, $t: String) { resolve(networkId: $n, name: $q, type: $t) { rcode records { name type ttl data } } }`;
const PTR6 = '2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa'; // fd12:3456:789a:1::2
const SWITCH = `mutation($i: UpdateNetworkInput!) { updateNetwork(input: $i) { revision network { ipv6 ipv6Cidr } } }`;

async function payloadAt(revision: number) {
  const [row] = await api.db.read.select().from(changes).where(eq(changes.revision, revision));
  return { kind: row.kind, payload: JSON.parse(row.payload) };
}

async function state() {
  const db = api.db.read;
  return {
    head: (await db.select({ r: max(changes.revision) }).from(changes))[0].r,
    networks: (await db.select({ n: count() }).from(networks))[0].n,
    switches: await db.select({ id: networks.id, ipv6: networks.ipv6, cidr: networks.ipv6Cidr }).from(networks).orderBy(networks.id),
  };
}

async function runningContainer(w: Awaited<ReturnType<typeof seedWorldIn>>) {
  const c = (await api.ok(CREATE_CONTAINER, { i: { applicationId: w.applicationId, processType: 'web', hostId: w.hostIds[0] } })).createContainer.container;
  await api.ok(`mutation($id: ID!) { markContainerRunning(id: $id) { revision } }`, { id: c.id });
  return c as { id: string; ip: string };
}

describe('dual-stack networks through the API (issue 21)', () => {
  it('derives the /64 from the VNI by default: ipv6 ON, in project.created and in the snapshot', async () => {
    const r = await api.ok(CREATE, { i: { name: 'derived' } });
    const n = r.createProject.project.network;
    const cidr = ulaOfVni(n.vni);
    expect(n).toMatchObject({ ipv6: 'ON', ipv6Cidr: cidr, ipv6Gateway: cidr.replace('/64', '1') });
    expect(cidr).toMatch(/^fd77:6674:[0-9a-f]{1,4}(:[0-9a-f]{1,4})?::\/64$/);
    const created = await payloadAt(r.createProject.revision);
    expect(created.payload.ipv6).toEqual({ cidr, gateway: cidr.replace('/64', '1') });
    expect((await buildNetworkModel(api.db.read, n.id)).ipv6).toEqual({ cidr, gateway: cidr.replace('/64', '1') });
  });

  it('takes a given unique-local /64 in canonical form; containers get the same offset as their IPv4', async () => {
    const r = await api.ok(CREATE, { i: { name: 'given', cidr: '10.20.0.0/24', ipv6Cidr: 'FD12:3456:789A:0001:0000:0000:0000:0000/64' } });
    const n = r.createProject.project.network;
    expect(n).toMatchObject({ ipv6: 'ON', ipv6Cidr: 'fd12:3456:789a:1::/64', ipv6Gateway: 'fd12:3456:789a:1::1' });
    const w = await seedWorldIn(n.id, r.createProject.project.id, 'given');
    const c = await runningContainer(w);
    expect(c.ip).toBe('10.20.0.2');
    const read = await api.ok(NETWORK, { n: n.id });
    expect(read.network.containers.edges.map((e: { node: unknown }) => e.node)).toEqual([{ ip: '10.20.0.2', ipv6: 'fd12:3456:789a:1::2' }]);
    expect((await api.ok(`query($c: ID!) { container(id: $c) { ipv6 } }`, { c: c.id })).container.ipv6).toBe('fd12:3456:789a:1::2');
    // resolve answers as the host DNS does: AAAA beside A, and the PTR of the v6 address.
    const owner = `1.web.${w.applicationId}.${n.id}.private-network.internal`;
    expect((await api.ok(RESOLVE, { n: n.id, q: owner, t: 'AAAA' })).resolve).toEqual({
      rcode: 'NOERROR',
      records: [{ name: owner, type: 'AAAA', ttl: 5, data: 'fd12:3456:789a:1::2' }],
    });
    expect((await api.ok(RESOLVE, { n: n.id, q: PTR6, t: 'PTR' })).resolve).toEqual({
      rcode: 'NOERROR',
      records: [{ name: PTR6, type: 'PTR', ttl: 5, data: `${owner}.` }],
    });
    expect((await api.ok(RESOLVE, { n: n.id, q: PTR6.replace(/^2\./, '3.'), t: 'PTR' })).resolve).toEqual({ rcode: 'NXDOMAIN', records: [] });
    expect((await api.ok(RESOLVE, { n: n.id, q: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', t: 'PTR' })).resolve.rcode).toBe(
      'REFUSED',
    ); // global space: forwarded by the host DNS
  });

  it('ipv6 OFF at creation: the /64 is kept, the snapshot has no ipv6, containers have none', async () => {
    const r = await api.ok(CREATE, { i: { name: 'v4only', ipv6: 'OFF', ipv6Cidr: 'fd12:3456:789a:2::/64' } });
    const n = r.createProject.project.network;
    expect(n).toMatchObject({ ipv6: 'OFF', ipv6Cidr: 'fd12:3456:789a:2::/64' });
    expect((await payloadAt(r.createProject.revision)).payload.ipv6).toBeNull();
    const model = await buildNetworkModel(api.db.read, n.id);
    expect('ipv6' in model).toBe(false);
    const w = await seedWorldIn(n.id, r.createProject.project.id, 'v4only');
    const c = await runningContainer(w);
    expect((await api.ok(NETWORK, { n: n.id })).network.containers.edges.map((e: { node: unknown }) => e.node)).toEqual([{ ip: '10.240.0.2', ipv6: null }]);
    const owner = `1.web.${w.applicationId}.${n.id}.private-network.internal`;
    expect((await api.ok(RESOLVE, { n: n.id, q: owner, t: 'AAAA' })).resolve).toEqual({ rcode: 'NOERROR', records: [] }); // NODATA
    expect((await api.ok(RESOLVE, { n: n.id, q: owner, t: 'A' })).resolve.records.map((r: { data: string }) => r.data)).toEqual([c.ip]);
    // Another network's /64 (the 'given' network's container) is NXDOMAIN here, like another network's IPv4 PTR.
    expect((await api.ok(RESOLVE, { n: n.id, q: PTR6, t: 'PTR' })).resolve).toEqual({ rcode: 'NXDOMAIN', records: [] });
  });

  it('switches ipv6 live: network.updated carries {cidr, gateway} or null; the same value again appends nothing', async () => {
    const r = await api.ok(CREATE, { i: { name: 'live', ipv6Cidr: 'fd12:3456:789a:3::/64' } });
    const id = r.createProject.project.network.id;
    const off = await api.ok(SWITCH, { i: { networkId: id, ipv6: 'OFF' } });
    expect(off.updateNetwork.network).toEqual({ ipv6: 'OFF', ipv6Cidr: 'fd12:3456:789a:3::/64' });
    expect(await payloadAt(off.updateNetwork.revision)).toEqual({
      kind: 'network.updated',
      payload: { dnsTtl: 5, aliases: [], multicast: 'ON', ipv6: null },
    });
    expect('ipv6' in (await buildNetworkModel(api.db.read, id))).toBe(false);
    expect((await api.ok(SWITCH, { i: { networkId: id, ipv6: 'OFF' } })).updateNetwork.revision).toBeNull();
    const on = await api.ok(SWITCH, { i: { networkId: id, ipv6: 'ON' } });
    expect((await payloadAt(on.updateNetwork.revision)).payload.ipv6).toEqual({ cidr: 'fd12:3456:789a:3::/64', gateway: 'fd12:3456:789a:3::1' });
    expect((await buildNetworkModel(api.db.read, id)).ipv6).toEqual({ cidr: 'fd12:3456:789a:3::/64', gateway: 'fd12:3456:789a:3::1' });
  });

  const bad: [string, Record<string, unknown>, string, string][] = [
    ['not a CIDR', { ipv6Cidr: 'fd12::1' }, 'BAD_USER_INPUT', 'ipv6Cidr'],
    ['a /48', { ipv6Cidr: 'fd12:3456:789a::/48' }, 'BAD_USER_INPUT', 'ipv6Cidr'],
    ['a /64 not aligned', { ipv6Cidr: 'fd12:3456:789a:9::1/64' }, 'BAD_USER_INPUT', 'ipv6Cidr'],
    ['global unicast', { ipv6Cidr: '2001:db8:0:1::/64' }, 'BAD_USER_INPUT', 'ipv6Cidr'],
    ['link-local', { ipv6Cidr: 'fe80::/64' }, 'BAD_USER_INPUT', 'ipv6Cidr'],
    ['inside the derived space', { ipv6Cidr: 'fd77:6674:0:1::/64' }, 'BAD_USER_INPUT', 'ipv6Cidr'],
    ["another network's /64", { ipv6Cidr: 'fd12:3456:789a:1::/64' }, 'CONFLICT', 'ipv6Cidr'],
    ["another network's /64 (OFF) in other spelling", { ipv6Cidr: 'fd12:3456:789a:0002:0::/64' }, 'CONFLICT', 'ipv6Cidr'],
  ];
  it.each(bad)('createProject with %s: %s on %s, nothing changes', async (_what, input, code, field) => {
    const before = await state();
    const r = await api.gql(CREATE, { i: { name: 'refused', ...input } });
    expect(r.errors?.map((e) => [e.extensions?.code, (e.extensions as { field?: string })?.field])).toEqual([[code, field]]);
    expect(await state()).toEqual(before);
  });

  it('an unknown switch value is refused by the schema, nothing changes', async () => {
    const before = await state();
    const r = await api.gql(CREATE, { i: { name: 'refused', ipv6: 'MAYBE' } });
    expect(r.errors?.length).toBe(1);
    expect(await state()).toEqual(before);
  });
});

/** An application and a host for a network created by the test itself. */
async function seedWorldIn(networkId: string, projectId: string, name: string) {
  const a = await api.ok(`mutation($i: CreateApplicationInput!) { createApplication(input: $i) { application { id } } }`, {
    i: { projectId, name: 'api', processTypes: ['web'] },
  });
  const h = await api.ok(`mutation($i: RegisterHostInput!) { registerHost(input: $i) { host { id } } }`, {
    i: { name: `${name}-h1`, endpoint: '192.0.2.1:51820', publicKey: keyOf(name) },
  });
  return { projectId, networkId, applicationId: a.createApplication.application.id as string, hostIds: [h.registerHost.host.id as string] };
}

/** A distinct well-formed WireGuard public key per name. */
function keyOf(name: string): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < name.length; i++) bytes[i] = name.charCodeAt(i);
  bytes[31] = 9;
  return Buffer.from(bytes).toString('base64');
}

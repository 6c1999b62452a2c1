// Incremental DNS updates: the patches diffNetworks computes (literal tables), applyPatch as their
// inverse on random models, and the fast table after a patch byte for byte against a fresh build.
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildZone } from '../../protocol/dns/zone.ts';
import type { ContainerModel, NetworkAliasModel, NetworkIpv6, NetworkModel, ProcessPortModel } from '../../protocol/model.ts';
import { sampleNetworkA, sampleNetworkB } from '../../test/support/sample-networks.ts';
import { buildFastTable, type FastTable, updateFastTable } from './fast-path.ts';
import { applyPatch, diffNetworks, type DnsPatch, DnsPatchError } from './patch.ts';
import { DnsServer } from './server.ts';

const a = sampleNetworkA();
const b = sampleNetworkB();
const withContainers = (n: NetworkModel, containers: ContainerModel[]): NetworkModel => ({ ...n, containers });
const byId = (id: string) => a.containers.find((c) => c.id === id)!;
const web1 = byId('ctr-ap-shop-web-1');
const web3 = byId('ctr-ap-shop-web-3'); // PENDING
const draining = { ...web1, state: 'DRAINING' as const };
const running3 = { ...web3, state: 'RUNNING' as const };
const newWeb = { ...web1, id: 'ctr-ap-shop-web-9', number: 9, ip: '10.240.0.99', hostname: '9.web.ap-shop.pn-aaaa.private-network.internal' };

describe('diffNetworks', () => {
  it.each([
    ['nothing changed', [a, b], [sampleNetworkA(), sampleNetworkB()], null],
    ['the same objects', [a, b], [a, b], null],
    ['the same networks in another order', [a, b], [b, a], null],
    ['only the policy changed (DNS does not read it)', [a, b], [{ ...a, policy: { mode: 'ENFORCE', version: 2, rules: [], tests: [] } }, b], null],
    [
      'a container goes DRAINING',
      [a],
      [
        withContainers(
          a,
          a.containers.map((c) => (c.id === web1.id ? draining : c)),
        ),
      ],
      { put: [], patch: [{ id: 'pn-aaaa', upsert: [draining], remove: [] }], remove: [] },
    ],
    [
      'a PENDING container goes RUNNING, another is added',
      [a, b],
      [withContainers(a, [...a.containers.map((c) => (c.id === web3.id ? running3 : c)), newWeb]), b],
      { put: [], patch: [{ id: 'pn-aaaa', upsert: [running3, newWeb], remove: [] }], remove: [] },
    ],
    [
      'a container is removed',
      [a],
      [
        withContainers(
          a,
          a.containers.filter((c) => c.id !== web1.id),
        ),
      ],
      { put: [], patch: [{ id: 'pn-aaaa', upsert: [], remove: [web1.id] }], remove: [] },
    ],
    ['a network arrives', [a], [a, b], { put: [b], patch: [], remove: [] }],
    ['a network leaves', [a, b], [b], { put: [], patch: [], remove: ['pn-aaaa'] }],
    ['its TTL changes: the network travels whole', [a, b], [a, { ...b, dnsTtl: 60 }], { put: [{ ...b, dnsTtl: 60 }], patch: [], remove: [] }],
    ['a host goes DOWN', [a], [{ ...a, downHosts: ['host-1'] }], { put: [{ ...a, downHosts: ['host-1'] }], patch: [], remove: [] }],
    [
      'an application changes its default type',
      [a],
      [{ ...a, applications: a.applications.map((x) => (x.id === 'ap-shop' ? { ...x, defaultProcessType: 'worker' } : x)) }],
      { put: [{ ...a, applications: a.applications.map((x) => (x.id === 'ap-shop' ? { ...x, defaultProcessType: 'worker' } : x)) }], patch: [], remove: [] },
    ],
  ] satisfies [string, NetworkModel[], NetworkModel[], DnsPatch | null][])('%s', (_title, prev, next, expected) => {
    expect(diffNetworks(prev, next)).toEqual(expected);
  });
});

describe('applyPatch', () => {
  it('refuses, changing nothing, a patch naming a network or container it lacks', () => {
    const held = [a];
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof DnsPatchError ? err.code : String(err);
      }
      return 'applied';
    };
    expect(code(() => applyPatch(held, { put: [], patch: [{ id: 'pn-bbbb', upsert: [], remove: [] }], remove: [] }))).toBe('DNS_PATCH_UNKNOWN_NETWORK');
    expect(code(() => applyPatch(held, { put: [], patch: [], remove: ['pn-bbbb'] }))).toBe('DNS_PATCH_UNKNOWN_NETWORK');
    expect(code(() => applyPatch(held, { put: [], patch: [{ id: 'pn-aaaa', upsert: [], remove: ['ctr-nope'] }], remove: [] }))).toBe(
      'DNS_PATCH_UNKNOWN_CONTAINER',
    );
    expect(held).toEqual([sampleNetworkA()]);
  });

  it('is the inverse of diffNetworks on random models (order aside)', () => {
    fc.assert(
      fc.property(models(), models(), (prev, next) => {
        const patch = diffNetworks(prev, next);
        const got = patch ? applyPatch(prev, patch) : prev;
        expect(canonical(got)).toEqual(canonical(next));
        if (patch) expect(diffNetworks(got, next)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('incremental fast table', () => {
  it('is byte-identical to a table built from scratch for the patched model', () => {
    fc.assert(
      fc.property(models(), models(), (prev, next) => {
        const patch = diffNetworks(prev, next);
        if (!patch) return;
        const patched = applyPatch(prev, patch);
        for (const network of patched) {
          const old = prev.find((n) => n.id === network.id);
          if (!old) continue;
          const zone = buildZone(network);
          const oldZone = buildZone(old);
          expectSameTable(updateFastTable(oldZone, buildFastTable(oldZone), zone), buildFastTable(zone));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('through DnsServer.patchNetworks answers like setNetworks, and re-encodes only what changed', () => {
    const patched = new DnsServer();
    patched.setNetworks([a, b]);
    const views = (s: DnsServer) => (s as unknown as { views: Map<string, { fast: FastTable }> }).views;
    const before = views(patched).get('pn-aaaa')!.fast;
    const untouched = views(patched).get('pn-bbbb');
    const next = [withContainers(a, [...a.containers.map((c) => (c.id === web1.id ? draining : c)), newWeb]), b];
    patched.patchNetworks(diffNetworks([a, b], next)!);
    const fresh = new DnsServer();
    fresh.setNetworks(next);
    for (const id of ['pn-aaaa', 'pn-bbbb']) expectSameTable(views(patched).get(id)!.fast, views(fresh).get(id)!.fast);
    expect(views(patched).get('pn-bbbb')).toBe(untouched); // an untouched network keeps its view
    const after = views(patched).get('pn-aaaa')!.fast;
    const [was, now] = [flat(before), flat(after)];
    const reused = [...now].filter(([k, e]) => was.get(k) === e).length;
    expect(reused).toBeGreaterThan(now.size / 2); // the names nobody touched keep their entries
    expect(patched.model()).toEqual(next);
  });

  it('retimes a live TTL change (updateNetwork) in place: the same bytes as a fresh build, the new TTL in every answer', () => {
    const settings = { ...a, dnsTtl: 17, aliases: [{ name: 'db', applicationId: 'ap-api', processType: null }] };
    const server = new DnsServer();
    server.setNetworks([a, b]);
    const views = (s: DnsServer) => (s as unknown as { views: Map<string, { fast: FastTable }> }).views;
    server.patchNetworks(diffNetworks([a, b], [settings, b])!);
    const fresh = new DnsServer();
    fresh.setNetworks([settings, b]);
    expectSameTable(views(server).get('pn-aaaa')!.fast, views(fresh).get('pn-aaaa')!.fast);
    // what a resolver reads: the new TTL on every record, and on the SOA of a negative answer (TTL and MINIMUM)
    type Rr = { ttl: number; type: string; data: unknown };
    const ask = (name: string, type: 'A' | 'AAAA') => {
      const m = dnsPacket.decode(server.handle('pn-aaaa', dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type }] }), 'udp') as Buffer);
      return { answers: (m.answers ?? []) as Rr[], authorities: (m.authorities ?? []) as Rr[] };
    };
    const positive = ask('web.ap-shop.pn-aaaa.private-network.internal', 'A');
    expect(positive.answers.map((r) => `${r.ttl} ${r.type} ${r.data}`)).toEqual(['17 A 10.240.0.4', '17 A 10.240.0.5']);
    const alias = ask('db.pn-aaaa.private-network.internal', 'A');
    expect(alias.answers.map((r) => `${r.ttl} ${r.type} ${r.data}`)).toEqual(['17 A 10.240.0.9']);
    const nodata = ask('web.ap-shop.pn-aaaa.private-network.internal', 'AAAA');
    expect(nodata.authorities.map((r) => `${r.ttl} ${r.type} ${(r.data as { minimum: number }).minimum}`)).toEqual(['17 SOA 17']);
  });
});

/** Every entry of `table`, keyed `<name>/<qtype>`. */
function flat(table: FastTable): Map<string, FastTable extends ReadonlyMap<number, ReadonlyMap<string, infer E>> ? E : never> {
  return new Map([...table].flatMap(([qtype, names]) => [...names].map(([name, e]) => [`${name}/${qtype}`, e] as const)));
}

function expectSameTable(gotTable: FastTable, wantTable: FastTable): void {
  const [got, want] = [flat(gotTable), flat(wantTable)];
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, entry] of want) {
    const other = got.get(key)!;
    expect(other.rcode, key).toBe(entry.rcode);
    expect(other.plain.equals(entry.plain) && other.edns.equals(entry.edns), key).toBe(true);
  }
}

/** Networks sorted by id, containers by id: what "the same model" means to DNS. */
function canonical(networks: NetworkModel[]): NetworkModel[] {
  return [...networks].sort((x, y) => x.id.localeCompare(y.id)).map((n) => ({ ...n, containers: [...n.containers].sort((x, y) => x.id.localeCompare(y.id)) }));
}

/** Random models over a small id space, so two draws share networks and containers. */
function models(): fc.Arbitrary<NetworkModel[]> {
  const container = (net: string) =>
    fc
      .record({
        n: fc.integer({ min: 1, max: 6 }),
        app: fc.constantFrom('ap-shop', 'ap-api'),
        type: fc.constantFrom('web', 'worker'),
        state: fc.constantFrom('RUNNING', 'RUNNING', 'PENDING', 'DRAINING' as const),
        host: fc.constantFrom('host-1', 'host-2'),
      })
      .map(({ n, app, type, state, host }): ContainerModel => {
        const ip = `10.240.0.${n * 10 + (type === 'web' ? 1 : 2) + (app === 'ap-api' ? 100 : 0)}`;
        return {
          id: `ctr-${app}-${type}-${n}`,
          applicationId: app,
          processType: type,
          number: n,
          hostId: host,
          hostMeshIp: host === 'host-1' ? '100.64.0.1' : '100.64.0.2',
          ip,
          mac: '02:00:0a:f0:00:01',
          state: state as ContainerModel['state'],
          hostname: `${n}.${type}.${app}.${net}.private-network.internal`,
        };
      });
  const network = (id: string, vni: number) =>
    fc
      .record({
        containers: fc.uniqueArray(container(id), { selector: (c) => c.id, maxLength: 8 }),
        dnsTtl: fc.constantFrom(0, 5, 30, 86400),
        apiDefault: fc.constantFrom('web', 'worker'),
        down: fc.constantFrom<string[]>([], ['host-2']),
        // SRV (with its additional A records) and aliases: every record type a TTL change retimes
        ports: fc.constantFrom<ProcessPortModel[]>([], [{ applicationId: 'ap-shop', processType: 'web', name: 'http', port: 8080, protocol: 'TCP' }]),
        ipv6: fc.constantFrom<NetworkIpv6 | null>(null, { cidr: `fd77:6674:0:${vni.toString(16)}::/64`, gateway: `fd77:6674:0:${vni.toString(16)}::1` }), // AAAA too
        aliases: fc.constantFrom<NetworkAliasModel[]>(
          [],
          [{ name: 'db', applicationId: 'ap-api', processType: null }],
          [{ name: 'db', applicationId: 'ap-shop', processType: 'worker' }],
        ),
      })
      .map(
        ({ containers, dnsTtl, apiDefault, down, ports, aliases, ipv6 }): NetworkModel => ({
          id,
          projectId: 'prj-1',
          vni,
          cidr: '10.240.0.0/22',
          gateway: '10.240.0.1',
          dnsTtl,
          applications: [
            { id: 'ap-shop', name: 'shop', defaultProcessType: 'web' },
            { id: 'ap-api', name: 'api', defaultProcessType: apiDefault },
          ],
          containers,
          downHosts: down,
          ports,
          aliases,
          ...(ipv6 ? { ipv6 } : {}),
        }),
      );
  return fc
    .tuple(fc.option(network('pn-aaaa', 100)), fc.option(network('pn-bbbb', 200)), fc.option(network('pn-cccc', 300)))
    .map((ns) => ns.filter((n): n is NetworkModel => n !== null));
}

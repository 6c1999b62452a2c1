import { describe, expect, it } from 'vitest';
import type { DesiredTable } from '../desired/types';
import { toCommands } from './argv';
import { isDelete, type Op } from './ops';
import { OP_PHASES, phaseOf, PHASES, rankOf } from './phases';

const table: DesiredTable = { family: 'inet', name: 't', hash: 'h', text: 'table inet t {\n}', chains: {}, sets: {} };
const local = {
  containerId: 'ctr-1',
  veth: 'pnc-1',
  alias: 'pn:vni=1:pn=x:ctr=ctr-1',
  ip: '10.0.0.2',
  prefixLen: 24,
  mac: '02:00:0a:00:00:02',
  netnsPath: '/proc/1/ns/net',
  containerIf: 'eth1',
};
const peer = { publicKey: 'K', endpoint: '192.0.2.2:51820', allowedIps: ['100.64.0.2/32'], keepalive: 25 };
const at = { ns: 'pn-1', vni: 1 };

/** At least one op of every kind, and every variant whose phase differs. Typed: a new kind without a sample does not compile. */
const SAMPLES: { [K in Op['kind']]: Extract<Op, { kind: K }>[] } = {
  'netns.add': [{ kind: 'netns.add', ...at }],
  'netns.del': [{ kind: 'netns.del', ...at }],
  'sandbox.ipv6': [
    { kind: 'sandbox.ipv6', ...at, on: true },
    { kind: 'sandbox.ipv6', ns: 'pn-2', vni: 2, on: false }, // another sandbox: one pass never turns one both ways
  ],
  'wg.create': [{ kind: 'wg.create', ifname: 'pnwg0' }],
  'wg.link': [{ kind: 'wg.link', ifname: 'pnwg0', mtu: 1420, address: '100.64.0.1/16', addrsToDel: [] }],
  'wg.device': [{ kind: 'wg.device', ifname: 'pnwg0', listenPort: 51820, privateKeyPath: 'k' }],
  'wg.peers': [
    { kind: 'wg.peers', ifname: 'pnwg0', set: [peer], remove: [] },
    { kind: 'wg.peers', ifname: 'pnwg0', set: [], remove: ['K0'] },
  ],
  'bridge.add': [{ kind: 'bridge.add', ...at, name: 'pnb-1', mac: '06:00:00:00:00:01', mtu: 1370, alias: 'pn:vni=1:pn=x' }],
  'vxlan.add': [{ kind: 'vxlan.add', ...at, name: 'pnv-1', id: 1, local: '100.64.0.1', port: 4789, mtu: 1370, alias: 'pn:vni=1:pn=x', bridge: 'pnb-1' }],
  'veth.add': [
    { kind: 'veth.add', ...at, local, mtu: 1370, bridge: 'pnb-1' },
    { kind: 'veth.add', ...at, local: { ...local, ip6: 'fd77:6674:0:1::3' }, mtu: 1370, bridge: 'pnb-1' },
  ],
  'ctr.ipv6': [{ kind: 'ctr.ipv6', ...at, local: { ...local, ip6: 'fd77:6674:0:1::3' }, on: true }],
  'link.set': [{ kind: 'link.set', ...at, name: 'pnb-1', mtu: 1370 }],
  'link.del': [
    { kind: 'link.del', ...at, name: 'pnb-1', why: 'incompatible' },
    { kind: 'link.del', ...at, name: 'pnc-9', why: 'not desired' },
  ],
  'addr.add': [{ kind: 'addr.add', ...at, dev: 'pnb-1', cidr: '10.0.0.1/24' }],
  'addr.del': [{ kind: 'addr.del', ...at, dev: 'pnb-1', cidr: '10.9.0.1/24' }],
  'fdb.add': [{ kind: 'fdb.add', ...at, dev: 'pnv-1', mac: '02:00:0a:00:00:03', dst: '100.64.0.2' }],
  'fdb.del': [{ kind: 'fdb.del', ...at, dev: 'pnv-1', mac: '02:00:0a:00:00:04', self: true, dst: '100.64.0.2' }],
  'neigh.add': [{ kind: 'neigh.add', ...at, dev: 'pnv-1', ip: '10.0.0.3', mac: '02:00:0a:00:00:03' }],
  'neigh.del': [{ kind: 'neigh.del', ...at, dev: 'pnv-1', ip: '10.0.0.4' }],
  'nft.replace': [{ kind: 'nft.replace', ...at, table }],
  'nft.sets': [{ kind: 'nft.sets', ...at, family: 'bridge', name: 'pn_policy', sets: { iso: ['10.0.0.3'], r0_src: [] } }],
  'nft.patch': [{ kind: 'nft.patch', ...at, family: 'bridge', name: 'pn_policy', script: 'flush chain bridge pn_policy verdict' }],
  'nft.del': [{ kind: 'nft.del', ...at, family: 'inet', name: 'old' }],
};
const samples: Op[] = Object.values(SAMPLES).flat();
const names: string[] = PHASES.map((p) => p.name);
const program = { ip: 'ip', bridge: 'bridge', nft: 'nft', wg: 'wg', sysctl: 'sysctl', ctr: 'nsenter', 'ctr.sysctl': 'nsenter' } as const;

describe('the phase table', () => {
  it('gives every Op kind a phase, and only known phases', () => {
    expect(Object.keys(OP_PHASES).sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const op of samples) expect(names, op.kind).toContain(phaseOf(op));
  });

  it("renders an op's lines with its phase's tool", () => {
    for (const op of samples) {
      const tool = PHASES[rankOf(phaseOf(op))].tool;
      const programs = toCommands([op]).map((c) => c.argv.find((a) => a !== 'ip' && Object.values<string>(program).includes(a)) ?? 'ip');
      expect(programs, op.kind).toContain(program[tool]);
    }
  });

  it('puts every addition before every removal, except a link deleted to be re-created', () => {
    const adds = samples.filter((op) => !isDelete(op)).map((op) => rankOf(phaseOf(op)));
    const dels = samples.filter((op) => isDelete(op) && phaseOf(op) !== 'link.recreate').map((op) => rankOf(phaseOf(op)));
    expect(Math.min(...dels)).toBeGreaterThan(Math.max(...adds));
    expect(rankOf('link.recreate')).toBeLessThan(rankOf('host.links')); // before its new self
  });

  it('phases that share a process are neighbours with one tool', () => {
    const batchOf = (i: number) => ('batch' in PHASES[i] ? PHASES[i].batch : PHASES[i].name);
    PHASES.forEach((p, i) => {
      const first = PHASES.findIndex((_, j) => batchOf(j) === batchOf(i));
      for (let j = first; j <= i; j++) {
        expect(batchOf(j), `${p.name} is separated from its batch`).toBe(batchOf(i));
        expect(PHASES[j].tool).toBe(p.tool);
      }
    });
  });

  it('runs the commands of all op kinds in table order, whatever order the ops come in', () => {
    const forward = toCommands(samples).map((c) => c.argv.join(' '));
    const backward = toCommands([...samples].reverse()).map((c) => c.argv.join(' '));
    expect(backward).toEqual(forward);
    expect(forward[0]).toBe('ip -force -batch -'); // netns add
    expect(forward.at(-1)).toBe('ip -force -batch -'); // netns del
  });
});

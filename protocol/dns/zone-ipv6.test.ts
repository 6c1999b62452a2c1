// Dual-stack zones (issue 21): AAAA beside every A, ip6.arpa PTR inside the network's /64, NXDOMAIN
// for another network's /64, NODATA for AAAA when the network has no IPv6. Answers are written as
// zone-file text (owner TTL IN TYPE data), negative ones as `NXDOMAIN|NODATA <SOA owner>`.
import { describe, expect, it } from 'vitest';
import type { ContainerModel, NetworkModel } from '../model.ts';
import { answer } from './answer.ts';
import { formatRdata } from './records.ts';
import { buildZone, ZONE_APEX as Z } from './zone.ts';

const P = 'a.2.0.0.0.0.0.0.4.7.6.6.7.7.d.f.ip6.arpa'; // the reverse zone of fd77:6674:0:2a::/64
const ctr = (id: string, app: string, type: string, number: number, ip: string, state: ContainerModel['state'] = 'RUNNING'): ContainerModel => ({
  id,
  applicationId: app,
  processType: type,
  number,
  hostId: 'host-1',
  hostMeshIp: '100.64.0.1',
  ip,
  mac: '02:00:00:00:00:00',
  state,
  hostname: '',
});
const dualStack: NetworkModel = {
  id: 'pn-1',
  projectId: 'prj-1',
  vni: 42,
  cidr: '10.240.0.0/22',
  gateway: '10.240.0.1',
  dnsTtl: 5,
  ipv6: { cidr: 'fd77:6674:0:2a::/64', gateway: 'fd77:6674:0:2a::1' },
  downHosts: [],
  applications: [
    { id: 'ap-a', name: 'a', defaultProcessType: 'web' },
    { id: 'ap-b', name: 'b', defaultProcessType: 'backend' },
  ],
  containers: [
    ctr('c1', 'ap-a', 'web', 1, '10.240.0.2'),
    ctr('c2', 'ap-a', 'web', 2, '10.240.0.10'),
    ctr('c3', 'ap-a', 'web', 3, '10.240.0.3', 'DRAINING'),
    ctr('c4', 'ap-b', 'backend', 1, '10.240.1.5'),
  ],
  ports: [{ applicationId: 'ap-a', processType: 'web', name: 'http', port: 8080, protocol: 'TCP' }],
  aliases: [{ name: 'db', applicationId: 'ap-b', processType: null }],
};
const { ipv6: _off, ...v4Only } = dualStack;

function render(network: NetworkModel, name: string, type: string): string[] {
  const zone = buildZone(network);
  const found = answer({ name, type }, zone);
  switch (found.kind) {
    case 'outside':
      return ['OUTSIDE'];
    case 'soa':
      return ['SOA'];
    case 'nxdomain':
      return [`NXDOMAIN ${found.apex}`];
    case 'records':
      if (!found.records.length) return [`NODATA ${found.apex}`];
      return found.records.map((r) => `${name.replace(/\.$/, '')}. ${zone.ttl} IN ${r.type} ${formatRdata(r)}`);
  }
}

const n = (prefix: string) => `${prefix}.pn-1.${Z}`;
const dualStackTable: [string, string, string[]][] = [
  [n('1.web.ap-a'), 'AAAA', [`${n('1.web.ap-a')}. 5 IN AAAA fd77:6674:0:2a::2`]],
  [n('1.web.ap-a'), 'A', [`${n('1.web.ap-a')}. 5 IN A 10.240.0.2`]],
  [n('ap-a'), 'AAAA', [`${n('ap-a')}. 5 IN AAAA fd77:6674:0:2a::2`, `${n('ap-a')}. 5 IN AAAA fd77:6674:0:2a::a`]],
  [
    n('web.ap-a'),
    'ANY',
    [
      `${n('web.ap-a')}. 5 IN A 10.240.0.2`,
      `${n('web.ap-a')}. 5 IN AAAA fd77:6674:0:2a::2`,
      `${n('web.ap-a')}. 5 IN A 10.240.0.10`,
      `${n('web.ap-a')}. 5 IN AAAA fd77:6674:0:2a::a`,
    ],
  ],
  [n('3.web.ap-a'), 'AAAA', [`NXDOMAIN ${Z}`]], // DRAINING: out of DNS in both families
  [n('ap-b'), 'AAAA', [`${n('ap-b')}. 5 IN AAAA fd77:6674:0:2a::105`]], // offset 0x105 of the /22 and of the /64
  [n('db'), 'AAAA', [`${n('db')}. 5 IN AAAA fd77:6674:0:2a::105`]], // an alias carries both families
  [n('db'), 'A', [`${n('db')}. 5 IN A 10.240.1.5`]],
  [
    n('_http._tcp.web.ap-a'),
    'SRV',
    [`${n('_http._tcp.web.ap-a')}. 5 IN SRV 0 0 8080 ${n('1.web.ap-a')}.`, `${n('_http._tcp.web.ap-a')}. 5 IN SRV 0 0 8080 ${n('2.web.ap-a')}.`],
  ],
  [`2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'PTR', [`2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}. 5 IN PTR ${n('1.web.ap-a')}.`]],
  [`5.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'PTR', [`5.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}. 5 IN PTR ${n('1.backend.ap-b')}.`]],
  [`5.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.${P.toUpperCase()}.`, 'PTR', [`5.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.${P.toUpperCase()}. 5 IN PTR ${n('1.backend.ap-b')}.`]],
  [`3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'PTR', [`NXDOMAIN ${P}`]], // the DRAINING container's address, nobody's now
  [`0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'PTR', [`NODATA ${P}`]], // inside the /64: an empty non-terminal
  [P, 'SOA', ['SOA']],
  [P, 'PTR', [`NODATA ${P}`]],
  [`2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.2.0.0.0.0.0.0.4.7.6.6.7.7.d.f.ip6.arpa`, 'PTR', ['NXDOMAIN d.f.ip6.arpa']], // another network's /64
  ['d.f.ip6.arpa', 'PTR', ['NODATA d.f.ip6.arpa']], // above the /64, like 10.in-addr.arpa
  ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.f.ip6.arpa', 'PTR', ['NXDOMAIN c.f.ip6.arpa']],
  ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR', ['OUTSIDE']], // global space: forwarded
  ['f.ip6.arpa', 'PTR', ['OUTSIDE']],
  [`x.${P}`, 'PTR', ['OUTSIDE']],
  ['2.0.240.10.in-addr.arpa', 'PTR', [`2.0.240.10.in-addr.arpa. 5 IN PTR ${n('1.web.ap-a')}.`]], // IPv4 PTR unchanged
];

const v4OnlyTable: [string, string, string[]][] = [
  [n('1.web.ap-a'), 'AAAA', [`NODATA ${Z}`]],
  [n('1.web.ap-a'), 'A', [`${n('1.web.ap-a')}. 5 IN A 10.240.0.2`]],
  [n('db'), 'AAAA', [`NODATA ${Z}`]],
  [n('web.ap-a'), 'ANY', [`${n('web.ap-a')}. 5 IN A 10.240.0.2`, `${n('web.ap-a')}. 5 IN A 10.240.0.10`]],
  [`2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'PTR', ['NXDOMAIN d.f.ip6.arpa']], // its /64 is not served while OFF
  ['d.f.ip6.arpa', 'PTR', ['NXDOMAIN d.f.ip6.arpa']],
];

describe('dual-stack zone', () => {
  it.each(dualStackTable)('ipv6 ON: %s %s', (name, type, expected) => expect(render(dualStack, name, type)).toEqual(expected));
  it.each(v4OnlyTable)('ipv6 OFF: %s %s', (name, type, expected) => expect(render(v4Only, name, type)).toEqual(expected));

  it('holds one ip6.arpa PTR per RUNNING container, beside the in-addr.arpa one', () => {
    const reverse = [...buildZone(dualStack).names.keys()].filter((k) => k.endsWith('.arpa')).sort();
    expect(reverse).toEqual(
      [
        '10.0.240.10.in-addr.arpa',
        '2.0.240.10.in-addr.arpa',
        '5.1.240.10.in-addr.arpa',
        `2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`,
        `5.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`,
        `a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`,
      ].sort(),
    );
  });
});

// Service discovery (issue 19) as zone tables in zone-file text: SRV with its additional A records,
// TXT enumeration, PTR inside and outside the network's CIDR, aliases, and their negative answers;
// then the same questions as packets through respond() (fast and slow path) and back through dns-packet.
import dnsPacket, { type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { buildZone } from '../../protocol/dns/zone.ts';
import type { NetworkModel } from '../../protocol/model.ts';
import { sampleNetworkA, wideNetwork } from '../../test/support/sample-networks.ts';
import { answer, RCODE } from './answer.ts';
import { buildFastTable } from './fast-path.ts';
import { respond } from './respond.ts';
import { respondSlow } from './slow-path.ts';
import { formatSection, zoneLines } from './zone-text.ts';

const A = 'pn-aaaa.private-network.internal';
const SOA = (owner: string) => `${owner}. 5 IN SOA ns.private-network.internal. hostmaster.private-network.internal. 1 3600 600 86400 5`;

function discoveryNetwork(): NetworkModel {
  return {
    ...sampleNetworkA(),
    ports: [
      { applicationId: 'ap-shop', processType: 'web', name: 'http', port: 8080, protocol: 'TCP' },
      { applicationId: 'ap-shop', processType: 'web', name: 'metrics', port: 9100, protocol: 'TCP' },
      { applicationId: 'ap-shop', processType: 'worker', name: 'stats', port: 8125, protocol: 'UDP' },
      { applicationId: 'ap-idle', processType: 'web', name: 'http', port: 80, protocol: 'TCP' },
    ],
    aliases: [
      { name: 'db', applicationId: 'ap-api', processType: null },
      { name: 'jobs', applicationId: 'ap-shop', processType: 'worker' },
      { name: 'ap-shop', applicationId: 'ap-api', processType: null }, // never shadows the app (the API refuses it too)
    ],
  };
}
const zone = buildZone(discoveryNetwork());

interface Case {
  qname: string;
  qtype: RecordType;
  rcode: number;
  answer?: string;
  ns?: string;
  additional?: string;
}

const cases: Case[] = [
  // SRV: one per RUNNING container, target its numbered name, whose A records come along.
  {
    qname: `_http._tcp.web.ap-shop.${A}`,
    qtype: 'SRV',
    rcode: RCODE.NOERROR,
    answer: `_http._tcp.web.ap-shop.${A}. 5 IN SRV 0 0 8080 1.web.ap-shop.${A}.
             _http._tcp.web.ap-shop.${A}. 5 IN SRV 0 0 8080 2.web.ap-shop.${A}.`,
    additional: `1.web.ap-shop.${A}. 5 IN A 10.240.0.4
                 2.web.ap-shop.${A}. 5 IN A 10.240.0.5`,
  },
  {
    qname: `_stats._udp.worker.ap-shop.${A}`,
    qtype: 'SRV',
    rcode: RCODE.NOERROR,
    answer: `_stats._udp.worker.ap-shop.${A}. 5 IN SRV 0 0 8125 1.worker.ap-shop.${A}.`,
    additional: `1.worker.ap-shop.${A}. 5 IN A 10.240.0.6`,
  },
  // A declared port of a type with nothing RUNNING: the name exists, NODATA.
  { qname: `_http._tcp.web.ap-idle.${A}`, qtype: 'SRV', rcode: RCODE.NOERROR, ns: SOA('private-network.internal') },
  { qname: `_tcp.web.ap-shop.${A}`, qtype: 'SRV', rcode: RCODE.NOERROR, ns: SOA('private-network.internal') }, // empty non-terminal
  { qname: `_http._tcp.web.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NOERROR, ns: SOA('private-network.internal') },
  // Undeclared port, wrong protocol: NXDOMAIN.
  { qname: `_grpc._tcp.web.ap-shop.${A}`, qtype: 'SRV', rcode: RCODE.NXDOMAIN, ns: SOA('private-network.internal') },
  { qname: `_http._udp.web.ap-shop.${A}`, qtype: 'SRV', rcode: RCODE.NXDOMAIN, ns: SOA('private-network.internal') },
  // TXT enumeration.
  {
    qname: `_instances.ap-shop.${A}`,
    qtype: 'TXT',
    rcode: RCODE.NOERROR,
    answer: `_instances.ap-shop.${A}. 5 IN TXT "type=web n=1 ip=10.240.0.4 host=host-1"
             _instances.ap-shop.${A}. 5 IN TXT "type=web n=2 ip=10.240.0.5 host=host-1"
             _instances.ap-shop.${A}. 5 IN TXT "type=worker n=1 ip=10.240.0.6 host=host-1"`,
  },
  { qname: `_instances.ap-idle.${A}`, qtype: 'TXT', rcode: RCODE.NOERROR, ns: SOA('private-network.internal') },
  { qname: `_instances.ap-nope.${A}`, qtype: 'TXT', rcode: RCODE.NXDOMAIN, ns: SOA('private-network.internal') },
  {
    qname: `_apps.${A}`,
    qtype: 'TXT',
    rcode: RCODE.NOERROR,
    answer: `_apps.${A}. 5 IN TXT "id=ap-shop default=web"
             _apps.${A}. 5 IN TXT "id=ap-api default=backend"
             _apps.${A}. 5 IN TXT "id=ap-idle default=web"`,
  },
  // PTR inside the network's CIDR; the negative answers carry the reverse zone's SOA.
  { qname: '4.0.240.10.in-addr.arpa', qtype: 'PTR', rcode: RCODE.NOERROR, answer: `4.0.240.10.in-addr.arpa. 5 IN PTR 1.web.ap-shop.${A}.` },
  { qname: '9.0.240.10.in-addr.arpa', qtype: 'PTR', rcode: RCODE.NOERROR, answer: `9.0.240.10.in-addr.arpa. 5 IN PTR 1.backend.ap-api.${A}.` },
  { qname: '7.0.240.10.in-addr.arpa', qtype: 'PTR', rcode: RCODE.NXDOMAIN, ns: SOA('240.10.in-addr.arpa') }, // DRAINING
  { qname: '4.0.240.10.in-addr.arpa', qtype: 'A', rcode: RCODE.NOERROR, ns: SOA('240.10.in-addr.arpa') },
  { qname: '4.0.241.10.in-addr.arpa', qtype: 'PTR', rcode: RCODE.NXDOMAIN, ns: SOA('10.in-addr.arpa') }, // another network's space
  // Aliases: the target's A records; an alias on an app id never shadows the app.
  { qname: `db.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `db.${A}. 5 IN A 10.240.0.9` },
  { qname: `jobs.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `jobs.${A}. 5 IN A 10.240.0.6` },
  { qname: `db.${A}`, qtype: 'AAAA', rcode: RCODE.NOERROR, ns: SOA('private-network.internal') },
  { qname: `ap-shop.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `ap-shop.${A}. 5 IN A 10.240.0.4\nap-shop.${A}. 5 IN A 10.240.0.5` },
  { qname: `cache.${A}`, qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA('private-network.internal') },
];

function query(qname: string, qtype: RecordType, edns?: number): Buffer {
  const additionals = edns
    ? [{ name: '.', type: 'OPT' as const, udpPayloadSize: edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
    : [];
  return dnsPacket.encode({ type: 'query', id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: qname, type: qtype, class: 'IN' }], additionals });
}

describe('service discovery zone tables (issue 19)', () => {
  it.each(cases)('$qname $qtype', (c) => {
    const d = answer(dnsPacket.decode(query(c.qname, c.qtype)), zone);
    if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
    expect((d.response.flags ?? 0) & 0xf).toBe(c.rcode);
    expect(formatSection(d.response.answers)).toEqual(zoneLines(c.answer ?? ''));
    expect(formatSection(d.response.authorities)).toEqual(zoneLines(c.ns ?? ''));
    expect(formatSection(d.response.additionals)).toEqual(zoneLines(c.additional ?? ''));
  });

  it.each(cases)('packet round-trip, fast and slow path agree: $qname $qtype', (c) => {
    const fast = respond(query(c.qname, c.qtype), zone, buildFastTable(zone), 'udp');
    const slow = respondSlow(query(c.qname, c.qtype), zone, 'udp');
    if (fast.kind !== 'reply' || slow.kind !== 'reply') throw new Error('expected replies');
    expect(fast.bytes).toEqual(slow.bytes);
    const decoded = dnsPacket.decode(fast.bytes);
    expect((decoded as { rcode?: string }).rcode).toBe(Object.keys(RCODE).find((k) => RCODE[k as keyof typeof RCODE] === c.rcode));
    expect(formatSection(decoded.answers)).toEqual(zoneLines(c.answer ?? ''));
    expect(formatSection(decoded.authorities)).toEqual(zoneLines(c.ns ?? ''));
    expect(formatSection(decoded.additionals)).toEqual(zoneLines(c.additional ?? ''));
  });

  it('reverse names outside Weft CIDRs are forwarded', () => {
    expect(answer(dnsPacket.decode(query('8.8.8.8.in-addr.arpa', 'PTR')), zone).kind).toBe('forward');
    expect(answer(dnsPacket.decode(query('1.0.32.172.in-addr.arpa', 'PTR')), zone).kind).toBe('forward');
  });

  it('a large TXT enumeration is truncated over UDP and complete over TCP', () => {
    const wide = buildZone(wideNetwork('pn-wide', 9, 40));
    const q = query('_instances.ap-wide.pn-wide.private-network.internal', 'TXT');
    const udp = respond(q, wide, buildFastTable(wide), 'udp');
    const tcp = respond(q, wide, buildFastTable(wide), 'tcp');
    if (udp.kind !== 'reply' || tcp.kind !== 'reply') throw new Error('expected replies');
    expect(udp.bytes.length).toBeLessThanOrEqual(512);
    expect(dnsPacket.decode(udp.bytes).flag_tc).toBe(true);
    expect(dnsPacket.decode(udp.bytes).answers).toEqual([]);
    const full = dnsPacket.decode(tcp.bytes);
    expect(full.flag_tc).toBe(false);
    expect(full.answers).toHaveLength(40);
    expect(full.answers?.[39]).toMatchObject({ type: 'TXT', data: [Buffer.from('type=web n=40 ip=10.241.0.41 host=host-1')] });
  });

  it('an SRV answer that fits without its additional records drops them instead of truncating', () => {
    const n = wideNetwork('pn-wide', 9, 6);
    n.ports = [{ applicationId: 'ap-wide', processType: 'web', name: 'http', port: 80, protocol: 'TCP' }];
    const wide = buildZone(n);
    const q = query('_http._tcp.web.ap-wide.pn-wide.private-network.internal', 'SRV');
    const udp = respond(q, wide, buildFastTable(wide), 'udp');
    const tcp = respond(q, wide, buildFastTable(wide), 'tcp');
    if (udp.kind !== 'reply' || tcp.kind !== 'reply') throw new Error('expected replies');
    const lean = dnsPacket.decode(udp.bytes);
    expect([lean.flag_tc, lean.answers?.length, lean.additionals?.length]).toEqual([false, 6, 0]);
    const full = dnsPacket.decode(tcp.bytes);
    expect([full.answers?.length, full.additionals?.length]).toEqual([6, 6]);
  });
});

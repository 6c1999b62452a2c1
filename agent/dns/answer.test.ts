// Zone tables in zone-file text (CoreDNS test.Case style): question in, sections out.
import dnsPacket, { type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { buildZone } from '../../protocol/dns/zone.ts';
import { sampleNetworkA, sampleNetworkB } from '../../test/support/sample-networks.ts';
import { answer, RCODE } from './answer.ts';
import { formatSection, zoneLines } from './zone-text.ts';

const zoneA = buildZone(sampleNetworkA());
const SOA_A = 'private-network.internal. 5 IN SOA ns.private-network.internal. hostmaster.private-network.internal. 1 3600 600 86400 5';
const A = 'pn-aaaa.private-network.internal';

interface Case {
  qname: string;
  qtype: RecordType | 'ANY';
  rcode: number;
  answer?: string;
  ns?: string;
}

function ask(qname: string, qtype: string, opts: { edns?: number; version?: number; opcode?: number } = {}) {
  const additionals =
    opts.edns === undefined
      ? []
      : [
          {
            name: '.',
            type: 'OPT' as const,
            udpPayloadSize: opts.edns,
            extendedRcode: 0,
            ednsVersion: opts.version ?? 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ];
  const wire = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED | ((opts.opcode ?? 0) << 11),
    questions: [{ name: qname, type: qtype as RecordType, class: 'IN' }],
    additionals,
  });
  return answer(dnsPacket.decode(wire), zoneA);
}

const cases: Case[] = [
  { qname: `1.web.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `1.web.ap-shop.${A}. 5 IN A 10.240.0.4` },
  { qname: `web.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `web.ap-shop.${A}. 5 IN A 10.240.0.4\nweb.ap-shop.${A}. 5 IN A 10.240.0.5` },
  // <app>.<pn> → the default process type's RUNNING containers.
  { qname: `ap-shop.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `ap-shop.${A}. 5 IN A 10.240.0.4\nap-shop.${A}. 5 IN A 10.240.0.5` },
  { qname: `ap-api.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `ap-api.${A}. 5 IN A 10.240.0.9` },
  { qname: `worker.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NOERROR, answer: `worker.ap-shop.${A}. 5 IN A 10.240.0.6` },
  // Case-insensitive match, case echoed in the owner name.
  {
    qname: `1.WEB.Ap-Shop.PN-AAAA.Private-Network.Internal`,
    qtype: 'A',
    rcode: RCODE.NOERROR,
    answer: `1.WEB.Ap-Shop.PN-AAAA.Private-Network.Internal. 5 IN A 10.240.0.4`,
  },
  // DRAINING and PENDING containers are not in DNS: their numbered names do not exist.
  { qname: `2.worker.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  { qname: `3.web.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  // Known names without records of the type: NODATA with the SOA.
  { qname: `1.web.ap-shop.${A}`, qtype: 'AAAA', rcode: RCODE.NOERROR, ns: SOA_A },
  { qname: `1.web.ap-shop.${A}`, qtype: 'TXT', rcode: RCODE.NOERROR, ns: SOA_A },
  { qname: `ap-idle.${A}`, qtype: 'A', rcode: RCODE.NOERROR, ns: SOA_A },
  { qname: `web.ap-idle.${A}`, qtype: 'A', rcode: RCODE.NOERROR, ns: SOA_A },
  // Empty non-terminals (RFC 8020): the network node and the apex exist.
  { qname: A, qtype: 'A', rcode: RCODE.NOERROR, ns: SOA_A },
  { qname: 'private-network.internal', qtype: 'A', rcode: RCODE.NOERROR, ns: SOA_A },
  { qname: 'private-network.internal', qtype: 'SOA', rcode: RCODE.NOERROR, answer: SOA_A },
  // Unknown names under the zone.
  { qname: `nope.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  { qname: `ap-nope.${A}`, qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  { qname: `x.1.web.ap-shop.${A}`, qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  // Another network's names: exactly like names that never existed.
  { qname: 'web.ap-other.pn-bbbb.private-network.internal', qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  { qname: 'pn-bbbb.private-network.internal', qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
  { qname: 'pn-never.private-network.internal', qtype: 'A', rcode: RCODE.NXDOMAIN, ns: SOA_A },
];

describe('answer() zone tables', () => {
  it.each(cases)('$qname $qtype', (c) => {
    const d = ask(c.qname, c.qtype);
    if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
    const r = d.response;
    expect((r.flags ?? 0) & 0xf).toBe(c.rcode);
    expect(formatSection(r.answers)).toEqual(zoneLines(c.answer ?? ''));
    expect(formatSection(r.authorities)).toEqual(zoneLines(c.ns ?? ''));
    expect(r.id).toBe(4242);
    expect((r.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER).toBeTruthy();
    expect((r.flags ?? 0) & dnsPacket.RECURSION_DESIRED).toBeTruthy();
    expect(r.questions).toEqual([{ name: c.qname, type: c.qtype, class: 'IN' }]);
  });

  it('answers another network from its own zone: same name, other view', () => {
    const zoneB = buildZone(sampleNetworkB());
    const wire = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'web.ap-other.pn-bbbb.private-network.internal', type: 'A' }] });
    const d = answer(dnsPacket.decode(wire), zoneB);
    expect(d.kind === 'reply' && formatSection(d.response.answers)).toEqual(['web.ap-other.pn-bbbb.private-network.internal. 30 IN A 10.240.0.4']);
  });

  it('forwards names outside the zone and drops responses', () => {
    expect(ask('example.com', 'A').kind).toBe('forward');
    expect(ask('internal', 'A').kind).toBe('forward');
    expect(ask('xprivate-network.internal', 'A').kind).toBe('forward');
    const resp = dnsPacket.decode(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: A, type: 'A' }] }));
    expect(answer(resp, zoneA).kind).toBe('drop');
  });

  it('echoes EDNS with our 1232-byte size, and BADVERS for version > 0', () => {
    const d = ask(`web.ap-shop.${A}`, 'A', { edns: 4096 });
    const opt = d.kind === 'reply' ? d.response.additionals?.[0] : undefined;
    expect(opt).toMatchObject({ type: 'OPT', udpPayloadSize: 1232, ednsVersion: 0 });
    const bad = ask(`web.ap-shop.${A}`, 'A', { edns: 1232, version: 1 });
    expect(bad.kind === 'reply' && bad.response.additionals?.[0]).toMatchObject({ type: 'OPT', extendedRcode: 1 });
    expect(bad.kind === 'reply' && bad.response.answers).toEqual([]);
  });

  it('NOTIMP for other opcodes, REFUSED for an unknown network', () => {
    const d = ask(`web.ap-shop.${A}`, 'A', { opcode: 2 });
    expect(d.kind === 'reply' && (d.response.flags ?? 0) & 0xf).toBe(RCODE.NOTIMP);
    const wire = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: `web.ap-shop.${A}`, type: 'A' }] });
    const gone = answer(dnsPacket.decode(wire), undefined);
    expect(gone.kind === 'reply' && (gone.response.flags ?? 0) & 0xf).toBe(RCODE.REFUSED);
  });
});

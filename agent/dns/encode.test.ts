// Every record type the zone can hold goes through our encoder and decodes to what dns-packet writes.
import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { ZoneRecord } from '../../protocol/dns/records.ts';
import { toAnswer } from './answer.ts';
import { encodeResponse } from './encode.ts';
import { formatRecord } from './zone-text.ts';

const owner = 'Svc.PN-T.private-network.internal';
const records: ZoneRecord[] = [
  { type: 'A', address: '10.240.0.4' },
  { type: 'AAAA', address: 'fd00::4' },
  { type: 'AAAA', address: '2001:db8:0:1:2:3:4:5' },
  { type: 'AAAA', address: '::' },
  { type: 'AAAA', address: '::ffff:10.240.0.4' },
  { type: 'SRV', priority: 10, weight: 5, port: 8080, target: '1.web.ap-a.pn-t.private-network.internal' },
  { type: 'TXT', data: ['v=1', '', 'ü'] },
  { type: 'PTR', target: '1.web.ap-a.pn-t.private-network.internal' },
];

function response(answers: Answer[]): Packet {
  return { type: 'response', id: 7, flags: 0x8400, questions: [{ name: answers[0].name, type: answers[0].type as 'A', class: 'IN' }], answers };
}

describe('encodeResponse', () => {
  it.each(records.map((r) => [`${r.type} ${JSON.stringify(r)}`, r] as const))('%s', (_label, record) => {
    const packet = response([toAnswer(owner, 5, record)]);
    const ours = dnsPacket.decode(encodeResponse(packet, undefined, 65535));
    const theirs = dnsPacket.decode(dnsPacket.encode(packet));
    // Compressed names point into the owner name and take its case: equal as DNS names.
    const lower = (p: dnsPacket.DecodedPacket) => JSON.parse(JSON.stringify(p.answers).toLowerCase());
    expect(lower(ours)).toEqual(lower(theirs));
  });

  it('decodes to the same zone-file text as it was built from', () => {
    // (dns-packet prints ::ffff:10.240.0.4 back as ::ffff:af0:4: the same bytes, other text.)
    for (const record of records.filter((r) => !(r.type === 'AAAA' && r.address.includes('.')))) {
      const built = toAnswer(owner.toLowerCase(), 5, record);
      const back = dnsPacket.decode(encodeResponse(response([built]), undefined, 65535)).answers![0];
      expect(formatRecord(back)).toBe(formatRecord(built));
    }
    expect(records.map((r) => formatRecord(toAnswer('x.private-network.internal', 5, r)))).toEqual([
      'x.private-network.internal. 5 IN A 10.240.0.4',
      'x.private-network.internal. 5 IN AAAA fd00::4',
      'x.private-network.internal. 5 IN AAAA 2001:db8:0:1:2:3:4:5',
      'x.private-network.internal. 5 IN AAAA ::',
      'x.private-network.internal. 5 IN AAAA ::ffff:10.240.0.4',
      'x.private-network.internal. 5 IN SRV 10 5 8080 1.web.ap-a.pn-t.private-network.internal.',
      'x.private-network.internal. 5 IN TXT "v=1" "" "ü"',
      'x.private-network.internal. 5 IN PTR 1.web.ap-a.pn-t.private-network.internal.',
    ]);
  });

  it('compresses names in PTR data but not the SRV target (RFC 3597 §4)', () => {
    const [srv, ptr] = records.filter((r) => r.type === 'SRV' || r.type === 'PTR');
    const size = (r: ZoneRecord) => encodeResponse(response([toAnswer(owner, 5, r)]), undefined, 65535).length;
    const plain = size({ type: 'A', address: '10.240.0.4' }) - 4; // header, question, owner, fixed fields
    expect(size(ptr)).toBe(plain + 11 + 2); // the labels 1, web, ap-a, then a pointer to pn-t.…
    expect(size(srv)).toBe(plain + 6 + 42); // priority, weight, port, then the target in full
  });

  it.each(['fd00:::1', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '10.0.0.1::1', 'g::1', '::10.0.0.256'])('refuses AAAA %s', (address) => {
    expect(() => encodeResponse(response([toAnswer(owner, 5, { type: 'AAAA', address })]), undefined, 65535)).toThrow(/IPv6/);
  });
});

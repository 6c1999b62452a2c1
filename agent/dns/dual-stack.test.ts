// The agent's DNS for a dual-stack network (issue 21): AAAA on the wire from both paths, the SRV
// additional section with A and AAAA, ip6.arpa PTR answered (unique-local) or forwarded (global),
// and the fast table after an ipv6 switch byte for byte against a fresh build.
import dnsPacket, { type RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { buildZone } from '../../protocol/dns/zone.ts';
import type { NetworkModel } from '../../protocol/model.ts';
import { sampleNetworkA } from '../../test/support/sample-networks.ts';
import { answer, RCODE } from './answer.ts';
import { buildFastTable, lookupFast, updateFastTable } from './fast-path.ts';
import { respondSlow } from './slow-path.ts';
import { formatSection } from './zone-text.ts';

const A = 'pn-aaaa.private-network.internal';
const P = '4.6.0.0.0.0.0.0.4.7.6.6.7.7.d.f.ip6.arpa'; // fd77:6674:0:64::/64 (VNI 100)
const dual: NetworkModel = {
  ...sampleNetworkA(),
  ipv6: { cidr: 'fd77:6674:0:64::/64', gateway: 'fd77:6674:0:64::1' },
  ports: [{ applicationId: 'ap-shop', processType: 'web', name: 'http', port: 8080, protocol: 'TCP' }],
};
const { ipv6: _off, ...v4Only } = dual;
const SOA = 'private-network.internal. 5 IN SOA ns.private-network.internal. hostmaster.private-network.internal. 1 3600 600 86400 5';

const query = (name: string, type: string) =>
  dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as RecordType, class: 'IN' }] });

function sections(network: NetworkModel | undefined, name: string, type: string) {
  const decision = answer(dnsPacket.decode(query(name, type)), network ? buildZone(network) : undefined);
  if (decision.kind !== 'reply') return decision.kind;
  const r = decision.response;
  return { rcode: (r.flags ?? 0) & 0xf, answer: formatSection(r.answers), ns: formatSection(r.authorities), extra: formatSection(r.additionals) };
}

describe('agent DNS, dual-stack', () => {
  it.each([
    [dual, `1.web.ap-shop.${A}`, 'AAAA', { rcode: RCODE.NOERROR, answer: [`1.web.ap-shop.${A}. 5 IN AAAA fd77:6674:0:64::4`], ns: [], extra: [] }],
    [v4Only, `1.web.ap-shop.${A}`, 'AAAA', { rcode: RCODE.NOERROR, answer: [], ns: [SOA], extra: [] }],
    [
      dual,
      `_http._tcp.web.ap-shop.${A}`,
      'SRV',
      {
        rcode: RCODE.NOERROR,
        answer: [`_http._tcp.web.ap-shop.${A}. 5 IN SRV 0 0 8080 1.web.ap-shop.${A}.`, `_http._tcp.web.ap-shop.${A}. 5 IN SRV 0 0 8080 2.web.ap-shop.${A}.`],
        ns: [],
        extra: [
          `1.web.ap-shop.${A}. 5 IN A 10.240.0.4`,
          `1.web.ap-shop.${A}. 5 IN AAAA fd77:6674:0:64::4`,
          `2.web.ap-shop.${A}. 5 IN A 10.240.0.5`,
          `2.web.ap-shop.${A}. 5 IN AAAA fd77:6674:0:64::5`,
        ],
      },
    ],
    [
      dual,
      `4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`,
      'PTR',
      { rcode: RCODE.NOERROR, answer: [`4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}. 5 IN PTR 1.web.ap-shop.${A}.`], ns: [], extra: [] },
    ],
    [
      v4Only,
      `4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`,
      'PTR',
      {
        rcode: RCODE.NXDOMAIN,
        answer: [],
        ns: ['d.f.ip6.arpa. 5 IN SOA ns.private-network.internal. hostmaster.private-network.internal. 1 3600 600 86400 5'],
        extra: [],
      },
    ],
    [undefined, `4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'PTR', { rcode: RCODE.REFUSED, answer: [], ns: [], extra: [] }], // the network left
    [dual, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR', 'forward'],
  ] as const)('%#: %s %s', (network, name, type, expected) => expect(sections(network, name, type)).toEqual(expected));

  it('the fast path answers AAAA with the address, byte-identical to the slow path', () => {
    const zone = buildZone(dual);
    const table = buildFastTable(zone);
    for (const name of [`1.web.ap-shop.${A}`, `web.ap-shop.${A}`, `ap-shop.${A}`, `ap-api.${A}`, `worker.ap-shop.${A}`, A]) {
      const q = query(name, 'AAAA');
      const fast = lookupFast(q, table, 'udp', zone);
      const slow = respondSlow(q, zone, 'udp');
      expect(fast?.kind === 'reply' && fast.fast && slow.kind === 'reply' && fast.bytes.equals(slow.bytes), name).toBe(true);
    }
    const hit = lookupFast(query(`web.ap-shop.${A}`, 'AAAA'), table, 'udp', zone);
    expect(hit?.kind === 'reply' && formatSection(dnsPacket.decode(hit.bytes).answers)).toEqual([
      `web.ap-shop.${A}. 5 IN AAAA fd77:6674:0:64::4`,
      `web.ap-shop.${A}. 5 IN AAAA fd77:6674:0:64::5`,
    ]);
  });

  it.each([
    ['OFF', dual, v4Only],
    ['ON', v4Only, dual],
  ])('after switching ipv6 %s, the updated fast table equals a fresh build', (_to, before, after) => {
    const prev = buildZone(before);
    const next = buildZone(after);
    const updated = updateFastTable(prev, buildFastTable(prev), next);
    const fresh = buildFastTable(next);
    for (const [qtype, names] of fresh) {
      expect([...(updated.get(qtype)?.keys() ?? [])].sort()).toEqual([...names.keys()].sort());
      for (const [key, entry] of names) expect(updated.get(qtype)?.get(key)?.plain.equals(entry.plain)).toBe(true);
    }
  });
});

// The one switch on the question type, over a zone holding every record type the model allows.
import { describe, expect, it } from 'vitest';
import { answer, type ZoneAnswer } from './answer.ts';
import { formatRdata, type ZoneRecord } from './records.ts';
import { ZONE_APEX, type Zone } from './zone.ts';

const a: ZoneRecord = { type: 'A', address: '10.240.0.4' };
const aaaa: ZoneRecord = { type: 'AAAA', address: 'fd00::4' };
const srv: ZoneRecord = { type: 'SRV', priority: 10, weight: 5, port: 8080, target: `1.web.${ZONE_APEX}` };
const txt: ZoneRecord = { type: 'TXT', data: ['v=1', 'say "hi"'] };
const ptr: ZoneRecord = { type: 'PTR', target: `1.web.${ZONE_APEX}` };
const zone: Zone = {
  networkId: 'pn-t',
  ttl: 5,
  soa: { mname: `ns.${ZONE_APEX}`, rname: `hostmaster.${ZONE_APEX}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 5 },
  names: new Map([
    [ZONE_APEX, []],
    [`svc.${ZONE_APEX}`, [a, aaaa, srv, txt]],
    [`4.ptr.${ZONE_APEX}`, [ptr]],
    ['4.0.240.10.in-addr.arpa', [ptr]],
  ]),
  cidr: { base: 0x0af00000, prefix: 22, size: 1024 },
  reverseApex: '240.10.in-addr.arpa',
  cidr6: null, // dual-stack zones: zone-ipv6.test.ts
  reverseApex6: null,
};

const cases: [string, string, ZoneAnswer][] = [
  [`svc.${ZONE_APEX}`, 'A', { kind: 'records', records: [a], apex: ZONE_APEX }],
  [`SVC.Private-Network.Internal.`, 'a', { kind: 'records', records: [a], apex: ZONE_APEX }],
  [`svc.${ZONE_APEX}`, 'AAAA', { kind: 'records', records: [aaaa], apex: ZONE_APEX }],
  [`svc.${ZONE_APEX}`, 'SRV', { kind: 'records', records: [srv], apex: ZONE_APEX }],
  [`svc.${ZONE_APEX}`, 'TXT', { kind: 'records', records: [txt], apex: ZONE_APEX }],
  [`svc.${ZONE_APEX}`, 'ANY', { kind: 'records', records: [a, aaaa, srv, txt], apex: ZONE_APEX }],
  [`svc.${ZONE_APEX}`, 'MX', { kind: 'records', records: [], apex: ZONE_APEX }], // NODATA
  [`svc.${ZONE_APEX}`, 'SOA', { kind: 'records', records: [], apex: ZONE_APEX }],
  [`4.ptr.${ZONE_APEX}`, 'PTR', { kind: 'records', records: [ptr], apex: ZONE_APEX }],
  [ZONE_APEX, 'SOA', { kind: 'soa' }],
  [ZONE_APEX, 'A', { kind: 'records', records: [], apex: ZONE_APEX }],
  [`x.svc.${ZONE_APEX}`, 'A', { kind: 'nxdomain', apex: ZONE_APEX }],
  ['example.com', 'A', { kind: 'outside' }],
  // Reverse names: the network's CIDR is answered with its own SOA owner, the rest of RFC 1918 is
  // NXDOMAIN (another network's or nobody's), everything else is forwarded.
  ['4.0.240.10.in-addr.arpa', 'PTR', { kind: 'records', records: [ptr], apex: '240.10.in-addr.arpa' }],
  ['4.0.240.10.IN-ADDR.ARPA.', 'A', { kind: 'records', records: [], apex: '240.10.in-addr.arpa' }],
  ['5.0.240.10.in-addr.arpa', 'PTR', { kind: 'nxdomain', apex: '240.10.in-addr.arpa' }],
  ['0.240.10.in-addr.arpa', 'PTR', { kind: 'records', records: [], apex: '240.10.in-addr.arpa' }], // inside the /22: empty non-terminal
  ['240.10.in-addr.arpa', 'SOA', { kind: 'soa' }],
  ['4.9.240.10.in-addr.arpa', 'PTR', { kind: 'nxdomain', apex: '10.in-addr.arpa' }], // 10.240.9.4: outside the /22
  ['4.0.241.10.in-addr.arpa', 'PTR', { kind: 'nxdomain', apex: '10.in-addr.arpa' }],
  ['1.0.20.172.in-addr.arpa', 'PTR', { kind: 'nxdomain', apex: '20.172.in-addr.arpa' }],
  ['1.1.168.192.in-addr.arpa', 'PTR', { kind: 'nxdomain', apex: '168.192.in-addr.arpa' }],
  ['1.0.32.172.in-addr.arpa', 'PTR', { kind: 'outside' }], // 172.32/16 is public space
  ['8.8.8.8.in-addr.arpa', 'PTR', { kind: 'outside' }],
  ['in-addr.arpa', 'SOA', { kind: 'outside' }],
  ['x.4.0.240.10.in-addr.arpa', 'PTR', { kind: 'outside' }], // not an address: not ours
];

describe('answer()', () => {
  it.each(cases)('%s %s', (name, type, expected) => expect(answer({ name, type }, zone)).toEqual(expected));
});

describe('formatRdata', () => {
  it.each([
    [a, '10.240.0.4'],
    [aaaa, 'fd00::4'],
    [srv, `10 5 8080 1.web.${ZONE_APEX}.`],
    [txt, '"v=1" "say \\"hi\\""'],
    [ptr, `1.web.${ZONE_APEX}.`],
  ] as const)('%j', (record, text) => expect(formatRdata(record)).toBe(text));
});

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
  ]),
};

const cases: [string, string, ZoneAnswer][] = [
  [`svc.${ZONE_APEX}`, 'A', { kind: 'records', records: [a] }],
  [`SVC.Private-Network.Internal.`, 'a', { kind: 'records', records: [a] }],
  [`svc.${ZONE_APEX}`, 'AAAA', { kind: 'records', records: [aaaa] }],
  [`svc.${ZONE_APEX}`, 'SRV', { kind: 'records', records: [srv] }],
  [`svc.${ZONE_APEX}`, 'TXT', { kind: 'records', records: [txt] }],
  [`svc.${ZONE_APEX}`, 'ANY', { kind: 'records', records: [a, aaaa, srv, txt] }],
  [`svc.${ZONE_APEX}`, 'MX', { kind: 'records', records: [] }], // NODATA
  [`svc.${ZONE_APEX}`, 'SOA', { kind: 'records', records: [] }],
  [`4.ptr.${ZONE_APEX}`, 'PTR', { kind: 'records', records: [ptr] }],
  [ZONE_APEX, 'SOA', { kind: 'soa' }],
  [ZONE_APEX, 'A', { kind: 'records', records: [] }],
  [`x.svc.${ZONE_APEX}`, 'A', { kind: 'nxdomain' }],
  ['example.com', 'A', { kind: 'outside' }],
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

// Reverse names: address ↔ name, the reverse zone of a CIDR, and which reverse names are Weft's (RFC 1918, RFC 6303 zones).
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../addressing/ipv4.ts';
import { overlaps, parseReverse, ptrName, reverseApexOf, weftReverseZoneOf } from './reverse.ts';

describe('reverse names', () => {
  it('ptrName reverses the octets', () => expect(ptrName('10.240.0.4')).toBe('4.0.240.10.in-addr.arpa'));

  it.each([
    ['4.0.240.10.in-addr.arpa', '10.240.0.4/32'],
    ['240.10.in-addr.arpa', '10.240.0.0/16'],
    ['10.in-addr.arpa', '10.0.0.0/8'],
    ['in-addr.arpa', null],
    ['256.0.240.10.in-addr.arpa', null],
    ['04.0.240.10.in-addr.arpa', null],
    ['x.4.0.240.10.in-addr.arpa', null],
    ['1.4.0.240.10.in-addr.arpa', null],
    ['4.0.240.10.ip6.arpa', null],
  ])('parseReverse(%s) = %s', (name, cidr) => expect(parseReverse(name)).toEqual(cidr === null ? null : parseCidr(cidr)));

  it.each([
    ['10.240.0.0/22', '240.10.in-addr.arpa'],
    ['10.240.0.0/16', '240.10.in-addr.arpa'],
    ['10.240.3.0/24', '3.240.10.in-addr.arpa'],
    ['192.168.7.16/28', '7.168.192.in-addr.arpa'],
  ])('reverseApexOf(%s) = %s', (cidr, apex) => expect(reverseApexOf(parseCidr(cidr)!)).toBe(apex));

  it.each([
    ['10.1.2.3/32', '10.in-addr.arpa'],
    ['172.20.0.1/32', '20.172.in-addr.arpa'],
    ['172.31.255.1/32', '31.172.in-addr.arpa'],
    ['192.168.1.1/32', '168.192.in-addr.arpa'],
    ['172.32.0.1/32', null],
    ['8.8.8.8/32', null],
    ['172.0.0.0/8', null], // wider than a Weft block
  ])('weftReverseZoneOf(%s) = %s', (cidr, zone) => expect(weftReverseZoneOf(parseCidr(cidr)!)).toBe(zone));

  it('overlaps is symmetric and exclusive at the edges', () => {
    const a = parseCidr('10.240.0.0/22')!;
    expect([overlaps(a, parseCidr('10.240.3.0/24')!), overlaps(parseCidr('10.0.0.0/8')!, a), overlaps(a, parseCidr('10.240.4.0/24')!)]).toEqual([
      true,
      true,
      false,
    ]);
  });
});

// IPv6 reverse names: address ↔ nibble name, the reverse zone of a /64, and which ip6.arpa names are Weft's (fc00::/7).
import { describe, expect, it } from 'vitest';
import { parseCidr6 } from '../addressing/ipv6.ts';
import { overlaps6, parseReverse6, ptrName6, reverseApex6Of, weftReverseZone6Of } from './reverse6.ts';

const P = 'a.2.0.0.0.0.0.0.4.7.6.6.7.7.d.f.ip6.arpa'; // fd77:6674:0:2a::/64

describe('IPv6 reverse names', () => {
  it.each([
    ['fd77:6674:0:2a::2', `2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`],
    ['FD77:6674:0:2A:0:0:0:105', `5.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`],
    ['::1', '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa'],
  ])('ptrName6(%s) = %s', (address, name) => expect(ptrName6(address)).toBe(name));

  it('ptrName6 refuses what is no address', () => expect(() => ptrName6('10.0.0.1')).toThrow(/not an IPv6 address/));

  it.each([
    [`2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, 'fd77:6674:0:2a::2/128'],
    [P, 'fd77:6674:0:2a::/64'],
    [`0.${P}`, 'fd77:6674:0:2a::/68'],
    ['d.f.ip6.arpa', 'fd00::/8'],
    ['f.ip6.arpa', 'f000::/4'],
    ['ip6.arpa', null],
    ['D.F.ip6.arpa', null], // canonical names are lower-case
    ['dd.f.ip6.arpa', null],
    [`x.${P}`, null],
    [`0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.${P}`, null], // 33 nibbles
    ['4.0.240.10.in-addr.arpa', null],
  ])('parseReverse6(%s) = %s', (name, cidr) => expect(parseReverse6(name)).toEqual(cidr === null ? null : parseCidr6(cidr)));

  it.each([
    ['fd77:6674:0:2a::/64', P],
    ['fd00::/8', 'd.f.ip6.arpa'],
    ['fc00::/7', 'f.ip6.arpa'], // rounded down to a nibble
    ['::/0', 'ip6.arpa'],
  ])('reverseApex6Of(%s) = %s', (cidr, apex) => expect(reverseApex6Of(parseCidr6(cidr)!)).toBe(apex));

  it.each([
    ['fd77:6674:0:2a::2/128', 'd.f.ip6.arpa'],
    ['fd12:3456:789a:1::/64', 'd.f.ip6.arpa'],
    ['fc00::1/128', 'c.f.ip6.arpa'],
    ['fd00::/8', 'd.f.ip6.arpa'],
    ['fc00::/7', null], // wider than a /8 zone
    ['fe80::1/128', null],
    ['2001:db8::1/128', null],
  ])('weftReverseZone6Of(%s) = %s', (cidr, zone) => expect(weftReverseZone6Of(parseCidr6(cidr)!)).toBe(zone));

  it('overlaps6 compares the shorter prefix', () => {
    const net = parseCidr6('fd77:6674:0:2a::/64')!;
    expect([
      overlaps6(net, parseCidr6('fd77:6674:0:2a::5/128')!),
      overlaps6(parseCidr6('fd00::/8')!, net),
      overlaps6(net, parseCidr6('fd77:6674:0:2b::/64')!),
    ]).toEqual([true, true, false]);
  });
});

// A network's IPv6 block as the API accepts it (given at creation) and reads it (derived, switch).
import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.ts';
import { ipv6CidrOf, networkIpv6Of, parseGivenIpv6Cidr } from './network-ipv6.ts';

describe('parseGivenIpv6Cidr', () => {
  it.each([
    ['fd12:3456:789a:1::/64', 'fd12:3456:789a:1::/64'],
    ['FD12:3456:789A:0001:0000:0000:0000:0000/64', 'fd12:3456:789a:1::/64'],
    [' fd00::/64 ', 'fd00::/64'],
    ['fc00:0:0:7::/64', 'fc00:0:0:7::/64'], // fc00::/7 as a whole is unique-local (RFC 4193)
    ['fd77:6675::/64', 'fd77:6675::/64'], // next to the derived /32, not in it
  ])('accepts %s as %s', (text, canonical) => expect(parseGivenIpv6Cidr(text)).toBe(canonical));

  it.each([
    ['fd12::1', 'is not an aligned IPv6 CIDR'],
    ['fd12::/64/1', 'is not an aligned IPv6 CIDR'],
    ['fd12::1/64', 'is not an aligned IPv6 CIDR'],
    ['10.0.0.0/8', 'is not an aligned IPv6 CIDR'],
    ['fd12:3456:789a::/48', 'must be a /64, got /48'],
    ['fd12:3456:789a:1:2::/80', 'must be a /64, got /80'],
    ['2001:db8:0:1::/64', 'is not unique-local'],
    ['fe80::/64', 'is not unique-local'],
    ['fd77:6674:0:1092::/64', 'reserved for the blocks derived from VNIs'],
    ['fd77:6674:ffff:ffff::/64', 'reserved for the blocks derived from VNIs'],
  ])('refuses %s (%s)', (text, message) => {
    try {
      parseGivenIpv6Cidr(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect([(error as DomainError).code, (error as DomainError).details.field]).toEqual(['BAD_USER_INPUT', 'ipv6Cidr']);
      expect((error as Error).message).toContain(message);
    }
  });
});

describe('a network row read as IPv6', () => {
  it.each([
    [{ vni: 4242, ipv6: 'ON', ipv6Cidr: 'fd77:6674:0:1092::/64' }, 'fd77:6674:0:1092::/64', { cidr: 'fd77:6674:0:1092::/64', gateway: 'fd77:6674:0:1092::1' }],
    [{ vni: 4242, ipv6: 'ON', ipv6Cidr: null }, 'fd77:6674:0:1092::/64', { cidr: 'fd77:6674:0:1092::/64', gateway: 'fd77:6674:0:1092::1' }], // a row no migration filled
    [{ vni: 7, ipv6: 'ON', ipv6Cidr: 'fd12:3456:789a:1::/64' }, 'fd12:3456:789a:1::/64', { cidr: 'fd12:3456:789a:1::/64', gateway: 'fd12:3456:789a:1::1' }],
    [{ vni: 7, ipv6: 'OFF', ipv6Cidr: 'fd12:3456:789a:1::/64' }, 'fd12:3456:789a:1::/64', undefined],
  ] as const)('%j', (row, cidr, model) => {
    expect(ipv6CidrOf(row)).toBe(cidr);
    expect(networkIpv6Of(row)).toEqual(model);
  });
});

import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.ts';
import { formatIpv4, gatewayOf, macOf, parseCidr, parseIpv4, parseNetworkCidr, usableOffsets } from './ipv4.ts';

describe('parseIpv4 / formatIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.240.0.1', 0x0af00001],
    ['255.255.255.255', 0xffffffff],
  ])('%s ⇄ %i', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
  });
  it.each(['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', ' 1.2.3.4', 'a.b.c.d'])('rejects %s', (text) => expect(parseIpv4(text)).toBeNull());
});

describe('parseNetworkCidr', () => {
  it.each([
    ['10.240.0.0/22', 1024],
    ['172.16.0.0/16', 65536],
    ['192.168.10.16/28', 16],
  ])('accepts %s (%i addresses)', (text, size) => expect(parseNetworkCidr(text).size).toBe(size));
  it.each([
    ['10.240.0.1/22', 'aligned'],
    ['10.0.0.0/8', 'between /16 and /28'],
    ['10.0.0.0/29', 'between /16 and /28'],
    ['8.8.8.0/24', 'RFC 1918'],
    ['172.32.0.0/16', 'RFC 1918'],
    ['100.64.0.0/16', 'RFC 1918'],
    ['10.240.0.0', 'aligned'],
    ['garbage', 'aligned'],
  ])('rejects %s with BAD_USER_INPUT mentioning %s', (text, words) => {
    try {
      parseNetworkCidr(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('BAD_USER_INPUT');
      expect((error as DomainError).message).toContain(words);
    }
  });
});

describe('addresses of a network', () => {
  it('reserves network, gateway and broadcast', () => {
    const cidr = parseCidr('10.240.0.0/28')!;
    expect(gatewayOf(cidr)).toBe('10.240.0.1');
    expect(usableOffsets(cidr)).toEqual({ first: 2, last: 14 });
  });
  it('derives a locally administered unicast MAC from the IP', () => {
    expect(macOf('10.240.0.2')).toBe('02:00:0a:f0:00:02');
    expect(macOf('192.168.255.254')).toBe('02:00:c0:a8:ff:fe');
  });
});

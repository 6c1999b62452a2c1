import { describe, expect, it } from 'vitest';
import { formatIpv4, gatewayOf, macOf, parseCidr, parseIpv4, usableOffsets } from './ipv4.ts';

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

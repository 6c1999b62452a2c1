import { describe, expect, it } from 'vitest';
import { containerIpv6, formatIpv6, gateway6Of, ipv6AtOffset, isUniqueLocal, parseCidr6, parseIpv6, ulaOfVni } from './ipv6.ts';

describe('parseIpv6 / formatIpv6', () => {
  it.each([
    ['::', 0n, '::'],
    ['::1', 1n, '::1'],
    ['fd77:6674:0:1092::1', 0xfd776674000010920000000000000001n, 'fd77:6674:0:1092::1'],
    ['FD77:6674:0000:1092:0000:0000:0000:0002', 0xfd776674000010920000000000000002n, 'fd77:6674:0:1092::2'],
    ['1:0:0:2:0:0:0:3', 0x0001000000000002000000000000_0003n, '1:0:0:2::3'],
    ['1:0:1:0:1:0:1:0', 0x0001000000010000000100000001_0000n, '1:0:1:0:1:0:1:0'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', (1n << 128n) - 1n, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s → canonical %s', (text, value, canonical) => {
    expect(parseIpv6(text)).toBe(value);
    expect(formatIpv6(value)).toBe(canonical);
  });
  it.each(['', ':', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '::ffff:10.0.0.1', 'fe80::1%eth0', '1:2:3:4:5:6:7::8'])(
    'rejects %j',
    (text) => expect(parseIpv6(text)).toBeNull(),
  );
});

describe('blocks and offsets', () => {
  it('parses aligned blocks only', () => {
    expect(parseCidr6('fd77:6674:0:1092::/64')).toEqual({ base: 0xfd776674000010920000000000000000n, prefix: 64 });
    expect(parseCidr6('fd77:6674:0:1092::1/64')).toBeNull();
    expect(parseCidr6('fd77::/129')).toBeNull();
    expect(parseCidr6('fd77::')).toBeNull();
  });
  it('derives the /64 from the VNI and places hosts like IPv4 does', () => {
    expect(ulaOfVni(4242)).toBe('fd77:6674:0:1092::/64');
    expect(ulaOfVni(0xffffff)).toBe('fd77:6674:ff:ffff::/64');
    expect(gateway6Of('fd77:6674:0:1092::/64')).toBe('fd77:6674:0:1092::1');
    expect(ipv6AtOffset('fd77:6674:0:1092::/64', 258)).toBe('fd77:6674:0:1092::102');
    expect(() => ulaOfVni(0)).toThrow();
    expect(() => ipv6AtOffset('fd77::/48', 2)).toThrow();
  });
  it('knows unique-local addresses', () => {
    expect(isUniqueLocal(parseIpv6('fd77::1')!)).toBe(true);
    expect(isUniqueLocal(parseIpv6('fc00::1')!)).toBe(true);
    expect(isUniqueLocal(parseIpv6('fe80::1')!)).toBe(false);
    expect(isUniqueLocal(parseIpv6('2001:db8::1')!)).toBe(false);
  });
  it("gives a container the offset of its IPv4 address in the network's /64", () => {
    const network = { cidr: '10.240.4.0/22', ipv6: { cidr: 'fd77:6674:0:1092::/64' } };
    expect(containerIpv6(network, '10.240.4.2')).toBe('fd77:6674:0:1092::2');
    expect(containerIpv6(network, '10.240.5.10')).toBe('fd77:6674:0:1092::10a');
    expect(containerIpv6(network, '10.240.8.1')).toBeNull();
    expect(containerIpv6({ cidr: '10.240.4.0/22' }, '10.240.4.2')).toBeNull();
  });
});

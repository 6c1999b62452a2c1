import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.ts';
import { parseNetworkCidr } from './network-cidr.ts';

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

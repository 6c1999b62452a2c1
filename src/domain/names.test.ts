import { describe, expect, it } from 'vitest';
import { applicationNames, assertLabel, containerEnvironment, containerHostname, defaultExposure, lowestFreeNumber } from './names.ts';
import { assertEndpoint, assertWireguardKey } from './validate.ts';

describe('DNS labels', () => {
  it.each(['web', 'worker-2', 'a', '0', 'x'.repeat(63)])('accepts %s', (v) => expect(assertLabel('f', v)).toBe(v));
  it.each(['', 'Web', '-web', 'web-', 'we_b', 'x'.repeat(64), 'a.b', 'wéb'])('rejects %j', (v) => expect(() => assertLabel('f', v)).toThrow(/DNS label/));
});

describe('exposure defaults (Scalingo rule)', () => {
  it.each([
    ['web', 'PUBLIC'],
    ['tcp', 'PUBLIC'],
    ['worker', 'PRIVATE'],
    ['backend', 'PRIVATE'],
  ])('%s → %s', (type, exposure) => expect(defaultExposure(type)).toBe(exposure));
});

describe('numbering', () => {
  it.each([
    [[], 1],
    [[1, 2, 3], 4],
    [[2, 3], 1],
    [[1, 3], 2],
  ])('taken %j → %i', (taken, n) => expect(lowestFreeNumber(taken)).toBe(n));
});

describe('names and environment', () => {
  const c = { number: 2, processType: 'web', applicationId: 'ap-1', networkId: 'pn-1' };
  it('builds the container hostname', () => expect(containerHostname(c)).toBe('2.web.ap-1.pn-1.private-network.internal'));
  it('lists every name of an app, general first', () => {
    expect(applicationNames({ id: 'ap-1', networkId: 'pn-1' }, ['worker', 'web', 'web'], [c, { ...c, number: 1 }])).toEqual([
      'ap-1.pn-1.private-network.internal',
      'web.ap-1.pn-1.private-network.internal',
      'worker.ap-1.pn-1.private-network.internal',
      '1.web.ap-1.pn-1.private-network.internal',
      '2.web.ap-1.pn-1.private-network.internal',
    ]);
  });
  it('uses the configured prefix', () => {
    expect(containerEnvironment('ACME_', { applicationId: 'ap-1', networkId: 'pn-1', hostname: 'h' })).toEqual({
      ACME_APPLICATION_ID: 'ap-1',
      ACME_PRIVATE_NETWORK_ID: 'pn-1',
      ACME_PRIVATE_HOSTNAME: 'h',
    });
  });
});

describe('host input', () => {
  it.each(['xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='])('accepts key %s', (k) =>
    expect(assertWireguardKey(k)).toBe(k),
  );
  it.each([
    '',
    'abc',
    'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg',
    'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dh=',
    '!TIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=',
  ])('rejects key %j', (k) => expect(() => assertWireguardKey(k)).toThrow(/WireGuard public key/));
  it.each(['192.0.2.1:51820', '[2001:db8::1]:51820', '10.0.0.1:1'])('accepts endpoint %s', (e) => expect(assertEndpoint(e)).toBe(e));
  it.each(['192.0.2.1', '192.0.2.1:0', '192.0.2.1:70000', 'host:51820', '2001:db8::1:51820', '[::]'])('rejects endpoint %s', (e) =>
    expect(() => assertEndpoint(e)).toThrow(/ip:port/),
  );
});

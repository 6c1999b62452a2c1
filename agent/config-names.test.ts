import { describe, expect, it } from 'vitest';
import { aliasFor, isOurAlias, makeNames, shortId } from './config-names';

describe('names', () => {
  it('defaults match docs/architecture.md §4.10', () => {
    const n = makeNames();
    expect([n.wg, n.sandboxNs(100), n.bridge(100), n.vxlan(100), n.veth('ctr-0a1b2c3d-9999')]).toEqual([
      'pnwg0',
      'pn-100',
      'pnb-100',
      'pnv-100',
      'pnc-0a1b2c3d',
    ]);
    expect(n.vniOfSandbox('pn-100')).toBe(100);
    expect(n.vniOfSandbox('w1pn-100')).toBeNull();
  });
  it('prefix applies to every machine-wide name and keeps interface names ≤ 15', () => {
    const n = makeNames({ prefix: 'w12' });
    expect(n.wg).toBe('w12pnwg0');
    expect(n.bridge(16777215)).toBe('w12pnb-16777215');
    expect(n.bridge(16777215).length).toBe(15);
    expect(n.vniOfSandbox('w12pn-7')).toBe(7);
    expect(n.vniOfSandbox('pn-7')).toBeNull();
    expect(() => makeNames({ prefix: 'toolong' })).toThrow(/prefix/);
  });
  it('ownership marker', () => {
    expect(aliasFor(100, 'pn-x', 'ctr-1')).toBe('pn:vni=100:pn=pn-x:ctr=ctr-1');
    expect(isOurAlias('pn:vni=1:pn=x')).toBe(true);
    expect(isOurAlias('docker0')).toBe(false);
    expect(isOurAlias(null)).toBe(false);
    expect(() => shortId('ctr-xyz')).toThrow();
  });
});

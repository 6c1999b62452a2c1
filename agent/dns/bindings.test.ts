import { describe, expect, it } from 'vitest';
import { container, network } from '../../test/support/model.ts';
import { bindingsFor, networkOfListener } from './server.ts';

describe('bindingsFor: where each network answers DNS', () => {
  const h = { id: 'host-1', meshIp: '100.64.0.1' };
  const single = network('pn-a', 100, [container('ctr-1', 'pn-a', h, '10.240.0.2')]);
  const dual = {
    ...network('pn-b', 200, [container('ctr-2', 'pn-b', h, '10.241.0.2')], '10.241.0.0/22', '10.241.0.1'),
    ipv6: { cidr: 'fd77:6674:0:c8::/64', gateway: 'fd77:6674:0:c8::1' },
  };

  it('binds the v4 gateway of every network and the v6 gateway of a dual-stack one, in its sandbox', () => {
    expect([...bindingsFor([single, dual], (n) => `pn-${n.vni}`, 53)]).toEqual([
      ['pn-a', { address: '10.240.0.1', port: 53, namespace: 'pn-100' }],
      ['pn-b', { address: '10.241.0.1', port: 53, namespace: 'pn-200' }],
      ['pn-b#v6', { address: 'fd77:6674:0:c8::1', port: 53, namespace: 'pn-200' }],
    ]);
  });

  it('a listener key names the network it serves', () => {
    expect(['pn-b', 'pn-b#v6'].map(networkOfListener)).toEqual(['pn-b', 'pn-b']);
  });
});

import { describe, expect, it } from 'vitest';
import { parseNftRuleset } from './nft';

// The shape nft 1.0.6 prints for the policy table's sets (captured: `nft -j list table bridge …`).
const json = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'bridge', name: 'pn_policy', handle: 1 } },
    { set: { family: 'bridge', name: 'iso', table: 'pn_policy', type: 'ipv4_addr', handle: 2, elem: ['10.240.0.3'] } },
    {
      set: {
        family: 'bridge',
        name: 'udp_flows',
        table: 'pn_policy',
        type: ['ipv4_addr', 'inet_service', 'ipv4_addr', 'inet_service'],
        handle: 3,
        size: 65535,
        flags: ['timeout'],
        timeout: 30,
        elem: [{ elem: { val: { concat: ['10.240.0.4', 9090, '10.240.0.3', 43534] }, timeout: 30, expires: 27 } }],
      },
    },
  ],
});

describe('parseNftRuleset: sets the packet path fills', () => {
  it('counts and lists the elements of a plain set, not those of a set with a timeout (the policy udp_flows)', () => {
    expect(parseNftRuleset(json)).toEqual([
      { family: 'bridge', name: 'pn_policy', hash: null, chains: {}, sets: { iso: 1, udp_flows: 0 }, elements: { iso: ['10.240.0.3'] } },
    ]);
  });
});

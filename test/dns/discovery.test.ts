// Service discovery (issue 19) through the real server on loopback, asked by the real `dig`: SRV with
// its additional A records, TXT truncated over UDP and whole over TCP, PTR answered from each
// network's own view (two networks share a CIDR), reverse names outside RFC 1918 forwarded, and an
// alias switch and a TTL change applied by patchNetworks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffNetworks } from '../../agent/dns/patch.ts';
import type { DnsServer } from '../../agent/dns/server.ts';
import type { NetworkModel } from '../../protocol/model.ts';
import { sampleNetworkA, sampleNetworkB, wideNetwork } from '../support/sample-networks.ts';
import { dig } from './dig.ts';
import type { FakeUpstream } from './fake-upstream.ts';
import { type LoopbackDns, startLoopbackDns } from './loopback.ts';

const A = 'pn-aaaa.private-network.internal';
let server: DnsServer;
let upstream: FakeUpstream;
let portA: number;
let portB: number;
let portW: number;

const networkA = (over: Partial<NetworkModel> = {}): NetworkModel => ({
  ...sampleNetworkA(),
  ports: [{ applicationId: 'ap-shop', processType: 'web', name: 'http', port: 8080, protocol: 'TCP' }],
  aliases: [{ name: 'db', applicationId: 'ap-api', processType: null }],
  ...over,
});

let dns: LoopbackDns;
beforeAll(async () => {
  dns = await startLoopbackDns([networkA(), sampleNetworkB(), wideNetwork('pn-wide', 7, 12)]);
  ({ server, upstream, portA, portB, portW } = dns);
});
afterAll(() => dns?.close());

describe('service discovery with dig (issue 19)', () => {
  it('answers SRV with the targets in the additional section', async () => {
    const r = await dig('127.0.0.1', portA, `_http._tcp.web.ap-shop.${A}`, 'SRV', ['+additional']);
    expect(r.status).toBe('NOERROR');
    expect(r.answer).toEqual([
      `_http._tcp.web.ap-shop.${A}. 5 IN SRV 0 0 8080 1.web.ap-shop.${A}.`,
      `_http._tcp.web.ap-shop.${A}. 5 IN SRV 0 0 8080 2.web.ap-shop.${A}.`,
    ]);
    const additional = r.raw
      .slice(r.raw.indexOf('ADDITIONAL SECTION:'))
      .split('\n')
      .slice(1)
      .map((l) => l.trim().replace(/\s+/g, ' '))
      .filter((l) => l && !l.startsWith(';'));
    expect(additional).toEqual([`1.web.ap-shop.${A}. 5 IN A 10.240.0.4`, `2.web.ap-shop.${A}. 5 IN A 10.240.0.5`]);
  });

  it('truncates a 12-container _instances over UDP without EDNS and gives it whole over TCP', async () => {
    const name = '_instances.ap-wide.pn-wide.private-network.internal';
    const udp = await dig('127.0.0.1', portW, name, 'TXT', ['+noedns', '+ignore']);
    expect([udp.flags.includes('tc'), udp.answer]).toEqual([true, []]);
    const tcp = await dig('127.0.0.1', portW, name, 'TXT', ['+tcp']);
    expect(tcp.answer).toHaveLength(12);
    expect(tcp.answer[0]).toBe(`${name}. 5 IN TXT "type=web n=1 ip=10.241.0.2 host=host-1"`);
    const retried = await dig('127.0.0.1', portW, name, 'TXT', ['+noedns']); // dig retries over TCP itself
    expect(retried.answer).toHaveLength(12);
  });

  it("answers PTR from the asking network's view, and forwards reverse names outside RFC 1918", async () => {
    expect((await dig('127.0.0.1', portA, '4.0.240.10.in-addr.arpa', 'PTR')).answer).toEqual([`4.0.240.10.in-addr.arpa. 5 IN PTR 1.web.ap-shop.${A}.`]);
    expect((await dig('127.0.0.1', portB, '4.0.240.10.in-addr.arpa', 'PTR')).answer).toEqual([
      '4.0.240.10.in-addr.arpa. 30 IN PTR 1.web.ap-other.pn-bbbb.private-network.internal.',
    ]);
    const other = await dig('127.0.0.1', portA, '2.0.241.10.in-addr.arpa', 'PTR'); // pn-wide's address: not in A's view
    expect([other.status, other.authority[0]?.split(' ').slice(0, 4).join(' ')]).toEqual(['NXDOMAIN', '10.in-addr.arpa. 5 IN SOA']);
    const before = upstream.udpQueries;
    const outside = await dig('127.0.0.1', portA, '10.2.0.192.in-addr.arpa', 'PTR');
    expect([outside.status, outside.authority, upstream.udpQueries - before]).toEqual(['NXDOMAIN', [], 1]); // the fake upstream's answer
  });

  it('switches an alias and changes the TTL by patch', async () => {
    expect((await dig('127.0.0.1', portA, `db.${A}`)).answer).toEqual([`db.${A}. 5 IN A 10.240.0.9`]);
    const next = [
      networkA({ dnsTtl: 42, aliases: [{ name: 'db', applicationId: 'ap-shop', processType: 'worker' }] }),
      sampleNetworkB(),
      wideNetwork('pn-wide', 7, 12),
    ];
    const patch = diffNetworks(server.model(), next);
    if (!patch) throw new Error('expected a patch');
    server.patchNetworks(patch);
    expect((await dig('127.0.0.1', portA, `db.${A}`)).answer).toEqual([`db.${A}. 42 IN A 10.240.0.6`]);
    const nx = await dig('127.0.0.1', portA, `nope.${A}`);
    expect(nx.authority).toEqual(['private-network.internal. 42 IN SOA ns.private-network.internal. hostmaster.private-network.internal. 1 3600 600 86400 42']);
  });
});

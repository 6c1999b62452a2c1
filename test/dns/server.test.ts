// The server on loopback, asked by the real `dig`: one port per network, as sandboxes would have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../agent/dns/server.ts';
import { sampleNetworkA, sampleNetworkB, wideNetwork } from '../support/sample-networks.ts';
import { dig } from './dig.ts';
import { BIG_TXT, type FakeUpstream } from './fake-upstream.ts';
import { type LoopbackDns, startLoopbackDns } from './loopback.ts';

const A = 'pn-aaaa.private-network.internal';
const SOA = 'private-network.internal. 5 IN SOA ns.private-network.internal. hostmaster.private-network.internal. 1 3600 600 86400 5';
let server: DnsServer;
let upstream: FakeUpstream;
let portA: number;
let portB: number;
let portW: number;

let dns: LoopbackDns;
beforeAll(async () => {
  dns = await startLoopbackDns([sampleNetworkA(), sampleNetworkB(), wideNetwork('pn-wide', 7, 80)]);
  ({ server, upstream, portA, portB, portW } = dns);
});
afterAll(() => dns?.close());

describe('dig against the loopback server', () => {
  it('resolves every name form, echoing the case', async () => {
    expect((await dig('127.0.0.1', portA, `1.web.ap-shop.${A}`)).answer).toEqual([`1.web.ap-shop.${A}. 5 IN A 10.240.0.4`]);
    expect((await dig('127.0.0.1', portA, `web.ap-shop.${A}`)).answer).toHaveLength(2);
    expect((await dig('127.0.0.1', portA, `ap-api.${A}`)).answer).toEqual([`ap-api.${A}. 5 IN A 10.240.0.9`]);
    const upper = await dig('127.0.0.1', portA, `1.WEB.AP-SHOP.${A.toUpperCase()}`);
    expect(upper.answer).toEqual([`1.WEB.AP-SHOP.${A.toUpperCase()}. 5 IN A 10.240.0.4`]);
    expect(upper.flags).toEqual(expect.arrayContaining(['qr', 'aa', 'rd', 'ra']));
  });

  it('NXDOMAIN with SOA for unknown names and for another network; NODATA for AAAA', async () => {
    const unknown = await dig('127.0.0.1', portA, `nope.${A}`);
    expect([unknown.status, unknown.authority]).toEqual(['NXDOMAIN', [SOA]]);
    const other = await dig('127.0.0.1', portA, 'web.ap-other.pn-bbbb.private-network.internal');
    expect([other.status, other.answer, other.authority]).toEqual(['NXDOMAIN', [], [SOA]]);
    const aaaa = await dig('127.0.0.1', portA, `1.web.ap-shop.${A}`, 'AAAA');
    expect([aaaa.status, aaaa.answer, aaaa.authority]).toEqual(['NOERROR', [], [SOA]]);
    const inB = await dig('127.0.0.1', portB, 'web.ap-other.pn-bbbb.private-network.internal');
    expect(inB.answer).toEqual(['web.ap-other.pn-bbbb.private-network.internal. 30 IN A 10.240.0.4']);
    expect((await dig('127.0.0.1', portB, `1.web.ap-shop.${A}`)).status).toBe('NXDOMAIN');
  });

  it('answers over TCP', async () => {
    const r = await dig('127.0.0.1', portA, `web.ap-shop.${A}`, 'A', ['+tcp']);
    expect(r.answer).toHaveLength(2);
  });

  it('truncates a large answer over UDP, and dig gets it whole over TCP', async () => {
    const noRetry = await dig('127.0.0.1', portW, 'web.ap-wide.pn-wide.private-network.internal', 'A', ['+noedns', '+ignore']);
    expect(noRetry.flags).toContain('tc');
    const retried = await dig('127.0.0.1', portW, 'web.ap-wide.pn-wide.private-network.internal', 'A', ['+noedns']);
    expect(retried.raw).toContain('Truncated, retrying in TCP mode');
    expect(retried.answer).toHaveLength(80);
  });

  it('sees a container leave DNS on DRAINING at once, and come back on RUNNING', async () => {
    const draining = sampleNetworkA();
    draining.containers.find((c) => c.number === 1 && c.processType === 'web')!.state = 'DRAINING';
    server.setNetworks([draining, sampleNetworkB(), wideNetwork('pn-wide', 7, 80)]);
    expect((await dig('127.0.0.1', portA, `1.web.ap-shop.${A}`)).status).toBe('NXDOMAIN');
    expect((await dig('127.0.0.1', portA, `web.ap-shop.${A}`)).answer).toEqual([`web.ap-shop.${A}. 5 IN A 10.240.0.5`]);
    server.setNetworks([sampleNetworkA(), sampleNetworkB(), wideNetwork('pn-wide', 7, 80)]);
    expect((await dig('127.0.0.1', portA, `1.web.ap-shop.${A}`)).answer).toHaveLength(1);
  });

  it('forwards outside names to the upstream, over TCP when it truncates', async () => {
    expect((await dig('127.0.0.1', portA, 'example.test')).answer).toEqual(['example.test. 60 IN A 192.0.2.10']);
    const tcpBefore = upstream.tcpQueries;
    const big = await dig('127.0.0.1', portA, 'big.example.test', 'TXT', ['+bufsize=1232']);
    expect(big.answer).toHaveLength(4);
    expect(big.answer[0]).toContain(BIG_TXT);
    expect(upstream.tcpQueries).toBeGreaterThan(tcpBefore); // fetched whole over TCP, fits 1232
    const viaTcp = await dig('127.0.0.1', portA, 'example.test', 'A', ['+tcp']);
    expect(viaTcp.answer).toEqual(['example.test. 60 IN A 192.0.2.10']);
    expect((await dig('127.0.0.1', portA, 'nothing.invalid')).status).toBe('NXDOMAIN');
  });

  it('counts queries, fast-path hits, forwards and rcodes per network', () => {
    const m = server.metrics();
    expect(m['pn-aaaa'].queries).toBeGreaterThan(10);
    expect(m['pn-aaaa'].fastPath).toBeGreaterThan(0);
    expect(m['pn-aaaa'].forwarded).toBeGreaterThan(0);
    expect(m['pn-aaaa'].rcodes.NXDOMAIN).toBeGreaterThan(0);
    expect(m['pn-wide'].truncated).toBeGreaterThan(0);
  });
});

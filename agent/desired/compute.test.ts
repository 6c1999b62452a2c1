import { describe, expect, it } from 'vitest';
import { makeNames } from '../config-names';
import { container, host, hostConfig, network } from '../../test/support/model';
import { computeDesired, gatewayMac } from './compute';
import { summarizeTableText } from './nft-text';

const K = (c: string) => `${c.repeat(43)}=`;
const [h1, h2, h3] = [host(1, K('A')), host(2, K('B')), host(3, K('C'))];
const names = makeNames({ prefix: 'x1' });

describe('computeDesired', () => {
  const net = network('pn-a', 100, [
    container('ctr-a0000001', 'pn-a', h1, '10.240.0.11'),
    container('ctr-a0000005', 'pn-a', h1, '10.240.0.15', 'PENDING'),
    container('ctr-a0000002', 'pn-a', h2, '10.240.0.12', 'PENDING'),
    container('ctr-a0000003', 'pn-a', h3, '10.240.0.13', 'DRAINING'),
  ]);
  const cfg = hostConfig(h1, [h1, h2, h3], [net, network('pn-other', 7, [container('ctr-c0000001', 'pn-other', h2, '10.240.0.2')])]);
  const d = computeDesired(cfg, { 'ctr-a0000001': '/proc/1/ns/net' }, { names });

  it('one sandbox per network with a local container, named with the prefix', () => {
    expect(d.sandboxes.map((s) => s.ns)).toEqual(['x1pn-100']);
    const sb = d.sandboxes[0];
    expect(sb.bridge).toEqual({ name: 'x1pnb-100', mac: '06:64:0a:f0:00:01', address: '10.240.0.1/22', alias: 'pn:vni=100:pn=pn-a' });
    expect(sb.vxlan).toEqual({ name: 'x1pnv-100', alias: 'pn:vni=100:pn=pn-a', local: '100.64.0.1', port: 4789 });
    expect(sb.mtu).toBe(1370);
  });

  it('remote PENDING and DRAINING containers are connected; local ones only once attached', () => {
    const sb = d.sandboxes[0];
    expect(sb.remotes.map((r) => [r.ip, r.dst])).toEqual([
      ['10.240.0.12', '100.64.0.2'],
      ['10.240.0.13', '100.64.0.3'],
    ]);
    expect(sb.locals.map((l) => [l.veth, l.ip, l.mac, l.netnsPath])).toEqual([['x1pnc-a0000001', '10.240.0.11', '02:00:0a:f0:00:0b', '/proc/1/ns/net']]);
  });

  it('multicast ON: one all-zeros FDB remote per other member host (not per container); OFF: none', () => {
    const two = network('pn-a', 100, [...net.containers, container('ctr-a0000004', 'pn-a', h2, '10.240.0.14')]);
    expect(computeDesired(hostConfig(h1, [h1, h2, h3], [two]), {}, { names }).sandboxes[0].flood).toEqual(['100.64.0.2', '100.64.0.3']);
    const off = computeDesired(hostConfig(h1, [h1, h2, h3], [{ ...two, multicast: 'OFF' }]), {}, { names });
    expect(off.sandboxes[0].flood).toEqual([]);
    expect(off.sandboxes[0].remotes).toHaveLength(3); // unicast is unchanged
  });

  it("the device's key is the agent's own when it knows it (a live rotation), else the model's", () => {
    expect(computeDesired(cfg, {}, { names, publicKey: K('Z') }).wg.publicKey).toBe(K('Z'));
    expect(computeDesired(cfg, {}, { names }).wg.publicKey).toBe(K('A'));
  });

  it('a narrower connectivity policy is an option', () => {
    const only = computeDesired(cfg, {}, { names, connectedStates: ['RUNNING'] });
    expect(only.sandboxes[0].remotes).toEqual([]);
  });

  it('WireGuard: mesh address with the mesh prefix, listen port from the endpoint, one /32 per peer', () => {
    expect(d.wg).toMatchObject({ ifname: 'x1pnwg0', address: '100.64.0.1/16', mtu: 1420, listenPort: 51820, publicKey: K('A') });
    expect(d.wg.peers.map((p) => p.allowedIps)).toEqual([['100.64.0.2/32'], ['100.64.0.3/32']]);
  });

  it('nft: the host table drops VXLAN not from WireGuard; the guard sets list the attached ports', () => {
    expect(d.hostTable.text).toContain('udp dport 4789 iifname != "x1pnwg0" counter drop');
    const guard = d.sandboxes[0].tables.find((t) => t.family === 'bridge')!;
    expect(guard.text).toContain('elements = { "x1pnc-a0000001" . 02:00:0a:f0:00:0b }');
    expect(guard.sets).toEqual({ cmac: 1, cip: 1 });
    expect(summarizeTableText(guard.text).hash).toBe(guard.hash);
  });

  it('is deterministic: same input, same output, whatever the input order', () => {
    const shuffled = { ...cfg, peers: [...cfg.peers].reverse(), networks: cfg.networks.map((n) => ({ ...n, containers: [...n.containers].reverse() })) };
    expect(computeDesired(shuffled, { 'ctr-a0000001': '/proc/1/ns/net' }, { names })).toEqual(d);
  });

  it('the gateway MAC can never be a container MAC (02:00:…)', () => {
    expect(gatewayMac(0, '10.0.0.1').startsWith('06:')).toBe(true);
  });
});

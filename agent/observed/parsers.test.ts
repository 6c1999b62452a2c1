import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBridgeFdb } from './bridge';
import { parseIpLinks, parseIpNeigh, parseNetnsList } from './ip';
import { parseNftRuleset } from './nft';
import { parseWgDump } from './wg';

const fixture = (name: string): string => JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}.json`, import.meta.url), 'utf8')).output;

describe('parsers against real captured output (test/fixtures, versions inside each file)', () => {
  it('ip -j -d addr show (sandbox): bridge, moved VXLAN, veth port, alias, learning, addresses', () => {
    const links = parseIpLinks(fixture('ip-addr-sandbox'));
    const br = links.find((l) => l.name === 'wfxpnb-100')!;
    expect(br).toMatchObject({
      kind: 'bridge',
      mtu: 1370,
      up: true,
      mac: '06:64:0a:f0:00:01',
      alias: 'pn:vni=100:pn=pn-fixture',
      mcastSnooping: 0,
      addrs: ['10.240.0.1/22'],
    });
    const vx = links.find((l) => l.name === 'wfxpnv-100')!;
    expect(vx).toMatchObject({
      kind: 'vxlan',
      master: 'wfxpnb-100',
      learning: false,
      vxlan: { id: 100, local: '100.64.0.1', port: 4789, learning: false, proxy: true },
    });
    const veth = links.find((l) => l.name === 'wfxpnc-0a1b2c3d')!;
    expect(veth).toMatchObject({ kind: 'veth', mtu: 1370, learning: false, alias: 'pn:vni=100:pn=pn-fixture:ctr=ctr-0a1b2c3d' });
  });

  it('ip -j -d link/addr show (host): wireguard-go shows up as a tun link with its mesh address', () => {
    expect(parseIpLinks(fixture('ip-link-host')).map((l) => l.name)).toContain('wfxpnwg0');
    const wg = parseIpLinks(fixture('ip-addr-host')).find((l) => l.name === 'wfxpnwg0')!;
    expect(wg).toMatchObject({ kind: 'tun', mtu: 1420, addrs: ['100.64.0.1/16'] });
  });

  it('bridge -j fdb show: self+dst, master static, and kernel entries kept apart', () => {
    const fdb = parseBridgeFdb(fixture('bridge-fdb-sandbox'));
    expect(fdb).toContainEqual({ mac: '02:64:0a:f0:00:03', dev: 'wfxpnv-100', self: true, dst: '100.64.0.2', master: null, state: 'permanent' });
    expect(fdb).toContainEqual({ mac: '02:64:0a:f0:00:03', dev: 'wfxpnv-100', self: false, dst: null, master: 'wfxpnb-100', state: 'static' });
    expect(fdb).toContainEqual({ mac: '02:64:0a:f0:00:02', dev: 'wfxpnc-0a1b2c3d', self: false, dst: null, master: 'wfxpnb-100', state: 'static' });
    expect(fdb.filter((e) => e.mac.startsWith('33:33')).every((e) => e.self && !e.dst)).toBe(true);
  });

  it('ip -j neigh show: permanent entry on the VXLAN', () => {
    expect(parseIpNeigh(fixture('ip-neigh-sandbox'))).toEqual([{ ip: '10.240.0.3', dev: 'wfxpnv-100', mac: '02:64:0a:f0:00:03', permanent: true }]);
  });

  it('dual-stack sandbox (capture-ipv6.sh): the bridge keeps its v6 gateway apart from IPv4; a link without v6 addresses has no addrs6', () => {
    const links = parseIpLinks(fixture('ip-addr-sandbox-v6'));
    const br = links.find((l) => l.name === 'wfxpnb-100')!;
    expect(br.addrs).toEqual(['10.240.0.1/22']);
    expect(br.addrs6).toEqual(['fd77:6674:0:64::1/64']);
    expect(links.find((l) => l.name === 'wfxpnc-0a1b2c3d')).toMatchObject({ alias: 'pn:vni=100:pn=pn-fixture:ctr=ctr-0a1b2c3d:v6' });
    expect(links.find((l) => l.name === 'wfxpnc-0a1b2c3d')).not.toHaveProperty('addrs6');
    // a namespace where IPv6 is on shows link-locals too: any v6 address on the bridge means "on" (diff-sandbox.ts)
    expect(
      parseIpLinks(fixture('ip-addr-sandbox'))
        .find((l) => l.name === 'wfxpnb-100')
        ?.addrs6?.every((a) => a.startsWith('fe80::')),
    ).toBe(true);
  });

  it('ip -j neigh show, dual-stack: v4 and v6 permanent entries on the VXLAN, the learned one on the bridge not permanent', () => {
    expect(parseIpNeigh(fixture('ip-neigh-sandbox-v6'))).toEqual([
      { ip: '10.240.0.3', dev: 'wfxpnv-100', mac: '02:64:0a:f0:00:03', permanent: true },
      { ip: 'fd77:6674:0:64::3', dev: 'wfxpnv-100', mac: '02:64:0a:f0:00:03', permanent: true },
      { ip: 'fd77:6674:0:64::2', dev: 'wfxpnb-100', mac: '02:64:0a:f0:00:02', permanent: false },
    ]);
  });

  it('nft -j list ruleset: chains with rule counts, set sizes, hash from weft_meta', () => {
    const [t] = parseNftRuleset(fixture('nft-ruleset-sandbox'));
    expect(t).toEqual({ family: 'bridge', name: 'wfxpn_guard', hash: '0123456789abcdef', chains: { weft_meta: 1, pre: 1 }, sets: { cmac: 1 } });
    expect(parseNftRuleset('')).toEqual([]);
  });

  it('wg show dump: drops the private key line field, parses peers', () => {
    const raw = fixture('wg-dump');
    const wg = parseWgDump(raw);
    expect(wg.listenPort).toBe(51820);
    expect(wg.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(wg.peers).toEqual([{ publicKey: expect.any(String), endpoint: '192.0.2.12:51820', allowedIps: ['100.64.0.2/32'], keepalive: 25 }]);
    expect(JSON.stringify(wg)).not.toContain(raw.split('\t')[0]);
  });

  it('wg show dump: a device without a key, and a secret that must never surface in errors', () => {
    expect(parseWgDump('(none)\t(none)\t0\toff\n')).toEqual({ publicKey: '', listenPort: 0, peers: [] });
    const secret = 'SECRETSECRETSECRETSECRETSECRETSECRETSECRE0=';
    let error: unknown;
    try {
      parseWgDump(`${secret}\tnot-a-key\t1\toff\n`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeDefined(); // the malformed dump is refused…
    expect(String(error)).not.toContain(secret); // …without repeating the private key
  });

  it('ip -j netns list', () => {
    expect(parseNetnsList(fixture('ip-netns-list'))).toEqual(expect.arrayContaining(['wfxh', 'wfxpn-100', 'wfxc1']));
    expect(parseNetnsList('')).toEqual([]);
  });

  it('a changed output format fails loudly', () => {
    expect(() => parseIpLinks('[{"name":"x"}]')).toThrow();
    expect(() => parseBridgeFdb('[{"lladdr":"x"}]')).toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { parseBatchErrors } from './apply';
import { toCommands } from './argv';
import type { Op } from './ops';

describe('toCommands', () => {
  it('batches per tool and namespace, in dependency order', () => {
    const ops: Op[] = [
      { kind: 'netns.add', ns: 'pn-1', vni: 1 },
      { kind: 'vxlan.add', ns: 'pn-1', vni: 1, name: 'pnv-1', id: 1, local: '100.64.0.1', port: 4789, mtu: 1370, alias: 'pn:vni=1:pn=x', bridge: 'pnb-1' },
      { kind: 'neigh.add', ns: 'pn-1', vni: 1, dev: 'pnv-1', ip: '10.0.0.2', mac: '02:00:0a:00:00:02' },
      { kind: 'fdb.add', ns: 'pn-1', vni: 1, dev: 'pnv-1', mac: '02:00:0a:00:00:02', dst: '100.64.0.2' },
      { kind: 'fdb.add', ns: 'pn-1', vni: 1, dev: 'pnv-1', mac: '02:00:0a:00:00:02', dst: null },
      { kind: 'fdb.add', ns: 'pn-1', vni: 1, dev: 'pnv-1', mac: '00:00:00:00:00:00', dst: '100.64.0.2' },
      { kind: 'netns.del', ns: 'pn-9', vni: 9 },
    ];
    const cmds = toCommands(ops);
    expect(cmds.map((c) => c.argv.join(' '))).toEqual([
      'ip -force -batch -',
      'ip netns exec pn-1 sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0',
      'ip -force -batch -',
      'ip -n pn-1 -force -batch -',
      'bridge -n pn-1 -force -batch -',
      'ip -force -batch -',
    ]);
    expect(cmds[2].stdin).toBe(
      'link add pnv-1 mtu 1370 type vxlan id 1 local 100.64.0.1 dstport 4789 nolearning proxy\nlink set pnv-1 alias pn:vni=1:pn=x netns pn-1\n',
    );
    expect(cmds[3].stdin).toContain(
      'link set pnv-1 master pnb-1 up\nlink set pnv-1 type bridge_slave learning off\nneigh replace 10.0.0.2 lladdr 02:00:0a:00:00:02 dev pnv-1 nud permanent\n',
    );
    expect(cmds[4].stdin).toBe(
      'fdb replace 02:00:0a:00:00:02 dev pnv-1 dst 100.64.0.2 self permanent\nfdb replace 02:00:0a:00:00:02 dev pnv-1 master static\nfdb append 00:00:00:00:00:00 dev pnv-1 dst 100.64.0.2 self permanent\n',
    );
    expect(cmds[5].stdin).toBe('netns del pn-9\n');
  });

  it('all peers go into one wg set; removals run after additions', () => {
    const cmds = toCommands([
      { kind: 'wg.peers', ifname: 'pnwg0', set: [], remove: ['K1'] },
      {
        kind: 'wg.peers',
        ifname: 'pnwg0',
        set: [
          { publicKey: 'K2', endpoint: '192.0.2.2:51820', allowedIps: ['100.64.0.2/32'], keepalive: 25 },
          { publicKey: 'K3', endpoint: '192.0.2.3:51820', allowedIps: ['100.64.0.3/32'], keepalive: 25 },
        ],
        remove: [],
      },
    ]);
    expect(cmds.map((c) => c.argv.join(' '))).toEqual([
      'wg set pnwg0 peer K2 endpoint 192.0.2.2:51820 allowed-ips 100.64.0.2/32 persistent-keepalive 25 peer K3 endpoint 192.0.2.3:51820 allowed-ips 100.64.0.3/32 persistent-keepalive 25',
      'wg set pnwg0 peer K1 remove',
    ]);
  });

  it('nft tables of one namespace are replaced atomically in one transaction', () => {
    const t = (name: string) => ({ family: 'inet' as const, name, hash: 'h', text: `table inet ${name} {\n}`, chains: {}, sets: {} });
    const [cmd] = toCommands([
      { kind: 'nft.replace', ns: 'pn-1', vni: 1, table: t('a') },
      { kind: 'nft.replace', ns: 'pn-1', vni: 1, table: t('b') },
    ]);
    expect(cmd.argv).toEqual(['ip', 'netns', 'exec', 'pn-1', 'nft', '-f', '-']);
    expect(cmd.stdin).toBe('table inet a\ndelete table inet a\ntable inet a {\n}\ntable inet b\ndelete table inet b\ntable inet b {\n}\n');
  });
});

describe('parseBatchErrors', () => {
  it('maps iproute2 -force output to line numbers (real stderr captured on this machine)', () => {
    const stderr = 'Error: Unknown device type.\nCommand failed -:1\nCannot find device "x1"\nCommand failed -:4\n';
    expect([...parseBatchErrors(stderr)]).toEqual([
      [1, 'Error: Unknown device type.'],
      [4, 'Cannot find device "x1"'],
    ]);
  });
});

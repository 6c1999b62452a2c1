/**
 * Router states, the anchor way (Tailscale's TestRouterStates): a sequence of host models and, for
 * each, the literal kernel commands the agent runs — a process's argv, then its stdin indented.
 * Everything between the model and the fake kernel is the real code (computeDesired, diff, the
 * phase table, argv), so a wrong name, address, MAC, peer, rule or order in any of them fails here
 * as text, not only as a different end state.
 */
import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../protocol/model.ts';
import { container, hostConfig, network } from '../../test/support/model';
import { ATTACHED, fakeAgent, H, writes } from '../../test/support/reconcile-scenarios';

const [h1, h2, h3] = H;
const local = container('ctr-a0000001', 'pn-a', h1, '10.240.0.11'); // attached: /proc/101/ns/net
const remote2 = container('ctr-a0000002', 'pn-a', h2, '10.240.0.12');
const remote3 = container('ctr-a0000003', 'pn-a', h3, '10.240.0.13');

const STEPS: { name: string; config: HostConfig; want: string }[] = [
  {
    name: 'empty',
    config: hostConfig(h1, H, []),
    want: `
ip -force -batch -
  link set t1pnwg0 mtu 1420 up
  addr replace 100.64.0.1/16 dev t1pnwg0
nft -f -
  table inet t1pn_host
  delete table inet t1pn_host
  table inet t1pn_host {
    chain weft_meta {
      counter comment "weft:sha=83700da120490892"
    }
    chain input {
      type filter hook input priority -10; policy accept;
      udp dport 4789 iifname != "t1pnwg0" counter drop comment "vxlan-not-via-wg"
    }
  }
wg set t1pnwg0 private-key state/wg.key listen-port 51820
`,
  },
  {
    name: 'one network: one local, one remote container',
    config: hostConfig(h1, H, [network('pn-a', 100, [local, remote2])]),
    want: `
ip -force -batch -
  netns add t1pn-100
ip netns exec t1pn-100 sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
ip -force -batch -
  link add t1pnv-100 mtu 1370 type vxlan id 100 local 100.64.0.1 dstport 4789 nolearning proxy
  link set t1pnv-100 alias pn:vni=100:pn=pn-a netns t1pn-100
ip -n t1pn-100 -force -batch -
  link set lo up
  link add t1pnb-100 address 06:64:0a:f0:00:01 mtu 1370 type bridge mcast_snooping 0
  link set t1pnb-100 alias pn:vni=100:pn=pn-a up
  link set t1pnv-100 master t1pnb-100 up
  link set t1pnv-100 type bridge_slave learning off
  link add t1pnc-a0000001 mtu 1370 type veth peer name eth1 address 02:00:0a:f0:00:0b mtu 1370 netns /proc/101/ns/net
  link set t1pnc-a0000001 alias pn:vni=100:pn=pn-a:ctr=ctr-a0000001 master t1pnb-100 up
  link set t1pnc-a0000001 type bridge_slave learning off
  addr replace 10.240.0.1/22 dev t1pnb-100
  neigh replace 10.240.0.12 lladdr 02:00:0a:f0:00:0c dev t1pnv-100 nud permanent
nsenter --net=/proc/101/ns/net ip -force -batch -
  link set lo up
  addr replace 10.240.0.11/22 dev eth1
  link set eth1 up
bridge -n t1pn-100 -force -batch -
  fdb replace 02:00:0a:f0:00:0b dev t1pnc-a0000001 master static
  fdb replace 02:00:0a:f0:00:0c dev t1pnv-100 dst 100.64.0.2 self permanent
  fdb replace 02:00:0a:f0:00:0c dev t1pnv-100 master static
  fdb append 00:00:00:00:00:00 dev t1pnv-100 dst 100.64.0.2 self permanent
ip netns exec t1pn-100 nft -f -
  table bridge t1pn_guard
  delete table bridge t1pn_guard
  table bridge t1pn_guard {
    chain weft_meta {
      counter comment "weft:sha=16d1854b0dcaa73f"
    }
    set cmac {
      type ifname . ether_addr
      elements = { "t1pnc-a0000001" . 02:00:0a:f0:00:0b }
    }
    set cip {
      type ifname . ipv4_addr
      elements = { "t1pnc-a0000001" . 10.240.0.11 }
    }
    chain pre {
      type filter hook prerouting priority -300; policy accept;
      iifname "t1pnc-*" jump from_ctr
    }
    chain from_ctr {
      iifname . ether saddr != @cmac counter drop comment "mac-spoof"
      ether type arp iifname . arp saddr ether != @cmac counter drop comment "arp-mac-spoof"
      ether type arp iifname . arp saddr ip != @cip counter drop comment "arp-ip-spoof"
      ether type ip iifname . ip saddr != @cip counter drop comment "ip-spoof"
      ether type { ip, arp } accept
      counter drop comment "other-ethertype"
    }
  }
  table inet t1pn_gateway
  delete table inet t1pn_gateway
  table inet t1pn_gateway {
    chain weft_meta {
      counter comment "weft:sha=3d4f2fb149930d53"
    }
    chain input {
      type filter hook input priority 0; policy drop;
      iif "lo" accept
      udp dport 53 accept
      tcp dport 53 accept
      icmp type { echo-request, destination-unreachable } accept
      counter comment "dropped-to-gateway"
    }
    chain forward {
      type filter hook forward priority 0; policy drop;
    }
  }
wg set t1pnwg0 peer BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB= endpoint 192.0.2.12:51820 allowed-ips 100.64.0.2/32 persistent-keepalive 25
`,
  },
  {
    name: 'a remote container added',
    config: hostConfig(h1, H, [network('pn-a', 100, [local, remote2, remote3])]),
    want: `
ip -n t1pn-100 -force -batch -
  neigh replace 10.240.0.13 lladdr 02:00:0a:f0:00:0d dev t1pnv-100 nud permanent
bridge -n t1pn-100 -force -batch -
  fdb replace 02:00:0a:f0:00:0d dev t1pnv-100 dst 100.64.0.3 self permanent
  fdb replace 02:00:0a:f0:00:0d dev t1pnv-100 master static
  fdb append 00:00:00:00:00:00 dev t1pnv-100 dst 100.64.0.3 self permanent
wg set t1pnwg0 peer CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC= endpoint 192.0.2.13:51820 allowed-ips 100.64.0.3/32 persistent-keepalive 25
`,
  },
  {
    name: 'the remote container removed',
    config: hostConfig(h1, H, [network('pn-a', 100, [local, remote2])]),
    want: `
wg set t1pnwg0 peer CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC= remove
bridge -n t1pn-100 -force -batch -
  fdb del 02:00:0a:f0:00:0d dev t1pnv-100 dst 100.64.0.3 self
  fdb del 02:00:0a:f0:00:0d dev t1pnv-100 master
  fdb del 00:00:00:00:00:00 dev t1pnv-100 dst 100.64.0.3 self
ip -n t1pn-100 -force -batch -
  neigh del 10.240.0.13 dev t1pnv-100
`,
  },
  {
    name: 'the network gone',
    config: hostConfig(h1, H, []),
    want: `
wg set t1pnwg0 peer BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB= remove
ip -force -batch -
  netns del t1pn-100
`,
  },
];

describe('router states: the literal kernel commands of each state', () => {
  it('empty → one network (one local, one remote container) → a remote added → removed → network gone', async () => {
    const { fake, rec } = fakeAgent();
    for (const step of STEPS) {
      const from = fake.calls.length;
      const r = await rec.reconcile(step.config, ATTACHED);
      expect(r.failures, step.name).toEqual([]);
      expect(writes(fake, from), step.name).toBe(step.want.trim());
      const again = fake.calls.length;
      await rec.reconcile(step.config, ATTACHED);
      expect(writes(fake, again), `${step.name}, second pass`).toBe('');
    }
  });
});

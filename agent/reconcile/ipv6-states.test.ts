/**
 * Dual-stack router states (docs/agent-dataplane.md "IPv6"), the router-states way: for each host
 * model, the literal kernel commands the agent runs, and a second pass that runs none. The network's
 * ipv6 switch goes ON (from scratch), OFF (live) and ON again (live).
 */
import { describe, expect, it } from 'vitest';
import { gateway6Of, ulaOfVni } from '../../protocol/addressing/ipv6.ts';
import type { HostConfig, NetworkModel } from '../../protocol/model.ts';
import { container, hostConfig, network } from '../../test/support/model';
import { ATTACHED, fakeAgent, H, writes } from '../../test/support/reconcile-scenarios';

const [h1, h2] = H;
const local = container('ctr-a0000001', 'pn-a', h1, '10.240.0.11'); // attached: /proc/101/ns/net
const remote2 = container('ctr-a0000002', 'pn-a', h2, '10.240.0.12');
const single = network('pn-a', 100, [local, remote2]);
const dual: NetworkModel = { ...single, ipv6: { cidr: ulaOfVni(100), gateway: gateway6Of(ulaOfVni(100)) } };

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
    name: 'dual-stack network (ipv6 ON): one local, one remote container',
    config: hostConfig(h1, H, [dual]),
    want: `
ip -force -batch -
  netns add t1pn-100
ip netns exec t1pn-100 sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 net.ipv6.conf.all.forwarding=0 net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.all.autoconf=0 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.default.forwarding=0 net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.autoconf=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_redirects=0 net.ipv6.conf.default.addr_gen_mode=1 net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
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
  link set t1pnc-a0000001 alias pn:vni=100:pn=pn-a:ctr=ctr-a0000001:v6 master t1pnb-100 up
  link set t1pnc-a0000001 type bridge_slave learning off
  addr replace 10.240.0.1/22 dev t1pnb-100
  addr replace fd77:6674:0:64::1/64 dev t1pnb-100 nodad
  neigh replace 10.240.0.12 lladdr 02:00:0a:f0:00:0c dev t1pnv-100 nud permanent
  neigh replace fd77:6674:0:64::c lladdr 02:00:0a:f0:00:0c dev t1pnv-100 nud permanent
nsenter --net=/proc/101/ns/net sysctl -qw net.ipv6.conf.eth1.accept_ra=0 net.ipv6.conf.eth1.autoconf=0 net.ipv6.conf.eth1.accept_dad=0 net.ipv6.conf.eth1.keep_addr_on_down=1 net.ipv6.conf.eth1.disable_ipv6=0
nsenter --net=/proc/101/ns/net ip -force -batch -
  link set lo up
  addr replace 10.240.0.11/22 dev eth1
  link set eth1 addrgenmode none
  addr replace fd77:6674:0:64::b/64 dev eth1 nodad
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
      counter comment "weft:sha=5f9f0c41cdd21c13"
    }
    set cmac {
      type ifname . ether_addr
      elements = { "t1pnc-a0000001" . 02:00:0a:f0:00:0b }
    }
    set cip {
      type ifname . ipv4_addr
      elements = { "t1pnc-a0000001" . 10.240.0.11 }
    }
    set cip6 {
      type ifname . ipv6_addr
      elements = { "t1pnc-a0000001" . fd77:6674:0:64::b }
    }
    set cna6 {
      typeof iifname . @th,64,128
      elements = { "t1pnc-a0000001" . 0xfd77667400000064000000000000000b }
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
      ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept
      ether type ip6 iifname . ip6 saddr != @cip6 counter drop comment "ip6-spoof"
      icmpv6 type { nd-router-solicit, nd-router-advert, nd-redirect } counter drop comment "nd-router-from-ctr"
      icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @cna6 counter drop comment "na-spoof"
      udp sport 547 counter drop comment "dhcpv6-server"
      ether type ip6 accept
      counter drop comment "other-ethertype"
    }
  }
  table inet t1pn_gateway
  delete table inet t1pn_gateway
  table inet t1pn_gateway {
    chain weft_meta {
      counter comment "weft:sha=df6d4ea505c58475"
    }
    chain input {
      type filter hook input priority 0; policy drop;
      iif "lo" accept
      udp dport 53 accept
      tcp dport 53 accept
      icmp type { echo-request, destination-unreachable } accept
      icmpv6 type { echo-request, destination-unreachable, packet-too-big, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept
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
    name: "the network's ipv6 switched OFF (live): IPv6 disabled in the sandbox, the container end switched in place, the guard back to single-stack",
    config: hostConfig(h1, H, [single]),
    want: `
ip netns exec t1pn-100 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n t1pn-100 -force -batch -
  link set t1pnc-a0000001 alias pn:vni=100:pn=pn-a:ctr=ctr-a0000001 up
nsenter --net=/proc/101/ns/net sysctl -qw net.ipv6.conf.eth1.disable_ipv6=1
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
`,
  },
  {
    name: 'ipv6 switched ON again (live): the container end gets its v6 address in place',
    config: hostConfig(h1, H, [dual]),
    want: `
ip netns exec t1pn-100 sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.all.autoconf=0 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.default.forwarding=0 net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.autoconf=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_redirects=0 net.ipv6.conf.default.addr_gen_mode=1 net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
ip -n t1pn-100 -force -batch -
  link set t1pnc-a0000001 alias pn:vni=100:pn=pn-a:ctr=ctr-a0000001:v6 up
  addr replace fd77:6674:0:64::1/64 dev t1pnb-100 nodad
  neigh replace fd77:6674:0:64::c lladdr 02:00:0a:f0:00:0c dev t1pnv-100 nud permanent
nsenter --net=/proc/101/ns/net sysctl -qw net.ipv6.conf.eth1.accept_ra=0 net.ipv6.conf.eth1.autoconf=0 net.ipv6.conf.eth1.accept_dad=0 net.ipv6.conf.eth1.keep_addr_on_down=1 net.ipv6.conf.eth1.disable_ipv6=0
nsenter --net=/proc/101/ns/net ip -force -batch -
  link set eth1 addrgenmode none
  addr flush dev eth1 scope link
  addr replace fd77:6674:0:64::b/64 dev eth1 nodad
ip netns exec t1pn-100 nft -f -
  table bridge t1pn_guard
  delete table bridge t1pn_guard
  table bridge t1pn_guard {
    chain weft_meta {
      counter comment "weft:sha=5f9f0c41cdd21c13"
    }
    set cmac {
      type ifname . ether_addr
      elements = { "t1pnc-a0000001" . 02:00:0a:f0:00:0b }
    }
    set cip {
      type ifname . ipv4_addr
      elements = { "t1pnc-a0000001" . 10.240.0.11 }
    }
    set cip6 {
      type ifname . ipv6_addr
      elements = { "t1pnc-a0000001" . fd77:6674:0:64::b }
    }
    set cna6 {
      typeof iifname . @th,64,128
      elements = { "t1pnc-a0000001" . 0xfd77667400000064000000000000000b }
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
      ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept
      ether type ip6 iifname . ip6 saddr != @cip6 counter drop comment "ip6-spoof"
      icmpv6 type { nd-router-solicit, nd-router-advert, nd-redirect } counter drop comment "nd-router-from-ctr"
      icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @cna6 counter drop comment "na-spoof"
      udp sport 547 counter drop comment "dhcpv6-server"
      ether type ip6 accept
      counter drop comment "other-ethertype"
    }
  }
  table inet t1pn_gateway
  delete table inet t1pn_gateway
  table inet t1pn_gateway {
    chain weft_meta {
      counter comment "weft:sha=df6d4ea505c58475"
    }
    chain input {
      type filter hook input priority 0; policy drop;
      iif "lo" accept
      udp dport 53 accept
      tcp dport 53 accept
      icmp type { echo-request, destination-unreachable } accept
      icmpv6 type { echo-request, destination-unreachable, packet-too-big, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept
      counter comment "dropped-to-gateway"
    }
    chain forward {
      type filter hook forward priority 0; policy drop;
    }
  }
`,
  },
];

describe('dual-stack router states: the literal kernel commands of each state', () => {
  it('empty → a dual-stack network → its ipv6 switched OFF → ON again; each second pass writes nothing', async () => {
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

import { describe, expect, it } from 'vitest';
import type { NetworkPolicy } from '../../protocol/policy/model.ts';
import { container, network } from '../../test/support/model.ts';
import { patchScript } from './nft-text';
import { policyTableText } from './policy-nft';

const h1 = { id: 'host-1', meshIp: '100.64.0.1' };
const h2 = { id: 'host-2', meshIp: '100.64.0.2' };
const h3 = { id: 'host-3', meshIp: '100.64.0.3' };
const app = (applicationId: string, processType = 'web') => ({ applicationId, processType });
// The ModSecurity world: proxy on h1, backend on h2, worker on h3, a second proxy on h3 still PENDING
// and a removed-soon worker on h2; plus a UDP rule and an ICMP rule for the rendering.
const containers = [
  container('ctr-p1', 'pn-1', h1, '10.240.0.2', 'RUNNING', 1, app('ap-proxy')),
  container('ctr-b1', 'pn-1', h2, '10.240.0.3', 'RUNNING', 1, app('ap-backend')),
  container('ctr-w1', 'pn-1', h3, '10.240.0.4', 'RUNNING', 1, app('ap-worker', 'worker')),
  container('ctr-p2', 'pn-1', h3, '10.240.0.10', 'PENDING', 2, app('ap-proxy')),
  container('ctr-w2', 'pn-1', h2, '10.240.0.5', 'DRAINING', 2, app('ap-worker', 'worker')),
];
const peer = (applicationId: string, processType: string | null = null) => ({ applicationId, processType });
const policy = (mode: NetworkPolicy['mode']): NetworkPolicy => ({
  mode,
  version: 3,
  tests: [],
  rules: [
    { from: peer('ap-proxy'), to: peer('ap-backend'), protocol: 'TCP', ports: [{ from: 8080, to: 8080 }] },
    {
      from: peer('ap-worker', 'worker'),
      to: peer('ap-backend', 'web'),
      protocol: 'UDP',
      ports: [
        { from: 53, to: 53 },
        { from: 9000, to: 9100 },
      ],
    },
    { from: peer('ap-proxy'), to: peer('ap-backend'), protocol: 'ICMP', ports: [] },
  ],
});
const connected = new Set(['PENDING', 'RUNNING', 'DRAINING'] as const);

describe('policyTableText', () => {
  it('renders ENFORCE on the destination host: local destinations, every connected source, flow openers only, UDP replies by udp_flows', () => {
    const t = policyTableText('pn_policy', network('pn-1', 7, containers, undefined, undefined, { policy: policy('ENFORCE') }), 'host-2', connected);
    expect(t?.text).toBe(`table bridge pn_policy {
  chain weft_meta {
    counter comment "weft:sha=${t?.hash}"
  }
  set iso {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set r0_src {
    type ipv4_addr
    elements = { 10.240.0.2, 10.240.0.10 }
  }
  set r0_dst {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set r1_src {
    type ipv4_addr
    elements = { 10.240.0.4, 10.240.0.5 }
  }
  set r1_dst {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set r2_src {
    type ipv4_addr
    elements = { 10.240.0.2, 10.240.0.10 }
  }
  set r2_dst {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set udp_flows {
    type ipv4_addr . inet_service . ipv4_addr . inet_service
    size 65535
    flags dynamic,timeout
    timeout 30s
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ether type != ip accept
    ip saddr @iso meta l4proto udp update @udp_flows { ip daddr . udp dport . ip saddr . udp sport }
    ip daddr != @iso accept
    tcp flags & (syn | ack) != syn accept
    icmp type { echo-reply, destination-unreachable, time-exceeded, parameter-problem } accept
    ip saddr . udp sport . ip daddr . udp dport @udp_flows accept
    jump rule_0
    jump rule_1
    jump rule_2
    jump verdict
  }
  chain rule_0 {
    ip saddr @r0_src ip daddr @r0_dst tcp dport 8080 counter accept comment "rule-0"
  }
  chain rule_1 {
    ip saddr @r1_src ip daddr @r1_dst udp dport { 53, 9000-9100 } counter accept comment "rule-1"
  }
  chain rule_2 {
    ip saddr @r2_src ip daddr @r2_dst ip protocol icmp counter accept comment "rule-2"
  }
  chain verdict {
    counter drop comment "default-deny"
  }
}`);
    expect([t?.chains, t?.sets]).toEqual([
      { weft_meta: 1, forward: 10, rule_0: 1, rule_1: 1, rule_2: 1, verdict: 1 },
      { iso: 1, r0_src: 2, r0_dst: 1, r1_src: 2, r1_dst: 1, r2_src: 2, r2_dst: 1, udp_flows: 0 },
    ]);
  });

  it('renders AUDIT with a counting would-drop rule instead of the drop; a host without a named destination has an empty iso', () => {
    const t = policyTableText('pn_policy', network('pn-1', 7, containers, undefined, undefined, { policy: policy('AUDIT') }), 'host-1', connected);
    const lines = t?.text.split('\n') ?? [];
    expect(lines.slice(4, 7)).toEqual(['  set iso {', '    type ipv4_addr', '  }']);
    expect(lines.at(-3)).toBe('    counter comment "would-drop"');
    expect(t?.text).not.toContain('drop comment "default-deny"');
  });

  it('only connected states enter the sets', () => {
    const t = policyTableText('pn_policy', network('pn-1', 7, containers, undefined, undefined, { policy: policy('ENFORCE') }), 'host-2', new Set(['RUNNING']));
    expect(t?.sets).toMatchObject({ r0_src: 1, r1_src: 1, iso: 1 });
  });

  it('renders no table when the policy is OFF, has no rule, or was never set', () => {
    const none = network('pn-1', 7, containers);
    expect(policyTableText('pn_policy', none, 'host-2', connected)).toBeNull();
    expect(policyTableText('pn_policy', { ...none, policy: policy('OFF') }, 'host-2', connected)).toBeNull();
    expect(policyTableText('pn_policy', { ...none, policy: { ...policy('ENFORCE'), rules: [] } }, 'host-2', connected)).toBeNull();
  });

  it('dual-stack (ipv6 ON): v6 twins of every set, one rule in both families behind one counter chain, ND never judged', () => {
    const pair = [
      container('ctr-p1', 'pn-1', h1, '10.240.0.2', 'RUNNING', 1, app('ap-proxy')),
      container('ctr-b1', 'pn-1', h2, '10.240.0.3', 'RUNNING', 1, app('ap-backend')),
    ];
    const rules = [policy('ENFORCE').rules[0], policy('ENFORCE').rules[2]]; // TCP 8080 and ICMP, proxy → backend
    const n = {
      ...network('pn-1', 7, pair),
      ipv6: { cidr: 'fd77:6674:0:7::/64', gateway: 'fd77:6674:0:7::1' },
      policy: { ...policy('ENFORCE'), version: 1, rules },
    };
    const t = policyTableText('pn_policy', n, 'host-2', connected);
    expect(t?.text).toBe(`table bridge pn_policy {
  chain weft_meta {
    counter comment "weft:sha=${t?.hash}"
  }
  set iso {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set iso6 {
    type ipv6_addr
    elements = { fd77:6674:0:7::3 }
  }
  set r0_src {
    type ipv4_addr
    elements = { 10.240.0.2 }
  }
  set r0_dst {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set r0_src6 {
    type ipv6_addr
    elements = { fd77:6674:0:7::2 }
  }
  set r0_dst6 {
    type ipv6_addr
    elements = { fd77:6674:0:7::3 }
  }
  set r1_src {
    type ipv4_addr
    elements = { 10.240.0.2 }
  }
  set r1_dst {
    type ipv4_addr
    elements = { 10.240.0.3 }
  }
  set r1_src6 {
    type ipv6_addr
    elements = { fd77:6674:0:7::2 }
  }
  set r1_dst6 {
    type ipv6_addr
    elements = { fd77:6674:0:7::3 }
  }
  set udp_flows {
    type ipv4_addr . inet_service . ipv4_addr . inet_service
    size 65535
    flags dynamic,timeout
    timeout 30s
  }
  set udp_flows6 {
    type ipv6_addr . inet_service . ipv6_addr . inet_service
    size 65535
    flags dynamic,timeout
    timeout 30s
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ether type != { ip, ip6 } accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report, mld2-listener-report } accept
    ip saddr @iso meta l4proto udp update @udp_flows { ip daddr . udp dport . ip saddr . udp sport }
    ip6 saddr @iso6 meta l4proto udp update @udp_flows6 { ip6 daddr . udp dport . ip6 saddr . udp sport }
    ip daddr != @iso accept
    ip6 daddr != @iso6 accept
    tcp flags & (syn | ack) != syn accept
    icmp type { echo-reply, destination-unreachable, time-exceeded, parameter-problem } accept
    icmpv6 type { echo-reply, destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept
    ip saddr . udp sport . ip daddr . udp dport @udp_flows accept
    ip6 saddr . udp sport . ip6 daddr . udp dport @udp_flows6 accept
    jump rule_0
    jump rule_1
    jump verdict
  }
  chain rule_0 {
    ip saddr @r0_src ip daddr @r0_dst tcp dport 8080 goto allow_0
    ip6 saddr @r0_src6 ip6 daddr @r0_dst6 tcp dport 8080 goto allow_0
  }
  chain allow_0 {
    counter accept comment "rule-0"
  }
  chain rule_1 {
    ip saddr @r1_src ip daddr @r1_dst ip protocol icmp goto allow_1
    ip6 saddr @r1_src6 ip6 daddr @r1_dst6 meta l4proto ipv6-icmp goto allow_1
  }
  chain allow_1 {
    counter accept comment "rule-1"
  }
  chain verdict {
    counter drop comment "default-deny"
  }
}`);
    expect(t?.setElements).toEqual({
      iso: ['10.240.0.3'],
      iso6: ['fd77:6674:0:7::3'],
      r0_src: ['10.240.0.2'],
      r0_dst: ['10.240.0.3'],
      r0_src6: ['fd77:6674:0:7::2'],
      r0_dst6: ['fd77:6674:0:7::3'],
      r1_src: ['10.240.0.2'],
      r1_dst: ['10.240.0.3'],
      r1_src6: ['fd77:6674:0:7::2'],
      r1_dst6: ['fd77:6674:0:7::3'],
    });
    // the single-stack table of the same network is the one it always was: no v6 set, no allow chain
    const single = policyTableText('pn_policy', { ...n, ipv6: undefined }, 'host-2', connected);
    expect(single?.text).not.toMatch(/ip6|allow_|icmpv6/);
  });
});

describe('patchScript on the policy table (what a policy write sends to nft)', () => {
  const table = (p: NetworkPolicy, list = containers) =>
    policyTableText('pn_policy', network('pn-1', 7, list, undefined, undefined, { policy: p }), 'host-2', connected)!;
  const patch = (from: ReturnType<typeof table>, to: ReturnType<typeof table>) => patchScript(to, { parts: from.parts!, elements: from.setElements });

  it('a mode switch rewrites weft_meta and the verdict chain only: the rules keep their counters', () => {
    const to = table(policy('AUDIT'));
    expect(patch(table(policy('ENFORCE')), to)).toBe(`flush chain bridge pn_policy weft_meta
flush chain bridge pn_policy verdict
table bridge pn_policy {
  chain weft_meta {
    counter comment "weft:sha=${to.hash}"
  }
  chain verdict {
    counter comment "would-drop"
  }
}`);
  });

  it('a changed rule rewrites its own chain; a removed rule loses its chain and sets after forward stops jumping to it; new members refill their set', () => {
    const p = policy('ENFORCE');
    const changed: NetworkPolicy = { ...p, rules: [{ ...p.rules[0], ports: [{ from: 8443, to: 8443 }] }, p.rules[1]] };
    const to = table(changed, [...containers, container('ctr-w3', 'pn-1', h1, '10.240.0.6', 'PENDING', 3, app('ap-worker', 'worker'))]);
    expect(patch(table(p), to)).toBe(`flush chain bridge pn_policy weft_meta
flush chain bridge pn_policy forward
flush chain bridge pn_policy rule_0
flush chain bridge pn_policy rule_2
flush set bridge pn_policy r1_src
table bridge pn_policy {
  chain weft_meta {
    counter comment "weft:sha=${to.hash}"
  }
  set r1_src {
    type ipv4_addr
    elements = { 10.240.0.4, 10.240.0.5, 10.240.0.6 }
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ether type != ip accept
    ip saddr @iso meta l4proto udp update @udp_flows { ip daddr . udp dport . ip saddr . udp sport }
    ip daddr != @iso accept
    tcp flags & (syn | ack) != syn accept
    icmp type { echo-reply, destination-unreachable, time-exceeded, parameter-problem } accept
    ip saddr . udp sport . ip daddr . udp dport @udp_flows accept
    jump rule_0
    jump rule_1
    jump verdict
  }
  chain rule_0 {
    ip saddr @r0_src ip daddr @r0_dst tcp dport 8443 counter accept comment "rule-0"
  }
}
delete chain bridge pn_policy rule_2
delete set bridge pn_policy r2_src
delete set bridge pn_policy r2_dst`);
  });

  it('a new rule adds its sets and chain, and forward jumps to it', () => {
    const p = policy('ENFORCE');
    const from = table({ ...p, rules: p.rules.slice(0, 2) });
    const script = patch(from, table(p))!.split('\n');
    expect(script.slice(0, 3)).toEqual(['flush chain bridge pn_policy weft_meta', 'flush chain bridge pn_policy forward', 'table bridge pn_policy {']);
    expect(script).toContain('  chain rule_2 {');
    expect(script.filter((l) => l.startsWith('  set '))).toEqual(['  set r2_src {', '  set r2_dst {']);
    expect(script.at(-1)).toBe('}');
  });

  it('gives null (replace the table) when a chain would change its hook, or without parts', () => {
    const from = table(policy('ENFORCE'));
    const to = table(policy('AUDIT'));
    const hooked = { ...from.parts!, chains: { ...from.parts!.chains, verdict: 'type filter hook forward priority 1; policy accept;' } };
    expect(patchScript(to, { parts: hooked })).toBeNull();
    expect(patchScript({ ...to, parts: undefined }, { parts: from.parts! })).toBeNull();
  });
});

/**
 * The app-to-app policy of one network as a bridge-family nftables table in its sandbox
 * (docs/policies.md#data-plane). Pure: (network model, this host) → table text.
 *
 * Enforced on the destination's host only: the sets of destinations hold this host's containers,
 * the sets of sources every connected container of the network (PENDING, RUNNING, DRAINING — a new
 * container is in them before it is RUNNING). Anti-spoofing (the guard table, prerouting -300)
 * has already made a source address trustworthy when the forward hook sees a frame.
 *
 * Without conntrack, because the kernels we run on lack bridge conntrack (CONFIG_NF_CONNTRACK_BRIDGE):
 * only a flow's opening packet is judged — a TCP SYN without ACK, a UDP datagram, an ICMP message
 * that is not a reply or an error. Every other TCP segment and ICMP reply/error passes (no
 * connection can be opened without a SYN). UDP replies are tracked by the table itself: each
 * datagram an isolated container sends records its reversed 4-tuple in the dynamic set
 * `udp_flows` (30 s, UDP conntrack's own timeout), and a datagram matching it is a reply. Rules are evaluated as
 * protocol/policy/evaluate.ts does: an address no rule names as destination (`iso`) is open.
 * Counters: `rule-<i>` on each allow, then `default-deny` (ENFORCE, drop) or `would-drop` (AUDIT,
 * counted and let through). OFF, or no rule: no table at all (null).
 *
 * Laid out to be patched in place (nft-text.ts `patchScript`): each rule is a chain of its own
 * (`rule_<i>`, one jump from `forward`) and the mode's last word is chain `verdict`, so a policy
 * write rewrites only the chains and sets it changes, and the counters of the others stay.
 * Dual-stack (the network's ipv6 ON): every set has a v6 twin (`iso6`, `r<i>_src6`, …, `udp_flows6`)
 * holding the same containers' derived v6 addresses, and each flow opener is judged by the same rule
 * in either family — ICMPv6 echo is the ICMP protocol. Both families of rule i go to one chain
 * `allow_<i>` so `rule-<i>` stays one counter. Neighbour Discovery and MLD are never judged (accepted
 * first). Single-stack networks get exactly the table they had before.
 */
import { containerIpv6 } from '../../protocol/addressing/ipv6.ts';
import type { ContainerModel, NetworkModel } from '../../protocol/model.ts';
import { isIsolated, peerMatches } from '../../protocol/policy/evaluate.ts';
import type { PolicyRule } from '../../protocol/policy/model.ts';
import { finish } from './nft-text';
import type { DesiredTable, TableParts } from './types';
import { numericOrder } from '../../protocol/order.ts';

/** ICMP types that answer or report on something sent: never the start of a flow. */
const ICMP_REPLIES = 'echo-reply, destination-unreachable, time-exceeded, parameter-problem';
/** The same for ICMPv6, with packet-too-big (path MTU discovery). */
const ICMPV6_REPLIES = 'echo-reply, destination-unreachable, packet-too-big, time-exceeded, parameter-problem';
/** Neighbour Discovery and multicast listener messages: the link itself, never a flow. */
const ICMPV6_LINK = 'nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report, mld2-listener-report';
/** Room for UDP flows of isolated containers on one host and network; a full set stops recording (new replies are then judged as openers). */
const UDP_FLOWS = 65535;

/** The policy table of network `n` on host `hostId`; containers in `connected` states are in the sets. */
export function policyTableText(name: string, n: NetworkModel, hostId: string, connected: ReadonlySet<ContainerModel['state']>): DesiredTable | null {
  const policy = n.policy;
  if (!policy || policy.mode === 'OFF' || policy.rules.length === 0) return null;
  const members = n.containers.filter((c) => connected.has(c.state));
  const local = members.filter((c) => c.hostId === hostId);
  const endpoint = (c: ContainerModel) => ({ applicationId: c.applicationId, processType: c.processType });
  const ips = (list: ContainerModel[], peer: PolicyRule['from']) => list.filter((c) => peerMatches(peer, endpoint(c))).map((c) => c.ip);
  const v6 = Boolean(n.ipv6);
  const ips6 = (list: ContainerModel[]) => list.map((c) => containerIpv6(n, c.ip)).filter((ip) => ip !== null);
  const isolated = local.filter((c) => isIsolated(policy.rules, endpoint(c)));
  const body: string[] = [
    ...set(
      'iso',
      isolated.map((c) => c.ip),
    ),
    ...(v6 ? set('iso6', ips6(isolated), 'ipv6_addr') : []),
  ];
  const ruleChains: string[] = [];
  policy.rules.forEach((r, i) => {
    body.push(...set(`r${i}_src`, ips(members, r.from)), ...set(`r${i}_dst`, ips(local, r.to)));
    if (!v6) {
      ruleChains.push(`  chain rule_${i} {`, `    ip saddr @r${i}_src ip daddr @r${i}_dst ${match(r)}counter accept comment "rule-${i}"`, '  }');
      return;
    }
    const from = members.filter((c) => peerMatches(r.from, endpoint(c)));
    const to = local.filter((c) => peerMatches(r.to, endpoint(c)));
    body.push(...set(`r${i}_src6`, ips6(from), 'ipv6_addr'), ...set(`r${i}_dst6`, ips6(to), 'ipv6_addr'));
    ruleChains.push(
      `  chain rule_${i} {`,
      `    ip saddr @r${i}_src ip daddr @r${i}_dst ${match(r)}goto allow_${i}`,
      `    ip6 saddr @r${i}_src6 ip6 daddr @r${i}_dst6 ${match(r, 6)}goto allow_${i}`,
      '  }',
      `  chain allow_${i} {`,
      `    counter accept comment "rule-${i}"`,
      '  }',
    );
  });
  body.push(...udpFlows('udp_flows', 'ipv4_addr'), ...(v6 ? udpFlows('udp_flows6', 'ipv6_addr') : []));
  body.push(
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    ...(v6 ? ['    ether type != { ip, ip6 } accept', `    icmpv6 type { ${ICMPV6_LINK} } accept`] : ['    ether type != ip accept']),
    '    ip saddr @iso meta l4proto udp update @udp_flows { ip daddr . udp dport . ip saddr . udp sport }',
    ...(v6 ? ['    ip6 saddr @iso6 meta l4proto udp update @udp_flows6 { ip6 daddr . udp dport . ip6 saddr . udp sport }'] : []),
    '    ip daddr != @iso accept',
    ...(v6 ? ['    ip6 daddr != @iso6 accept'] : []),
    '    tcp flags & (syn | ack) != syn accept',
    `    icmp type { ${ICMP_REPLIES} } accept`,
    ...(v6 ? [`    icmpv6 type { ${ICMPV6_REPLIES} } accept`] : []),
    '    ip saddr . udp sport . ip daddr . udp dport @udp_flows accept',
    ...(v6 ? ['    ip6 saddr . udp sport . ip6 daddr . udp dport @udp_flows6 accept'] : []),
    ...policy.rules.map((_, i) => `    jump rule_${i}`),
    '    jump verdict',
    '  }',
    ...ruleChains,
    '  chain verdict {',
    policy.mode === 'ENFORCE' ? '    counter drop comment "default-deny"' : '    counter comment "would-drop"',
    '  }',
  );
  // Members change with every container that comes or goes: they stay out of the hash, so such a
  // change updates the sets in place (`nft.sets`) and the rules keep their counters.
  const t = finish(
    'bridge',
    name,
    body,
    body.filter((l) => !l.startsWith('    elements = ')),
  );
  return {
    ...t,
    parts: partsOf(body),
    setElements: Object.fromEntries(
      Object.keys(t.sets)
        .filter((k) => k !== 'udp_flows' && k !== 'udp_flows6')
        .map((k) => [k, elementsOf(body, k)]),
    ),
  };
}

/** Each set's declaration (members left out) and each chain's text, by name: what a patch compares (nft-text.ts `patchScript`). */
function partsOf(body: string[]): TableParts {
  const parts: TableParts = { sets: {}, chains: {} };
  let open: { kind: 'sets' | 'chains'; name: string; lines: string[] } | null = null;
  for (const l of body) {
    const m = /^ {2}(set|chain) (\S+) \{$/.exec(l);
    if (m) open = { kind: m[1] === 'set' ? 'sets' : 'chains', name: m[2], lines: [] };
    else if (l === '  }' && open) {
      parts[open.kind][open.name] = open.lines.join('\n');
      open = null;
    } else if (open && !l.startsWith('    elements = ')) open.lines.push(l.trim());
  }
  return parts;
}

/** The members of set `name` as rendered in `body`, in their (sorted) order. */
function elementsOf(body: string[], name: string): string[] {
  const i = body.indexOf(`  set ${name} {`);
  const line = body.slice(i + 1).find((l) => l.startsWith('    elements = ') || l === '  }');
  return line?.startsWith('    elements = ') ? line.slice('    elements = { '.length, -' }'.length).split(', ') : [];
}

/** The dynamic set of UDP flows an isolated container opened (see the module note). */
function udpFlows(name: string, addr: string): string[] {
  return [
    `  set ${name} {`,
    `    type ${addr} . inet_service . ${addr} . inet_service`,
    `    size ${UDP_FLOWS}`,
    '    flags dynamic,timeout',
    '    timeout 30s',
    '  }',
  ];
}

function match(r: PolicyRule, family: 4 | 6 = 4): string {
  if (r.protocol === 'ICMP') return family === 4 ? 'ip protocol icmp ' : 'meta l4proto ipv6-icmp ';
  const ports = r.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`));
  return `${r.protocol.toLowerCase()} dport ${ports.length === 1 ? ports[0] : `{ ${ports.join(', ')} }`} `;
}

function set(name: string, ips: string[], type = 'ipv4_addr'): string[] {
  const sorted = [...new Set(ips)].sort(numericOrder);
  return [`  set ${name} {`, `    type ${type}`, ...(sorted.length ? [`    elements = { ${sorted.join(', ')} }`] : []), '  }'];
}

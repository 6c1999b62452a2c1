/**
 * nftables rule text for the host table and the per-sandbox tables (docs/architecture.md §4.2, §4.7).
 *
 * Owns: the exact text handed to `nft -f`, and the summary (chains → rule count, sets → element
 * count, hash) used to detect drift. Never: runs nft. The same `summarizeTableText` is used by the
 * fake host, so the fake and the real kernel are compared with one yardstick.
 * Each table carries `chain weft_meta { counter comment "weft:sha=<hash>" }`: nft 1.0.6 does not
 * print table comments in JSON, but it does print rule comments, so the hash lives there.
 */
import { createHash } from 'node:crypto';
import { parseIpv6 } from '../../protocol/addressing/ipv6.ts';
import type { DesiredTable, TableParts } from './types';

/** Host table: VXLAN (UDP 4789) is accepted only when it arrives through WireGuard. */
export function hostTableText(name: string, wgIf: string, vxlanPort: number): DesiredTable {
  const body = [
    '  chain input {',
    '    type filter hook input priority -10; policy accept;',
    `    udp dport ${vxlanPort} iifname != "${wgIf}" counter drop comment "vxlan-not-via-wg"`,
    '  }',
  ];
  return finish('inet', name, body);
}

/**
 * Sandbox bridge-family guard: each container port may only use its own MAC and IP.
 * `ipv6` (the network's switch ON): IPv6 is let through under the rules of docs/agent-dataplane.md
 * "IPv6" — the port's own v6 source only (`::` only for MLD reports and DAD probes), no router
 * messages (RA, RS, redirect), no NA for another address, no DHCPv6 server replies. OFF: IPv6 is
 * dropped as any other ethertype, and the text is exactly what it was before dual-stack.
 */
export function guardTableText(name: string, vethGlob: string, ports: { veth: string; mac: string; ip: string; ip6?: string }[], ipv6 = false): DesiredTable {
  const macs = ports.map((p) => `"${p.veth}" . ${p.mac}`);
  const ips = ports.map((p) => `"${p.veth}" . ${p.ip}`);
  const v6 = ports.filter((p) => p.ip6 !== undefined);
  const v6Sets = ipv6
    ? [
        ...setText(
          'cip6',
          'ifname . ipv6_addr',
          v6.map((p) => `"${p.veth}" . ${p.ip6}`),
        ),
        // The NA target is read raw (nft 1.0.6 has no `icmpv6 taddr`): the same addresses as integers.
        ...setText(
          'cna6',
          'iifname . @th,64,128',
          v6.map((p) => `"${p.veth}" . ${ipv6Hex(p.ip6!)}`),
          'typeof',
        ),
      ]
    : [];
  const v6Rules = ipv6
    ? [
        '    ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept',
        '    ether type ip6 iifname . ip6 saddr != @cip6 counter drop comment "ip6-spoof"',
        '    icmpv6 type { nd-router-solicit, nd-router-advert, nd-redirect } counter drop comment "nd-router-from-ctr"',
        '    icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @cna6 counter drop comment "na-spoof"',
        '    udp sport 547 counter drop comment "dhcpv6-server"',
        '    ether type ip6 accept',
      ]
    : [];
  const body = [
    ...setText('cmac', 'ifname . ether_addr', macs),
    ...setText('cip', 'ifname . ipv4_addr', ips),
    ...v6Sets,
    '  chain pre {',
    '    type filter hook prerouting priority -300; policy accept;',
    `    iifname "${vethGlob}" jump from_ctr`,
    '  }',
    '  chain from_ctr {',
    '    iifname . ether saddr != @cmac counter drop comment "mac-spoof"',
    '    ether type arp iifname . arp saddr ether != @cmac counter drop comment "arp-mac-spoof"',
    '    ether type arp iifname . arp saddr ip != @cip counter drop comment "arp-ip-spoof"',
    '    ether type ip iifname . ip saddr != @cip counter drop comment "ip-spoof"',
    '    ether type { ip, arp } accept',
    ...v6Rules,
    '    counter drop comment "other-ethertype"',
    '  }',
  ];
  return finish('bridge', name, body);
}

/** Sandbox inet table: the gateway answers only DNS and ICMP (and, dual-stack, ICMPv6 and ND); the sandbox never forwards. */
export function gatewayTableText(name: string, ipv6 = false): DesiredTable {
  const body = [
    '  chain input {',
    '    type filter hook input priority 0; policy drop;',
    '    iif "lo" accept',
    '    udp dport 53 accept',
    '    tcp dport 53 accept',
    '    icmp type { echo-request, destination-unreachable } accept',
    ...(ipv6
      ? ['    icmpv6 type { echo-request, destination-unreachable, packet-too-big, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept']
      : []),
    '    counter comment "dropped-to-gateway"',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority 0; policy drop;',
    '  }',
  ];
  return finish('inet', name, body);
}

/** An IPv6 address as the 32-digit hex integer nft matches a raw 128-bit payload with. */
export function ipv6Hex(ip6: string): string {
  const v = parseIpv6(ip6);
  if (v === null) throw new Error(`ipv6Hex: not an IPv6 address: ${ip6}`);
  return `0x${v.toString(16).padStart(32, '0')}`;
}

function setText(name: string, type: string, elements: string[], keyword: 'type' | 'typeof' = 'type'): string[] {
  const els = elements.length ? [`    elements = { ${elements.join(', ')} }`] : [];
  return [`  set ${name} {`, `    ${keyword} ${type}`, ...els, '  }'];
}

/** A table's full text with its `weft_meta` hash (of `hashed`, by default the whole body), and its summary. */
export function finish(family: 'inet' | 'bridge', name: string, body: string[], hashed: string[] = body): DesiredTable {
  const hash = createHash('sha256')
    .update(`${family} ${name}\n${hashed.join('\n')}`)
    .digest('hex')
    .slice(0, 16);
  const text = [`table ${family} ${name} {`, '  chain weft_meta {', `    counter comment "weft:sha=${hash}"`, '  }', ...body, '}'].join('\n');
  const s = summarizeTableText(text);
  return { family, name, hash, text, chains: s.chains, sets: s.sets };
}

/** What `nft -j list` would show for a table text we rendered: rule counts, element counts, hash. */
export function summarizeTableText(text: string): { chains: Record<string, number>; sets: Record<string, number>; hash?: string } {
  const chains: Record<string, number> = {};
  const sets: Record<string, number> = {};
  let chain: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^chain (\S+) \{$/.exec(line))) chains[(chain = m[1])] = 0;
    else if ((m = /^set (\S+) \{$/.exec(line))) sets[m[1]] = 0;
    else if ((m = /^elements = \{ (.*) \}$/.exec(line))) sets[Object.keys(sets).at(-1)!] = m[1].split(',').length;
    else if (line === '}') chain = null;
    else if (chain && line && !line.startsWith('type ')) chains[chain]++;
  }
  const hash = /comment "weft:sha=([0-9a-f]+)"/.exec(text)?.[1];
  return { chains, sets, hash };
}

/** The text `nft -f -` gets: declare, delete and re-create in one transaction (atomic replace). */
export function replaceScript(t: { family: string; name: string; text: string }): string {
  return `table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n${t.text}\n`;
}

/**
 * The text `nft -f -` gets to turn a table that holds `from` (parts and members, as the last clean
 * pass wrote it) into `to`, in one transaction, touching only what differs: each changed or
 * removed chain is flushed, each set whose members changed is flushed, then one `table { … }`
 * block re-declares `weft_meta` (the new hash), the new and changed chains and sets (members
 * included), and what is gone is deleted last. Rules of unchanged chains, and their counters, stay.
 * Null when a patch cannot say it: a set's declaration or a chain's hook changed (replace instead).
 */
export function patchScript(to: DesiredTable, from: { parts: TableParts; elements?: Record<string, string[]> }): string | null {
  const want = to.parts;
  if (!want) return null;
  const t = `${to.family} ${to.name}`;
  const hook = (chain: string | undefined) => chain?.split('\n').find((l) => l.startsWith('type ')) ?? null;
  for (const [name, decl] of Object.entries(want.sets)) if (name in from.parts.sets && from.parts.sets[name] !== decl) return null;
  for (const [name, text] of Object.entries(want.chains)) if (name in from.parts.chains && hook(from.parts.chains[name]) !== hook(text)) return null;
  const changedChains = Object.keys(want.chains).filter((c) => from.parts.chains[c] !== want.chains[c]);
  const goneChains = Object.keys(from.parts.chains).filter((c) => !(c in want.chains));
  const members = (s: string) => (to.setElements?.[s] ?? []).join();
  // A set without known members (udp_flows: the packet path fills it) is never flushed.
  const refilled = Object.keys(want.sets).filter((s) => s in from.parts.sets && to.setElements?.[s] && from.elements?.[s]?.join() !== members(s));
  const newSets = Object.keys(want.sets).filter((s) => !(s in from.parts.sets));
  const goneSets = Object.keys(from.parts.sets).filter((s) => !(s in want.sets));
  const lines = to.text.split('\n');
  const block = (kind: 'set' | 'chain', name: string) => {
    const i = lines.indexOf(`  ${kind} ${name} {`);
    return lines.slice(i, lines.indexOf('  }', i) + 1);
  };
  return [
    ...['weft_meta', ...changedChains.filter((c) => c in from.parts.chains), ...goneChains].map((c) => `flush chain ${t} ${c}`),
    ...refilled.map((s) => `flush set ${t} ${s}`),
    `table ${t} {`,
    ...block('chain', 'weft_meta'),
    ...[...newSets, ...refilled].flatMap((s) => block('set', s)),
    ...changedChains.flatMap((c) => block('chain', c)),
    '}',
    ...goneChains.map((c) => `delete chain ${t} ${c}`),
    ...goneSets.map((s) => `delete set ${t} ${s}`),
  ].join('\n');
}

/**
 * toCommands: Op[] → the fewest kernel processes, in a safe order (pure).
 *
 * Owns: the exact iproute2 / bridge / nft / wg syntax (docs/architecture.md §4.11).
 * Batching: one `ip -n <ns> -force -batch -` and one `bridge -n <ns> -force -batch -` per namespace
 * and batch, one `nft -f -` per namespace (atomic table replacement), one `wg set` for all peers —
 * never one process per entry. `-force` keeps a batch going after a failed line, and iproute2 then
 * prints `Command failed -:<line>`, which apply.ts maps back to the op (see `lines`).
 * Which process a line goes into, and when it runs, is the phase table's (phases.ts): this module
 * only names each line's phase.
 */
import { replaceScript } from '../desired/nft-text';
import { FLOOD_MAC, type Op } from './ops';
import { phaseOf, phaseRow, rankOf, type PhaseName, type Tool } from './phases';

/** How a failing line may still be a success: "exists" on add, "missing" on delete. */
export type Tolerance = 'exists' | 'missing' | null;

/** One process to run; `lines[i]` is the op behind stdin line i+1 (batch commands) or every op. */
export interface Command {
  argv: string[];
  stdin?: string;
  ns: string | null;
  batch: boolean; // true: per-line errors are reported as `Command failed -:<n>`
  lines: { op: Op; tolerate: Tolerance }[];
}

const SANDBOX_SYSCTLS = [
  'net.ipv4.ip_forward=0',
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
  // br_netfilter is built into this kernel: without these, bridged frames hit the inet hooks (docs/architecture.md §4.8).
  'net.bridge.bridge-nf-call-iptables=0',
  'net.bridge.bridge-nf-call-ip6tables=0',
  'net.bridge.bridge-nf-call-arptables=0',
];

/**
 * A dual-stack sandbox (docs/agent-dataplane.md "IPv6"): no router advertisements, no SLAAC, no DAD,
 * no link-local addresses on new links, no forwarding — then IPv6 on. Written after SANDBOX_SYSCTLS
 * in the same `sysctl` process when the sandbox is new.
 */
export const SANDBOX_IPV6_ON = [
  ...['all', 'default'].flatMap((c) => [
    `net.ipv6.conf.${c}.forwarding=0`,
    `net.ipv6.conf.${c}.accept_ra=0`,
    `net.ipv6.conf.${c}.autoconf=0`,
    `net.ipv6.conf.${c}.accept_dad=0`,
    `net.ipv6.conf.${c}.accept_redirects=0`,
  ]),
  'net.ipv6.conf.default.addr_gen_mode=1',
  'net.ipv6.conf.all.disable_ipv6=0',
  'net.ipv6.conf.default.disable_ipv6=0',
];

/** Back to single-stack: writing `all` disables IPv6 on every link of the sandbox and removes its v6 addresses. */
export const SANDBOX_IPV6_OFF = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];

/** A dual-stack container end: IPv6 on for that interface only, no RA, SLAAC or DAD, addresses kept across down/up. */
export function containerIpv6Sysctls(ifname: string): string[] {
  const k = ifname.replaceAll('.', '/'); // sysctl's escape for a dot in an interface name
  return [
    `net.ipv6.conf.${k}.accept_ra=0`,
    `net.ipv6.conf.${k}.autoconf=0`,
    `net.ipv6.conf.${k}.accept_dad=0`,
    // the end is configured once and never observed: its v6 address must survive a link down/up like its IPv4 one
    `net.ipv6.conf.${k}.keep_addr_on_down=1`,
    `net.ipv6.conf.${k}.disable_ipv6=0`,
  ];
}

interface Emit {
  phase: PhaseName;
  ns: string | null;
  key?: string; // extra grouping key (container netns path, wg ifname)
  text: string;
  tolerate?: Tolerance;
}

/** Renders ops into commands: one per batch, namespace and key, in phase order. */
export function toCommands(ops: Op[]): Command[] {
  const emitted = ops.flatMap((op, i) => emit(op).map((e) => ({ e, op, i, rank: rankOf(e.phase) })));
  emitted.sort((a, b) => a.rank - b.rank || a.i - b.i); // stable: an op's lines keep their order
  const cmds = new Map<string, Command>();
  for (const { e, op } of emitted) {
    const { tool, batch } = phaseRow(e.phase);
    const k = `${batch}|${e.ns ?? ''}|${e.key ?? ''}`;
    let c = cmds.get(k);
    if (!c) cmds.set(k, (c = { ...shell(tool, e), ns: e.ns, lines: [] }));
    c.lines.push({ op, tolerate: e.tolerate ?? null });
    if (tool === 'wg' || tool === 'sysctl' || tool === 'ctr.sysctl') c.argv.push(...e.text.split(' '));
    else c.stdin = (c.stdin ?? '') + e.text + '\n';
  }
  return [...cmds.values()];
}

function shell(tool: Tool, e: Emit): { argv: string[]; batch: boolean } {
  const n = e.ns ? ['-n', e.ns] : [];
  const inNs = e.ns ? ['ip', 'netns', 'exec', e.ns] : [];
  switch (tool) {
    case 'ip':
      return { argv: ['ip', ...n, '-force', '-batch', '-'], batch: true };
    case 'bridge':
      return { argv: ['bridge', ...n, '-force', '-batch', '-'], batch: true };
    case 'nft':
      return { argv: [...inNs, 'nft', '-f', '-'], batch: false };
    case 'sysctl':
      return { argv: [...inNs, 'sysctl', '-qw'], batch: false };
    case 'ctr.sysctl':
      return { argv: ['nsenter', `--net=${e.key}`, 'sysctl', '-qw'], batch: false };
    case 'ctr':
      return { argv: ['nsenter', `--net=${e.key}`, 'ip', '-force', '-batch', '-'], batch: true };
    case 'wg':
      return { argv: ['wg', 'set', e.key!], batch: false };
  }
}

// Each line names its phase; `lead` is the op's own (phases.ts), the others are the exceptions.
function emit(op: Op): Emit[] {
  const lead = phaseOf(op);
  switch (op.kind) {
    case 'netns.add':
      return [
        { phase: lead, ns: null, text: `netns add ${op.ns}`, tolerate: 'exists' },
        { phase: 'sandbox.sysctl', ns: op.ns, text: SANDBOX_SYSCTLS.join(' ') },
        { phase: 'sandbox.links', ns: op.ns, text: 'link set lo up' },
      ];
    case 'sandbox.ipv6':
      return [{ phase: lead, ns: op.ns, text: (op.on ? SANDBOX_IPV6_ON : SANDBOX_IPV6_OFF).join(' ') }];
    case 'wg.create':
      return [{ phase: lead, ns: null, text: `link add ${op.ifname} type wireguard`, tolerate: 'exists' }];
    case 'wg.link':
      return [
        { phase: lead, ns: null, text: `link set ${op.ifname} mtu ${op.mtu} up` },
        { phase: lead, ns: null, text: `addr replace ${op.address} dev ${op.ifname}` },
        ...op.addrsToDel.map((a): Emit => ({ phase: lead, ns: null, text: `addr del ${a} dev ${op.ifname}`, tolerate: 'missing' })),
      ];
    case 'bridge.add':
      return [
        { phase: lead, ns: op.ns, text: `link add ${op.name} address ${op.mac} mtu ${op.mtu} type bridge mcast_snooping 0`, tolerate: 'exists' },
        { phase: lead, ns: op.ns, text: `link set ${op.name} alias ${op.alias} up` },
      ];
    case 'vxlan.add':
      // Created in the host namespace so its UDP socket stays with WireGuard, then moved (docs/architecture.md §4.4).
      // No `dev <wg>`: the kernel would delete the VXLAN and all its entries with the WireGuard device.
      return [
        {
          phase: 'host.links',
          ns: null,
          text: `link add ${op.name} mtu ${op.mtu} type vxlan id ${op.id} local ${op.local} dstport ${op.port} nolearning proxy`,
          tolerate: 'exists',
        },
        { phase: 'host.links', ns: null, text: `link set ${op.name} alias ${op.alias} netns ${op.ns}` },
        { phase: lead, ns: op.ns, text: `link set ${op.name} master ${op.bridge} up` },
        { phase: lead, ns: op.ns, text: `link set ${op.name} type bridge_slave learning off` },
      ];
    case 'veth.add': {
      const c = op.local;
      return [
        {
          phase: lead,
          ns: op.ns,
          text: `link add ${c.veth} mtu ${op.mtu} type veth peer name ${c.containerIf} address ${c.mac} mtu ${op.mtu} netns ${c.netnsPath}`,
          tolerate: 'exists',
        },
        { phase: lead, ns: op.ns, text: `link set ${c.veth} alias ${c.alias} master ${op.bridge} up` },
        { phase: lead, ns: op.ns, text: `link set ${c.veth} type bridge_slave learning off` },
        { phase: 'container.links', ns: op.ns, key: c.netnsPath, text: 'link set lo up' },
        { phase: 'container.links', ns: op.ns, key: c.netnsPath, text: `addr replace ${c.ip}/${c.prefixLen} dev ${c.containerIf}` },
        ...(c.ip6
          ? [
              { phase: 'container.sysctl', ns: op.ns, key: c.netnsPath, text: containerIpv6Sysctls(c.containerIf).join(' ') } satisfies Emit,
              // no link-local address: the container speaks IPv6 from its own address only (the guard's rule)
              { phase: 'container.links', ns: op.ns, key: c.netnsPath, text: `link set ${c.containerIf} addrgenmode none` } satisfies Emit,
              { phase: 'container.links', ns: op.ns, key: c.netnsPath, text: `addr replace ${c.ip6}/64 dev ${c.containerIf} nodad` } satisfies Emit,
            ]
          : []),
        { phase: 'container.links', ns: op.ns, key: c.netnsPath, text: `link set ${c.containerIf} up` },
      ];
    }
    case 'ctr.ipv6': {
      const c = op.local;
      const at = { ns: op.ns, key: c.netnsPath };
      if (!op.on || !c.ip6) return [{ phase: 'container.sysctl', ...at, text: `net.ipv6.conf.${c.containerIf.replaceAll('.', '/')}.disable_ipv6=1` }];
      return [
        { phase: 'container.sysctl', ...at, text: containerIpv6Sysctls(c.containerIf).join(' ') },
        { phase: lead, ...at, text: `link set ${c.containerIf} addrgenmode none` },
        // the link-local the kernel gave the interface while it was up: the guard would drop its traffic anyway
        { phase: lead, ...at, text: `addr flush dev ${c.containerIf} scope link` },
        { phase: lead, ...at, text: `addr replace ${c.ip6}/64 dev ${c.containerIf} nodad` },
      ];
    }
    case 'link.set': {
      const parts = [`link set ${op.name}`];
      if (op.mtu !== undefined) parts.push(`mtu ${op.mtu}`);
      if (op.mac) parts.push(`address ${op.mac}`);
      if (op.alias !== undefined) parts.push(`alias ${op.alias}`);
      if (op.master) parts.push(`master ${op.master}`);
      parts.push('up');
      const out: Emit[] = [{ phase: lead, ns: op.ns, text: parts.join(' ') }];
      if (op.learningOff) out.push({ phase: lead, ns: op.ns, text: `link set ${op.name} type bridge_slave learning off` });
      if (op.mcastSnoopingOff) out.push({ phase: lead, ns: op.ns, text: `link set ${op.name} type bridge mcast_snooping 0` });
      return out;
    }
    case 'link.del':
      return [{ phase: lead, ns: op.ns, text: `link del ${op.name}`, tolerate: 'missing' }];
    case 'addr.add':
      return [{ phase: lead, ns: op.ns, text: `addr replace ${op.cidr} dev ${op.dev}${op.cidr.includes(':') ? ' nodad' : ''}` }];
    case 'addr.del':
      return [{ phase: lead, ns: op.ns, text: `addr del ${op.cidr} dev ${op.dev}`, tolerate: 'missing' }];
    case 'neigh.add':
      return [{ phase: lead, ns: op.ns, text: `neigh replace ${op.ip} lladdr ${op.mac} dev ${op.dev} nud permanent` }];
    case 'neigh.del':
      return [{ phase: lead, ns: op.ns, text: `neigh del ${op.ip} dev ${op.dev}`, tolerate: 'missing' }];
    case 'fdb.add':
      return [
        {
          phase: lead,
          ns: op.ns,
          // the all-zeros entry holds one remote per member host: `append` adds one, `replace` would not
          text: op.dst
            ? `fdb ${op.mac === FLOOD_MAC ? 'append' : 'replace'} ${op.mac} dev ${op.dev} dst ${op.dst} self permanent`
            : `fdb replace ${op.mac} dev ${op.dev} master static`,
        },
      ];
    case 'fdb.del':
      return [
        {
          phase: lead,
          ns: op.ns,
          text: op.self ? `fdb del ${op.mac} dev ${op.dev} dst ${op.dst} self` : `fdb del ${op.mac} dev ${op.dev} master`,
          tolerate: 'missing',
        },
      ];
    case 'nft.replace':
      return [{ phase: lead, ns: op.ns, text: replaceScript(op.table).trimEnd() }];
    case 'nft.sets':
      return [
        {
          phase: lead,
          ns: op.ns,
          text: Object.entries(op.sets)
            .flatMap(([set, els]) => [
              `flush set ${op.family} ${op.name} ${set}`,
              ...(els.length ? [`add element ${op.family} ${op.name} ${set} { ${els.join(', ')} }`] : []),
            ])
            .join('\n'),
        },
      ];
    case 'nft.patch':
      return [{ phase: lead, ns: op.ns, text: op.script }];
    case 'nft.del':
      // Declaring before deleting makes the delete idempotent inside nft's all-or-nothing transaction.
      return [{ phase: lead, ns: op.ns, text: `table ${op.family} ${op.name}\ndelete table ${op.family} ${op.name}` }];
    case 'wg.device':
      return [
        {
          phase: lead,
          ns: null,
          key: op.ifname,
          text: [op.privateKeyPath && `private-key ${op.privateKeyPath}`, op.listenPort !== undefined && `listen-port ${op.listenPort}`]
            .filter(Boolean)
            .join(' '),
        },
      ];
    case 'wg.peers':
      return [
        ...op.set.map(
          (p): Emit => ({
            phase: 'wg.peers',
            ns: null,
            key: op.ifname,
            text: `peer ${p.publicKey} endpoint ${p.endpoint} allowed-ips ${p.allowedIps.join(',')} persistent-keepalive ${p.keepalive}`,
          }),
        ),
        ...op.remove.map((k): Emit => ({ phase: 'wg.peers.remove', ns: null, key: op.ifname, text: `peer ${k} remove` })),
      ];
    case 'netns.del':
      return [{ phase: lead, ns: null, text: `netns del ${op.ns}`, tolerate: 'missing' }];
  }
}

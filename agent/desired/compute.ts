/**
 * computeDesired: host model (+ which local containers the runtime attached) → desired kernel state.
 *
 * Owns: every policy decision about what should exist (docs/architecture.md §4). Pure: no I/O, no clock.
 * Never: reads the kernel or decides how to get there (that is reconcile/diff.ts).
 * Decisions:
 * - A sandbox exists for every network that has at least one container on this host, attached or
 *   not, so remote entries are in place before a container attaches (the network-ready gate).
 * - Remote containers get connectivity in PENDING, RUNNING and DRAINING: PENDING so a starting
 *   container is reachable the moment it is up (its IP/MAC are already allocated), DRAINING so
 *   clients finish their requests. Only DNS is limited to RUNNING (agent/dns).
 * - A local container gets its veth only once attached (the runtime gave a netns path).
 */
import { containerIpv6 } from '../../protocol/addressing/ipv6.ts';
import type { ContainerModel, HostConfig, NetworkModel } from '../../protocol/model.ts';
import { aliasFor, makeNames, type Names } from '../config-names';
import { guardTableText, gatewayTableText, hostTableText } from './nft-text';
import { policyTableText } from './policy-nft';
import type { DesiredLocal, DesiredRemote, DesiredSandbox, DesiredState } from './types';

export const SANDBOX_MTU = 1370; // WireGuard 1420 - 50 bytes VXLAN/IPv4 overhead (docs/architecture.md §4.9)
export const WG_MTU = 1420;
export const VXLAN_PORT = 4789;

/** Knobs of computeDesired; defaults are the production values. */
export interface DesiredOptions {
  names?: Names;
  mtu?: number;
  wgMtu?: number;
  vxlanPort?: number;
  keepalive?: number;
  /**
   * The public key of this host's private key file, when the agent knows it: the device must hold
   * that key even before the API has heard of it (a live rotation). Default: the model's.
   */
  publicKey?: string;
  /** Container states that get data-plane connectivity (default PENDING, RUNNING, DRAINING). */
  connectedStates?: ContainerModel['state'][];
}

/**
 * containerId → path of the container's network namespace (e.g. /proc/<pid>/ns/net), or that path
 * with the interface name the runtime asked for inside it (CNI_IFNAME; default `names.containerIf`).
 */
export type LocalAttachments = Record<string, string | { netnsPath: string; ifName?: string }>;

/** The netns path of one attachment, whichever shape it has. */
export function netnsPathOf(a: LocalAttachments[string]): string {
  return typeof a === 'string' ? a : a.netnsPath;
}

/** The interface name an attachment asked for, if any. */
function ifNameOf(a: LocalAttachments[string]): string | undefined {
  return typeof a === 'string' ? undefined : a.ifName;
}

/** Computes the full desired state of this host. Output is sorted, so equal inputs give equal data. */
export function computeDesired(config: HostConfig, attachments: LocalAttachments, opts: DesiredOptions = {}): DesiredState {
  const names = opts.names ?? makeNames();
  const port = opts.vxlanPort ?? VXLAN_PORT;
  const { host } = config;
  const sandboxes = config.networks
    .filter((n) => n.containers.some((c) => c.hostId === host.id))
    .map((n) => sandboxFor(n, config, attachments, names, opts))
    .sort((a, b) => a.vni - b.vni);
  const peers = config.peers
    .filter((p) => p.hostId !== host.id)
    .map((p) => ({ publicKey: p.publicKey, endpoint: p.endpoint, allowedIps: [`${p.meshIp}/32`], keepalive: opts.keepalive ?? 25 }))
    .sort((a, b) => a.publicKey.localeCompare(b.publicKey));
  return {
    wg: {
      ifname: names.wg,
      address: `${host.meshIp}/${prefixLen(host.meshCidr)}`,
      mtu: opts.wgMtu ?? WG_MTU,
      listenPort: portOf(host.endpoint),
      publicKey: opts.publicKey ?? host.publicKey,
      peers,
    },
    hostTable: hostTableText(names.hostTable, names.wg, port),
    sandboxes,
  };
}

function sandboxFor(n: NetworkModel, config: HostConfig, attachments: LocalAttachments, names: Names, opts: DesiredOptions): DesiredSandbox {
  const connected = new Set<ContainerModel['state']>(opts.connectedStates ?? ['PENDING', 'RUNNING', 'DRAINING']);
  const plen = prefixLen(n.cidr);
  const alias = aliasFor(n.vni, n.id);
  const remotes: DesiredRemote[] = n.containers
    .filter((c) => c.hostId !== config.host.id && connected.has(c.state))
    .map((c) => withIp6({ containerId: c.id, ip: c.ip, mac: c.mac.toLowerCase(), dst: c.hostMeshIp }, n))
    .sort((a, b) => a.mac.localeCompare(b.mac));
  const locals: DesiredLocal[] = n.containers
    .filter((c) => c.hostId === config.host.id && attachments[c.id])
    .map((c) =>
      withIp6(
        {
          containerId: c.id,
          veth: names.veth(c.id),
          // the marker tells a veth configured for dual-stack from one that is not (see diff-sandbox.ts)
          alias: aliasFor(n.vni, n.id, c.id) + (n.ipv6 ? V6_ALIAS_SUFFIX : ''),
          ip: c.ip,
          prefixLen: plen,
          mac: c.mac.toLowerCase(),
          netnsPath: netnsPathOf(attachments[c.id]),
          containerIf: ifNameOf(attachments[c.id]) ?? names.containerIf,
        },
        n,
      ),
    )
    .sort((a, b) => a.veth.localeCompare(b.veth));
  return {
    vni: n.vni,
    networkId: n.id,
    ns: names.sandboxNs(n.vni),
    mtu: opts.mtu ?? SANDBOX_MTU,
    bridge: { name: names.bridge(n.vni), mac: gatewayMac(n.vni, n.gateway), address: `${n.gateway}/${plen}`, alias },
    ...(n.ipv6 ? { ipv6: { address: `${n.ipv6.gateway}/64` } } : {}),
    vxlan: { name: names.vxlan(n.vni), alias, local: config.host.meshIp, port: opts.vxlanPort ?? VXLAN_PORT },
    remotes,
    flood: floodDsts(n, remotes),
    locals,
    tables: [
      guardTableText(names.guardTable, `${names.prefix}pnc-*`, locals, Boolean(n.ipv6)),
      gatewayTableText(names.gatewayTable, Boolean(n.ipv6)),
      policyTableText(names.policyTable, n, config.host.id, connected),
    ].filter((t) => t !== null),
  };
}

/** The alias suffix of a container veth on a dual-stack network (docs/agent-dataplane.md "IPv6"). */
export const V6_ALIAS_SUFFIX = ':v6';

/** Adds a container's derived v6 address when its network's ipv6 is ON (never sent: protocol/addressing/ipv6.ts). */
function withIp6<T extends { ip: string }>(x: T, n: NetworkModel): T & { ip6?: string } {
  const ip6 = containerIpv6(n, x.ip);
  return ip6 ? { ...x, ip6 } : x;
}

/**
 * Member hosts a broadcast, multicast or unknown-unicast frame is replicated to (head-end
 * replication): every host with a connected container of the network, once — O(hosts), not
 * O(containers). None when the network's multicast is OFF (absent means ON: an older API).
 */
function floodDsts(n: NetworkModel, remotes: DesiredRemote[]): string[] {
  if (n.multicast === 'OFF') return [];
  return [...new Set(remotes.map((r) => r.dst))].sort();
}

/**
 * The bridge (gateway) MAC: `06:<vni low byte>:<gateway IPv4 bytes>`. Locally administered like the
 * containers' `02:…` MACs but with a different first byte, so it can never equal a container's MAC.
 */
export function gatewayMac(vni: number, gateway: string): string {
  const bytes = [6, vni & 0xff, ...gateway.split('.').map(Number)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Prefix length of an IPv4 CIDR (`10.240.0.0/22` → 22). */
export function prefixLen(cidr: string): number {
  const n = Number(cidr.split('/')[1]);
  if (!Number.isInteger(n) || n < 0 || n > 32) throw new Error(`bad CIDR ${cidr}`);
  return n;
}

function portOf(endpoint: string): number {
  const p = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  if (!Number.isInteger(p) || p <= 0 || p > 65535) throw new Error(`bad endpoint ${endpoint}`);
  return p;
}

/**
 * The operations the reconciler can perform, as data.
 *
 * Owns: the vocabulary between diff (what to change) and argv (how to say it to the kernel).
 * `ns: null` is the host namespace. `vni` ties an op to a network so failures are reported per network.
 * Every op is idempotent or made so by the applier ("exists" on add, "missing" on delete = success).
 */
import type { DesiredLocal, DesiredPeer, DesiredTable } from '../desired/types';

/** The VXLAN's all-zeros FDB entry: its remotes receive broadcast, multicast and unknown unicast. */
export const FLOOD_MAC = '00:00:00:00:00:00';

export type Op =
  | { kind: 'netns.add'; ns: string; vni: number }
  | { kind: 'netns.del'; ns: string; vni: number }
  // IPv6 in a sandbox turned on (the network's ipv6 switch ON) or back off (docs/agent-dataplane.md "IPv6").
  | { kind: 'sandbox.ipv6'; ns: string; vni: number; on: boolean }
  | { kind: 'wg.create'; ifname: string }
  | { kind: 'wg.link'; ifname: string; mtu: number; address: string; addrsToDel: string[] }
  // Only what differs: wireguard-go rebinds its UDP socket on every listen-port it is given, even the
  // same one, and drops what arrives meanwhile (a key rotation's pass would lose a packet).
  | { kind: 'wg.device'; ifname: string; privateKeyPath?: string; listenPort?: number }
  | { kind: 'wg.peers'; ifname: string; set: DesiredPeer[]; remove: string[] }
  | { kind: 'bridge.add'; ns: string; vni: number; name: string; mac: string; mtu: number; alias: string }
  | { kind: 'vxlan.add'; ns: string; vni: number; name: string; id: number; local: string; port: number; mtu: number; alias: string; bridge: string }
  | { kind: 'veth.add'; ns: string; vni: number; local: DesiredLocal; mtu: number; bridge: string }
  // A running container's end switched to dual-stack (on: its v6 address) or back (IPv6 off on it), in place.
  | { kind: 'ctr.ipv6'; ns: string; vni: number; local: DesiredLocal; on: boolean }
  | {
      kind: 'link.set';
      ns: string;
      vni: number;
      name: string;
      mtu?: number;
      alias?: string;
      mac?: string;
      master?: string;
      up?: boolean;
      learningOff?: boolean;
      mcastSnoopingOff?: boolean;
    }
  | { kind: 'link.del'; ns: string | null; vni: number; name: string; why: string }
  | { kind: 'addr.add'; ns: string; vni: number; dev: string; cidr: string }
  | { kind: 'addr.del'; ns: string; vni: number; dev: string; cidr: string }
  | { kind: 'fdb.add'; ns: string; vni: number; dev: string; mac: string; dst: string | null }
  | { kind: 'fdb.del'; ns: string; vni: number; dev: string; mac: string; self: boolean; dst: string | null }
  | { kind: 'neigh.add'; ns: string; vni: number; dev: string; ip: string; mac: string }
  | { kind: 'neigh.del'; ns: string; vni: number; dev: string; ip: string }
  | { kind: 'nft.replace'; ns: string | null; vni: number | null; table: DesiredTable }
  // Only the members of some sets changed (tables with `setElements`): each listed set is flushed and
  // refilled in one transaction; the rules and their counters stay.
  | { kind: 'nft.sets'; ns: string | null; vni: number | null; family: string; name: string; sets: Record<string, string[]> }
  // Rules or mode changed in a table patched in place (`parts`): only the chains and sets that differ
  // are rewritten, in one transaction (nft-text.ts patchScript); the other chains keep their counters.
  | { kind: 'nft.patch'; ns: string | null; vni: number | null; family: string; name: string; script: string }
  | { kind: 'nft.del'; ns: string | null; vni: number | null; family: string; name: string };

/** True for ops that remove something: these are what the safety brake counts and may hold back. */
export function isDelete(op: Op): boolean {
  return op.kind.endsWith('.del') || (op.kind === 'wg.peers' && op.remove.length > 0);
}

/** The network an op belongs to (null: the host itself). */
export function vniOf(op: Op): number | null {
  return 'vni' in op ? op.vni : null;
}

/** A one-line human summary of an op list, e.g. `+neigh.add×1 +fdb.add×2 -netns.del×1`. */
export function summarize(ops: Op[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) {
    const kind = op.kind === 'wg.peers' && op.remove.length ? 'wg.peers.del' : op.kind;
    const n = op.kind === 'wg.peers' ? op.set.length + op.remove.length : 1;
    counts.set(kind, (counts.get(kind) ?? 0) + n);
  }
  if (counts.size === 0) return 'no changes';
  return [...counts].map(([k, n]) => `${k.endsWith('.del') ? '-' : '+'}${k}×${n}`).join(' ');
}

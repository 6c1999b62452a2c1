/**
 * Desired kernel state of one host, as plain data (docs/architecture.md §4).
 *
 * Owns: the shape the diff compares against observed state. Never: kernel calls or I/O.
 * Every field is something the reconciler can read back from `ip -j`, `bridge -j`, `wg show dump`
 * or `nft -j`, so "desired == observed" is decidable and a second pass produces zero operations.
 */

/** One WireGuard peer as `wg set … peer` wants it. */
export interface DesiredPeer {
  publicKey: string;
  endpoint: string;
  allowedIps: string[]; // the peer's mesh /32
  keepalive: number;
}

/** The host's WireGuard device. */
export interface DesiredWg {
  ifname: string;
  address: string; // <mesh-ip>/<mesh prefix length>
  mtu: number;
  listenPort: number;
  publicKey: string; // what the device must report; a mismatch means the private key must be (re)loaded
  peers: DesiredPeer[];
}

/** One nftables table, replaced atomically as a whole; `chains`/`sets` let the diff detect drift. */
export interface DesiredTable {
  family: 'inet' | 'bridge';
  name: string;
  hash: string; // sha-256 prefix of `text`, stored in the table as a rule comment
  text: string; // full `table <family> <name> { … }` text, meta chain included
  chains: Record<string, number>; // chain → rule count
  sets: Record<string, number>; // set → element count
  // Tables whose sets are updated in place (the policy table): set → sorted elements. Their hash
  // leaves the elements out, so a change of members alone is `nft.sets`, not a replacement.
  setElements?: Record<string, string[]>;
  // Tables patched in place (the policy table): what a patch compares, see TableParts.
  parts?: TableParts;
}

/**
 * A table's parts by name: each set's declaration without its members, each chain's text (its
 * lines, trimmed; not `weft_meta`, which every patch rewrites). A write that changes some of them rewrites only those
 * (nft-text.ts `patchScript`); the other chains keep their counters.
 */
export interface TableParts {
  sets: Record<string, string>;
  chains: Record<string, string>;
}

/** A container on another host: FDB (self dst + master static) and a permanent neighbour entry. */
export interface DesiredRemote {
  containerId: string;
  ip: string;
  ip6?: string; // its v6 address when the network's ipv6 is ON: one more permanent neighbour entry
  mac: string;
  dst: string; // the mesh IP of its host (VTEP)
}

/** A container on this host that the runtime has attached (it has a netns path). */
export interface DesiredLocal {
  containerId: string;
  veth: string; // sandbox end, bridge port
  alias: string;
  ip: string;
  prefixLen: number;
  ip6?: string; // its v6 address (a /64, nodad) when the network's ipv6 is ON
  mac: string;
  netnsPath: string; // the container's network namespace (container end lives there)
  containerIf: string;
}

/** One (host, network) sandbox namespace. */
export interface DesiredSandbox {
  vni: number;
  networkId: string;
  ns: string;
  mtu: number;
  bridge: { name: string; mac: string; address: string; alias: string };
  /**
   * Dual-stack (the network's ipv6 switch ON): the v6 gateway on the bridge (`<prefix>::1/64`).
   * Absent: IPv6 stays disabled in the sandbox (`disable_ipv6=1`), as for every network before.
   */
  ipv6?: { address: string };
  vxlan: { name: string; alias: string; local: string; port: number };
  remotes: DesiredRemote[];
  /**
   * Head-end replication (multicast ON): the mesh IP of every other member host, each one all-zeros
   * FDB entry on the VXLAN, so broadcast, multicast and unknown unicast reach each host once.
   * Empty when the network's multicast is OFF. Sorted.
   */
  flood: string[];
  locals: DesiredLocal[];
  tables: DesiredTable[];
}

/** Everything the host should look like. */
export interface DesiredState {
  wg: DesiredWg;
  hostTable: DesiredTable;
  sandboxes: DesiredSandbox[];
}

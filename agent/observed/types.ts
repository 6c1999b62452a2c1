/**
 * Observed kernel state, normalized from `ip -j`, `bridge -j`, `wg show dump` and `nft -j`.
 *
 * Owns: the canonical shapes the diff compares desired state against. Never: I/O.
 * Only what the diff needs is kept; anything else in the tools' output is ignored on purpose,
 * so an added field in a new iproute2 does not break the fleet, but a removed one fails a fixture test.
 */
import type { TableParts } from '../desired/types';

export interface ObservedLink {
  name: string;
  kind: string | null; // linkinfo.info_kind: bridge, vxlan, veth, tun, wireguard …
  mtu: number;
  up: boolean; // administratively up (flag UP)
  mac: string | null;
  alias: string | null;
  master: string | null;
  learning: boolean | null; // bridge-port learning, when the link is a bridge port
  vxlan: { id: number; local: string | null; port: number; learning: boolean; proxy: boolean } | null;
  mcastSnooping: number | null; // bridges only
  addrs: string[]; // IPv4 "ip/len"
  addrs6?: string[]; // IPv6 "ip/len", link-local included (absent: none)
}

export interface ObservedFdb {
  mac: string;
  dev: string;
  self: boolean;
  dst: string | null;
  master: string | null;
  state: string | null;
}

export interface ObservedNeigh {
  ip: string;
  dev: string;
  mac: string | null;
  permanent: boolean;
}

export interface ObservedPeer {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  keepalive: number;
}

export interface ObservedWg {
  publicKey: string;
  listenPort: number;
  peers: ObservedPeer[];
}

export interface ObservedTable {
  family: string;
  name: string;
  hash: string | null;
  chains: Record<string, number>;
  sets: Record<string, number>;
  elements?: Record<string, string[]>; // plain sets of single values: set → sorted elements
  parts?: TableParts; // known only in a fast pass's baseline (what the last clean pass wrote), never read from the kernel
}

export interface ObservedSandbox {
  ns: string;
  links: ObservedLink[];
  fdb: ObservedFdb[];
  neigh: ObservedNeigh[];
  tables: ObservedTable[];
}

export interface ObservedState {
  namespaces: string[]; // every named netns on the machine (we filter by prefix)
  hostLinks: ObservedLink[];
  wg: ObservedWg | null; // null: the device is missing or not answering
  hostTables: ObservedTable[];
  sandboxes: Record<string, ObservedSandbox>; // by namespace name, only ours
  unreadable?: Record<string, string>; // sandboxes whose read failed (ns → error): left alone this pass
}

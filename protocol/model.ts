/**
 * The host model: what the control API tells one host agent (docs/architecture.md §6.3).
 *
 * This is the wire contract between the API's `hostConfig` / `hostChanges` and the agent. The agent
 * keeps exactly one `HostConfig` in memory, built from a snapshot and advanced by deltas with
 * `applyDelta` (agent/api/apply-delta.ts). Everything the data plane and DNS do is derived from it.
 * It must stay plain JSON: it is also written to disk as the last-known-good state.
 */
import type { NetworkPolicy } from './policy/model.ts';

export type ContainerState = 'PENDING' | 'RUNNING' | 'DRAINING';

/** One container of a network, local or remote. */
export interface ContainerModel {
  id: string; // ctr-<uuid>
  applicationId: string; // ap-<uuid>
  processType: string; // a DNS label: web, worker, …
  number: number; // 1, 2, … per application + process type
  hostId: string; // host-<uuid>
  hostMeshIp: string; // the mesh (WireGuard) address of the container's host, e.g. 100.64.0.3
  ip: string; // private IPv4 in the network's CIDR
  mac: string; // derived from the IP: 02:00:<4 IP bytes>, lower-case hex, colon separated
  state: ContainerState;
  hostname: string; // <n>.<type>.<app-id>.<network-id>.private-network.internal (no trailing dot)
}

/** An application of a network: only what naming needs. */
export interface ApplicationModel {
  id: string; // ap-<uuid>
  name: string;
  defaultProcessType: string; // the type that the app-level name resolves to ("web" unless set)
}

export type PortProtocol = 'TCP' | 'UDP';

/** A port a process type declares (issue 19): it names the SRV records `_<name>._<proto>.<type>.<app>.<pn>`. */
export interface ProcessPortModel {
  applicationId: string;
  processType: string;
  name: string; // a DNS label without the leading underscore: http, grpc, …
  port: number; // 1 … 65535
  protocol: PortProtocol;
}

/** A network-scoped name `<name>.<pn>…` that answers for an application (its default type) or one process type. */
export interface NetworkAliasModel {
  name: string; // a DNS label that is no application id and no reserved label
  applicationId: string;
  processType: string | null; // null: the application's default process type
}

/** A per-network data-plane switch. */
export type NetworkSwitch = 'ON' | 'OFF';

/** A network's IPv6 block, when its ipv6 switch is ON. */
export interface NetworkIpv6 {
  cidr: string; // a unique-local /64, e.g. fd77:6674:0:1092::/64
  gateway: string; // offset 1 of the /64, e.g. fd77:6674:0:1092::1
}

/** A private network that has at least one container on this host. */
export interface NetworkModel {
  id: string; // pn-<uuid>
  projectId: string; // prj-<uuid>
  vni: number; // 1 … 16777215
  cidr: string; // e.g. 10.240.0.0/22
  gateway: string; // first usable address, e.g. 10.240.0.1 — the network's DNS resolver
  dnsTtl: number; // seconds
  // Head-end replication of broadcast, multicast and unknown unicast to the member hosts
  // (docs/agent-dataplane.md "Multicast"). Absent (an older API) means ON.
  multicast?: NetworkSwitch;
  // Dual-stack (issue 21, docs/agent-dataplane.md "IPv6"): the network's unique-local /64 and its
  // gateway (<prefix>::1). Absent when the network's ipv6 switch is OFF, and from an older API. A
  // container's v6 address is derived, not sent: containerIpv6 (protocol/addressing/ipv6.ts).
  ipv6?: NetworkIpv6;
  applications: ApplicationModel[];
  containers: ContainerModel[]; // every container of the network, on any host
  // Hosts of this network's containers that the API holds DOWN (docs/architecture.md §8.4): their
  // containers leave DNS, their data-plane entries stay. Sorted; empty when every host is up.
  downHosts: string[];
  // Declared ports of the network's process types (SRV) and its aliases; absent means none
  // (older APIs and state files). Sorted by application, type and name.
  ports?: ProcessPortModel[];
  aliases?: NetworkAliasModel[];
  // The network's app-to-app policy (protocol/policy/model.ts, docs/policies.md); absent from an
  // older API's snapshot, which means OFF.
  policy?: NetworkPolicy;
}

/** A WireGuard peer: another host that shares at least one network with this one. */
export interface PeerModel {
  hostId: string;
  name: string;
  publicKey: string; // base64, 32 bytes
  endpoint: string; // underlay ip:port
  meshIp: string; // its /32 in allowed-ips
}

/** This host. */
export interface HostModel {
  id: string;
  name: string;
  meshIp: string;
  meshCidr: string; // e.g. 100.64.0.0/16
  endpoint: string; // underlay ip:port this host listens on for WireGuard
  publicKey: string;
  // Set by `rotateHostKey` (ISO time of the request) until the host publishes a new key: its agent
  // rotates once per request (docs/agent-dataplane.md "Host-key rotation"). Absent: none pending.
  keyRotationRequestedAt?: string;
}

/** The full desired state of one host at revision `revision`. */
export interface HostConfig {
  revision: number;
  // The database generation the revision belongs to (docs/architecture.md §8.3): revisions of two
  // generations cannot be compared, so the agent fences when it changes.
  generation: string;
  host: HostModel;
  peers: PeerModel[];
  networks: NetworkModel[];
}

// The changes that advance a HostConfig (HostDelta) are in the change catalogue, protocol/changes.ts.

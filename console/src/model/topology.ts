/**
 * The network view's model: member hosts (mesh IP and health), the containers on each, and the VXLAN
 * peerings between hosts; then the same as cytoscape elements. Every member host of a network keeps
 * a VXLAN forwarding entry towards every other member (docs/architecture.md), so the peerings are all
 * pairs of member hosts. Users do not see placement: their containers sit in one "placement hidden" group.
 */
import type { HostConvergenceResult, HostResult } from '../api/types.ts';
import type { ContainerRow } from './containers.ts';

export type HostHealth = 'healthy' | 'unhealthy' | 'down' | 'unknown';

export interface HostNode {
  id: string;
  name: string;
  meshIp: string | null;
  health: HostHealth;
  pendingChanges: number;
}

export interface ContainerNode {
  id: string;
  parent: string;
  label: string;
  app: string;
  processType: string;
  number: number;
  ip: string;
  state: ContainerRow['state'];
}

export interface Topology {
  hosts: HostNode[];
  containers: ContainerNode[];
  peerings: { id: string; source: string; target: string }[];
}

/** The id of the group that holds containers whose host the caller may not see. */
export const HIDDEN_PLACEMENT = 'placement-hidden';

export interface TopologyInput {
  containers: ContainerRow[];
  /** Application id → name. */
  appNames: Record<string, string>;
  /** Member hosts with their health and lag (NetworkConvergence.hosts; users see these too). */
  members: HostConvergenceResult[];
  /** Admins only: every host, for mesh IPs and liveness. */
  hosts: HostResult[] | null;
}

function healthOf(member: HostConvergenceResult | undefined, host: HostResult | undefined): HostHealth {
  if (host?.liveness === 'DOWN') return 'down';
  if (!member || member.healthy === null) return 'unknown';
  return member.healthy ? 'healthy' : 'unhealthy';
}

export function buildTopology(input: TopologyInput): Topology {
  const byId = new Map((input.hosts ?? []).map((h) => [h.id, h]));
  const memberIds = new Set(input.members.map((m) => m.hostId));
  // An admin also sees hosts of containers not yet reported as members (a container still PENDING).
  for (const c of input.containers) if (c.hostId) memberIds.add(c.hostId);
  const members = new Map(input.members.map((m) => [m.hostId, m]));
  const hosts: HostNode[] = [...memberIds]
    .map((id) => {
      const host = byId.get(id);
      const member = members.get(id);
      return {
        id,
        name: host?.name ?? member?.hostName ?? id,
        meshIp: host?.meshIp ?? null,
        health: healthOf(member, host),
        pendingChanges: member?.pendingChanges ?? 0,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const containers: ContainerNode[] = input.containers.map((c) => {
    const app = input.appNames[c.applicationId] ?? c.applicationId;
    return {
      id: c.id,
      parent: c.hostId ?? HIDDEN_PLACEMENT,
      label: `${app} ${c.processType}.${c.number}`,
      app,
      processType: c.processType,
      number: c.number,
      ip: c.ip,
      state: c.state,
    };
  });
  const peerings: Topology['peerings'] = [];
  for (let i = 0; i < hosts.length; i++)
    for (let j = i + 1; j < hosts.length; j++) peerings.push({ id: `vxlan:${hosts[i].id}|${hosts[j].id}`, source: hosts[i].id, target: hosts[j].id });
  return { hosts, containers, peerings };
}

export interface Element {
  group: 'nodes' | 'edges';
  data: Record<string, string | number>;
  classes?: string;
}

/** The topology as cytoscape elements: hosts are compound nodes holding their containers. */
export function topologyElements(t: Topology): Element[] {
  const out: Element[] = t.hosts.map((h) => ({
    group: 'nodes',
    data: { id: h.id, label: h.meshIp ? `${h.name}\n${h.meshIp}` : h.name },
    classes: `host ${h.health}${h.pendingChanges !== 0 ? ' behind' : ''}`,
  }));
  if (t.containers.some((c) => c.parent === HIDDEN_PLACEMENT))
    out.push({ group: 'nodes', data: { id: HIDDEN_PLACEMENT, label: 'hosts hidden (admin only)' }, classes: 'host hidden' });
  for (const c of t.containers)
    out.push({ group: 'nodes', data: { id: c.id, parent: c.parent, label: `${c.label}\n${c.ip}` }, classes: `container ${c.state.toLowerCase()}` });
  for (const p of t.peerings) out.push({ group: 'edges', data: { id: p.id, source: p.source, target: p.target, label: 'VXLAN' }, classes: 'peering' });
  return out;
}

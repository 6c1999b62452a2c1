/**
 * Advancing the agent's model by one feed change. Pure: (model, change) → next model, or a request
 * to list again. It owns nothing outside the model it is given and never mutates it.
 *
 * Why a relist on `network.joined`: the delta carries no member list (deltas are O(1)), so the
 * first container of a network on this host is followed by a fresh `hostConfig`. Rows are parsed
 * against the change catalogue (protocol/changes.ts), never cast. Kinds the agent does not know, or
 * that do not apply to it, are skipped, so the API can add kinds without breaking older agents; a
 * row it cannot read makes it list again, since the snapshot is authoritative.
 */
import { type ChangeKind, type Handling, type HostDelta, parseHostDelta } from '../../protocol/changes.ts';
import { expandPayload } from '../../protocol/compact.ts';
import type { ContainerModel, HostConfig, NetworkModel, ProcessPortModel } from '../../protocol/model.ts';
import { numericOrder } from '../../protocol/order.ts';

/**
 * What the agent does with each change kind. A kind added to the catalogue fails the typecheck
 * until it has an entry here, and an entry marked 'handled' fails it until `applyDelta` has a case.
 */
export const AGENT_HANDLING = {
  'project.created': 'not-applicable', // a new network has no member host yet
  'project.deleted': 'not-applicable', // each member host gets its own network.left
  'application.created': 'handled',
  'application.updated': 'handled',
  'application.deleted': 'handled',
  'process.exposure_changed': 'not-applicable', // the public router's concern, addressed to the project only
  'process.ports_changed': 'handled',
  'network.updated': 'handled',
  'container.created': 'handled',
  'container.running': 'handled',
  'container.draining': 'handled',
  'container.removed': 'handled',
  'container.drained': 'not-applicable', // the container stays DRAINING; `weft-agent drain --wait` asks the API
  'network.policy_set': 'handled',
  'network.joined': 'handled',
  'network.left': 'handled',
  'peer.upserted': 'handled',
  'peer.removed': 'handled',
  'host.registered': 'not-applicable', // the agent learns its own host from the snapshot
  'host.updated': 'handled',
  'host.token_rotated': 'not-applicable', // audit only: a revoked token shows as a 401 on the next request
  'host.token_revoked': 'not-applicable',
  'host.down': 'handled',
  'host.up': 'handled',
  'host.brake_engaged': 'not-applicable', // the agent's own report, echoed for webhooks
} as const satisfies Record<ChangeKind, Handling>;

type AgentKind = { [K in ChangeKind]: (typeof AGENT_HANDLING)[K] extends 'handled' ? K : never }[ChangeKind];

/** A delta of a kind the agent applies. */
export type AgentDelta = HostDelta<AgentKind>;

const applies = (delta: HostDelta): delta is AgentDelta => AGENT_HANDLING[delta.kind] === 'handled';

export type ApplyResult = { kind: 'applied'; config: HostConfig } | { kind: 'relist'; reason: string };

const withNetwork = (config: HostConfig, id: string, update: (n: NetworkModel) => NetworkModel): HostConfig => ({
  ...config,
  networks: config.networks.map((n) => (n.id === id ? update(n) : n)),
});

const upsertContainer = (n: NetworkModel, c: ContainerModel): NetworkModel => {
  const others = n.containers.filter((x) => x.id !== c.id);
  return { ...n, containers: [...others, c].sort((a, b) => numericOrder(a.ip, b.ip)) };
};

/** A network's ports with one process type's list replaced, in the snapshot's order (application, type, name). */
function replacePorts(
  ports: ProcessPortModel[],
  applicationId: string,
  processType: string,
  declared: Omit<ProcessPortModel, 'applicationId' | 'processType'>[],
): ProcessPortModel[] {
  const others = ports.filter((p) => p.applicationId !== applicationId || p.processType !== processType);
  return [...others, ...declared.map((p) => ({ applicationId, processType, ...p }))].sort(comparePorts);
}

/** The order of a network's declared ports, the same as the API's snapshot. */
function comparePorts(a: ProcessPortModel, b: ProcessPortModel): number {
  return (
    a.applicationId.localeCompare(b.applicationId) ||
    a.processType.localeCompare(b.processType) ||
    a.name.localeCompare(b.name) ||
    a.protocol.localeCompare(b.protocol)
  );
}

/** Applies one delta; the result's revision is the delta's. */
export function applyDelta(config: HostConfig, delta: AgentDelta): ApplyResult {
  const known = (id: string) => config.networks.some((n) => n.id === id);
  let next: HostConfig = config;
  switch (delta.kind) {
    case 'container.created':
    case 'container.running':
    case 'container.draining':
      if (!known(delta.networkId))
        return delta.container.hostId === config.host.id
          ? { kind: 'relist', reason: `container of unknown network ${delta.networkId}` }
          : { kind: 'applied', config: { ...config, revision: delta.revision } };
      next = withNetwork(config, delta.networkId, (n) => upsertContainer(n, delta.container));
      break;
    case 'container.removed':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, containers: n.containers.filter((c) => c.id !== delta.containerId) }));
      break;
    case 'application.created':
    case 'application.updated':
      next = withNetwork(config, delta.networkId, (n) => ({
        ...n,
        applications: [...n.applications.filter((a) => a.id !== delta.application.id), delta.application].sort((a, b) => a.id.localeCompare(b.id)),
      }));
      break;
    case 'application.deleted':
      next = withNetwork(config, delta.networkId, (n) => ({
        ...n,
        applications: n.applications.filter((a) => a.id !== delta.applicationId),
        ...(n.ports ? { ports: n.ports.filter((p) => p.applicationId !== delta.applicationId) } : {}),
        ...(n.aliases ? { aliases: n.aliases.filter((a) => a.applicationId !== delta.applicationId) } : {}),
      }));
      break;
    case 'process.ports_changed':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, ports: replacePorts(n.ports ?? [], delta.applicationId, delta.processType, delta.ports) }));
      break;
    case 'network.updated':
      next = withNetwork(config, delta.networkId, (n) => {
        // ipv6: {cidr, gateway} ON, null OFF, absent from an older API (the network keeps what it had)
        const { ipv6: _, ...rest } = n;
        const ipv6 = delta.ipv6 === undefined ? n.ipv6 : (delta.ipv6 ?? undefined);
        return { ...rest, dnsTtl: delta.dnsTtl, aliases: delta.aliases, multicast: delta.multicast, ...(ipv6 ? { ipv6 } : {}) };
      });
      break;
    case 'network.policy_set':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, policy: delta.policy }));
      break;
    case 'network.joined':
      if (!known(delta.networkId)) return { kind: 'relist', reason: `joined network ${delta.networkId}` };
      break;
    case 'network.left':
      next = { ...config, networks: config.networks.filter((n) => n.id !== delta.networkId) };
      break;
    case 'peer.upserted':
      next = { ...config, peers: [...config.peers.filter((p) => p.hostId !== delta.peer.hostId), delta.peer].sort((a, b) => a.hostId.localeCompare(b.hostId)) };
      break;
    case 'peer.removed':
      next = { ...config, peers: config.peers.filter((p) => p.hostId !== delta.hostId) };
      break;
    case 'host.updated':
      next = { ...config, host: delta.host };
      break;
    case 'host.down':
    case 'host.up': {
      const down = delta.kind === 'host.down';
      next = withNetwork(config, delta.networkId, (n) => ({
        ...n,
        downHosts: [...n.downHosts.filter((h) => h !== delta.hostId), ...(down ? [delta.hostId] : [])].sort(),
      }));
      break;
    }
    default:
      delta satisfies never; // every kind AGENT_HANDLING marks 'handled' has its case above
  }
  return { kind: 'applied', config: { ...next, revision: delta.revision } };
}

/** A `hostChanges` row as the API sends it: `{revision, kind, networkId, payload}`. */
export interface FeedChange {
  revision: number;
  kind: string;
  networkId?: string | null;
  payload: Record<string, unknown>;
}

/**
 * Applies one feed row: parses it against the catalogue, skips (advancing the revision only) kinds
 * the agent does not know or that do not apply to it, and lists again on a row it cannot read.
 */
export function applyChange(config: HostConfig, change: FeedChange): ApplyResult {
  // Payloads come compact: a container's hostname and MAC are derived again (protocol/compact.ts).
  const parsed = parseHostDelta({ ...change, payload: expandPayload(change.payload, change.networkId) });
  if (!parsed.ok && parsed.reason === 'invalid') return { kind: 'relist', reason: parsed.message };
  if (!parsed.ok || !applies(parsed.value)) return { kind: 'applied', config: { ...config, revision: change.revision } };
  return applyDelta(config, parsed.value);
}

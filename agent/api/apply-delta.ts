/**
 * Advancing the agent's model by one feed change. Pure: (model, delta) → next model, or a request
 * to list again. It owns nothing outside the model it is given and never mutates it.
 *
 * Why a relist on `network.joined`: the delta carries no member list (deltas are O(1)), so the
 * first container of a network on this host is followed by a fresh `hostConfig`. Kinds the agent
 * does not know are ignored, so the API can add kinds without breaking older agents.
 */
import type { ContainerModel, HostConfig, HostDelta, NetworkModel } from '../../protocol/model.ts';

export type ApplyResult = { kind: 'applied'; config: HostConfig } | { kind: 'relist'; reason: string };

const withNetwork = (config: HostConfig, id: string, update: (n: NetworkModel) => NetworkModel): HostConfig => ({
  ...config,
  networks: config.networks.map((n) => (n.id === id ? update(n) : n)),
});

const upsertContainer = (n: NetworkModel, c: ContainerModel): NetworkModel => {
  const others = n.containers.filter((x) => x.id !== c.id);
  return { ...n, containers: [...others, c].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true })) };
};

/** Applies one delta; the result's revision is the delta's. */
export function applyDelta(config: HostConfig, delta: HostDelta): ApplyResult {
  const known = (id: string) => config.networks.some((n) => n.id === id);
  let next: HostConfig = config;
  switch (delta.kind) {
    case 'container.created':
    case 'container.running':
    case 'container.draining':
      if (!known(delta.networkId)) return delta.container.hostId === config.host.id ? { kind: 'relist', reason: `container of unknown network ${delta.networkId}` } : { kind: 'applied', config: { ...config, revision: delta.revision } };
      next = withNetwork(config, delta.networkId, (n) => upsertContainer(n, delta.container));
      break;
    case 'container.removed':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, containers: n.containers.filter((c) => c.id !== delta.containerId) }));
      break;
    case 'application.created':
    case 'application.updated':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, applications: [...n.applications.filter((a) => a.id !== delta.application.id), delta.application].sort((a, b) => a.id.localeCompare(b.id)) }));
      break;
    case 'application.deleted':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, applications: n.applications.filter((a) => a.id !== delta.applicationId) }));
      break;
    case 'network.updated':
      next = withNetwork(config, delta.networkId, (n) => ({ ...n, dnsTtl: delta.dnsTtl }));
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
    default:
      break;
  }
  return { kind: 'applied', config: { ...next, revision: delta.revision } };
}

/** The delta of a feed change as the API sends it: `{revision, kind, networkId, ...payload}`. */
export function toDelta(change: { revision: number; kind: string; networkId?: string | null; payload: Record<string, unknown> }): HostDelta {
  return { ...change.payload, revision: change.revision, kind: change.kind, networkId: change.networkId ?? undefined } as unknown as HostDelta;
}

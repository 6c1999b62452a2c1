/**
 * What an attached container is told: its environment, interface facts and resolver (docs/architecture.md §3.4).
 *
 * Pure. Owns the coded errors of attach (a container the model does not know yet, or one that is
 * scheduled on another host), so the runtime can tell "retry later" from "wrong host".
 */
import type { ContainerModel, HostConfig, NetworkModel } from '../../protocol/model.ts';
import { prefixLen, SANDBOX_MTU } from '../desired/compute';

/** The stable codes of the attach API (the CNI ones are mapped to spec codes in cni/errors.ts). */
export type AttachErrorCode =
  | 'AGENT_NOT_READY'
  | 'NOT_FENCED'
  | 'DRAIN_FAILED'
  // rotate-key: fenced (no key is published to an untrusted API), or the new key could not be published yet
  | 'FENCED'
  | 'KEY_NOT_PUBLISHED'
  | 'CONTAINER_UNKNOWN'
  | 'CONTAINER_NOT_ON_THIS_HOST'
  | 'BAD_REQUEST'
  | 'NETNS_NOT_FOUND'
  | 'NETWORK_NOT_READY'
  // CNI: no IP, MAC or container id to find the Weft container by; or two of them naming different containers
  | 'IDENTITY_MISSING'
  | 'IDENTITY_MISMATCH'
  // CNI: the container belongs to another network than the conflist's
  | 'WRONG_NETWORK'
  // CNI CHECK: the attachment is not (or no longer) in place
  | 'NOT_ATTACHED';

/** An attach error with a stable code and the HTTP status the attach API answers with. */
export class AttachError extends Error {
  constructor(
    readonly code: AttachErrorCode,
    message: string,
    readonly status: number,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'AttachError';
  }
}

/** The answer to a successful attach. */
export interface AttachResult {
  containerId: string;
  networkId: string;
  interface: string;
  ip: string;
  prefixLen: number;
  mac: string;
  mtu: number;
  gateway: string;
  resolver: string;
  resolvConf: string; // the line the runtime writes into the container's resolv.conf
  env: Record<string, string>;
}

/** Finds a container of this host in the model, or throws a coded AttachError. */
export function findLocalContainer(config: HostConfig | null, containerId: string): { network: NetworkModel; container: ContainerModel } {
  if (!config) throw new AttachError('AGENT_NOT_READY', 'the agent has no host model yet (first snapshot pending)', 503);
  for (const network of config.networks) {
    const container = network.containers.find((c) => c.id === containerId);
    if (!container) continue;
    if (container.hostId !== config.host.id)
      throw new AttachError('CONTAINER_NOT_ON_THIS_HOST', `container ${containerId} is scheduled on ${container.hostId}, not ${config.host.id}`, 409);
    return { network, container };
  }
  throw new AttachError('CONTAINER_UNKNOWN', `container ${containerId} is not in this host's model (yet): create it in the API first, then retry`, 404);
}

/** Builds the attach answer; `envPrefix` defaults to Scalingo's `SCALINGO_`. */
export function attachResult(network: NetworkModel, c: ContainerModel, containerIf: string, envPrefix = 'SCALINGO_'): AttachResult {
  return {
    containerId: c.id,
    networkId: network.id,
    interface: containerIf,
    ip: c.ip,
    prefixLen: prefixLen(network.cidr),
    mac: c.mac,
    mtu: SANDBOX_MTU,
    gateway: network.gateway,
    resolver: network.gateway,
    resolvConf: `nameserver ${network.gateway}`,
    env: {
      [`${envPrefix}APPLICATION_ID`]: c.applicationId,
      [`${envPrefix}PRIVATE_NETWORK_ID`]: network.id,
      [`${envPrefix}PRIVATE_HOSTNAME`]: c.hostname,
    },
  };
}

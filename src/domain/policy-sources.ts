/**
 * Before a new container is reported attached (docs/policies.md#a-new-container): the hosts whose
 * policy sets must hold its address first, and which of them have not applied it yet. Pure.
 *
 * A host must hold the new container when it runs a destination that a rule names as reachable from
 * the new container: that host's `r<i>_src` set must list it, or the container's first packet
 * there is dropped. Its own host is left out (the attach's own pass programs it). Nothing to wait
 * for when the policy is OFF or has no rule, or when no rule names the container as a source (it is
 * in no set on any host). Like a drain (domain/drain.ts), only hosts that are UP and have reported
 * count: a DOWN host runs no destination that could refuse the packet.
 */
import type { NetworkPolicy, PolicyEndpoint } from '../../protocol/policy/model.ts';
import { peerMatches } from '../../protocol/policy/evaluate.ts';
import { hostsBehind, type Member } from './drain.ts';

export interface SourceContainer extends PolicyEndpoint {
  id: string;
  hostId: string;
}

export interface PolicySourcesProgress {
  hosts: string[]; // the hosts whose sets must hold the container (sorted)
  pendingHosts: string[]; // those of them (UP, reported) that have not applied `revision` yet
}

/**
 * `revision`: the container's `container.created` change; `others`: the network's connected
 * containers (PENDING, RUNNING, DRAINING); `members`: the network's hosts as the API knows them.
 */
export function policySourcesProgress(
  policy: Pick<NetworkPolicy, 'mode' | 'rules'>,
  container: SourceContainer,
  others: readonly SourceContainer[],
  members: readonly Member[],
  revision: number,
): PolicySourcesProgress {
  if (policy.mode === 'OFF') return { hosts: [], pendingHosts: [] };
  const rules = policy.rules.filter((r) => peerMatches(r.from, container));
  const hosts = new Set<string>();
  for (const c of others) if (c.id !== container.id && c.hostId !== container.hostId && rules.some((r) => peerMatches(r.to, c))) hosts.add(c.hostId);
  const pendingHosts = hostsBehind(
    members.filter((m) => hosts.has(m.id)),
    revision,
  );
  return { hosts: [...hosts].sort(), pendingHosts };
}

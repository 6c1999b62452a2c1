/**
 * Where a new container stands in the other hosts' policy sets (docs/policies.md#a-new-container;
 * the rule is src/domain/policy-sources.ts). The agent of its host asks this before it answers the
 * attach, so the container's first packet is judged by sets that already hold it. Reads only.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Reader } from '../../db/client.ts';
import { changes, containers } from '../../db/schema/index.ts';
import { getContainer } from '../../db/lookups.ts';
import { policySourcesProgress } from '../../domain/policy-sources.ts';
import { membersOfNetwork } from '../../feed/membership.ts';
import { readPolicy } from '../../feed/policy.ts';

/** As GraphQL and the agent see it. */
export interface PolicySourcesState {
  containerId: string;
  revision: number | null; // its container.created change; null when compacted away (long applied)
  hosts: string[];
  pendingHosts: string[];
  ready: boolean;
}

export async function policySourcesState(db: Reader, containerId: string): Promise<PolicySourcesState> {
  const row = await getContainer(db, containerId);
  const policy = await readPolicy(db, row.networkId);
  const none = { containerId, revision: null, hosts: [], pendingHosts: [], ready: true };
  if (policy.mode === 'OFF' || !policy.rules.length) return none;
  const [created] = await db
    .select({ revision: changes.revision })
    .from(changes)
    .where(
      and(
        eq(changes.networkId, row.networkId),
        eq(changes.kind, 'container.created'),
        sql`json_extract(${changes.payload}, '$.container.id') = ${containerId}`,
      ),
    )
    // newest first: a container is asked about as it attaches, so its creation is among the last rows
    .orderBy(desc(changes.revision))
    .limit(1);
  const others = await db
    .select({ id: containers.id, hostId: containers.hostId, applicationId: containers.applicationId, processType: containers.processType })
    .from(containers)
    .where(eq(containers.networkId, row.networkId));
  const p = policySourcesProgress(policy, row, others, await membersOfNetwork(db, row.networkId), created?.revision ?? 0);
  return { containerId, revision: created?.revision ?? null, hosts: p.hosts, pendingHosts: p.pendingHosts, ready: p.pendingHosts.length === 0 };
}

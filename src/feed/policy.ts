/**
 * Reading a network's policy and what validating one needs (docs/policies.md). Shared by the write
 * verb, the snapshot (src/feed/snapshot.ts) and the schema.
 */
import { eq, inArray } from 'drizzle-orm';
import { NO_POLICY, type NetworkPolicy } from '../../protocol/policy/model.ts';
import type { PolicyApplication } from '../../protocol/policy/validate.ts';
import type { Reader } from '../db/client.ts';
import { applications, containers, networkPolicies, processTypes } from '../db/schema/index.ts';

/** The network's policy; OFF with no rule when none was ever set. */
export async function readPolicy(db: Reader, networkId: string): Promise<NetworkPolicy> {
  const [row] = await db.select().from(networkPolicies).where(eq(networkPolicies.networkId, networkId));
  if (!row) return NO_POLICY;
  return { mode: row.mode, rules: JSON.parse(row.rules), tests: JSON.parse(row.tests), version: row.version };
}

/**
 * The network's applications with every process type they have: declared ones and those of
 * existing containers (the default type when there are none).
 */
export async function policyApplications(db: Reader, networkId: string): Promise<PolicyApplication[]> {
  const apps = await db.select().from(applications).where(eq(applications.networkId, networkId));
  if (!apps.length) return [];
  const ids = apps.map((a) => a.id);
  const declared = await db.select().from(processTypes).where(inArray(processTypes.applicationId, ids));
  const running = await db
    .selectDistinct({ applicationId: containers.applicationId, name: containers.processType })
    .from(containers)
    .where(eq(containers.networkId, networkId));
  return apps.map((a) => {
    const types = new Set([...declared, ...running].filter((t) => t.applicationId === a.id).map((t) => t.name));
    return { id: a.id, name: a.name, processTypes: types.size ? [...types].sort() : [a.defaultProcessType] };
  });
}

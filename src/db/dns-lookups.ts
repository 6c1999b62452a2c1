/**
 * Reads of the DNS settings a network model carries (issue 19): declared ports and aliases, in the
 * order the host model keeps them. Below src/services and src/feed, like lookups.ts.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import type { NetworkAliasModel, ProcessPortModel } from '../../protocol/model.ts';
import type { Reader } from './client.ts';
import { networkAliases, processPorts } from './schema/index.ts';

/** A network's aliases, sorted by name. */
export async function aliasesOf(db: Reader, networkId: string): Promise<NetworkAliasModel[]> {
  const rows = await db.select().from(networkAliases).where(eq(networkAliases.networkId, networkId)).orderBy(asc(networkAliases.name));
  return rows.map((r) => ({ name: r.name, applicationId: r.applicationId, processType: r.processType }));
}

/** Every declared port of the given applications, sorted by application, type, name and protocol (as the agent keeps them). */
export async function portsOfApplications(db: Reader, applicationIds: string[]): Promise<ProcessPortModel[]> {
  if (!applicationIds.length) return [];
  const rows = await db.select().from(processPorts).where(inArray(processPorts.applicationId, applicationIds));
  return rows
    .map((r) => ({ applicationId: r.applicationId, processType: r.processType, name: r.name, port: r.port, protocol: r.protocol }))
    .sort(
      (a, b) =>
        a.applicationId.localeCompare(b.applicationId) ||
        a.processType.localeCompare(b.processType) ||
        a.name.localeCompare(b.name) ||
        a.protocol.localeCompare(b.protocol),
    );
}

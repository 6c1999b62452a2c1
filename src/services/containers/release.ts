/**
 * Removing container rows inside a write transaction: frees their addresses into the cool-down
 * table and emits the feed changes a removal causes — `container.removed` for the network's members,
 * `network.left` for a host whose last container of the network went, and the peer changes that
 * follow. Shared by container removal, application deletion and project deletion.
 */
import { inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { containers, releasedAddresses } from '../../db/schema/index.ts';
import type { NewChange } from '../../feed/append.ts';
import { countOnHost, hostsOfNetwork, peerChanges, peerSets } from '../../feed/membership.ts';

type ContainerRow = typeof containers.$inferSelect;

/** Deletes `rows` (all of one network) and returns the changes to append, in order. */
export async function releaseContainers(tx: Tx, rows: ContainerRow[], ctx: { projectId: string; now: number; announceEach: boolean }): Promise<NewChange[]> {
  if (rows.length === 0) return [];
  const networkId = rows[0].networkId;
  // Hosts whose last containers of the network these rows are: only they change any peer set, so
  // the (per member host) peer computation runs only when one of them leaves.
  const removedPerHost = new Map<string, number>();
  for (const r of rows) removedPerHost.set(r.hostId, (removedPerHost.get(r.hostId) ?? 0) + 1);
  const leaving: string[] = [];
  for (const [hostId, n] of [...removedPerHost].sort(([a], [b]) => a.localeCompare(b))) {
    if ((await countOnHost(tx, hostId, networkId)) === n) leaving.push(hostId);
  }
  const members = leaving.length ? await hostsOfNetwork(tx, networkId) : [];
  const before = leaving.length ? await peerSets(tx, members) : new Map<string, Set<string>>();
  await tx.delete(containers).where(
    inArray(
      containers.id,
      rows.map((r) => r.id),
    ),
  );
  for (const row of rows) {
    await tx
      .insert(releasedAddresses)
      .values({ networkId, ipOffset: row.ipOffset, releasedAt: ctx.now })
      .onConflictDoUpdate({ target: [releasedAddresses.networkId, releasedAddresses.ipOffset], set: { releasedAt: ctx.now } });
  }
  const out: NewChange[] = [];
  if (ctx.announceEach) {
    for (const row of rows)
      out.push({
        kind: 'container.removed',
        projectId: ctx.projectId,
        networkId,
        payload: { containerId: row.id, applicationId: row.applicationId, processType: row.processType, number: row.number, hostId: row.hostId, ip: row.ip },
      });
  }
  for (const hostId of leaving) out.push({ kind: 'network.left', projectId: ctx.projectId, networkId, hostId, payload: { networkId } });
  if (leaving.length) out.push(...(await peerChanges(tx, before, await peerSets(tx, members))));
  return out;
}

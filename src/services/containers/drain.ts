/**
 * Safe-to-stop drain, the effect side (docs/architecture.md §8.9; the rule is src/domain/drain.ts). `drainState` reads where a drain
 * stands; `settleDrains` (run by the fleet sweep) records when every member host applied a drain and,
 * once it is safe to stop, sets `safeToStopAt` and appends `container.drained`.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Reader } from '../../db/client.ts';
import { containers, hosts } from '../../db/schema/index.ts';
import { drainProgress, type DrainProgress } from '../../domain/drain.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { membersOfNetwork } from '../../feed/membership.ts';
import { toContainerModel } from '../../feed/models.ts';
import { getContainer, getNetwork } from '../../db/lookups.ts';
import type { Changed, ServiceContext } from '../context.ts';

/** A drain as GraphQL and the agent see it (times in ms; null before the container drains). */
export interface DrainState {
  containerId: string;
  revision: number | null;
  ttlExpiresAt: number | null;
  safeToStopAt: number | null;
  pendingHosts: string[];
}

type ContainerRow = typeof containers.$inferSelect;

async function progressOf(db: Reader, row: ContainerRow, now: number): Promise<DrainProgress | null> {
  if (row.drainRevision === null) return null;
  const network = await getNetwork(db, row.networkId);
  return drainProgress(
    { revision: row.drainRevision, ttlMs: network.dnsTtl * 1000, appliedAt: row.drainAppliedAt },
    await membersOfNetwork(db, row.networkId),
    now,
  );
}

/** Where the drain of a container stands. */
export async function drainState(db: Reader, containerId: string, now: number): Promise<DrainState> {
  const row = await getContainer(db, containerId);
  const p = row.safeToStopAt === null ? await progressOf(db, row, now) : null;
  return {
    containerId: row.id,
    revision: row.drainRevision,
    ttlExpiresAt: row.drainTtlExpiresAt,
    safeToStopAt: row.safeToStopAt,
    pendingHosts: p?.pendingHosts ?? [],
  };
}

/** Advances every drain in progress; appends `container.drained` for those now safe to stop. */
export async function settleDrains(ctx: ServiceContext): Promise<Changed<{ drained: string[] }>> {
  const pending = await ctx.db.read
    .select({ id: containers.id })
    .from(containers)
    .where(and(eq(containers.state, 'DRAINING'), isNull(containers.safeToStopAt)));
  if (!pending.length) return { result: { drained: [] }, changes: [] };
  return ctx.db.write(async (tx) => {
    const now = ctx.now();
    const list: NewChange[] = [];
    const drained: string[] = [];
    for (const { id } of pending) {
      const [row] = await tx.select().from(containers).where(eq(containers.id, id));
      if (row?.state !== 'DRAINING' || row.safeToStopAt !== null) continue;
      const p = await progressOf(tx, row, now);
      if (!p) continue;
      if (p.appliedAt !== row.drainAppliedAt || p.safeToStopAt !== null)
        await tx.update(containers).set({ drainAppliedAt: p.appliedAt, safeToStopAt: p.safeToStopAt }).where(eq(containers.id, id));
      if (p.safeToStopAt === null) continue;
      const [meshIp] = await tx.select({ meshIp: hosts.meshIp }).from(hosts).where(eq(hosts.id, row.hostId));
      drained.push(id);
      list.push({
        kind: 'container.drained',
        projectId: row.projectId,
        networkId: row.networkId,
        payload: { container: toContainerModel(row, meshIp?.meshIp ?? ''), safeToStopAt: new Date(p.safeToStopAt).toISOString() },
      });
    }
    return { result: { drained }, changes: await appendChanges(tx, list, now) };
  });
}

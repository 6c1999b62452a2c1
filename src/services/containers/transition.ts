import { eq } from 'drizzle-orm';
import { containers } from '../../db/schema/index.ts';
import { conflict } from '../../domain/errors.ts';
import { appendChanges } from '../../feed/append.ts';
import { toContainerModel } from '../../feed/models.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getContainer, getHost, getNetwork } from '../../db/lookups.ts';

type State = 'PENDING' | 'RUNNING' | 'DRAINING';

/** Allowed moves of the container life cycle; a move to the current state is a no-op. */
const ALLOWED: Record<State, State[]> = {
  PENDING: ['RUNNING', 'DRAINING'],
  RUNNING: ['DRAINING'],
  DRAINING: [],
};

/**
 * Moves a container to RUNNING (it enters DNS) or DRAINING (it leaves DNS at once but keeps
 * connectivity). Repeating the current state changes nothing and appends nothing; a move backwards
 * is a CONFLICT.
 */
export async function transitionContainer(ctx: ServiceContext, containerId: string, to: 'RUNNING' | 'DRAINING'): Promise<Changed<{ containerId: string }>> {
  return ctx.db.write(async (tx) => {
    const row = await getContainer(tx, containerId);
    if (row.state === to) return { result: { containerId }, changes: [] };
    if (!ALLOWED[row.state].includes(to)) throw conflict(`container ${containerId} is ${row.state} and cannot become ${to}`, { state: row.state });
    const now = ctx.now();
    const [updated] = await tx.update(containers).set({ state: to, updatedAt: now }).where(eq(containers.id, containerId)).returning();
    const host = await getHost(tx, row.hostId);
    const kind = to === 'RUNNING' ? 'container.running' : 'container.draining';
    const changes = await appendChanges(
      tx,
      [{ kind, projectId: row.projectId, networkId: row.networkId, payload: { container: toContainerModel(updated, host.meshIp) } }],
      now,
    );
    if (to === 'DRAINING') {
      // Safe-to-stop (architecture §8.9): the drain's revision, and when resolvers that cached the name let go.
      const network = await getNetwork(tx, row.networkId);
      await tx
        .update(containers)
        .set({ drainRevision: changes[0].revision, drainTtlExpiresAt: now + network.dnsTtl * 1000 })
        .where(eq(containers.id, containerId));
    }
    return { result: { containerId }, changes };
  });
}

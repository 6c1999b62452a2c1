import { appendChanges } from '../../feed/append.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getContainer } from '../../db/lookups.ts';
import { releaseContainers } from './release.ts';

/**
 * Removes a container in any state: its address starts cooling down, every member host tears its
 * entries down, and its host leaves the network if this was its last container there.
 */
export async function removeContainer(ctx: ServiceContext, containerId: string): Promise<Changed<{ containerId: string }>> {
  return ctx.db.write(async (tx) => {
    const row = await getContainer(tx, containerId);
    const now = ctx.now();
    const list = await releaseContainers(tx, [row], { projectId: row.projectId, now, announceEach: true });
    return { result: { containerId }, changes: await appendChanges(tx, list, now) };
  });
}

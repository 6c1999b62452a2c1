import { eq } from 'drizzle-orm';
import { containers, projects } from '../../db/schema/index.ts';
import { appendChanges } from '../../feed/append.ts';
import { releaseContainers } from '../containers/release.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getNetworkOfProject } from '../../db/lookups.ts';

/**
 * Deletes a project with its network, applications and containers. Member hosts get one
 * `network.left` each (not one change per container) and the peer changes that follow.
 */
export async function deleteProject(ctx: ServiceContext, projectId: string): Promise<Changed<{ projectId: string }>> {
  return ctx.db.write(async (tx) => {
    const network = await getNetworkOfProject(tx, projectId);
    const now = ctx.now();
    const rows = await tx.select().from(containers).where(eq(containers.networkId, network.id));
    const list = await releaseContainers(tx, rows, { projectId, now, announceEach: false });
    await tx.delete(projects).where(eq(projects.id, projectId));
    list.push({ kind: 'project.deleted', projectId, payload: { projectId, networkId: network.id } });
    return { result: { projectId }, changes: await appendChanges(tx, list, now) };
  });
}

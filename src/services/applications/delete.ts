import { eq } from 'drizzle-orm';
import { applications, containers } from '../../db/schema/index.ts';
import { appendChanges } from '../../feed/append.ts';
import { releaseContainers } from '../containers/release.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getApplication } from '../../db/lookups.ts';

/** Deletes an application with its process types and containers (each announced as removed). */
export async function deleteApplication(ctx: ServiceContext, applicationId: string): Promise<Changed<{ applicationId: string }>> {
  return ctx.db.write(async (tx) => {
    const app = await getApplication(tx, applicationId);
    const now = ctx.now();
    const rows = await tx.select().from(containers).where(eq(containers.applicationId, applicationId));
    const list = await releaseContainers(tx, rows, { projectId: app.projectId, now, announceEach: true });
    await tx.delete(applications).where(eq(applications.id, applicationId));
    list.push({ kind: 'application.deleted', projectId: app.projectId, networkId: app.networkId, payload: { applicationId, name: app.name } });
    return { result: { applicationId }, changes: await appendChanges(tx, list, now) };
  });
}

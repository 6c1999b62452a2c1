import { and, eq } from 'drizzle-orm';
import { applications, processTypes } from '../../db/schema/index.ts';
import { assertLabel } from '../../domain/names.ts';
import { appendChanges } from '../../feed/append.ts';
import { toApplicationModel } from '../../feed/models.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getApplication } from '../../db/lookups.ts';

/** Sets the process type an application's app-level name resolves to (the default is `web`). */
export async function setDefaultProcessType(ctx: ServiceContext, applicationId: string, processType: string): Promise<Changed<{ applicationId: string }>> {
  const type = assertLabel('processType', processType);
  return ctx.db.write(async (tx) => {
    const app = await getApplication(tx, applicationId);
    if (app.defaultProcessType === type) return { result: { applicationId }, changes: [] };
    const [row] = await tx.update(applications).set({ defaultProcessType: type }).where(eq(applications.id, applicationId)).returning();
    const changes = await appendChanges(
      tx,
      [{ kind: 'application.updated', projectId: app.projectId, networkId: app.networkId, payload: { application: toApplicationModel(row) } }],
      ctx.now(),
    );
    return { result: { applicationId }, changes };
  });
}

/**
 * Switches a process type between PUBLIC and PRIVATE without renaming it, creating the type if the
 * application does not have it yet. Only the public router cares, so the change is addressed to the
 * project (frontends, webhooks), not to host agents.
 */
export async function setProcessExposure(
  ctx: ServiceContext,
  applicationId: string,
  processType: string,
  exposure: 'PUBLIC' | 'PRIVATE',
): Promise<Changed<{ applicationId: string }>> {
  const type = assertLabel('processType', processType);
  return ctx.db.write(async (tx) => {
    const app = await getApplication(tx, applicationId);
    const now = ctx.now();
    const [current] = await tx
      .select()
      .from(processTypes)
      .where(and(eq(processTypes.applicationId, applicationId), eq(processTypes.name, type)));
    if (current?.exposure === exposure) return { result: { applicationId }, changes: [] };
    if (current)
      await tx
        .update(processTypes)
        .set({ exposure })
        .where(and(eq(processTypes.applicationId, applicationId), eq(processTypes.name, type)));
    else await tx.insert(processTypes).values({ applicationId, name: type, exposure, createdAt: now });
    const changes = await appendChanges(
      tx,
      [
        {
          kind: 'process.exposure_changed',
          projectId: app.projectId,
          payload: { applicationId, processType: type, exposure, previous: current?.exposure ?? null },
        },
      ],
      now,
    );
    return { result: { applicationId }, changes };
  });
}

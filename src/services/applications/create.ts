import { and, eq } from 'drizzle-orm';
import { applications, processTypes } from '../../db/schema/index.ts';
import { badInput, conflict } from '../../domain/errors.ts';
import { assertLabel, defaultExposure } from '../../domain/names.ts';
import { assertHumanName } from '../../domain/validate.ts';
import { appendChanges } from '../../feed/append.ts';
import { toApplicationModel } from '../../feed/models.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';
import { getNetworkOfProject } from '../../db/lookups.ts';

export interface CreateApplicationInput {
  projectId: string;
  name: string;
  processTypes?: string[] | null;
  defaultProcessType?: string | null;
}

/**
 * Creates an application in a project, with optional process types (each with its default exposure:
 * `web` and `tcp` PUBLIC, others PRIVATE) and the default process type its app-level name resolves
 * to (`web` unless set). The name is unique in the project (CONFLICT otherwise).
 */
export async function createApplication(ctx: ServiceContext, input: CreateApplicationInput): Promise<Changed<{ applicationId: string }>> {
  const name = assertHumanName('name', input.name);
  const types = [...new Set((input.processTypes ?? []).map((t) => assertLabel('processTypes', t)))];
  if (types.length > 50) throw badInput('at most 50 process types per application', { field: 'processTypes' });
  const defaultProcessType = assertLabel('defaultProcessType', input.defaultProcessType ?? 'web');
  const id = newId('ap');
  return ctx.db.write(async (tx) => {
    const network = await getNetworkOfProject(tx, input.projectId);
    const [clash] = await tx
      .select({ id: applications.id })
      .from(applications)
      .where(and(eq(applications.projectId, input.projectId), eq(applications.name, name)));
    if (clash) throw conflict(`an application named "${name}" already exists in this project`, { field: 'name' });
    const now = ctx.now();
    const [row] = await tx
      .insert(applications)
      .values({ id, projectId: input.projectId, networkId: network.id, name, defaultProcessType, createdAt: now })
      .returning();
    for (const type of types) await tx.insert(processTypes).values({ applicationId: id, name: type, exposure: defaultExposure(type), createdAt: now });
    const changes = await appendChanges(
      tx,
      [
        {
          kind: 'application.created',
          projectId: input.projectId,
          networkId: network.id,
          payload: { application: toApplicationModel(row), processTypes: types },
        },
      ],
      now,
    );
    return { result: { applicationId: id }, changes };
  });
}

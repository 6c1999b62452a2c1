import { and, eq } from 'drizzle-orm';
import { applications, processTypes } from '../../db/schema/index.ts';
import { badInput, conflict } from '../../domain/errors.ts';
import { assertLabel, defaultExposure } from '../../domain/names.ts';
import { assertHumanName } from '../../domain/validate.ts';
import { appendChanges } from '../../feed/append.ts';
import { toApplicationModel } from '../../feed/models.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';
import { getNetworkOfProject } from '../../db/lookups.ts';
import { writePorts } from '../dns/ports.ts';
import { type DeclaredPort, type PortInput, validatePorts } from '../dns/validate.ts';

export interface CreateApplicationInput {
  projectId: string;
  name: string;
  processTypes?: string[] | null;
  defaultProcessType?: string | null;
  /** Declared ports (issue 19), each naming its process type; SRV records follow. */
  ports?: (PortInput & { processType: string })[] | null;
}

/**
 * Creates an application in a project, with optional process types (each with its default exposure:
 * `web` and `tcp` PUBLIC, others PRIVATE) and the default process type its app-level name resolves
 * to (`web` unless set), and the ports its types declare (issue 19: one `process.ports_changed` per type,
 * after `application.created`). The name is unique in the project (CONFLICT otherwise).
 */
export async function createApplication(ctx: ServiceContext, input: CreateApplicationInput): Promise<Changed<{ applicationId: string }>> {
  const name = assertHumanName('name', input.name);
  const types = [...new Set((input.processTypes ?? []).map((t) => assertLabel('processTypes', t)))];
  if (types.length > 50) throw badInput('at most 50 process types per application', { field: 'processTypes' });
  const defaultProcessType = assertLabel('defaultProcessType', input.defaultProcessType ?? 'web');
  const portsByType = new Map<string, DeclaredPort[]>();
  const portTypes = [...new Set((input.ports ?? []).map((p, i) => assertLabel(`ports[${i}].processType`, p.processType)))].sort();
  for (const type of portTypes)
    portsByType.set(
      type,
      validatePorts(
        `ports(${type})`,
        (input.ports ?? []).filter((p) => p.processType === type),
      ),
    );
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
    const portChanges = [];
    for (const [type, ports] of portsByType) portChanges.push(await writePorts(tx, { id, projectId: input.projectId, networkId: network.id }, type, ports));
    const changes = await appendChanges(
      tx,
      [
        {
          kind: 'application.created',
          projectId: input.projectId,
          networkId: network.id,
          payload: { application: toApplicationModel(row), processTypes: types },
        },
        ...portChanges,
      ],
      now,
    );
    return { result: { applicationId: id }, changes };
  });
}

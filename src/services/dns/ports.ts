import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { getApplication } from '../../db/lookups.ts';
import { processPorts } from '../../db/schema/index.ts';
import { assertLabel } from '../../domain/names.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { type DeclaredPort, type PortInput, validatePorts } from './validate.ts';

/**
 * Replaces the ports a process type declares (issue 19); SRV records `_<name>._<proto>.<type>.<app>.<pn>`
 * follow. The whole list is given, so an empty list removes every port. Every entry is validated
 * before anything is written (BAD_USER_INPUT: a port outside 1–65535, a protocol other than TCP/UDP,
 * a name twice for one protocol); an unchanged list writes nothing and emits nothing.
 */
export async function setProcessPorts(
  ctx: ServiceContext,
  applicationId: string,
  processType: string,
  ports: readonly PortInput[],
): Promise<Changed<{ applicationId: string; processType: string; ports: DeclaredPort[] }>> {
  const type = assertLabel('processType', processType);
  const declared = validatePorts('ports', ports);
  return ctx.db.write(async (tx) => {
    const app = await getApplication(tx, applicationId);
    const current = await portsOf(tx, applicationId, type);
    const result = { applicationId, processType: type, ports: declared };
    if (JSON.stringify(current) === JSON.stringify(declared)) return { result, changes: [] };
    const change = await writePorts(tx, { id: app.id, projectId: app.projectId, networkId: app.networkId }, type, declared);
    return { result, changes: await appendChanges(tx, [change], ctx.now()) };
  });
}

/** A process type's declared ports, in the order validatePorts returns them. */
export async function portsOf(tx: Tx, applicationId: string, processType: string): Promise<DeclaredPort[]> {
  const rows = await tx
    .select()
    .from(processPorts)
    .where(and(eq(processPorts.applicationId, applicationId), eq(processPorts.processType, processType)));
  return rows
    .map((r) => ({ name: r.name, port: r.port, protocol: r.protocol }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.protocol.localeCompare(b.protocol));
}

/** Writes a validated list in place of the type's ports and returns the change that says so (the caller appends it). */
export async function writePorts(
  tx: Tx,
  app: { id: string; projectId: string; networkId: string },
  processType: string,
  ports: readonly DeclaredPort[],
): Promise<NewChange> {
  await tx.delete(processPorts).where(and(eq(processPorts.applicationId, app.id), eq(processPorts.processType, processType)));
  for (const p of ports) await tx.insert(processPorts).values({ applicationId: app.id, processType, ...p });
  return {
    kind: 'process.ports_changed',
    projectId: app.projectId,
    networkId: app.networkId,
    payload: { applicationId: app.id, processType, ports: [...ports] },
  };
}

import { eq } from 'drizzle-orm';
import { networks, projects } from '../../db/schema/index.ts';
import { badInput, conflict } from '../../domain/errors.ts';
import { gatewayOf } from '../../../protocol/addressing/ipv4.ts';
import { parseNetworkCidr } from '../../domain/network-cidr.ts';
import { assertHumanName } from '../../domain/validate.ts';
import { appendChanges } from '../../feed/append.ts';
import type { NetworkSwitch } from '../../../protocol/model.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';

export interface CreateProjectInput {
  name: string;
  cidr?: string | null;
  dnsTtl?: number | null;
  multicast?: NetworkSwitch | null;
}

const MAX_VNI = 0xffffff;

/**
 * Creates a project and its private network: validates the name, CIDR (RFC 1918, /16–/28) and DNS
 * TTL and the multicast switch, picks a random unused VNI, and records `project.created` in the same transaction.
 */
export async function createProject(ctx: ServiceContext, input: CreateProjectInput): Promise<Changed<{ projectId: string; networkId: string }>> {
  const name = assertHumanName('name', input.name);
  const cidrText = input.cidr ?? ctx.config.defaultNetworkCidr;
  const cidr = parseNetworkCidr(cidrText);
  const dnsTtl = input.dnsTtl ?? ctx.config.defaultDnsTtl;
  if (!Number.isInteger(dnsTtl) || dnsTtl < 0 || dnsTtl > 86400) throw badInput('dnsTtl must be an integer between 0 and 86400 seconds', { field: 'dnsTtl' });
  const multicast = input.multicast ?? 'ON';
  if (multicast !== 'ON' && multicast !== 'OFF') throw badInput('multicast must be ON or OFF', { field: 'multicast' });
  const projectId = newId('prj');
  const networkId = newId('pn');
  return ctx.db.write(async (tx) => {
    const now = ctx.now();
    let vni = 0;
    for (let attempt = 0; attempt < 32 && !vni; attempt++) {
      const candidate = 1 + Math.floor(Math.random() * MAX_VNI);
      const [taken] = await tx.select({ id: networks.id }).from(networks).where(eq(networks.vni, candidate));
      if (!taken) vni = candidate;
    }
    if (!vni) throw conflict('could not allocate a free VNI; try again');
    await tx.insert(projects).values({ id: projectId, name, createdAt: now });
    const gateway = gatewayOf(cidr);
    await tx.insert(networks).values({ id: networkId, projectId, vni, cidr: cidrText, gateway, dnsTtl, multicast, ipCursor: 1, createdAt: now });
    const changes = await appendChanges(
      tx,
      [{ kind: 'project.created', projectId, networkId, payload: { projectId, networkId, name, vni, cidr: cidrText, gateway, dnsTtl } }],
      now,
    );
    return { result: { projectId, networkId }, changes };
  });
}

import { eq } from 'drizzle-orm';
import { networks, projects } from '../../db/schema/index.ts';
import { badInput, conflict } from '../../domain/errors.ts';
import { gatewayOf } from '../../../protocol/addressing/ipv4.ts';
import { parseNetworkCidr } from '../../domain/network-cidr.ts';
import { networkIpv6Of, parseGivenIpv6Cidr } from '../../domain/network-ipv6.ts';
import { ulaOfVni } from '../../../protocol/addressing/ipv6.ts';
import { assertHumanName } from '../../domain/validate.ts';
import { appendChanges } from '../../feed/append.ts';
import type { NetworkSwitch } from '../../../protocol/model.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';

export interface CreateProjectInput {
  name: string;
  cidr?: string | null;
  dnsTtl?: number | null;
  multicast?: NetworkSwitch | null;
  /** Dual-stack (issue 21): default ON. */
  ipv6?: NetworkSwitch | null;
  /** The network's unique-local /64; derived from the VNI when not given. */
  ipv6Cidr?: string | null;
}

const MAX_VNI = 0xffffff;

/**
 * Creates a project and its private network: validates the name, CIDR (RFC 1918, /16–/28) and DNS
 * TTL, the multicast and ipv6 switches and a given IPv6 /64 (unique-local, aligned, unused; else the
 * /64 derived from the VNI), picks a random unused VNI, and records `project.created` in the same transaction.
 */
export async function createProject(ctx: ServiceContext, input: CreateProjectInput): Promise<Changed<{ projectId: string; networkId: string }>> {
  const name = assertHumanName('name', input.name);
  const cidrText = input.cidr ?? ctx.config.defaultNetworkCidr;
  const cidr = parseNetworkCidr(cidrText);
  const dnsTtl = input.dnsTtl ?? ctx.config.defaultDnsTtl;
  if (!Number.isInteger(dnsTtl) || dnsTtl < 0 || dnsTtl > 86400) throw badInput('dnsTtl must be an integer between 0 and 86400 seconds', { field: 'dnsTtl' });
  const multicast = input.multicast ?? 'ON';
  if (multicast !== 'ON' && multicast !== 'OFF') throw badInput('multicast must be ON or OFF', { field: 'multicast' });
  const ipv6 = input.ipv6 ?? 'ON';
  if (ipv6 !== 'ON' && ipv6 !== 'OFF') throw badInput('ipv6 must be ON or OFF', { field: 'ipv6' });
  const givenIpv6Cidr = input.ipv6Cidr === undefined || input.ipv6Cidr === null ? null : parseGivenIpv6Cidr(input.ipv6Cidr);
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
    if (givenIpv6Cidr) {
      const [taken] = await tx.select({ id: networks.id }).from(networks).where(eq(networks.ipv6Cidr, givenIpv6Cidr));
      if (taken) throw conflict(`${givenIpv6Cidr} is already the IPv6 block of another network`, { field: 'ipv6Cidr' });
    }
    // Derived blocks cannot collide: VNIs are unique, and given blocks stay outside their /32.
    const ipv6Cidr = givenIpv6Cidr ?? ulaOfVni(vni);
    await tx.insert(projects).values({ id: projectId, name, createdAt: now });
    const gateway = gatewayOf(cidr);
    await tx
      .insert(networks)
      .values({ id: networkId, projectId, vni, cidr: cidrText, gateway, dnsTtl, multicast, ipv6, ipv6Cidr, ipCursor: 1, createdAt: now });
    const ipv6Model = networkIpv6Of({ vni, ipv6, ipv6Cidr }) ?? null;
    const changes = await appendChanges(
      tx,
      [{ kind: 'project.created', projectId, networkId, payload: { projectId, networkId, name, vni, cidr: cidrText, gateway, dnsTtl, ipv6: ipv6Model } }],
      now,
    );
    return { result: { projectId, networkId }, changes };
  });
}

import { and, count, eq, gt, max } from 'drizzle-orm';
import { containers, networks, processTypes, releasedAddresses } from '../../db/schema/index.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatIpv4, macOf, parseCidr, usableOffsets } from '../../domain/ipv4.ts';
import { assertLabel, defaultExposure, lowestFreeNumber } from '../../domain/names.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { countOnHost, hostsOfNetwork, peerChanges, peerSets } from '../../feed/membership.ts';
import { toContainerModel } from '../../feed/models.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';
import { getApplication, getHost, getNetwork } from '../lookups.ts';

export interface CreateContainerInput {
  applicationId: string;
  processType: string;
  hostId: string;
}

/**
 * Creates a PENDING container: takes the lowest free number for its application and type, and the
 * next free address of the network (walking forward from the network's cursor, skipping addresses
 * in use or still cooling down), all in one write transaction with its `container.created` change.
 * A host that had no container of this network yet joins it (`network.joined` + peer changes).
 * Throws NETWORK_FULL when no address is free.
 */
export async function createContainer(ctx: ServiceContext, input: CreateContainerInput): Promise<Changed<{ containerId: string }>> {
  const processType = assertLabel('processType', input.processType);
  const id = newId('ctr');
  return ctx.db.write(async (tx) => {
    const now = ctx.now();
    const app = await getApplication(tx, input.applicationId);
    const host = await getHost(tx, input.hostId);
    const network = await getNetwork(tx, app.networkId);
    const number = await nextNumber(tx, app.id, processType);
    const ipOffset = await allocateOffset(tx, network, now - ctx.config.ipCooldownMs);
    const cidr = parseCidr(network.cidr)!;
    const ip = formatIpv4(cidr.base + ipOffset);
    const joining = (await countOnHost(tx, host.id, network.id)) === 0;
    const members = joining ? [...new Set([...(await hostsOfNetwork(tx, network.id)), host.id])] : [];
    const before = joining ? await peerSets(tx, members) : new Map();

    await tx.insert(processTypes).values({ applicationId: app.id, name: processType, exposure: defaultExposure(processType), createdAt: now }).onConflictDoNothing();
    const [row] = await tx
      .insert(containers)
      .values({ id, projectId: app.projectId, networkId: network.id, applicationId: app.id, processType, number, hostId: host.id, ipOffset, ip, mac: macOf(ip), state: 'PENDING', createdAt: now, updatedAt: now })
      .returning();
    await tx.update(networks).set({ ipCursor: ipOffset }).where(eq(networks.id, network.id));
    await tx.delete(releasedAddresses).where(and(eq(releasedAddresses.networkId, network.id), eq(releasedAddresses.ipOffset, ipOffset)));

    const list: NewChange[] = [];
    if (joining) list.push({ kind: 'network.joined', projectId: app.projectId, networkId: network.id, hostId: host.id, payload: { networkId: network.id } });
    list.push({ kind: 'container.created', projectId: app.projectId, networkId: network.id, payload: { container: toContainerModel(row, host.meshIp) } });
    if (joining) list.push(...(await peerChanges(tx, before, await peerSets(tx, members))));
    const changes = await appendChanges(tx, list, now);
    return { result: { containerId: id }, changes };
  });
}

type Tx = Parameters<Parameters<ServiceContext['db']['write']>[0]>[0];

/**
 * Lowest free number for an application + type. When the numbers are exactly 1..n (the common
 * case: count = max, answered from the unique index) it is n+1 without reading the rows; only when
 * there is a gap are the numbers read to find it.
 */
async function nextNumber(tx: Tx, applicationId: string, processType: string): Promise<number> {
  const scope = and(eq(containers.applicationId, applicationId), eq(containers.processType, processType));
  const [stats] = await tx.select({ n: count(), top: max(containers.number) }).from(containers).where(scope);
  const n = Number(stats?.n ?? 0);
  if (n === Number(stats?.top ?? 0)) return n + 1;
  const taken = await tx.select({ number: containers.number }).from(containers).where(scope);
  return lowestFreeNumber(taken.map((t) => t.number));
}

/**
 * Next free address offset after the cursor, wrapping once; throws NETWORK_FULL. The first few
 * candidates are probed through the unique index (O(1) in the common case); past that, one scan of
 * the network's addresses finds a hole or proves the network full.
 */
async function allocateOffset(tx: Tx, network: typeof networks.$inferSelect, cooledBefore: number): Promise<number> {
  const { first, last } = usableOffsets(parseCidr(network.cidr)!);
  const span = last - first + 1;
  const start = Math.min(Math.max(network.ipCursor + 1, first), last + 1);
  const nth = (i: number) => first + ((start - first + i) % span);
  const isFree = async (offset: number) => {
    const [inUse] = await tx.select({ o: containers.ipOffset }).from(containers).where(and(eq(containers.networkId, network.id), eq(containers.ipOffset, offset)));
    if (inUse) return false;
    const [cool] = await tx
      .select({ o: releasedAddresses.ipOffset })
      .from(releasedAddresses)
      .where(and(eq(releasedAddresses.networkId, network.id), eq(releasedAddresses.ipOffset, offset), gt(releasedAddresses.releasedAt, cooledBefore)));
    return !cool;
  };
  const probes = Math.min(span, 8);
  for (let i = 0; i < probes; i++) if (await isFree(nth(i))) return nth(i);
  const used = new Set((await tx.select({ o: containers.ipOffset }).from(containers).where(eq(containers.networkId, network.id))).map((r) => r.o));
  const cooling = await tx
    .select({ o: releasedAddresses.ipOffset })
    .from(releasedAddresses)
    .where(and(eq(releasedAddresses.networkId, network.id), gt(releasedAddresses.releasedAt, cooledBefore)));
  for (const r of cooling) used.add(r.o);
  for (let i = probes; i < span; i++) if (!used.has(nth(i))) return nth(i);
  throw new DomainError('NETWORK_FULL', `network ${network.id} (${network.cidr}) has no free address`, { networkId: network.id, cidr: network.cidr });
}

import { and, eq, gt, sql } from 'drizzle-orm';
import { applications, containers, hosts, networks, processTypes, releasedAddresses } from '../../db/schema/index.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { formatIpv4, macOf, parseCidr, usableOffsets } from '../../../protocol/addressing/ipv4.ts';
import { assertLabel, defaultExposure, lowestFreeNumber } from '../../domain/names.ts';
import { appendChanges, type NewChange } from '../../feed/append.ts';
import { hostsOfNetwork, peerChanges, peerSets } from '../../feed/membership.ts';
import { toContainerModel } from '../../feed/models.ts';
import { type Changed, newId, type ServiceContext } from '../context.ts';

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
    // one statement: application + network + host, the number stats of the type, whether the host
    // already runs a container of the network, and whether the process type is declared
    const [found] = await tx
      .select({
        applicationId: applications.id,
        projectId: applications.projectId,
        appNetworkId: applications.networkId,
        networkId: networks.id,
        cidr: networks.cidr,
        ipCursor: networks.ipCursor,
        hostId: hosts.id,
        meshIp: hosts.meshIp,
        n: sql<number>`(select count(*) from ${containers} where ${containers.applicationId} = ${applications.id} and ${containers.processType} = ${processType})`,
        top: sql<
          number | null
        >`(select max(${containers.number}) from ${containers} where ${containers.applicationId} = ${applications.id} and ${containers.processType} = ${processType})`,
        onHost: sql<number>`exists (select 1 from ${containers} where ${containers.hostId} = ${hosts.id} and ${containers.networkId} = ${networks.id})`,
        declared: sql<number>`exists (select 1 from ${processTypes} where ${processTypes.applicationId} = ${applications.id} and ${processTypes.name} = ${processType})`,
      })
      .from(applications)
      .leftJoin(hosts, eq(hosts.id, input.hostId))
      .leftJoin(networks, eq(networks.id, applications.networkId))
      .where(eq(applications.id, input.applicationId));
    if (!found) throw notFound('application', input.applicationId);
    if (found.hostId === null || found.meshIp === null) throw notFound('host', input.hostId);
    if (found.networkId === null || found.cidr === null || found.ipCursor === null) throw notFound('network', found.appNetworkId);
    const app = { id: found.applicationId, projectId: found.projectId };
    const host = { id: found.hostId, meshIp: found.meshIp };
    const network = { id: found.networkId, cidr: found.cidr, ipCursor: found.ipCursor };

    const number = await nextNumber(tx, app.id, processType, Number(found.n ?? 0), Number(found.top ?? 0));
    const { offset: ipOffset, staleRelease } = await allocateOffset(tx, network, now - ctx.config.ipCooldownMs);
    const cidr = parseCidr(network.cidr)!;
    const ip = formatIpv4(cidr.base + ipOffset);
    const joining = !Number(found.onHost);
    const members = joining ? [...new Set([...(await hostsOfNetwork(tx, network.id)), host.id])] : [];
    const before = joining ? await peerSets(tx, members) : new Map();

    if (!Number(found.declared))
      await tx
        .insert(processTypes)
        .values({ applicationId: app.id, name: processType, exposure: defaultExposure(processType), createdAt: now })
        .onConflictDoNothing();
    const row: typeof containers.$inferSelect = {
      id,
      projectId: app.projectId,
      networkId: network.id,
      applicationId: app.id,
      processType,
      number,
      hostId: host.id,
      ipOffset,
      ip,
      mac: macOf(ip),
      state: 'PENDING',
      drainRevision: null,
      drainTtlExpiresAt: null,
      drainAppliedAt: null,
      safeToStopAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(containers).values(row);
    await tx.update(networks).set({ ipCursor: ipOffset }).where(eq(networks.id, network.id));
    if (staleRelease) await tx.delete(releasedAddresses).where(and(eq(releasedAddresses.networkId, network.id), eq(releasedAddresses.ipOffset, ipOffset)));

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
 * case: count = max, answered from the unique index; the caller reads both with its lookups) it is
 * n+1 without reading the rows; only when there is a gap are the numbers read to find it.
 */
async function nextNumber(tx: Tx, applicationId: string, processType: string, n: number, top: number): Promise<number> {
  if (n === top) return n + 1;
  const scope = and(eq(containers.applicationId, applicationId), eq(containers.processType, processType));
  const taken = await tx.select({ number: containers.number }).from(containers).where(scope);
  return lowestFreeNumber(taken.map((t) => t.number));
}

/**
 * Next free address offset after the cursor, wrapping once; throws NETWORK_FULL. The first few
 * candidates are probed through the unique index (O(1) in the common case); past that, one scan of
 * the network's addresses finds a hole or proves the network full.
 */
async function allocateOffset(
  tx: Tx,
  network: { id: string; cidr: string; ipCursor: number },
  cooledBefore: number,
): Promise<{ offset: number; staleRelease: boolean }> {
  const { first, last } = usableOffsets(parseCidr(network.cidr)!);
  const span = last - first + 1;
  const start = Math.min(Math.max(network.ipCursor + 1, first), last + 1);
  const nth = (i: number) => first + ((start - first + i) % span);
  // one statement per candidate: in use, and when it was last released (if ever)
  const probe = async (offset: number) => {
    const [r] = await tx
      .select({
        inUse: sql<number>`exists (select 1 from ${containers} where ${containers.networkId} = ${network.id} and ${containers.ipOffset} = ${offset})`,
        releasedAt: sql<
          number | null
        >`(select ${releasedAddresses.releasedAt} from ${releasedAddresses} where ${releasedAddresses.networkId} = ${network.id} and ${releasedAddresses.ipOffset} = ${offset})`,
      })
      .from(sql`(select 1)`);
    const releasedAt = r.releasedAt === null ? null : Number(r.releasedAt);
    const free = !Number(r.inUse) && (releasedAt === null || releasedAt <= cooledBefore);
    return { free, staleRelease: releasedAt !== null };
  };
  const probes = Math.min(span, 8);
  for (let i = 0; i < probes; i++) {
    const p = await probe(nth(i));
    if (p.free) return { offset: nth(i), staleRelease: p.staleRelease };
  }
  const used = new Set((await tx.select({ o: containers.ipOffset }).from(containers).where(eq(containers.networkId, network.id))).map((r) => r.o));
  const cooling = await tx
    .select({ o: releasedAddresses.ipOffset })
    .from(releasedAddresses)
    .where(and(eq(releasedAddresses.networkId, network.id), gt(releasedAddresses.releasedAt, cooledBefore)));
  for (const r of cooling) used.add(r.o);
  for (let i = probes; i < span; i++) if (!used.has(nth(i))) return { offset: nth(i), staleRelease: true }; // not probed: delete any stale row
  throw new DomainError('NETWORK_FULL', `network ${network.id} (${network.cidr}) has no free address`, { networkId: network.id, cidr: network.cidr });
}

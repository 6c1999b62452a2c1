/**
 * Snapshot builders: a network's full model and a host's full desired state (`hostConfig`), read in
 * one read transaction so the revision stamp and the state agree (list-then-watch, docs/architecture.md §6.2).
 */
import { readPolicy } from './policy.ts';
import { eq, inArray, max } from 'drizzle-orm';
import type { HostConfig, NetworkModel } from '../../protocol/model.ts';
import type { Reader } from '../db/client.ts';
import { applications, changes, containers, hosts } from '../db/schema/index.ts';
import { aliasesOf, portsOfApplications } from '../db/dns-lookups.ts';
import { getGeneration, getHost, getNetwork } from '../db/lookups.ts';
import { networkIpv6Of } from '../domain/network-ipv6.ts';
import { networksOfHost, peersOfHost } from './membership.ts';
import { toApplicationModel, toContainerModel, toHostModel, toPeerModel } from './models.ts';
import { numericOrder } from '../../protocol/order.ts';

/** The highest committed revision (0 for an empty feed). */
export async function headRevision(db: Reader): Promise<number> {
  const [row] = await db.select({ head: max(changes.revision) }).from(changes);
  return Number(row?.head ?? 0);
}

/** The full model of one network: its applications and every container, on any host. */
export async function buildNetworkModel(db: Reader, networkId: string): Promise<NetworkModel> {
  const network = await getNetwork(db, networkId);
  const apps = await db.select().from(applications).where(eq(applications.networkId, networkId));
  const rows = await db
    .select({ c: containers, meshIp: hosts.meshIp, liveness: hosts.liveness })
    .from(containers)
    .innerJoin(hosts, eq(hosts.id, containers.hostId))
    .where(eq(containers.networkId, networkId));
  return {
    id: network.id,
    projectId: network.projectId,
    vni: network.vni,
    cidr: network.cidr,
    gateway: network.gateway,
    dnsTtl: network.dnsTtl,
    multicast: network.multicast,
    ...ipv6Field(network),
    applications: apps.map(toApplicationModel).sort((a, b) => a.id.localeCompare(b.id)),
    containers: rows.map((r) => toContainerModel(r.c, r.meshIp)).sort((a, b) => numericOrder(a.ip, b.ip)),
    downHosts: [...new Set(rows.filter((r) => r.liveness === 'DOWN').map((r) => r.c.hostId))].sort(),
    ports: await portsOfApplications(
      db,
      apps.map((a) => a.id),
    ),
    aliases: await aliasesOf(db, networkId),
    policy: await readPolicy(db, networkId),
  };
}

/** `{ipv6}` when the network's switch is ON; nothing when OFF (the field is absent, protocol/model.ts). */
function ipv6Field(network: Parameters<typeof networkIpv6Of>[0]): Pick<NetworkModel, 'ipv6'> {
  const ipv6 = networkIpv6Of(network);
  return ipv6 ? { ipv6 } : {};
}

/** A host's full desired state stamped with the revision it reflects. */
export async function buildHostConfig(db: Reader, hostId: string, meshCidr: string): Promise<HostConfig> {
  const host = await getHost(db, hostId);
  const revision = await headRevision(db);
  const peerIds = await peersOfHost(db, hostId);
  const peerRows = peerIds.length ? await db.select().from(hosts).where(inArray(hosts.id, peerIds)) : [];
  const networkIds = await networksOfHost(db, hostId);
  const models: NetworkModel[] = [];
  for (const id of networkIds.sort()) models.push(await buildNetworkModel(db, id));
  return {
    revision,
    generation: await getGeneration(db),
    host: toHostModel(host, meshCidr),
    peers: peerRows.map(toPeerModel).sort((a, b) => a.hostId.localeCompare(b.hostId)),
    networks: models,
  };
}

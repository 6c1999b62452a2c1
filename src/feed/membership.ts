/**
 * Which hosts share networks (the sparse WireGuard mesh), and the peer changes a membership change
 * causes. A host is a member of a network while it runs at least one container of it.
 */
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Reader } from '../db/client.ts';
import type { Member } from '../domain/drain.ts';
import { containers, hosts } from '../db/schema/index.ts';
import type { NewChange } from './append.ts';
import { toPeerModel } from './models.ts';

/** The networks a host is a member of. */
export async function networksOfHost(db: Reader, hostId: string): Promise<string[]> {
  const rows = await db.selectDistinct({ networkId: containers.networkId }).from(containers).where(eq(containers.hostId, hostId));
  return rows.map((r) => r.networkId);
}

/** The networks a host is a member of, with their project, by id: where a host-level event is written once per network. */
export async function networkAddressesOfHost(db: Reader, hostId: string): Promise<{ networkId: string; projectId: string }[]> {
  const rows = await db
    .selectDistinct({ networkId: containers.networkId, projectId: containers.projectId })
    .from(containers)
    .where(eq(containers.hostId, hostId));
  return rows.sort((a, b) => a.networkId.localeCompare(b.networkId));
}

/** The hosts that are members of a network. */
export async function hostsOfNetwork(db: Reader, networkId: string): Promise<string[]> {
  const rows = await db.selectDistinct({ hostId: containers.hostId }).from(containers).where(eq(containers.networkId, networkId));
  return rows.map((r) => r.hostId);
}

/** The network's member hosts as a drain or a policy wait weighs them (domain/drain.ts `Member`). */
export async function membersOfNetwork(db: Reader, networkId: string): Promise<Member[]> {
  const ids = await hostsOfNetwork(db, networkId);
  if (!ids.length) return [];
  const rows = await db
    .select({ id: hosts.id, appliedRevision: hosts.appliedRevision, liveness: hosts.liveness, seen: hosts.lastHeartbeatAt })
    .from(hosts)
    .where(inArray(hosts.id, ids));
  return rows.map((m) => ({ id: m.id, appliedRevision: m.appliedRevision, liveness: m.liveness, reported: m.seen !== null }));
}

/** The peers of a host: every other host sharing at least one network with it. */
export async function peersOfHost(db: Reader, hostId: string): Promise<string[]> {
  const mine = db.selectDistinct({ networkId: containers.networkId }).from(containers).where(eq(containers.hostId, hostId));
  const rows = await db
    .selectDistinct({ hostId: containers.hostId })
    .from(containers)
    .where(and(inArray(containers.networkId, mine), ne(containers.hostId, hostId)));
  return rows.map((r) => r.hostId).sort();
}

/** Number of containers a host runs in a network. */
export async function countOnHost(db: Reader, hostId: string, networkId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(containers)
    .where(and(eq(containers.hostId, hostId), eq(containers.networkId, networkId)));
  return Number(row?.n ?? 0);
}

/** Peer sets of several hosts, taken before and after a membership change. */
export async function peerSets(db: Reader, hostIds: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const id of hostIds) out.set(id, new Set(await peersOfHost(db, id)));
  return out;
}

/** Host-addressed peer.upserted / peer.removed changes between two peer-set snapshots. */
export async function peerChanges(db: Reader, before: Map<string, Set<string>>, after: Map<string, Set<string>>): Promise<NewChange[]> {
  const out: NewChange[] = [];
  const added = new Set<string>();
  for (const [hostId, next] of after) {
    const prev = before.get(hostId) ?? new Set();
    for (const peer of next) if (!prev.has(peer)) added.add(peer);
  }
  const rows = added.size
    ? await db
        .select()
        .from(hosts)
        .where(inArray(hosts.id, [...added]))
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [hostId, next] of after) {
    const prev = before.get(hostId) ?? new Set();
    for (const peer of [...next].sort()) {
      if (!prev.has(peer)) out.push({ kind: 'peer.upserted', hostId, payload: { peer: toPeerModel(byId.get(peer)!) } });
    }
    for (const peer of [...prev].sort()) {
      if (!next.has(peer)) out.push({ kind: 'peer.removed', hostId, payload: { hostId: peer } });
    }
  }
  return out;
}

/**
 * Who a change row concerns (docs/architecture.md §8.5), from its address columns alone
 * (protocol/changes.ts): the project reader of its projectId; the host of its hostId; and, for a
 * row with a networkId and no hostId, every host that is a member of that network. Pure: the watch
 * cache (watch-cache.ts) and the Durable Object hubs of Workers (hub-durable.ts) both route by it.
 *
 * Membership follows the rows themselves: every container that makes a host a member of a network
 * commits `network.joined` for that host in the same transaction, before the network's own rows, and
 * the release of its last container commits `network.left` after them (services/containers/
 * create.ts, release.ts). So an index that applies rows in revision order knows, at each row, the
 * members the table would name at that revision.
 */
import type { AddressColumn } from '../../protocol/changes.ts';

export type RowAddress = { kind?: string } & Partial<Record<AddressColumn, string | null>>;

/** The readers of one row: a project, a host, and the members of a network (null where none). */
export interface Audience {
  projectId: string | null;
  hostId: string | null;
  membersOf: string | null;
}

export function audienceOf(row: RowAddress): Audience {
  return {
    projectId: row.projectId ?? null,
    hostId: row.hostId ?? null,
    membersOf: row.hostId == null && row.networkId != null ? row.networkId : null,
  };
}

/** Host ↔ network membership, kept up to date by the rows that change it. */
export class MembershipIndex {
  private readonly hostsOf = new Map<string, Set<string>>(); // network → hosts
  private readonly networksOf = new Map<string, Set<string>>(); // host → networks

  /** Builds the index from (host, network) pairs read from the containers table. */
  constructor(pairs: Iterable<{ hostId: string; networkId: string }> = []) {
    for (const p of pairs) this.join(p.hostId, p.networkId);
  }

  /** Applies a row: `network.joined` and `network.left` are the only kinds that change membership. */
  apply(row: RowAddress): void {
    if (!row.hostId || !row.networkId) return;
    if (row.kind === 'network.joined') this.join(row.hostId, row.networkId);
    else if (row.kind === 'network.left') this.leave(row.hostId, row.networkId);
  }

  members(networkId: string): ReadonlySet<string> {
    return this.hostsOf.get(networkId) ?? EMPTY;
  }

  networks(hostId: string): ReadonlySet<string> {
    return this.networksOf.get(hostId) ?? EMPTY;
  }

  private join(hostId: string, networkId: string): void {
    add(this.hostsOf, networkId, hostId);
    add(this.networksOf, hostId, networkId);
  }

  private leave(hostId: string, networkId: string): void {
    remove(this.hostsOf, networkId, hostId);
    remove(this.networksOf, hostId, networkId);
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function remove(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/** The reader keys of a row under `index`: `project:<id>` and `host:<id>`, each once. */
export function readersOf(row: RowAddress, index: MembershipIndex): string[] {
  const a = audienceOf(row);
  const out: string[] = [];
  if (a.projectId) out.push(`project:${a.projectId}`);
  if (a.hostId) out.push(`host:${a.hostId}`);
  if (a.membersOf) for (const h of index.members(a.membersOf)) out.push(`host:${h}`);
  return out;
}

/** The reader key of a stream's scope. */
export function readerKey(scope: { hostId: string } | { projectId: string }): string {
  return 'hostId' in scope ? `host:${scope.hostId}` : `project:${scope.projectId}`;
}

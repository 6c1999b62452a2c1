/**
 * Reading the change feed since a revision, for one host or one project: the head revision first,
 * then rows up to it, so `cursor` (where the next read starts) never skips a row that commits later
 * with a smaller revision — SQLite serialises writers, so none can.
 *
 * A host sees rows addressed to it, plus rows of the networks it is a member of *now*. Rows of a
 * network it has left are not needed (its `network.left` row tears the sandbox down) and rows of a
 * network from before it joined are not needed either (`network.joined` makes it list again).
 */
import { and, asc, count, eq, gt, inArray, isNull, lte, or } from 'drizzle-orm';
import type { Database, Reader } from '../db/client.ts';
import { changes, containers, feedState } from '../db/schema/index.ts';
import { networksOfHost } from './membership.ts';
import { headRevision } from './snapshot.ts';

export interface FeedRow {
  revision: number;
  kind: string;
  projectId: string | null;
  networkId: string | null;
  hostId: string | null;
  payload: Record<string, unknown>;
  createdAt: number;
}

export type FeedPage = { resync: true; head: number } | { resync: false; head: number; rows: FeedRow[]; cursor: number; hasMore: boolean; networks?: string[] };

export type FeedScope = { hostId: string } | { projectId: string };

/** The last revision removed by retention; a reader behind it must list again. */
export async function compactedThrough(db: Reader): Promise<number> {
  const [row] = await db.select().from(feedState).where(eq(feedState.key, 'compacted_through'));
  return row?.value ?? 0;
}

/** The rows a host or project reader sees (see the header). */
export function scopeFilter(db: Reader, scope: FeedScope) {
  if ('projectId' in scope) return eq(changes.projectId, scope.projectId);
  const member = db.selectDistinct({ networkId: containers.networkId }).from(containers).where(eq(containers.hostId, scope.hostId));
  return or(eq(changes.hostId, scope.hostId), and(isNull(changes.hostId), inArray(changes.networkId, member)));
}

/** How many rows after `since` (up to `head`) a reader would receive, or -1 when it must RESYNC. */
export async function countPending(db: Reader, scope: FeedScope, since: number, head: number): Promise<number> {
  if (since > head || since < (await compactedThrough(db))) return -1;
  const [row] = await db
    .select({ n: count() })
    .from(changes)
    .where(and(gt(changes.revision, since), lte(changes.revision, head), scopeFilter(db, scope)));
  return Number(row?.n ?? 0);
}

const toRow = (r: typeof changes.$inferSelect): FeedRow => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> });

/**
 * One page of changes after `since` for a host or project, or RESYNC when `since` was compacted.
 *
 * Three short statements, no read transaction (a transaction would pin one pooled connection per
 * open stream across its awaits, and a burst of wake-ups would exhaust the pool). They are still
 * consistent: the head is read first, and since writers are serialised every revision up to it is
 * committed, so reading rows `≤ head` can never skip one; the compaction mark is read last, so rows
 * deleted by a compaction that ran meanwhile are noticed (RESYNC) rather than silently missed.
 */
export async function readFeedPage(db: Database, scope: FeedScope, since: number, limit: number): Promise<FeedPage> {
  const read = db.read;
  const head = await headRevision(read);
  // Ahead of the head: the database lost its tail (e.g. a restore) — the reader must list again.
  if (since > head) return { resync: true, head };
  const rows = (
    await read
      .select()
      .from(changes)
      .where(and(gt(changes.revision, since), lte(changes.revision, head), scopeFilter(read, scope)))
      .orderBy(asc(changes.revision))
      .limit(limit + 1)
  ).map(toRow);
  // Behind the retained window: deltas cannot bring the reader up to date.
  if (since < (await compactedThrough(read))) return { resync: true, head };
  const hasMore = rows.length > limit;
  if (hasMore) rows.length = limit;
  const cursor = hasMore ? rows[rows.length - 1].revision : Math.max(head, since);
  // A host's networks, so that its stream is woken only by commits that may concern it.
  const networks = 'hostId' in scope ? await networksOfHost(read, scope.hostId) : undefined;
  return { resync: false, head, rows, cursor, hasMore, networks };
}

/**
 * Reading the change feed since a revision, for one host or one project. Each page is read in one
 * read transaction: the head revision first, then rows up to it, so `cursor` (where the next read
 * starts) never skips a row that commits later with a smaller revision — SQLite serialises writers,
 * so none can.
 *
 * A host sees rows addressed to it, plus rows of the networks it is a member of *now*. Rows of a
 * network it has left are not needed (its `network.left` row tears the sandbox down) and rows of a
 * network from before it joined are not needed either (`network.joined` makes it list again).
 */
import { and, asc, eq, gt, inArray, isNull, lte, or } from 'drizzle-orm';
import type { Database, Reader } from '../db/client.ts';
import { changes, containers, feedState } from '../db/schema/index.ts';
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

export type FeedPage = { resync: true; head: number } | { resync: false; head: number; rows: FeedRow[]; cursor: number; hasMore: boolean };

export type FeedScope = { hostId: string } | { projectId: string };

/** The last revision removed by retention; a reader behind it must list again. */
export async function compactedThrough(db: Reader): Promise<number> {
  const [row] = await db.select().from(feedState).where(eq(feedState.key, 'compacted_through'));
  return row?.value ?? 0;
}

function scopeFilter(db: Reader, scope: FeedScope) {
  if ('projectId' in scope) return eq(changes.projectId, scope.projectId);
  const member = db.selectDistinct({ networkId: containers.networkId }).from(containers).where(eq(containers.hostId, scope.hostId));
  return or(eq(changes.hostId, scope.hostId), and(isNull(changes.hostId), inArray(changes.networkId, member)));
}

const toRow = (r: typeof changes.$inferSelect): FeedRow => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> });

/** One page of changes after `since` for a host or project, or RESYNC when `since` was compacted. */
export async function readFeedPage(db: Database, scope: FeedScope, since: number, limit: number): Promise<FeedPage> {
  return db.read.transaction(
    async (tx) => {
      const head = await headRevision(tx);
      // Behind the retained window, or ahead of the head (the database lost its tail, e.g. a
      // restore): either way the reader's state cannot be advanced by deltas — list again.
      if (since < (await compactedThrough(tx)) || since > head) return { resync: true, head };
      const rows = (
        await tx
          .select()
          .from(changes)
          .where(and(gt(changes.revision, since), lte(changes.revision, head), scopeFilter(tx, scope)))
          .orderBy(asc(changes.revision))
          .limit(limit + 1)
      ).map(toRow);
      const hasMore = rows.length > limit;
      if (hasMore) rows.length = limit;
      const cursor = hasMore ? rows[rows.length - 1].revision : Math.max(head, since);
      return { resync: false, head, rows, cursor, hasMore };
    },
    { behavior: 'deferred' },
  );
}

/**
 * Periodic upkeep of webhook state, run about once a minute (Node worker timer; a Workers cron):
 * idle endpoints' cursors move up to the head of the feed, so an endpoint whose project is quiet is
 * never mistaken for one that fell behind feed retention; final deliveries older than the retention
 * window leave the log.
 */
import { and, inArray, lt, lte, notInArray } from 'drizzle-orm';
import type { Database, Reader } from '../db/client.ts';
import { webhookDeliveries, webhookEndpoints } from '../db/schema/index.ts';
import { headRevision } from '../feed/snapshot.ts';
import { endpointsWithOpenLine, FINAL_STATUSES, nextRevision } from './queries.ts';

async function idleBehind(db: Reader, head: number): Promise<string[]> {
  const rows = await db
    .select({ id: webhookEndpoints.id, next: nextRevision })
    .from(webhookEndpoints)
    .where(and(lt(webhookEndpoints.cursor, head), notInArray(webhookEndpoints.id, endpointsWithOpenLine(db))));
  return rows.filter((r) => r.next === null).map((r) => r.id);
}

const prunable = (before: number) => and(inArray(webhookDeliveries.status, [...FINAL_STATUSES]), lt(webhookDeliveries.createdAt, before));

/** Advances idle cursors to the head and prunes final deliveries created before `pruneBefore`. */
export async function webhookHousekeeping(db: Database, pruneBefore: number): Promise<{ advanced: number; pruned: number }> {
  const behind = await idleBehind(db.read, await headRevision(db.read));
  const old = await db.read.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(prunable(pruneBefore)).limit(1);
  if (!behind.length && !old.length) return { advanced: 0, pruned: 0 };
  return db.write(async (tx) => {
    // Re-read under the write lock: no change at or below `head` can commit after this point.
    const head = await headRevision(tx);
    const ids = await idleBehind(tx, head);
    if (ids.length)
      await tx
        .update(webhookEndpoints)
        .set({ cursor: head })
        .where(and(inArray(webhookEndpoints.id, ids), lte(webhookEndpoints.cursor, head)));
    const pruned = await tx.delete(webhookDeliveries).where(prunable(pruneBefore)).returning({ id: webhookDeliveries.id });
    return { advanced: ids.length, pruned: pruned.length };
  });
}

/**
 * Retention of the change feed. Rows older than the retention window are deleted and the highest
 * deleted revision is remembered, so a reader asking for an older `since` is told to RESYNC instead
 * of silently missing changes. The newest row is always kept, so revisions never restart.
 */
import { and, eq, lt, lte, max } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { changes, convergenceSamples, feedState } from '../db/schema/index.ts';

/** Deletes changes committed before `before` (ms) — or up to `throughRevision` when given. */
export async function compactFeed(
  db: Database,
  options: { before?: number; throughRevision?: number },
): Promise<{ compactedThrough: number; deleted: number }> {
  return db.write(async (tx) => {
    const [head] = await tx.select({ head: max(changes.revision) }).from(changes);
    const keep = Number(head?.head ?? 0);
    let through = options.throughRevision ?? 0;
    if (options.before !== undefined) {
      const [old] = await tx
        .select({ r: max(changes.revision) })
        .from(changes)
        .where(lt(changes.createdAt, options.before));
      through = Math.max(through, Number(old?.r ?? 0));
    }
    through = Math.min(through, keep - 1);
    // The mark only moves forward: lowering it would let a reader behind an earlier compaction pass
    // the RESYNC check and silently miss the rows that compaction deleted.
    const [mark] = await tx.select().from(feedState).where(eq(feedState.key, 'compacted_through'));
    if (through <= (mark?.value ?? 0)) return { compactedThrough: mark?.value ?? 0, deleted: 0 };
    const deleted = await tx.delete(changes).where(lte(changes.revision, through)).returning({ r: changes.revision });
    await tx
      .insert(feedState)
      .values({ key: 'compacted_through', value: through })
      .onConflictDoUpdate({ target: feedState.key, set: { value: through } });
    if (options.before !== undefined) await tx.delete(convergenceSamples).where(and(lt(convergenceSamples.reportedAt, options.before)));
    return { compactedThrough: through, deleted: deleted.length };
  });
}

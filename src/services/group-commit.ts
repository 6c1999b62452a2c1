/**
 * Group commit for small, frequent writes (agents' status reports and heartbeats): items that
 * arrive within a short window, or while a group is being committed, are written together by one
 * batch function in one write transaction. With a thousand agents reporting, the database sees a
 * few transactions per second instead of a thousand, and the batch function can write a group with
 * one statement per table instead of one per item (services/hosts/report.ts).
 *
 * The window matters: on Node an embedded database runs each statement on the event loop, so no
 * request is read while a group commits, and without a wait every group would hold the one or two
 * items that happened to be parsed meanwhile. A quiet API still commits a lone item after the window.
 *
 * Each item keeps its own outcome: the batch function refuses an item (it wrote nothing for it) or
 * accepts it. A failure of the transaction itself rejects the whole group. The changes of the group
 * go to the database's `afterWrite` (feed wake-ups), so rows appended for any item wake their readers.
 */
import type { Database, Tx } from '../db/client.ts';
import type { ChangeRecord } from '../feed/append.ts';
import type { Changed } from './context.ts';

/** An item's outcome in its group: accepted with its value, or refused with the error its caller gets. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Writes a group: one outcome per item, in order, and the change rows appended for all of them. */
export type BatchWrite<I, R> = (tx: Tx, items: I[]) => Promise<{ outcomes: Outcome<R>[]; changes: ChangeRecord[] }>;

interface Pending<I, R> {
  item: I;
  resolve: (value: Changed<R>) => void;
  reject: (error: unknown) => void;
}

interface Group<I, R> {
  queue: Pending<I, R>[];
  running: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * A committer for items of one kind: `commit(db, item)` resolves with the item's value (and the
 * changes of its whole group) once its group has committed, or rejects with the item's refusal.
 * Groups are per database; at most one commits at a time, and items arriving meanwhile form the next.
 */
export function groupCommitter<I, R>(write: BatchWrite<I, R>, options: { windowMs: number; maxItems?: number }) {
  const groups = new WeakMap<Database, Group<I, R>>();
  const maxItems = options.maxItems ?? 500;

  const schedule = (db: Database, g: Group<I, R>) => {
    if (g.running || g.timer) return;
    if (g.queue.length >= maxItems || options.windowMs <= 0) void flush(db, g);
    else g.timer = setTimeout(() => void flush(db, g), options.windowMs);
  };

  const flush = async (db: Database, g: Group<I, R>): Promise<void> => {
    if (g.timer) clearTimeout(g.timer);
    g.timer = null;
    g.running = true;
    const batch = g.queue.splice(0, maxItems);
    try {
      const { result, changes } = await db.write(async (tx) => {
        const written = await write(
          tx,
          batch.map((p) => p.item),
        );
        return { result: written.outcomes, changes: written.changes };
      });
      result.forEach((o, i) => (o.ok ? batch[i].resolve({ result: o.value, changes }) : batch[i].reject(o.error)));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
    g.running = false;
    if (g.queue.length) schedule(db, g);
  };

  return (db: Database, item: I): Promise<Changed<R>> => {
    let group = groups.get(db);
    if (!group) groups.set(db, (group = { queue: [], running: false, timer: null }));
    const g = group;
    return new Promise<Changed<R>>((resolve, reject) => {
      g.queue.push({ item, resolve, reject });
      if (g.queue.length >= maxItems && g.timer) void flush(db, g);
      else schedule(db, g);
    });
  };
}

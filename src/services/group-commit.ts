/**
 * Group commit for small, frequent writes (agents' status reports and heartbeats): writes that
 * arrive while one is being committed wait and then commit together, in one write transaction, each
 * in a savepoint of its own. With a thousand agents reporting, the database sees a few transactions
 * per second instead of a thousand, and a quiet API commits each write at once as before.
 *
 * Each write keeps its own outcome: one that throws is rolled back to its savepoint and rejected,
 * and the others commit. A failure of the transaction itself rejects the whole group. The combined
 * value goes to the database's `afterWrite` (feed wake-ups), so change rows appended by any write of
 * the group wake their readers.
 */
import type { Database, Tx } from '../db/client.ts';
import type { Changed } from './context.ts';

interface Pending {
  write: (tx: Tx) => Promise<Changed<unknown>>;
  resolve: (value: Changed<unknown>) => void;
  reject: (error: unknown) => void;
}

interface Group {
  queue: Pending[];
  running: boolean;
}

type Outcome = { ok: true; value: Changed<unknown> } | { ok: false; error: unknown };

const groups = new WeakMap<Database, Group>();

/** Commits `write` with whatever else is waiting for the database's next group. */
export function groupWrite<T>(db: Database, write: (tx: Tx) => Promise<Changed<T>>): Promise<Changed<T>> {
  let group = groups.get(db);
  if (!group) groups.set(db, (group = { queue: [], running: false }));
  const g = group;
  return new Promise<Changed<T>>((resolve, reject) => {
    g.queue.push({ write, resolve: resolve as (value: Changed<unknown>) => void, reject });
    if (!g.running) void flush(db, g);
  });
}

async function flush(db: Database, group: Group): Promise<void> {
  group.running = true;
  while (group.queue.length) {
    const batch = group.queue.splice(0);
    try {
      const { result } = await db.write(async (tx) => {
        const outcomes: Outcome[] = [];
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: await tx.transaction((savepoint) => item.write(savepoint)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        return { result: outcomes, changes: outcomes.flatMap((o) => (o.ok ? o.value.changes : [])) };
      });
      result.forEach((o, i) => (o.ok ? batch[i].resolve(o.value) : batch[i].reject(o.error)));
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }
  group.running = false;
}

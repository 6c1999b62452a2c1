/**
 * The Drizzle database over a libSQL client, and the one way to write: `db.write(fn)` runs `fn` in
 * an immediate (write-locking) transaction. Writers in one process queue behind each other, so the
 * embedded file never sees two writers from us; writers in other processes are waited for by
 * retrying on SQLITE_BUSY. The libSQL client itself is created by the entry point (Node or Worker).
 */
import type { Client } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql/web';

export type Tx = Parameters<Parameters<ReturnType<typeof makeDrizzle>['transaction']>[0]>[0];
export type Reader = ReturnType<typeof makeDrizzle> | Tx;

function makeDrizzle(client: Client) {
  return drizzle({ client });
}

export interface Database {
  read: ReturnType<typeof makeDrizzle>;
  /**
   * A consistent multi-statement read (a snapshot). At most a few run at once: each holds a pooled
   * connection for its whole duration, and a burst of them (agents relisting together) must queue
   * rather than exhaust the pool and fail.
   */
  snapshot<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  client: Client;
}

const isBusy = (error: unknown): boolean => {
  const text = String((error as { code?: string; message?: string })?.code ?? '') + String((error as Error)?.message ?? '');
  return /SQLITE_BUSY|database is locked/i.test(text);
};

/**
 * Wraps a libSQL client. `afterWrite` is called after every committed write (feed wake-ups) with
 * what the write returned: for service verbs `{ result, changes }`, which a Worker routes wake-ups by.
 * `writeClient` (default: the same client) runs the write transactions: on Node it is a
 * one-connection client over the same embedded file, so per-connection settings such as
 * `synchronous` hold for every write, and since writes are queued anyway one connection loses nothing.
 */
export function createDatabase(client: Client, afterWrite: (committed: unknown) => void = () => {}, writeClient: Client = client): Database {
  const read = makeDrizzle(client);
  const writer = writeClient === client ? read : makeDrizzle(writeClient);
  let queue: Promise<unknown> = Promise.resolve();
  const runWithRetry = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await writer.transaction(fn, { behavior: 'immediate' });
      } catch (error) {
        if (!isBusy(error) || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5 + attempt * 5, 100) * (0.5 + Math.random())));
      }
    }
  };
  const snapshots = limiter(4);
  return {
    read,
    client,
    snapshot: (fn) => snapshots(() => read.transaction(fn, { behavior: 'deferred' })),
    write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const run = queue.then(() => runWithRetry(fn));
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run.then((value) => {
        afterWrite(value);
        return value;
      });
    },
  };
}

/** Runs at most `max` of the given tasks at once, the rest in arrival order. */
function limiter(max: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= max)
      await new Promise<void>((resolve) => waiting.push(resolve)); // a finishing task hands its slot over
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

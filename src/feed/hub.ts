/**
 * Wake-ups for feed readers. In one process a commit notifies waiting streams at once; a stream
 * also wakes on a timer (the polling floor), so changes committed by another API process over the
 * same database are still seen within `pollMs`. The change table stays the only source of truth:
 * a wake-up carries no data, it only says "read again".
 *
 * The optional arguments let a hub that spans isolates (Workers: src/feed/hub-durable.ts) route
 * wake-ups: `notify` gets the change rows a write committed, `wait` the scope of the waiting stream.
 * The in-memory hub ignores both.
 */
import type { ChangeRecord } from './append.ts';
import type { FeedScope } from './read.ts';

export interface FeedHub {
  /** Called after every committed write, with the change rows it appended when known. */
  notify(changes?: readonly ChangeRecord[]): void;
  /** Resolves on the next notify, after `pollMs`, or when `signal` aborts — whichever comes first. */
  wait(signal?: AbortSignal, scope?: FeedScope): Promise<void>;
  readonly pollMs: number;
  /** Aborted when the server shuts down: every open stream ends instead of reading a closed database. */
  readonly stopping?: AbortSignal;
}

/** An in-memory hub for one process; `close()` ends every open stream (server shutdown). */
export function createFeedHub(pollMs: number): FeedHub & { close(): void } {
  let waiters = new Set<() => void>();
  const stopping = new AbortController();
  return {
    pollMs,
    stopping: stopping.signal,
    close() {
      stopping.abort();
    },
    notify() {
      const current = waiters;
      waiters = new Set();
      for (const wake of current) wake();
    },
    wait(signal) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}

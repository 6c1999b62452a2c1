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
import type { AddressColumn } from '../../protocol/changes.ts';
import type { ChangeRecord } from './append.ts';
import type { FeedPage, FeedScope } from './read.ts';
import type { TokenMark } from './token-changes.ts';
import { audienceOf } from './route.ts';

export interface FeedHub {
  /** Called after every committed write, with the change rows it appended when known. */
  notify(changes?: readonly ChangeRecord[]): void;
  /** Resolves on the next notify that may concern `scope`, after `pollMs`, or when `signal` aborts. */
  wait(signal?: AbortSignal, scope?: WaitScope): Promise<void>;
  readonly pollMs: number;
  /** Aborted when the server shuts down: every open stream ends instead of reading a closed database. */
  readonly stopping?: AbortSignal;
  /** Recent rows in memory (watch-cache.ts): a stream's page, or null when the table must answer. */
  readonly window?: { page(scope: FeedScope, since: number, limit: number): FeedPage | null };
  /** A stream sends a CURSOR only after this long without an event (0: after every page it read). */
  readonly cursorQuietMs?: number;
  /** Called after this process compacted the feed through `revision` (compact.ts). */
  compacted?(revision: number): void;
  /** Token rows as the watch cache read them: an open agent stream's check without a read (token-changes.ts). */
  readonly tokens?: TokenWatch;
}

/** What a stream's token check asks the watch cache (src/auth/actor.ts `streamTokenCheck`). */
export interface TokenWatch {
  /** Taken before a read that finds the token valid; null while the cache has no window. */
  mark(): TokenMark | null;
  /** Whether a token found valid at `mark` still holds for an event at `revision` without a read. */
  holds(hostId: string, mark: TokenMark, revision: number | undefined): boolean;
}

/** The change rows a write committed, when the write was a service verb (`{ result, changes }`). */
export function changesOf(committed: unknown): ChangeRecord[] | undefined {
  const changes = (committed as { changes?: unknown } | null)?.changes;
  return Array.isArray(changes) ? (changes as ChangeRecord[]) : undefined;
}

/**
 * After a commit: wake the streams its change rows may concern, and tell the hub of a compaction
 * (compactFeed returns its mark). A write that appended no change (an agent's status report,
 * webhook bookkeeping) wakes nobody — waking every stream on every
 * report would make each agent's report trigger a read in every other agent's stream.
 */
export function notifyCommitted(hub: Pick<FeedHub, 'notify' | 'compacted'>, committed: unknown): void {
  const changes = changesOf(committed);
  if (changes?.length) hub.notify(changes);
  const mark = (committed as { compactedThrough?: unknown } | null)?.compactedThrough;
  if (typeof mark === 'number') hub.compacted?.(mark);
}

/**
 * A waiting stream's scope. A host stream adds the networks it is a member of (from its last read);
 * `since` is where the stream has read to, so a wake-up that came while it was busy is not missed.
 */
export type WaitScope = FeedScope & { networks?: readonly string[]; since?: number };

/** Whether any of `changes` can concern a stream of `scope` (false only when it certainly cannot). */
export function mayConcern(scope: WaitScope | undefined, changes: readonly Partial<Record<AddressColumn, string | null>>[]): boolean {
  if (!scope) return true;
  if ('projectId' in scope) return changes.some((c) => c.projectId === scope.projectId);
  return changes.some((c) => {
    const a = audienceOf(c);
    return a.hostId === scope.hostId || (a.membersOf !== null && (!scope.networks || scope.networks.includes(a.membersOf)));
  });
}

/**
 * An in-memory hub for one process. A commit wakes only the streams it may concern (a host stream
 * for its own rows and its networks' rows, a project stream for its project's rows), so a burst of
 * commits does not make every open stream read the table; a commit whose rows are unknown wakes
 * all. `close()` ends every open stream (server shutdown).
 */
export function createFeedHub(pollMs: number): FeedHub & { close(): void } {
  const waiters = new Map<() => void, WaitScope | undefined>();
  const stopping = new AbortController();
  return {
    pollMs,
    stopping: stopping.signal,
    close() {
      stopping.abort();
    },
    notify(changes) {
      for (const [wake, scope] of waiters) if (!changes || mayConcern(scope, changes)) wake();
    },
    wait(signal, scope) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        waiters.set(done, scope);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}

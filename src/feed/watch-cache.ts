/**
 * The watch cache (docs/architecture.md §8.5): one reader of the change table per API process, in
 * the spirit of the kube-apiserver cacher. A tailer reads each new row once, files it under the
 * readers it concerns (window.ts, route.ts) and wakes only their streams; streams take their pages
 * from memory and read the table themselves only to catch up from before the window.
 *
 * The tailer runs when this process commits (its rows are taken as they are when they follow the
 * window's head without a gap, and read from the table otherwise) and on a head poll every
 * `headPollMs`, one cheap statement that finds commits made by other processes over the same
 * database. The table stays the only source of truth: a wake-up that is lost costs at most the
 * polling floor (`pollMs`) of a waiting stream, never a change, and a database whose head went
 * backwards (a restore) or whose unread rows were compacted makes the cache start again empty, so
 * every stream falls back to the table, which answers RESYNC where it must.
 */
import { asc, and, gt, lte, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Database, Reader } from '../db/client.ts';
import { changes, containers } from '../db/schema/index.ts';
import type { ChangeRecord } from './append.ts';
import type { FeedHub, WaitScope } from './hub.ts';
import type { FeedPage, FeedRow, FeedScope } from './read.ts';
import { MembershipIndex, readerKey } from './route.ts';
import { TokenChanges } from './token-changes.ts';
import { FeedWindow } from './window.ts';

export interface WatchCacheOptions {
  db: Database;
  /** The polling floor of a waiting reader (a stream's is at least `cursorQuietMs`). */
  pollMs: number;
  /** How often the head is polled for commits made by other processes. */
  headPollMs: number;
  /** A stream quiet this long gets a CURSOR when the head has moved past it. */
  cursorQuietMs: number;
  /** How many recent rows are held in memory. */
  capacity: number;
  log?: (line: string) => void;
}

/** What the cache did, for metrics and the bench. */
export interface WatchCacheStats {
  head: number;
  start: number;
  rows: number;
  tails: number;
  rowsRead: number;
  rowsTaken: number;
  restarts: number;
}

export interface WatchCache extends FeedHub {
  /** Loads membership and the head; the window starts empty there. */
  start(): Promise<void>;
  close(): void;
  stats(): WatchCacheStats;
}

const PAGE = 1000;

/** The cache's settings from the API's configuration (FEED_* variables). */
export function watchCacheSettings(config: Pick<Config, 'feedPollMs' | 'feedHeadPollMs' | 'feedCursorQuietMs' | 'feedCacheRows'>) {
  return { pollMs: config.feedPollMs, headPollMs: config.feedHeadPollMs, cursorQuietMs: config.feedCursorQuietMs, capacity: config.feedCacheRows };
}

/** Head and retention mark in one statement: the per-process poll. */
async function readMarks(db: Reader): Promise<{ head: number; compacted: number }> {
  const row = await db.get<{ head: number | null; compacted: number | null }>(
    sql`select (select max(revision) from changes) as head, (select value from feed_state where key = 'compacted_through') as compacted`,
  );
  return { head: Number(row?.head ?? 0), compacted: Number(row?.compacted ?? 0) };
}

const toRow = (r: typeof changes.$inferSelect): FeedRow => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> });

/** A committed change record as the table will return it (the payload goes through JSON, as stored). */
const fromRecord = (c: ChangeRecord): FeedRow => ({
  revision: c.revision,
  kind: c.kind,
  projectId: c.projectId ?? null,
  networkId: c.networkId ?? null,
  hostId: c.hostId ?? null,
  payload: JSON.parse(JSON.stringify(c.payload)) as Record<string, unknown>,
  createdAt: c.createdAt,
});

export function createWatchCache(options: WatchCacheOptions): WatchCache {
  const { db, pollMs, headPollMs, cursorQuietMs, capacity } = options;
  const log = options.log ?? (() => {});
  const stopping = new AbortController();
  const waiters = new Map<string, Set<() => void>>(); // reader key (or '*': any row) → wake-ups
  const stats = { tails: 0, rowsRead: 0, rowsTaken: 0, restarts: 0 };
  let window: FeedWindow | null = null;
  const tokens = new TokenChanges();
  let tailing: Promise<void> | null = null;
  let again = false;
  let poller: NodeJS.Timeout | null = null;

  const wake = (key: string) => {
    const set = waiters.get(key);
    if (set) for (const done of [...set]) done();
  };
  const wakeAll = () => {
    for (const set of [...waiters.values()]) for (const done of [...set]) done();
  };
  const take = (w: FeedWindow, rows: readonly FeedRow[], through: number) => {
    tokens.note(rows);
    const touched = w.append(rows, through);
    for (const key of touched) wake(key);
    if (rows.length) wake('*');
  };

  /** A window that starts empty at the head, with membership read in the same snapshot. */
  async function load(): Promise<FeedWindow> {
    return db.snapshot(async (tx) => {
      const marks = await readMarks(tx);
      const pairs = await tx.selectDistinct({ hostId: containers.hostId, networkId: containers.networkId }).from(containers);
      return new FeedWindow(new MembershipIndex(pairs), marks.head, marks.compacted, capacity);
    });
  }

  async function restart(why: string): Promise<void> {
    stats.restarts++;
    log(`feed cache: ${why}; starting again from the table`);
    const loaded = await load();
    tokens.reset(); // with the new window, in the same turn: no mark outlives the run it was taken in
    window = loaded;
    wakeAll(); // every stream reads again: the table answers RESYNC where it must
  }

  async function tailOnce(): Promise<void> {
    if (!window) return;
    const w = window;
    stats.tails++;
    const marks = await readMarks(db.read);
    if (marks.head < w.head) return restart(`the head went back from ${w.head} to ${marks.head}`);
    if (marks.compacted > w.head) return restart(`rows after ${w.head} were compacted before they were read`);
    const base = w.head;
    let from = base;
    while (from < marks.head) {
      const rows = (
        await db.read
          .select()
          .from(changes)
          .where(and(gt(changes.revision, from), lte(changes.revision, marks.head)))
          .orderBy(asc(changes.revision))
          .limit(PAGE)
      ).map(toRow);
      stats.rowsRead += rows.length;
      if (window !== w) return; // restarted meanwhile
      const last = rows.length === PAGE ? rows[rows.length - 1].revision : marks.head;
      take(w, rows, last);
      from = last;
    }
    // Nothing read: the mark read first is all there is to know.
    if (from === base) return w.compactedTo(marks.compacted);
    // Read after the rows: a compaction that deleted unread rows meanwhile is noticed here.
    const after = await readMarks(db.read);
    if (after.compacted > base) return restart('a compaction ran while rows were being read');
    w.compactedTo(after.compacted);
  }

  function tail(): Promise<void> {
    if (tailing) {
      again = true;
      return tailing;
    }
    tailing = (async () => {
      try {
        do {
          again = false;
          await tailOnce();
        } while (again && !stopping.signal.aborted);
      } catch (error) {
        if (!stopping.signal.aborted) log(`feed cache: reading the table failed (streams fall back to polling): ${(error as Error).message}`);
      } finally {
        tailing = null;
      }
    })();
    return tailing;
  }

  const poll = () => {
    poller = setTimeout(async () => {
      await tail();
      if (!stopping.signal.aborted) poll();
    }, headPollMs);
    poller.unref?.();
  };

  return {
    pollMs,
    cursorQuietMs,
    stopping: stopping.signal,
    window: {
      page: (scope: FeedScope, since: number, limit: number): FeedPage | null => window?.page(scope, since, limit) ?? null,
    },
    async start() {
      window = await load();
      poll();
    },
    close() {
      stopping.abort();
      if (poller) clearTimeout(poller);
      wakeAll();
    },
    stats: () => ({ head: window?.head ?? 0, start: window?.start ?? 0, rows: window?.size ?? 0, ...stats }),
    tokens: {
      mark: () => (window ? tokens.mark(window.head) : null),
      holds: (hostId, mark, revision) => window !== null && tokens.holds(hostId, mark, revision, window.head),
    },
    notify(committed) {
      const w = window;
      // This process's own commit, right after the head: take its rows without reading them back.
      if (w && !tailing && committed?.length && committed[0].revision === w.head + 1 && committed.every((c, i) => c.revision === w.head + 1 + i)) {
        stats.rowsTaken += committed.length;
        take(w, committed.map(fromRecord), committed[committed.length - 1].revision);
        return;
      }
      void tail();
    },
    compacted(mark) {
      // At once, so a reader behind a compaction this process made is sent to the table (RESYNC).
      // One made by another process is seen on the next head poll; until then the window may still
      // serve rows the table no longer holds, complete and in order.
      window?.compactedTo(mark);
    },
    wait(signal, scope?: WaitScope) {
      const key = scope ? readerKey(scope) : '*';
      // Rows filed for this reader while it was busy: no need to sleep.
      if (scope?.since !== undefined && window?.hasAfter(scope, scope.since)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        let set = waiters.get(key);
        if (!set) waiters.set(key, (set = new Set()));
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0 && waiters.get(key) === set) waiters.delete(key);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        // A stream is woken for every row it concerns, so its floor only paces its quiet CURSOR:
        // no shorter than the quiet period (a thousand idle streams waking every second cost the
        // cross bench 350 ms of p99), and jittered, so that streams opened together do not wake in
        // the same turn of the event loop. Other waiters (the webhook worker) keep `pollMs`.
        const floor = scope ? Math.max(pollMs, cursorQuietMs) : pollMs;
        const timer = setTimeout(done, floor * (0.75 + Math.random() / 2));
        set.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}

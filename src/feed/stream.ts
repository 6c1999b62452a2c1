/**
 * A live stream of feed events from a revision: read a page, yield it, and when caught up wait for
 * a wake-up (a commit that concerns this reader) or the polling floor. Pages come from the watch
 * cache's window when the hub has one and it holds `since` (watch-cache.ts), and from the change
 * table otherwise; the table is the only source of truth, so a reconnect with `since` misses nothing
 * and repeats nothing.
 */
import type { Database } from '../db/client.ts';
import type { FeedHub } from './hub.ts';
import { type FeedPage, type FeedRow, type FeedScope, readFeedPage } from './read.ts';

export type FeedEvent = { type: 'CHANGE'; revision: number; row: FeedRow } | { type: 'RESYNC'; revision: number } | { type: 'CURSOR'; revision: number }; // caught up to `revision`; nothing in between concerned this reader

/**
 * One CURSOR event object per revision (the last few), shared by every stream that sends it, so
 * that its selection set is executed once per shape like a change's (src/graphql-shared-results.ts).
 */
const cursors = new Map<number, FeedEvent>();
export function cursorEvent(revision: number): FeedEvent {
  let event = cursors.get(revision);
  if (!event) {
    cursors.set(revision, (event = { type: 'CURSOR', revision }));
    if (cursors.size > 64) cursors.delete(cursors.keys().next().value as number);
  }
  return event;
}

/**
 * Streams events after `since` until `signal` aborts. After a RESYNC the stream ends: the reader
 * must list again and open a new stream from the snapshot's revision.
 */
export async function* streamFeed(
  db: Database,
  hub: FeedHub,
  scope: FeedScope,
  since: number,
  signal?: AbortSignal,
  pageSize = 500,
): AsyncGenerator<FeedEvent> {
  let cursor = since;
  let announced = since; // the newest revision this reader has been told about
  let lastEventAt = Date.now();
  const quietMs = hub.cursorQuietMs ?? 0;
  const stop = hub.stopping && signal ? AbortSignal.any([signal, hub.stopping]) : (hub.stopping ?? signal);
  while (!stop?.aborted) {
    let page: FeedPage;
    try {
      page = hub.window?.page(scope, cursor, pageSize) ?? (await readFeedPage(db, scope, cursor, pageSize));
    } catch (error) {
      if (stop?.aborted) return; // shutting down: the database may already be closed
      throw error;
    }
    if (page.resync) {
      yield { type: 'RESYNC', revision: page.head };
      return;
    }
    for (const row of page.rows) yield { type: 'CHANGE', revision: row.revision, row };
    if (page.rows.length) {
      announced = page.rows[page.rows.length - 1].revision;
      lastEventAt = Date.now();
    }
    cursor = page.cursor;
    if (page.hasMore) continue;
    // Caught up past the last row that concerned this reader: say so, once the stream has been quiet
    // for a while (a CURSOR after every page would cost every idle reader an event per commit).
    if (cursor > announced && Date.now() - lastEventAt >= quietMs) {
      yield cursorEvent(cursor);
      announced = cursor;
      lastEventAt = Date.now();
    }
    await hub.wait(stop, { ...scope, ...(page.networks ? { networks: page.networks } : {}), since: cursor });
  }
}

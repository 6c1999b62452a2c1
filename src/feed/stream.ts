/**
 * A live stream of feed events from a revision: read a page, yield it, and when caught up wait for
 * a wake-up (same-process commit) or the polling floor (commits by other processes). The change
 * table is the only source of truth, so a reconnect with `since` misses nothing and repeats nothing.
 */
import type { Database } from '../db/client.ts';
import type { FeedHub } from './hub.ts';
import { type FeedRow, type FeedScope, readFeedPage } from './read.ts';

export type FeedEvent = { type: 'CHANGE'; revision: number; row: FeedRow } | { type: 'RESYNC'; revision: number } | { type: 'CURSOR'; revision: number }; // caught up to `revision`; nothing in between concerned this reader

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
  let announced = since;
  const stop = hub.stopping && signal ? AbortSignal.any([signal, hub.stopping]) : (hub.stopping ?? signal);
  while (!stop?.aborted) {
    let page: Awaited<ReturnType<typeof readFeedPage>>;
    try {
      page = await readFeedPage(db, scope, cursor, pageSize);
    } catch (error) {
      if (stop?.aborted) return; // shutting down: the database may already be closed
      throw error;
    }
    if (page.resync) {
      yield { type: 'RESYNC', revision: page.head };
      return;
    }
    for (const row of page.rows) yield { type: 'CHANGE', revision: row.revision, row };
    cursor = page.cursor;
    if (page.hasMore) continue;
    if (cursor > announced && (page.rows.length === 0 || page.rows[page.rows.length - 1].revision < cursor)) yield { type: 'CURSOR', revision: cursor };
    announced = cursor;
    await hub.wait(stop, page.networks ? { ...scope, networks: page.networks } : scope);
  }
}

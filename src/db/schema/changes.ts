import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The change feed (transactional outbox). One row per change, written in the same transaction as
 * the state it describes. SQLite serialises writers, so `revision` order is commit order and a
 * reader never sees a gap. `hostId` is set for changes addressed to one host (peer, network
 * joined/left); `networkId` for changes every member host of a network must see.
 */
export const changes = sqliteTable(
  'changes',
  {
    revision: integer('revision').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    projectId: text('project_id'),
    networkId: text('network_id'),
    hostId: text('host_id'),
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('changes_network').on(t.networkId, t.revision),
    index('changes_host').on(t.hostId, t.revision),
    index('changes_project').on(t.projectId, t.revision),
  ],
);

/** Small key/value state of the feed: `compacted_through` is the last revision deleted by retention. */
export const feedState = sqliteTable('feed_state', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
});

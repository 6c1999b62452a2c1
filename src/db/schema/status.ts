import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** What each host last reported per network: applied revision and health (reportHostStatus). */
export const hostNetworkStatus = sqliteTable(
  'host_network_status',
  {
    hostId: text('host_id').notNull(),
    networkId: text('network_id').notNull(),
    healthy: integer('healthy', { mode: 'boolean' }).notNull(),
    message: text('message'),
    appliedRevision: integer('applied_revision').notNull(),
    reportedAt: integer('reported_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.networkId] })],
);

/** Commit-to-applied times of recent changes, one row per (host, change); pruned by age. */
export const convergenceSamples = sqliteTable(
  'convergence_samples',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    hostId: text('host_id').notNull(),
    networkId: text('network_id'),
    revision: integer('revision').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    reportedAt: integer('reported_at').notNull(),
  },
  (t) => [index('convergence_samples_network').on(t.networkId, t.reportedAt), index('convergence_samples_time').on(t.reportedAt)],
);

import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { networks } from './networks.ts';

/**
 * A network's app-to-app policy (docs/policies.md): mode, rules and tests as JSON in the shape of
 * protocol/policy/model.ts. No row: OFF, no rule. `version` counts the writes.
 */
export const networkPolicies = sqliteTable('network_policies', {
  networkId: text('network_id')
    .primaryKey()
    .references(() => networks.id, { onDelete: 'cascade' }),
  mode: text('mode', { enum: ['OFF', 'AUDIT', 'ENFORCE'] }).notNull(),
  rules: text('rules').notNull(),
  tests: text('tests').notNull(),
  version: integer('version').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * The policy counters each host last reported per network (reportHostStatus): one row per counter
 * (`rule-<i>`, `default-deny`, `would-drop`) of the policy `version` the host enforces.
 */
export const policyCounters = sqliteTable(
  'policy_counters',
  {
    hostId: text('host_id').notNull(),
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    counter: text('counter').notNull(),
    version: integer('version').notNull(),
    packets: integer('packets').notNull(),
    bytes: integer('bytes').notNull(),
    reportedAt: integer('reported_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.networkId, t.counter] })],
);

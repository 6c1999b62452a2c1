import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { projects } from './projects.ts';

/**
 * A project's private network. `ipCursor` is the offset (from the network address) of the last
 * address handed out: allocation walks forward from it, so a freed address is reused only after the
 * cursor wraps around, on top of the explicit cool-down in `released_addresses`.
 */
export const networks = sqliteTable('networks', {
  id: text('id').primaryKey(), // pn-<uuid>
  projectId: text('project_id')
    .notNull()
    .unique()
    .references(() => projects.id, { onDelete: 'cascade' }),
  vni: integer('vni').notNull().unique(),
  cidr: text('cidr').notNull(),
  gateway: text('gateway').notNull(),
  dnsTtl: integer('dns_ttl').notNull(),
  // Head-end replication of broadcast/multicast across member hosts (docs/agent-dataplane.md "Multicast")
  multicast: text('multicast', { enum: ['ON', 'OFF'] })
    .notNull()
    .default('ON'),
  ipCursor: integer('ip_cursor').notNull(),
  createdAt: integer('created_at').notNull(),
});

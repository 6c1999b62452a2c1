import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { projects } from './projects.ts';

/**
 * A project's private network. `ipCursor` is the offset (from the network address) of the last
 * address handed out: allocation walks forward from it, so a freed address is reused only after the
 * cursor wraps around, on top of the explicit cool-down in `released_addresses`.
 */
export const networks = sqliteTable(
  'networks',
  {
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
    // Dual-stack (docs/architecture.md "Dual-stack IPv6"): the switch, and the network's unique-local
    // /64, kept while the switch is OFF so switching back gives every container the same address.
    // Derived from the VNI (protocol/addressing/ipv6.ts ulaOfVni) unless given at creation; null only
    // on a row the migration did not fill, which reads as the derived /64 (src/domain/network-ipv6.ts ipv6CidrOf).
    ipv6: text('ipv6', { enum: ['ON', 'OFF'] })
      .notNull()
      .default('ON'),
    ipv6Cidr: text('ipv6_cidr'),
    ipCursor: integer('ip_cursor').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  // An index, not a column constraint: adding it needs no table rebuild in SQLite.
  (t) => [uniqueIndex('networks_ipv6_cidr_unique').on(t.ipv6Cidr)],
);

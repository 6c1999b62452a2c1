import { index, integer, primaryKey, sqliteTable, text, unique } from 'drizzle-orm/sqlite-core';
import { applications } from './applications.ts';
import { hosts } from './hosts.ts';
import { networks } from './networks.ts';

/**
 * A container with its allocated identity. `ipOffset` is the address as an offset from the
 * network address: the unique index on it is what makes two concurrent allocations impossible.
 */
export const containers = sqliteTable(
  'containers',
  {
    id: text('id').primaryKey(), // ctr-<uuid>
    projectId: text('project_id').notNull(),
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    processType: text('process_type').notNull(),
    number: integer('number').notNull(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id),
    ipOffset: integer('ip_offset').notNull(),
    ip: text('ip').notNull(),
    mac: text('mac').notNull(),
    state: text('state', { enum: ['PENDING', 'RUNNING', 'DRAINING'] }).notNull(),
    // Safe-to-stop drain (docs/architecture.md §8.9): the revision of the container.draining change,
    // when every member host had applied it, and the moment it became safe to stop (container.drained).
    drainRevision: integer('drain_revision'),
    drainTtlExpiresAt: integer('drain_ttl_expires_at'),
    drainAppliedAt: integer('drain_applied_at'),
    safeToStopAt: integer('safe_to_stop_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    unique('containers_network_ip').on(t.networkId, t.ipOffset),
    unique('containers_app_type_number').on(t.applicationId, t.processType, t.number),
    index('containers_host').on(t.hostId, t.networkId),
  ],
);

/** Addresses freed by removed containers; not reused until their cool-down has passed. */
export const releasedAddresses = sqliteTable(
  'released_addresses',
  {
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    ipOffset: integer('ip_offset').notNull(),
    releasedAt: integer('released_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.networkId, t.ipOffset] })],
);

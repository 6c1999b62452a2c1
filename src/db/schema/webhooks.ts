import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { projects } from './projects.ts';

/**
 * A project's webhook endpoint. `cursor` is the last revision of the change feed this endpoint is
 * done with (delivered, dead-lettered or filtered out); it only moves forward, and only in the
 * transaction that records that outcome, so a crash re-delivers instead of skipping.
 * Secrets are Standard Webhooks `whsec_…` keys; during a rotation the previous one keeps signing
 * alongside the current one until `previousSecretExpiresAt`.
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(), // wh-<uuid>
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events').notNull(), // JSON array of change kinds; [] = every kind of the project
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: integer('previous_secret_expires_at'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    cursor: integer('cursor').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('webhook_endpoints_project').on(t.projectId)],
);

/**
 * One webhook message to one endpoint: the change at `revision`, its exact body, and its delivery
 * state. PENDING (not tried yet) and FAILED (retry at `nextAttemptAt`) are open; SUCCEEDED and DEAD
 * are final. `leasedUntil`/`leaseId` mark an attempt in flight: another worker (or this one after a
 * restart) may take the delivery over only once the lease has expired.
 * Rows with `redeliveryOf` set are manual redeliveries: they never hold up the endpoint's line.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(), // whd-<uuid>
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    revision: integer('revision').notNull(),
    kind: text('kind').notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: ['PENDING', 'SUCCEEDED', 'FAILED', 'DEAD'] }).notNull(),
    attempts: integer('attempts').notNull(),
    nextAttemptAt: integer('next_attempt_at'),
    leasedUntil: integer('leased_until'),
    leaseId: text('lease_id'),
    lastAttemptAt: integer('last_attempt_at'),
    lastResponseCode: integer('last_response_code'),
    lastError: text('last_error'),
    redeliveryOf: text('redelivery_of'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    // At most one line delivery per (endpoint, revision); redeliveries are extra rows.
    uniqueIndex('webhook_deliveries_line').on(t.endpointId, t.revision).where(sql`redelivery_of is null`),
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt),
  ],
);

/**
 * SQL pieces shared by delivery and housekeeping.
 */
import { and, inArray, isNull, sql } from 'drizzle-orm';
import type { Reader } from '../db/client.ts';
import { changes, webhookDeliveries, webhookEndpoints } from '../db/schema/index.ts';

export const OPEN_STATUSES = ['PENDING', 'FAILED'] as const;
export const FINAL_STATUSES = ['SUCCEEDED', 'DEAD'] as const;

/** Per endpoint row: the next revision after its cursor that its project and filter select, or null. */
export const nextRevision = sql<
  number | null
>`(select min(${changes.revision}) from ${changes} where ${changes.projectId} = ${webhookEndpoints.projectId} and ${changes.revision} > ${webhookEndpoints.cursor} and (${webhookEndpoints.events} = '[]' or ${changes.kind} in (select value from json_each(${webhookEndpoints.events}))))`;

/** Endpoints whose line has an open delivery (subquery). */
export const endpointsWithOpenLine = (db: Reader) =>
  db
    .select({ id: webhookDeliveries.endpointId })
    .from(webhookDeliveries)
    .where(and(isNull(webhookDeliveries.redeliveryOf), inArray(webhookDeliveries.status, [...OPEN_STATUSES])));

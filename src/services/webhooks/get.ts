import { eq } from 'drizzle-orm';
import type { Reader } from '../../db/client.ts';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import { notFound } from '../../domain/errors.ts';

/** Loads a webhook endpoint (with its secrets: never return the row itself to a client); NOT_FOUND otherwise. */
export async function getWebhookEndpoint(db: Reader, id: string) {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound('webhook endpoint', id);
  return row;
}

/** Loads one delivery of the log; NOT_FOUND otherwise. */
export async function getWebhookDelivery(db: Reader, id: string) {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  if (!row) throw notFound('webhook delivery', id);
  return row;
}

import { eq } from 'drizzle-orm';
import type { Reader } from '../../db/client.ts';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import { notFound } from '../../domain/errors.ts';

export async function getWebhookEndpoint(db: Reader, id: string) {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound('webhook endpoint', id);
  return row;
}

export async function getWebhookDelivery(db: Reader, id: string) {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  if (!row) throw notFound('webhook delivery', id);
  return row;
}

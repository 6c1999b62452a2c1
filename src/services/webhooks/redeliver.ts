import { eq } from 'drizzle-orm';
import { webhookDeliveries } from '../../db/schema/index.ts';
import { badInput } from '../../domain/errors.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getWebhookDelivery } from './get.ts';

/**
 * Sends a delivery again. A finished one (SUCCEEDED or DEAD) gets a new delivery row with the same
 * body and `webhook-id`, attempted at once with its own retries; it does not hold up the endpoint's
 * line, which has already moved on. An open one (PENDING or FAILED) is simply made due now.
 */
export async function redeliverWebhook(ctx: ServiceContext, deliveryId: string): Promise<Changed<{ deliveryId: string }>> {
  return ctx.db.write(async (tx) => {
    const original = await getWebhookDelivery(tx, deliveryId);
    const now = ctx.now();
    if (original.kind === 'feed.compacted') throw badInput('this entry records changes lost to feed retention; there is nothing to send', { deliveryId });
    if (original.status === 'PENDING' || original.status === 'FAILED') {
      await tx.update(webhookDeliveries).set({ nextAttemptAt: now }).where(eq(webhookDeliveries.id, deliveryId));
      return { result: { deliveryId }, changes: [] };
    }
    const id = `whd-${crypto.randomUUID()}`;
    await tx.insert(webhookDeliveries).values({
      id,
      endpointId: original.endpointId,
      revision: original.revision,
      kind: original.kind,
      body: original.body,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: now,
      redeliveryOf: original.redeliveryOf ?? original.id,
      createdAt: now,
    });
    return { result: { deliveryId: id }, changes: [] };
  });
}

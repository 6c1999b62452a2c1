import { eq } from 'drizzle-orm';
import { webhookEndpoints } from '../../db/schema/index.ts';
import { badInput } from '../../domain/errors.ts';
import { parseEventFilter } from '../../webhooks/events.ts';
import { newWebhookSecret } from '../../webhooks/sign.ts';
import { checkWebhookUrl } from '../../webhooks/url-guard.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getWebhookEndpoint } from './get.ts';

export interface UpdateWebhookEndpointInput {
  endpointId: string;
  url?: string | null;
  events?: string[] | null;
  enabled?: boolean | null;
}

/**
 * Changes an endpoint's URL, filter or enabled flag. A disabled endpoint keeps its cursor: once
 * enabled again it receives what happened meanwhile, in order (within feed retention).
 */
export async function updateWebhookEndpoint(ctx: ServiceContext, input: UpdateWebhookEndpointInput): Promise<Changed<{ endpointId: string }>> {
  const set: Partial<typeof webhookEndpoints.$inferInsert> = {};
  if (input.url != null) set.url = checkWebhookUrl(input.url, ctx.config.webhooks);
  if (input.events != null) set.events = JSON.stringify(parseEventFilter(input.events));
  if (input.enabled != null) set.enabled = input.enabled;
  return ctx.db.write(async (tx) => {
    await getWebhookEndpoint(tx, input.endpointId);
    if (Object.keys(set).length)
      await tx
        .update(webhookEndpoints)
        .set({ ...set, updatedAt: ctx.now() })
        .where(eq(webhookEndpoints.id, input.endpointId));
    return { result: { endpointId: input.endpointId }, changes: [] };
  });
}

/**
 * Issues a new secret, returned once. The old one keeps signing alongside it (two signatures in
 * `webhook-signature`) for `overlapMs`, so receivers can switch without dropping a delivery. A
 * rotation during an overlap drops the oldest secret at once.
 */
export async function rotateWebhookSecret(
  ctx: ServiceContext,
  endpointId: string,
  overlapMs: number = ctx.config.webhooks.secretOverlapMs,
): Promise<Changed<{ endpointId: string; secret: string; previousSecretExpiresAt: number | null }>> {
  if (!Number.isInteger(overlapMs) || overlapMs < 0 || overlapMs > 30 * 24 * 3600 * 1000)
    throw badInput('overlap must be between 0 seconds and 30 days', { field: 'overlapSeconds' });
  return ctx.db.write(async (tx) => {
    const endpoint = await getWebhookEndpoint(tx, endpointId);
    const now = ctx.now();
    const secret = newWebhookSecret();
    const previousSecretExpiresAt = overlapMs > 0 ? now + overlapMs : null;
    await tx
      .update(webhookEndpoints)
      .set({ secret, previousSecret: overlapMs > 0 ? endpoint.secret : null, previousSecretExpiresAt, updatedAt: now })
      .where(eq(webhookEndpoints.id, endpointId));
    return { result: { endpointId, secret, previousSecretExpiresAt }, changes: [] };
  });
}

/** Deletes an endpoint with its delivery log; an attempt in flight finishes but records nothing. */
export async function deleteWebhookEndpoint(ctx: ServiceContext, endpointId: string): Promise<Changed<{ endpointId: string }>> {
  return ctx.db.write(async (tx) => {
    await getWebhookEndpoint(tx, endpointId);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    return { result: { endpointId }, changes: [] };
  });
}

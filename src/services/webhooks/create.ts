import { webhookEndpoints } from '../../db/schema/index.ts';
import { parseEventFilter } from '../../webhooks/events.ts';
import { newWebhookSecret } from '../../webhooks/sign.ts';
import { checkWebhookUrl } from '../../webhooks/url-guard.ts';
import { headRevision } from '../../feed/snapshot.ts';
import { type Changed, type ServiceContext } from '../context.ts';
import { getProject } from '../../db/lookups.ts';

export interface CreateWebhookEndpointInput {
  projectId: string;
  url: string;
  events?: string[] | null;
}

/**
 * Registers a webhook endpoint for a project and returns its secret — the only time the secret
 * leaves the API. The URL passes the SSRF guard (config WEBHOOK_ALLOW_PRIVATE_TARGETS) and the
 * filter is checked against the known event types. Delivery starts with the first change committed
 * after this one: the cursor is the head of the feed, read in the same write transaction. Webhook
 * configuration is not network state, so nothing is appended to the change feed.
 */
export async function createWebhookEndpoint(ctx: ServiceContext, input: CreateWebhookEndpointInput): Promise<Changed<{ endpointId: string; secret: string }>> {
  const url = checkWebhookUrl(input.url, ctx.config.webhooks);
  const events = parseEventFilter(input.events);
  return ctx.db.write(async (tx) => {
    await getProject(tx, input.projectId);
    const id = `wh-${crypto.randomUUID()}`;
    const secret = newWebhookSecret();
    const now = ctx.now();
    await tx.insert(webhookEndpoints).values({
      id,
      projectId: input.projectId,
      url,
      events: JSON.stringify(events),
      secret,
      enabled: true,
      cursor: await headRevision(tx),
      createdAt: now,
      updatedAt: now,
    });
    return { result: { endpointId: id, secret }, changes: [] };
  });
}

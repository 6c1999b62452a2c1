/**
 * Webhooks in GraphQL (docs/webhooks.md): endpoints per project, their delivery log, redelivery,
 * secret rotation, and `publicRoutes` for the public router integration. Writes need the write role
 * on the project (or admin); reads the read role. Secrets leave the API only in the payload of the
 * mutation that creates them.
 */
import { resolvePage } from './pages.ts';
import { and, asc, desc, eq } from 'drizzle-orm';
import { applications, containers, processTypes, webhookDeliveries, webhookEndpoints } from '../db/schema/index.ts';
import { getProject } from '../db/lookups.ts';
import { createWebhookEndpoint } from '../services/webhooks/create.ts';
import { getWebhookDelivery, getWebhookEndpoint } from '../services/webhooks/get.ts';
import { redeliverWebhook } from '../services/webhooks/redeliver.ts';
import { deleteWebhookEndpoint, rotateWebhookSecret, updateWebhookEndpoint } from '../services/webhooks/update.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/events.ts';
import { messageId } from '../webhooks/sign.ts';
import { assertProjectAccess, loadVisible } from './access.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { DeletePayload } from './payloads.ts';
import { ApplicationRef, ContainerRef, ProjectRef, type ApplicationRow, type ContainerRow } from './refs.ts';

type EndpointRow = typeof webhookEndpoints.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect & { projectId: string };

const EndpointRef = builder.objectRef<EndpointRow>('WebhookEndpoint');
const DeliveryRef = builder.objectRef<DeliveryRow>('WebhookDelivery');

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: {
    PENDING: { description: 'Not attempted yet.' },
    FAILED: { description: 'The last attempt failed; the next one is at nextAttemptAt.' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    DEAD: { description: 'Dead-lettered after WEBHOOK_MAX_ATTEMPTS attempts; the endpoint moved on. Use redeliver to try again.' },
  },
});

/** Loads an endpoint the caller may access with `role`; hidden ones are NOT_FOUND. */
async function loadEndpoint(ctx: GraphQLContext, id: string, role: 'read' | 'write'): Promise<EndpointRow> {
  return loadVisible(ctx, 'webhook endpoint', id, getWebhookEndpoint, (e) => e.projectId, role);
}

async function loadDelivery(ctx: GraphQLContext, id: string, role: 'read' | 'write'): Promise<DeliveryRow> {
  const row = await getWebhookDelivery(ctx.services.db.read, id).catch(() => null);
  const endpoint = row ? await getWebhookEndpoint(ctx.services.db.read, row.endpointId).catch(() => null) : null;
  if (!row || !endpoint) return { ...(await getWebhookDelivery(ctx.services.db.read, id)), projectId: '' };
  assertProjectAccess(ctx, endpoint.projectId, role, 'webhook delivery', id);
  return { ...row, projectId: endpoint.projectId };
}

EndpointRef.implement({
  description: "Where a project's changes are POSTed, signed to the Standard Webhooks specification.",
  authScopes: (e) => ({ projectRead: e.projectId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    project: t.field({ type: ProjectRef, resolve: (e, _a, ctx) => getProject(ctx.services.db.read, e.projectId) }),
    url: t.exposeString('url'),
    events: t.stringList({
      description: 'Event types delivered; empty means every event type of the project.',
      resolve: (e) => JSON.parse(e.events) as string[],
    }),
    enabled: t.exposeBoolean('enabled'),
    lastDeliveredRevision: t.exposeInt('cursor', { description: 'Every change up to this revision has been delivered, dead-lettered or filtered out.' }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'While set and in the future, the previous secret also signs every delivery.',
      resolve: (e) => (e.previousSecret ? e.previousSecretExpiresAt : null),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (e) => e.updatedAt }),
    deliveries: t.connection({
      type: DeliveryRef,
      description: 'The delivery log, newest first.',
      args: { status: t.arg({ type: DeliveryStatusEnum }) },
      resolve: (e, args, ctx) =>
        resolvePage(args, async ({ limit, offset }) =>
          (
            await ctx.services.db.read
              .select()
              .from(webhookDeliveries)
              .where(
                args.status ? and(eq(webhookDeliveries.endpointId, e.id), eq(webhookDeliveries.status, args.status)) : eq(webhookDeliveries.endpointId, e.id),
              )
              .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.revision), desc(webhookDeliveries.id))
              .limit(limit)
              .offset(offset)
          ).map((d) => ({ ...d, projectId: e.projectId })),
        ),
    }),
  }),
});

DeliveryRef.implement({
  description: 'One change sent (or being sent) to one endpoint.',
  authScopes: (d) => ({ projectRead: d.projectId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    endpoint: t.field({ type: EndpointRef, resolve: (d, _a, ctx) => getWebhookEndpoint(ctx.services.db.read, d.endpointId) }),
    webhookId: t.string({
      description: 'The webhook-id header: <endpoint>:<revision>, the same on every retry and redelivery.',
      resolve: (d) => messageId(d.endpointId, d.revision),
    }),
    revision: t.exposeInt('revision'),
    eventType: t.exposeString('kind'),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.nextAttemptAt }),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.lastAttemptAt }),
    lastResponseCode: t.exposeInt('lastResponseCode', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    redeliveryOf: t.exposeID('redeliveryOf', { nullable: true, description: 'Set on a manual redelivery: the delivery it repeats.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
  }),
});

builder.objectField(ProjectRef, 'webhookEndpoints', (t) =>
  t.field({
    type: [EndpointRef],
    resolve: (p, _a, ctx) =>
      ctx.services.db.read
        .select()
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.projectId, p.id))
        .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id)),
  }),
);

const PublicRoute = builder.objectRef<{ application: ApplicationRow; processType: string; containers: ContainerRow[] }>('PublicRoute').implement({
  description: 'A PUBLIC process type and its RUNNING containers: what the public router should send traffic to.',
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, resolve: (r) => r.application }),
    processType: t.exposeString('processType'),
    containers: t.field({ type: [ContainerRef], resolve: (r) => r.containers }),
  }),
});

builder.queryFields((t) => ({
  webhookEndpoint: t.field({
    type: EndpointRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: (_r, { id }, ctx) => loadEndpoint(ctx, String(id), 'read'),
  }),
  webhookDelivery: t.field({
    type: DeliveryRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: (_r, { id }, ctx) => loadDelivery(ctx, String(id), 'read'),
  }),
  webhookEventTypes: t.stringList({
    description: 'Event types a webhook endpoint may filter on.',
    authScopes: { authenticated: true },
    resolve: () => [...WEBHOOK_EVENT_TYPES],
  }),
  publicRoutes: t.field({
    type: [PublicRoute],
    description:
      "A project's PUBLIC process types with their RUNNING containers (follow process.exposure_changed and container.* webhooks to keep it current).",
    args: { projectId: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { projectId }, ctx) => {
      assertProjectAccess(ctx, String(projectId), 'read', 'project', String(projectId));
      const db = ctx.services.db.read;
      const types = await db
        .select({ application: applications, processType: processTypes.name })
        .from(processTypes)
        .innerJoin(applications, eq(applications.id, processTypes.applicationId))
        .where(and(eq(applications.projectId, String(projectId)), eq(processTypes.exposure, 'PUBLIC')))
        .orderBy(asc(applications.name), asc(processTypes.name));
      const running = await db
        .select()
        .from(containers)
        .where(and(eq(containers.projectId, String(projectId)), eq(containers.state, 'RUNNING')))
        .orderBy(asc(containers.number));
      return types.map((r) => ({ ...r, containers: running.filter((c) => c.applicationId === r.application.id && c.processType === r.processType) }));
    },
  }),
}));

const SecretPayload = builder.objectRef<{ id: string; secret: string }>('WebhookSecretPayload').implement({
  fields: (t) => ({
    endpoint: t.field({ type: EndpointRef, resolve: (p, _a, ctx) => getWebhookEndpoint(ctx.services.db.read, p.id) }),
    secret: t.exposeString('secret', { description: 'The signing secret (whsec_…). Shown only now: store it in the receiver.' }),
  }),
});

const EndpointPayload = builder.objectRef<{ id: string }>('WebhookEndpointPayload').implement({
  fields: (t) => ({ endpoint: t.field({ type: EndpointRef, resolve: (p, _a, ctx) => getWebhookEndpoint(ctx.services.db.read, p.id) }) }),
});

const DeliveryPayload = builder.objectRef<{ id: string }>('WebhookDeliveryPayload').implement({
  fields: (t) => ({ delivery: t.field({ type: DeliveryRef, resolve: (p, _a, ctx) => loadDelivery(ctx, p.id, 'read') }) }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    projectId: t.id({ required: true }),
    url: t.string({ required: true, description: 'http(s) URL; private and loopback targets are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true.' }),
    events: t.stringList({ description: 'Event types to deliver (see webhookEventTypes); empty or omitted means all.' }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  fields: (t) => ({ id: t.id({ required: true }), url: t.string(), events: t.stringList(), enabled: t.boolean() }),
});

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: SecretPayload,
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { input }, ctx) => {
      assertProjectAccess(ctx, String(input.projectId), 'write', 'project', String(input.projectId));
      const { result } = await createWebhookEndpoint(ctx.services, { projectId: String(input.projectId), url: input.url, events: input.events });
      return { id: result.endpointId, secret: result.secret };
    },
  }),
  updateWebhookEndpoint: t.field({
    type: EndpointPayload,
    description: 'Change the URL or the event filter, or disable/enable an endpoint (a disabled one keeps its place in the feed).',
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { input }, ctx) => {
      await loadEndpoint(ctx, String(input.id), 'write');
      await updateWebhookEndpoint(ctx.services, { endpointId: String(input.id), url: input.url, events: input.events, enabled: input.enabled });
      return { id: String(input.id) };
    },
  }),
  rotateWebhookSecret: t.field({
    type: SecretPayload,
    description: 'Issue a new secret (shown once). The old one keeps signing alongside it for overlapSeconds (default WEBHOOK_SECRET_OVERLAP_SECONDS).',
    args: { id: t.arg.id({ required: true }), overlapSeconds: t.arg.int() },
    authScopes: { authenticated: true },
    resolve: async (_r, { id, overlapSeconds }, ctx) => {
      await loadEndpoint(ctx, String(id), 'write');
      const { result } = await rotateWebhookSecret(ctx.services, String(id), overlapSeconds == null ? undefined : overlapSeconds * 1000);
      return { id: result.endpointId, secret: result.secret };
    },
  }),
  deleteWebhookEndpoint: t.field({
    type: DeletePayload,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { id }, ctx) => {
      await loadEndpoint(ctx, String(id), 'write');
      await deleteWebhookEndpoint(ctx.services, String(id));
      return { id: String(id), revision: null };
    },
  }),
  redeliver: t.field({
    type: DeliveryPayload,
    description:
      'Send a webhook delivery again, now. A finished one (SUCCEEDED or DEAD) is repeated as a new delivery with the same webhook-id; an open one is made due at once.',
    args: { deliveryId: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { deliveryId }, ctx) => {
      await loadDelivery(ctx, String(deliveryId), 'write');
      const { result } = await redeliverWebhook(ctx.services, String(deliveryId));
      return { id: result.deliveryId };
    },
  }),
}));

import { eq } from 'drizzle-orm';
import { containerEnvironment, containerHostname } from '../domain/names.ts';
import { createContainer } from '../services/containers/create.ts';
import { removeContainer } from '../services/containers/remove.ts';
import { transitionContainer } from '../services/containers/transition.ts';
import { drainState, type DrainState } from '../services/containers/drain.ts';
import { containers } from '../db/schema/index.ts';
import { containerIpv6 } from '../../protocol/addressing/ipv6.ts';
import { networkIpv6Of } from '../domain/network-ipv6.ts';
import type { GraphQLContext } from './context.ts';
import { getApplication, getContainer, getHost, getNetwork } from '../db/lookups.ts';
import { loadVisible } from './access.ts';
import { builder } from './builder.ts';
import { DeletePayload, entityPayload, lastRevision } from './payloads.ts';
import { ApplicationRef, ContainerRef, ContainerStateEnum, HostRef, NetworkRef } from './refs.ts';

// One primary-key read per container; not cached on the context, which a subscription keeps for its lifetime.
const networkIpv6Model = (n: Awaited<ReturnType<typeof getNetwork>>) => ({ cidr: n.cidr, ipv6: networkIpv6Of(n) });

const EnvVar = builder.objectRef<{ name: string; value: string }>('EnvVar').implement({
  fields: (t) => ({ name: t.exposeString('name'), value: t.exposeString('value') }),
});

ContainerRef.implement({
  authScopes: (c) => ({ projectRead: c.projectId, agentOf: c.hostId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    application: t.field({ type: ApplicationRef, resolve: (c, _a, ctx) => getApplication(ctx.services.db.read, c.applicationId) }),
    network: t.field({ type: NetworkRef, resolve: (c, _a, ctx) => getNetwork(ctx.services.db.read, c.networkId) }),
    host: t.field({ type: HostRef, description: 'Admins and the host itself only.', resolve: (c, _a, ctx) => getHost(ctx.services.db.read, c.hostId) }),
    processType: t.exposeString('processType'),
    number: t.exposeInt('number'),
    state: t.field({ type: ContainerStateEnum, resolve: (c) => c.state }),
    ip: t.exposeString('ip'),
    ipv6: t.string({
      nullable: true,
      description: "Its IPv6 address: the same offset as its IPv4, in the network's /64. Derived, never stored; null while the network's ipv6 is OFF.",
      resolve: async (c, _a, ctx) => containerIpv6(networkIpv6Model(await getNetwork(ctx.services.db.read, c.networkId)), c.ip),
    }),
    mac: t.exposeString('mac'),
    hostname: t.string({
      description: 'Its private DNS name: <n>.<type>.<app-id>.<network-id>.private-network.internal',
      resolve: (c) => containerHostname(c),
    }),
    environment: t.field({
      type: [EnvVar],
      description: 'Variables the container receives (prefix ENV_PREFIX, default SCALINGO_).',
      resolve: (c, _a, ctx) =>
        Object.entries(containerEnvironment(ctx.services.config.envPrefix, { ...c, hostname: containerHostname(c) })).map(([name, value]) => ({ name, value })),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
  }),
});

builder.queryFields((t) => ({
  container: t.field({
    type: ContainerRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { id }, ctx) => {
      const ownHost = (c: { hostId: string }) => ctx.actor.kind === 'agent' && ctx.actor.hostId === c.hostId;
      return loadVisible(ctx, 'container', String(id), getContainer, (c) => c.projectId, 'read', ownHost);
    },
  }),
}));

const ContainerPayload = entityPayload('ContainerPayload', 'container', ContainerRef, (ctx, id) => getContainer(ctx.services.db.read, id));

const CreateContainerInput = builder.inputType('CreateContainerInput', {
  fields: (t) => ({ applicationId: t.id({ required: true }), processType: t.string({ required: true }), hostId: t.id({ required: true }) }),
});

/** The host of a container, for agentOf scopes; an unknown id yields no scope (NOT_FOUND follows). */
async function hostOfContainer(ctx: GraphQLContext, id: string): Promise<string> {
  const [row] = await ctx.services.db.read.select({ hostId: containers.hostId }).from(containers).where(eq(containers.id, id));
  return row?.hostId ?? '';
}

const ContainerDrainRef = builder.objectRef<DrainState>('ContainerDrain').implement({
  description: 'Where a drain stands (docs/architecture.md §8.9).',
  fields: (t) => ({
    containerId: t.exposeID('containerId'),
    revision: t.exposeInt('revision', { nullable: true, description: 'The container.draining change; null if it never drained.' }),
    ttlExpiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.ttlExpiresAt }),
    safeToStopAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Set once the DNS TTL after the drain has passed and every member host applied it: stop the process then.',
      resolve: (d) => d.safeToStopAt,
    }),
    pendingHosts: t.exposeIDList('pendingHosts', { description: 'Member hosts (UP, with an agent) that have not applied the drain yet.' }),
  }),
});

const DrainContainerPayload = builder.objectRef<{ id: string; revision: number | null; drain: DrainState }>('DrainContainerPayload').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    revision: t.exposeInt('revision', { nullable: true }),
    drain: t.field({ type: ContainerDrainRef, resolve: (p) => p.drain }),
  }),
});

builder.queryFields((t) => ({
  drainStatus: t.field({
    type: ContainerDrainRef,
    description: 'Where the drain of a container stands (the scheduler, or the agent of its host: `weft-agent drain --wait`).',
    args: { containerId: t.arg.id({ required: true }) },
    authScopes: async (_r, args, ctx) => ({ admin: true, agentOf: await hostOfContainer(ctx, String(args.containerId)) }),
    resolve: (_r, { containerId }, ctx) => drainState(ctx.services.db.read, String(containerId), ctx.services.now()),
  }),
}));

builder.mutationFields((t) => ({
  createContainer: t.field({
    type: ContainerPayload,
    description: 'Allocate a container (number, IP, MAC) on a host, in state PENDING. For the scheduler (admin).',
    args: { input: t.arg({ type: CreateContainerInput, required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { input }, ctx) => {
      const { result, changes } = await createContainer(ctx.services, {
        applicationId: String(input.applicationId),
        processType: input.processType,
        hostId: String(input.hostId),
      });
      return { id: result.containerId, revision: lastRevision(changes) };
    },
  }),
  markContainerRunning: t.field({
    type: ContainerPayload,
    description: 'The container is up: it enters DNS.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { id }, ctx) => ({ id: String(id), revision: lastRevision((await transitionContainer(ctx.services, String(id), 'RUNNING')).changes) }),
  }),
  drainContainer: t.field({
    type: DrainContainerPayload,
    description:
      'The container leaves DNS at once but keeps connectivity until it is removed. `drain.safeToStopAt` says when stopping it loses nothing (docs/architecture.md §8.9); `container.drained` fires then. Idempotent. The scheduler (admin) or the agent of its host may drain it.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_r, args, ctx) => ({ admin: true, agentOf: await hostOfContainer(ctx, String(args.id)) }),
    resolve: async (_r, { id }, ctx) => {
      const { changes } = await transitionContainer(ctx.services, String(id), 'DRAINING');
      return { id: String(id), revision: lastRevision(changes), drain: await drainState(ctx.services.db.read, String(id), ctx.services.now()) };
    },
  }),
  removeContainer: t.field({
    type: DeletePayload,
    description: 'Tear the container down everywhere; its address cools down before reuse.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { id }, ctx) => ({ id: String(id), revision: lastRevision((await removeContainer(ctx.services, String(id))).changes) }),
  }),
}));

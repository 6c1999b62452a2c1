import { resolvePage } from './pages.ts';
import { asc, eq } from 'drizzle-orm';
import { signToken } from '../auth/jwt.ts';
import { containers, hosts } from '../db/schema/index.ts';
import { registerHost, requestHostKeyRotation, updateHost } from '../services/hosts/register.ts';
import { bumpHostTokenVersion } from '../services/hosts/token.ts';
import { getGeneration, getHost } from '../db/lookups.ts';
import type { LivenessStep } from '../domain/liveness.ts';
import { readLiveness } from '../services/hosts/liveness.ts';
import { type AgentSafety, storedSafety } from '../services/hosts/report.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { lastRevision } from './payloads.ts';
import { ContainerRef, HostRef } from './refs.ts';

const HostLivenessEnum = builder.enumType('HostLiveness', { values: ['UP', 'DOWN'] as const });

type Brake = NonNullable<AgentSafety['brake']>;
type Fence = NonNullable<AgentSafety['fence']>;

const HostBrakeRef = builder.objectRef<Brake>('HostBrake').implement({
  description: 'Removals the agent holds back because the API stopped listing them (docs/architecture.md §8.2).',
  fields: (t) => ({
    since: t.exposeString('since', { description: 'ISO 8601.' }),
    objectsHeld: t.exposeInt('objectsHeld'),
    hostObjects: t.exposeInt('hostObjects', { description: 'What the host held when the brake engaged.' }),
    nearEmpty: t.exposeBoolean('nearEmpty', { description: 'Never released by time: run `weft-agent confirm` on the host.' }),
    reason: t.exposeString('reason'),
  }),
});

const HostFenceRef = builder.objectRef<Fence>('HostFence').implement({
  description: 'The agent changes nothing until an operator runs `weft-agent accept-generation` or its database returns (docs/architecture.md §8.3).',
  fields: (t) => ({
    reason: t.exposeString('reason', { description: 'GENERATION_CHANGED or REVISION_BACKWARDS.' }),
    trustedGeneration: t.exposeString('trustedGeneration'),
    trustedRevision: t.exposeInt('trustedRevision'),
    seenGeneration: t.exposeString('seenGeneration'),
    seenRevision: t.exposeInt('seenRevision'),
    since: t.exposeString('since'),
  }),
});

const FleetLivenessRef = builder
  .objectRef<LivenessStep & { downAfterSeconds: number; maxDownFraction: number; generation: string }>('FleetLiveness')
  .implement({
    description: 'What the liveness state machine sees now (docs/architecture.md §8.4).',
    fields: (t) => ({
      partitioned: t.exposeBoolean('partitioned', {
        description: 'More than HOST_DOWN_MAX_FRACTION of the hosts fell silent at once: the API assumes it is cut off and marks nobody DOWN.',
      }),
      silentHosts: t.exposeIDList('silent', { description: 'Hosts silent for HOST_DOWN_AFTER_SECONDS (UP or DOWN).' }),
      heldBackHosts: t.exposeIDList('wouldGoDown', {
        description: 'Silent hosts still UP: held back by the partition guard when partitioned, or within their grace after it (docs/architecture.md §8.4).',
      }),
      downAfterSeconds: t.exposeInt('downAfterSeconds'),
      maxDownFraction: t.exposeFloat('maxDownFraction'),
      generation: t.exposeString('generation', { description: "The database's generation (docs/architecture.md §8.3)." }),
    }),
  });

HostRef.implement({
  description: 'A machine running containers and a weft-agent.',
  authScopes: (host) => ({ admin: true, agentOf: host.id }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    endpoint: t.exposeString('endpoint', { description: 'Underlay ip:port of its WireGuard interface.' }),
    publicKey: t.exposeString('publicKey'),
    keyRotationRequestedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When rotateHostKey asked for a new key that the host has not published yet.',
      resolve: (h) => h.keyRotationRequestedAt,
    }),
    meshIp: t.exposeString('meshIp'),
    lastHeartbeatAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.lastHeartbeatAt }),
    appliedRevision: t.exposeInt('appliedRevision', { nullable: true }),
    liveness: t.field({
      type: HostLivenessEnum,
      description: 'DOWN: silent for HOST_DOWN_AFTER_SECONDS; its containers are out of DNS, its data plane stays (docs/architecture.md §8.4).',
      resolve: (h) => h.liveness,
    }),
    livenessChangedAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.livenessChangedAt }),
    brake: t.field({
      type: HostBrakeRef,
      nullable: true,
      description: "The agent's safety brake, as it last reported it (null: not engaged).",
      resolve: (h) => storedSafety(h.agentSafety)?.brake ?? null,
    }),
    fence: t.field({
      type: HostFenceRef,
      nullable: true,
      description: 'Set while the agent does not trust this database (FENCED), with both generations.',
      resolve: (h) => storedSafety(h.agentSafety)?.fence ?? null,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (h) => h.createdAt }),
    containers: t.connection({
      type: ContainerRef,
      resolve: (h, args, ctx) =>
        resolvePage(args, ({ limit, offset }) =>
          ctx.services.db.read
            .select()
            .from(containers)
            .where(eq(containers.hostId, h.id))
            .orderBy(asc(containers.networkId), asc(containers.ipOffset))
            .limit(limit)
            .offset(offset),
        ),
    }),
  }),
});

builder.queryFields((t) => ({
  hosts: t.connection({
    type: HostRef,
    authScopes: { admin: true },
    resolve: (_r, args, ctx) =>
      resolvePage(args, ({ limit, offset }) => ctx.services.db.read.select().from(hosts).orderBy(asc(hosts.name)).limit(limit).offset(offset)),
  }),
  fleetLiveness: t.field({
    type: FleetLivenessRef,
    authScopes: { admin: true },
    resolve: async (_r, _a, ctx) => ({
      ...(await readLiveness(ctx.services.db.read, ctx.services)),
      downAfterSeconds: ctx.services.config.fleet.downAfterMs / 1000,
      maxDownFraction: ctx.services.config.fleet.maxDownFraction,
      generation: await getGeneration(ctx.services.db.read),
    }),
  }),
  host: t.field({
    type: HostRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_r, args) => ({ admin: true, agentOf: String(args.id) }),
    resolve: (_r, { id }, ctx) => getHost(ctx.services.db.read, String(id)),
  }),
}));

/** Mints the agent token of a host at its current token version. */
async function agentToken(ctx: GraphQLContext, hostId: string, version: number): Promise<string> {
  const { auth } = ctx.services.config;
  return signToken(ctx.keys, auth, { kind: 'agent', sub: `agent:${hostId}`, host: hostId, ver: version }, auth.agentTokenTtlSeconds);
}

const HostTokenPayload = builder.objectRef<{ id: string; revision: number | null; agentToken: string | null }>('HostTokenPayload').implement({
  fields: (t) => ({
    host: t.field({ type: HostRef, resolve: (p, _a, ctx) => getHost(ctx.services.db.read, p.id) }),
    agentToken: t.exposeString('agentToken', { nullable: true, description: "The host's agent token: shown once, give it to the weft-agent." }),
    revision: t.exposeInt('revision', { nullable: true }),
  }),
});

const RegisterHostInput = builder.inputType('RegisterHostInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    endpoint: t.string({ required: true, description: 'Underlay ip:port for WireGuard, e.g. 192.0.2.10:51820.' }),
    publicKey: t.string({ required: true, description: 'WireGuard public key, generated on the host (base64, 32 bytes).' }),
  }),
});

const UpdateHostInput = builder.inputType('UpdateHostInput', {
  fields: (t) => ({ hostId: t.id({ required: true }), endpoint: t.string(), publicKey: t.string() }),
});

builder.mutationFields((t) => ({
  registerHost: t.field({
    type: HostTokenPayload,
    args: { input: t.arg({ type: RegisterHostInput, required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { input }, ctx) => {
      const { result, changes } = await registerHost(ctx.services, input);
      return { id: result.hostId, revision: lastRevision(changes), agentToken: await agentToken(ctx, result.hostId, 1) };
    },
  }),
  updateHost: t.field({
    type: HostTokenPayload,
    args: { input: t.arg({ type: UpdateHostInput, required: true }) },
    authScopes: (_r, args) => ({ admin: true, agentOf: String(args.input.hostId) }),
    resolve: async (_r, { input }, ctx) => {
      const { result, changes } = await updateHost(ctx.services, { ...input, hostId: String(input.hostId) });
      return { id: result.hostId, revision: lastRevision(changes), agentToken: null };
    },
  }),
  rotateHostKey: t.field({
    type: HostTokenPayload,
    description:
      "Ask the host's agent for a new WireGuard key: it rotates live on its next pass (no packet lost) and publishes the new public key. Pending until then (`keyRotationRequestedAt`); asking again meanwhile changes nothing.",
    args: { hostId: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { hostId }, ctx) => {
      const { result, changes } = await requestHostKeyRotation(ctx.services, String(hostId));
      return { id: result.hostId, revision: lastRevision(changes), agentToken: null };
    },
  }),
  rotateHostToken: t.field({
    type: HostTokenPayload,
    description: 'Issue a new agent token for a host; the old one stops working at once.',
    args: { hostId: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { hostId }, ctx) => {
      const { result, changes } = await bumpHostTokenVersion(ctx.services, String(hostId), 'rotated');
      return { id: result.hostId, revision: lastRevision(changes), agentToken: await agentToken(ctx, result.hostId, result.tokenVersion) };
    },
  }),
  revokeHostToken: t.field({
    type: HostTokenPayload,
    description: "Invalidate a host's agent token without issuing a new one.",
    args: { hostId: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, { hostId }, ctx) => {
      const { result, changes } = await bumpHostTokenVersion(ctx.services, String(hostId), 'revoked');
      return { id: result.hostId, revision: lastRevision(changes), agentToken: null };
    },
  }),
}));

/**
 * The change feed in GraphQL (docs/architecture.md §6): host snapshot (`hostConfig`), host and project deltas as
 * a paginated query and as a subscription sharing one reader, agent reports and convergence.
 * Payloads are JSON whose shapes are fixed by protocol/model.ts (HostConfig) and the change catalogue,
 * protocol/changes.ts (each kind's payload; HostDelta).
 */
import type { ChangeKind, Handling } from '../../protocol/changes.ts';
import { compactPayload } from '../../protocol/compact.ts';
import { compactFeed } from '../feed/compact.ts';
import { networkConvergence } from '../feed/convergence.ts';
import type { FeedRow } from '../feed/read.ts';
import { readFeedPage, type FeedScope } from '../feed/read.ts';
import { buildHostConfig, headRevision } from '../feed/snapshot.ts';
import { type FeedEvent, streamFeed } from '../feed/stream.ts';
import { reportHostStatus } from '../services/hosts/report.ts';
import { PolicyCountersInput } from './policy.ts';
import { getGeneration, getHost, getProject } from '../db/lookups.ts';
import { assertProjectAccess } from './access.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { NetworkRef } from './refs.ts';

builder.scalarType('JSON', {
  description: 'Arbitrary JSON (shapes documented in protocol/model.ts and protocol/changes.ts).',
  serialize: (v) => v,
  parseValue: (v) => v,
});

/**
 * Where a container runs is for operators and agents only (`Container.host` is admin-only), yet
 * project rows carry it: container payloads hold `hostId` and `hostMeshIp`, `container.removed`
 * its `hostId`, and `network.joined`/`left` rows are addressed to a host. Users reading a project's
 * feed get those keys removed and the row's `hostId` as null; admins and agents see them.
 */
export const seesHosts = (ctx: GraphQLContext) => ctx.actor.kind === 'admin' || ctx.actor.kind === 'agent';
const HOST_KEYS = new Set(['hostId', 'hostMeshIp']);

function withoutHostKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHostKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (HOST_KEYS.has(k) ? [] : [[k, withoutHostKeys(v)]])));
}

/**
 * Which change kinds `projectChanges` shows: the kinds whose rows carry a projectId (the feed selects
 * a project's rows by it). A kind added to the catalogue fails the typecheck until it has an entry.
 */
export const PROJECT_FEED_HANDLING = {
  'project.created': 'handled',
  'project.deleted': 'handled',
  'application.created': 'handled',
  'application.updated': 'handled',
  'application.deleted': 'handled',
  'process.exposure_changed': 'handled',
  'process.ports_changed': 'handled',
  'network.updated': 'handled',
  'container.created': 'handled',
  'container.running': 'handled',
  'container.draining': 'handled',
  'container.removed': 'handled',
  'container.drained': 'handled',
  'network.policy_set': 'handled',
  'network.joined': 'handled', // host placement: the row's hostId is hidden from users
  'network.left': 'handled',
  'peer.upserted': 'not-applicable', // host-addressed: no project
  'peer.removed': 'not-applicable',
  'host.registered': 'not-applicable',
  'host.updated': 'not-applicable',
  'host.token_rotated': 'not-applicable',
  'host.token_revoked': 'not-applicable',
  'host.down': 'handled', // the host id only: which of the project's containers are affected, not where they run
  'host.up': 'handled',
  'host.brake_engaged': 'handled',
} as const satisfies Record<ChangeKind, Handling>;

const FeedChange = builder.objectRef<FeedRow>('FeedChange').implement({
  description: 'One committed change. For host agents, `{revision, kind, networkId, ...payload}` is a HostDelta.',
  fields: (t) => ({
    revision: t.exposeInt('revision'),
    kind: t.exposeString('kind', { description: 'noun.verb, e.g. container.running' }),
    projectId: t.exposeID('projectId', { nullable: true }),
    networkId: t.exposeID('networkId', { nullable: true }),
    hostId: t.id({ nullable: true, resolve: (r, _a, ctx) => (seesHosts(ctx) ? r.hostId : null) }),
    committedAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    payload: t.field({
      type: 'JSON',
      // Agents get the compact form: what they derive is left out (protocol/compact.ts).
      resolve: (r, _a, ctx) => (ctx.actor.kind === 'agent' ? compactPayload(r.payload) : seesHosts(ctx) ? r.payload : withoutHostKeys(r.payload)),
    }),
  }),
});

const FeedPage = builder.objectRef<{ resync: boolean; head: number; cursor: number | null; hasMore: boolean; rows: FeedRow[] }>('FeedPage').implement({
  description: 'A page of changes. When `resync` is true, `since` is older than the retained window: list again.',
  fields: (t) => ({
    resync: t.exposeBoolean('resync'),
    head: t.exposeInt('head', { description: 'The newest committed revision when the page was read.' }),
    cursor: t.exposeInt('cursor', { nullable: true, description: 'Pass as `since` for the next page; every change up to it has been considered.' }),
    hasMore: t.exposeBoolean('hasMore'),
    changes: t.field({ type: [FeedChange], resolve: (p) => p.rows }),
  }),
});

const FeedEventType = builder.enumType('FeedEventType', {
  values: {
    CHANGE: { description: 'A change that concerns this reader.' },
    RESYNC: { description: 'since is too old: list again, then watch from the snapshot revision.' },
    CURSOR: { description: 'Caught up to revision; nothing before it concerned this reader.' },
  },
});

/** The generation, read once per database handle (it never changes while the API runs on it). */
const generations = new WeakMap<object, Promise<string>>();
function generationOf(ctx: GraphQLContext): Promise<string> {
  const db = ctx.services.db;
  let g = generations.get(db);
  if (!g) {
    g = getGeneration(db.read);
    g.catch(() => generations.delete(db));
    generations.set(db, g);
  }
  return g;
}

const FeedEventRef = builder.objectRef<FeedEvent>('FeedEvent').implement({
  fields: (t) => ({
    type: t.field({ type: FeedEventType, resolve: (e) => e.type }),
    revision: t.exposeInt('revision'),
    generation: t.string({
      description: 'The database generation `revision` belongs to (docs/architecture.md §8.3): a reader that sees it change lists again.',
      resolve: (_e, _a, ctx) => generationOf(ctx),
    }),
    change: t.field({ type: FeedChange, nullable: true, resolve: (e) => (e.type === 'CHANGE' ? e.row : null) }),
  }),
});

const HostSnapshot = builder.objectRef<{ revision: number; config: unknown }>('HostSnapshot').implement({
  fields: (t) => ({
    revision: t.exposeInt('revision', { description: 'Watch from here: hostChanges(since: revision).' }),
    config: t.field({
      type: 'JSON',
      description: 'HostConfig (protocol/model.ts): host, peers, networks with every member container.',
      resolve: (s) => s.config,
    }),
  }),
});

/** Wraps a stream so that a client going away aborts its wait at once. */
function cancellable<T>(make: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterable<T> {
  const controller = new AbortController();
  const inner = make(controller.signal);
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => inner.next(),
      return: (value?: unknown) => {
        controller.abort();
        return inner.return(value as never);
      },
    }),
  };
}

async function page(ctx: GraphQLContext, scope: FeedScope, since: number, first: number | null | undefined) {
  const limit = Math.max(1, Math.min(first ?? 500, 5000));
  const p = await readFeedPage(ctx.services.db, scope, since, limit);
  return p.resync ? { resync: true, head: p.head, cursor: null, hasMore: false, rows: [] } : { ...p, resync: false };
}

builder.queryFields((t) => ({
  hostConfig: t.field({
    type: HostSnapshot,
    description: "A host's full desired state, stamped with the revision it reflects (list, then watch).",
    args: { hostId: t.arg.id({ required: true }) },
    authScopes: (_r, args) => ({ admin: true, agentOf: String(args.hostId) }),
    resolve: async (_r, { hostId }, ctx) => {
      const config = await ctx.services.db.snapshot((tx) => buildHostConfig(tx, String(hostId), ctx.services.config.meshCidr));
      return { revision: config.revision, config };
    },
  }),
  hostChanges: t.field({
    type: FeedPage,
    description: 'Changes after `since` that concern a host, oldest first: the polling form of the subscription.',
    args: { hostId: t.arg.id({ required: true }), since: t.arg.int({ required: true }), first: t.arg.int({ defaultValue: 500 }) },
    authScopes: (_r, args) => ({ admin: true, agentOf: String(args.hostId) }),
    resolve: async (_r, args, ctx) => {
      await getHost(ctx.services.db.read, String(args.hostId));
      return page(ctx, { hostId: String(args.hostId) }, args.since, args.first);
    },
  }),
  projectChanges: t.field({
    type: FeedPage,
    description: 'Changes after `since` of one project, oldest first (frontends).',
    args: { projectId: t.arg.id({ required: true }), since: t.arg.int({ required: true }), first: t.arg.int({ defaultValue: 500 }) },
    authScopes: { authenticated: true },
    resolve: async (_r, args, ctx) => {
      assertProjectAccess(ctx, String(args.projectId), 'read', 'project', String(args.projectId));
      await getProject(ctx.services.db.read, String(args.projectId));
      return page(ctx, { projectId: String(args.projectId) }, args.since, args.first);
    },
  }),
}));

builder.subscriptionFields((t) => ({
  hostChanges: t.field({
    type: FeedEventRef,
    description: 'Every change after `since` that concerns a host, in order, then live. Ends after RESYNC.',
    args: {
      hostId: t.arg.id({ required: true }),
      since: t.arg.int({ required: true }),
      generation: t.arg.string({
        description:
          'The database generation `since` belongs to (docs/architecture.md §8.3). When the API runs on another, the stream answers RESYNC at once, so its events need not carry the generation.',
      }),
    },
    authScopes: (_r, args) => ({ admin: true, agentOf: String(args.hostId) }),
    subscribe: async (_r, args, ctx) => {
      await getHost(ctx.services.db.read, String(args.hostId));
      if (args.generation != null && args.generation !== (await generationOf(ctx))) {
        const revision = await headRevision(ctx.services.db.read);
        return (async function* () {
          yield { type: 'RESYNC', revision } satisfies FeedEvent;
        })();
      }
      return cancellable((signal) => streamFeed(ctx.services.db, ctx.hub, { hostId: String(args.hostId) }, args.since, signal));
    },
    resolve: (event) => event,
  }),
  projectChanges: t.field({
    type: FeedEventRef,
    description: 'Every change of a project after `since`, in order, then live. Ends after RESYNC.',
    args: { projectId: t.arg.id({ required: true }), since: t.arg.int({ required: true }) },
    authScopes: { authenticated: true },
    subscribe: async (_r, args, ctx) => {
      assertProjectAccess(ctx, String(args.projectId), 'read', 'project', String(args.projectId));
      await getProject(ctx.services.db.read, String(args.projectId));
      return cancellable((signal) => streamFeed(ctx.services.db, ctx.hub, { projectId: String(args.projectId) }, args.since, signal));
    },
    resolve: (event) => event,
  }),
}));

const NetworkStatusInput = builder.inputType('NetworkStatusInput', {
  fields: (t) => ({ networkId: t.id({ required: true }), healthy: t.boolean({ required: true }), message: t.string() }),
});

const AgentBrakeInput = builder.inputType('AgentBrakeInput', {
  description: "The agent's safety brake, engaged (docs/architecture.md §8.2).",
  fields: (t) => ({
    since: t.string({ required: true, description: 'ISO 8601.' }),
    objectsHeld: t.int({ required: true }),
    hostObjects: t.int({ required: true }),
    nearEmpty: t.boolean({ required: true }),
    reason: t.string({ required: true }),
  }),
});

const AgentFenceInput = builder.inputType('AgentFenceInput', {
  description: 'The agent does not trust this database (docs/architecture.md §8.3).',
  fields: (t) => ({
    reason: t.string({ required: true, description: 'GENERATION_CHANGED or REVISION_BACKWARDS.' }),
    trustedGeneration: t.string({ required: true }),
    trustedRevision: t.int({ required: true }),
    seenGeneration: t.string({ required: true }),
    seenRevision: t.int({ required: true }),
    since: t.string({ required: true, description: 'ISO 8601.' }),
  }),
});

const AgentSafetyInput = builder.inputType('AgentSafetyInput', {
  fields: (t) => ({ brake: t.field({ type: AgentBrakeInput }), fence: t.field({ type: AgentFenceInput }) }),
});

const ReportedPassInput = builder.inputType('ReportedPassInput', {
  description: 'A reconcile pass: the revision it applied, ended agoMs before the report was sent (protocol/agent-report.ts).',
  fields: (t) => ({ revision: t.int({ required: true }), agoMs: t.int({ required: true }) }),
});

const ReportHostStatusInput = builder.inputType('ReportHostStatusInput', {
  fields: (t) => ({
    hostId: t.id({ required: true }),
    appliedRevision: t.int({ description: 'Absent while the agent is fenced: its revision belongs to another database.' }),
    safety: t.field({ type: AgentSafetyInput, description: 'The brake and fence state; absent or empty when all is clear.' }),
    applyMs: t.int({ description: 'How long the last reconcile pass took.' }),
    passes: t.field({
      type: [ReportedPassInput],
      description: 'The passes since the last report, oldest first: commit-to-applied samples are dated by them.',
    }),
    networks: t.field({ type: [NetworkStatusInput] }),
    policyCounters: t.field({ type: [PolicyCountersInput], description: 'Policy table counters per network (docs/policies.md#counters).' }),
  }),
});

const HostConvergenceRef = builder.objectRef<import('../feed/convergence.ts').HostConvergence>('HostConvergence').implement({
  fields: (t) => ({
    hostId: t.exposeID('hostId'),
    hostName: t.exposeString('hostName'),
    appliedRevision: t.exposeInt('appliedRevision'),
    pendingChanges: t.exposeInt('pendingChanges', { description: 'Changes concerning this host not yet applied (-1: behind the retained window).' }),
    healthy: t.exposeBoolean('healthy', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    lastReportAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.lastReportAt }),
  }),
});

const ConvergenceRef = builder.objectRef<import('../feed/convergence.ts').NetworkConvergence>('NetworkConvergence').implement({
  fields: (t) => ({
    headRevision: t.exposeInt('headRevision'),
    converged: t.exposeBoolean('converged'),
    hosts: t.field({ type: [HostConvergenceRef], resolve: (c) => c.hosts }),
    samples: t.exposeInt('samples', { description: 'Commit-to-applied samples in the last hour.' }),
    p50Ms: t.exposeInt('p50Ms', { nullable: true }),
    p99Ms: t.exposeInt('p99Ms', { nullable: true }),
  }),
});

builder.objectField(NetworkRef, 'convergence', (t) =>
  t.field({
    type: ConvergenceRef,
    description: 'Which member hosts are behind, by how much, and commit-to-applied times.',
    resolve: (n, _a, ctx) => networkConvergence(ctx.services.db, n.id, ctx.services.now()),
  }),
);

builder.mutationFields((t) => ({
  reportHostStatus: t.field({
    type: builder.objectRef<{ hostId: string; samples: number; reportIntervalMs: number }>('ReportHostStatusPayload').implement({
      fields: (f) => ({
        hostId: f.exposeID('hostId'),
        samples: f.exposeInt('samples'),
        reportIntervalMs: f.exposeInt('reportIntervalMs', {
          description: 'At most one routine pass report per this many ms (0: one per pass); a pass the API waits for goes at once.',
        }),
      }),
    }),
    description: 'An agent reports the revision it has applied and per-network health.',
    args: { input: t.arg({ type: ReportHostStatusInput, required: true }) },
    authScopes: (_r, args) => ({ agentOf: String(args.input.hostId) }),
    resolve: async (_r, { input }, ctx) =>
      (
        await reportHostStatus(ctx.services, {
          ...input,
          hostId: String(input.hostId),
          networks: input.networks?.map((n) => ({ ...n, networkId: String(n.networkId) })),
          policyCounters: input.policyCounters?.map((p) => ({ ...p, networkId: String(p.networkId) })),
        })
      ).result,
  }),
  compactFeed: t.field({
    type: builder.objectRef<{ compactedThrough: number; deleted: number }>('CompactFeedPayload').implement({
      fields: (f) => ({ compactedThrough: f.exposeInt('compactedThrough'), deleted: f.exposeInt('deleted') }),
    }),
    description: 'Apply retention now: delete changes up to a revision or older than FEED_RETENTION_SECONDS.',
    args: { throughRevision: t.arg.int() },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) =>
      compactFeed(
        ctx.services.db,
        args.throughRevision != null ? { throughRevision: args.throughRevision } : { before: ctx.services.now() - ctx.services.config.feedRetentionMs },
      ),
  }),
}));

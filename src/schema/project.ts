import { resolvePage } from './pages.ts';
import { asc, eq, inArray } from 'drizzle-orm';
import { applications, projects } from '../db/schema/index.ts';
import { createProject } from '../services/projects/create.ts';
import { deleteProject } from '../services/projects/delete.ts';
import { getNetworkOfProject, getProject } from '../db/lookups.ts';
import { assertProjectAccess } from './access.ts';
import { IPV6_DESCRIPTION, MULTICAST_DESCRIPTION, NetworkSwitchEnum } from './network-switch.ts';
import { builder } from './builder.ts';
import { DeletePayload, entityPayload, lastRevision } from './payloads.ts';
import { ApplicationRef, NetworkRef, ProjectRef } from './refs.ts';

ProjectRef.implement({
  description: 'A tenant boundary with exactly one private network.',
  authScopes: (project) => ({ projectRead: project.id }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    network: t.field({ type: NetworkRef, resolve: (p, _a, ctx) => getNetworkOfProject(ctx.services.db.read, p.id) }),
    applications: t.connection({
      type: ApplicationRef,
      resolve: (p, args, ctx) =>
        resolvePage(args, ({ limit, offset }) =>
          ctx.services.db.read.select().from(applications).where(eq(applications.projectId, p.id)).orderBy(asc(applications.name)).limit(limit).offset(offset),
        ),
    }),
  }),
});

builder.queryFields((t) => ({
  projects: t.connection({
    type: ProjectRef,
    description: 'Projects visible to the caller: all for an admin, the listed ones for a user.',
    authScopes: { authenticated: true },
    resolve: (_root, args, ctx) => {
      // One page from the database: every project for an admin, the token's projects for a user.
      const { actor } = ctx;
      const scope = actor.kind === 'admin' ? undefined : inArray(projects.id, actor.kind === 'user' ? Object.keys(actor.projects) : []);
      return resolvePage(args, ({ limit, offset }) =>
        ctx.services.db.read.select().from(projects).where(scope).orderBy(asc(projects.createdAt), asc(projects.id)).limit(limit).offset(offset),
      );
    },
  }),
  project: t.field({
    type: ProjectRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_root, { id }, ctx) => {
      assertProjectAccess(ctx, String(id), 'read', 'project', String(id));
      return getProject(ctx.services.db.read, String(id));
    },
  }),
}));

const CreateProjectInput = builder.inputType('CreateProjectInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    cidr: t.string({ description: 'RFC 1918 IPv4 block, /16 to /28. Default 10.240.0.0/22 (DEFAULT_NETWORK_CIDR).' }),
    dnsTtl: t.int({ description: 'TTL of private DNS answers in seconds. Default 5.' }),
    multicast: t.field({ type: NetworkSwitchEnum, description: MULTICAST_DESCRIPTION }),
    ipv6: t.field({ type: NetworkSwitchEnum, description: IPV6_DESCRIPTION }),
    ipv6Cidr: t.string({
      description:
        'Unique-local (fc00::/7) /64 of the network, unused by any other network and outside fd77:6674::/32. Default: derived from the VNI, fd77:6674:<vni>::/64.',
    }),
  }),
});

const ProjectPayload = entityPayload('ProjectPayload', 'project', ProjectRef, (ctx, id) => getProject(ctx.services.db.read, id));

builder.mutationFields((t) => ({
  createProject: t.field({
    type: ProjectPayload,
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    authScopes: { admin: true },
    resolve: async (_root, { input }, ctx) => {
      const { result, changes } = await createProject(ctx.services, input);
      return { id: result.projectId, revision: lastRevision(changes) };
    },
  }),
  deleteProject: t.field({
    type: DeletePayload,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_root, { id }, ctx) => {
      assertProjectAccess(ctx, String(id), 'write', 'project', String(id));
      const { changes } = await deleteProject(ctx.services, String(id));
      return { id: String(id), revision: lastRevision(changes) };
    },
  }),
}));

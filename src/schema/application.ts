import { resolvePage } from './pages.ts';
import { asc, eq } from 'drizzle-orm';
import { containers, processTypes } from '../db/schema/index.ts';
import { applicationNames } from '../domain/names.ts';
import { createApplication } from '../services/applications/create.ts';
import { deleteApplication } from '../services/applications/delete.ts';
import { setDefaultProcessType, setProcessExposure } from '../services/applications/update.ts';
import { getApplication, getNetwork, getProject } from '../db/lookups.ts';
import { assertProjectAccess, loadVisible } from './access.ts';
import { builder } from './builder.ts';
import { ProcessPortInput } from './dns.ts';
import type { GraphQLContext } from './context.ts';
import { DeletePayload, entityPayload, lastRevision } from './payloads.ts';
import { type ApplicationRow, ApplicationRef, ContainerRef, ExposureEnum, NetworkRef, ProcessTypeRef, ProjectRef } from './refs.ts';

/** Loads an application the caller may access with `role`; hidden ones are NOT_FOUND. */
export async function loadApplication(ctx: GraphQLContext, id: string, role: 'read' | 'write'): Promise<ApplicationRow> {
  return loadVisible(ctx, 'application', id, getApplication, (a) => a.projectId, role);
}

async function namesOf(ctx: GraphQLContext, app: ApplicationRow): Promise<string[]> {
  const db = ctx.services.db.read;
  const types = await db.select({ name: processTypes.name }).from(processTypes).where(eq(processTypes.applicationId, app.id));
  const ctrs = await db.select({ number: containers.number, processType: containers.processType }).from(containers).where(eq(containers.applicationId, app.id));
  return applicationNames(app, [...types.map((t) => t.name), ...ctrs.map((c) => c.processType)], ctrs);
}

ApplicationRef.implement({
  authScopes: (app) => ({ projectRead: app.projectId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    project: t.field({ type: ProjectRef, resolve: (a, _x, ctx) => getProject(ctx.services.db.read, a.projectId) }),
    network: t.field({ type: NetworkRef, resolve: (a, _x, ctx) => getNetwork(ctx.services.db.read, a.networkId) }),
    defaultProcessType: t.exposeString('defaultProcessType', { description: 'The process type the app-level name resolves to.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    processTypes: t.field({
      type: [ProcessTypeRef],
      resolve: async (a, _x, ctx) =>
        (await ctx.services.db.read.select().from(processTypes).where(eq(processTypes.applicationId, a.id)).orderBy(asc(processTypes.name))).map((p) => ({
          ...p,
          projectId: a.projectId,
        })),
    }),
    privateDomainNames: t.field({ type: ['String'], description: 'Every private DNS name of this application.', resolve: (a, _x, ctx) => namesOf(ctx, a) }),
    containers: t.connection({
      type: ContainerRef,
      resolve: (a, args, ctx) =>
        resolvePage(args, ({ limit, offset }) =>
          ctx.services.db.read
            .select()
            .from(containers)
            .where(eq(containers.applicationId, a.id))
            .orderBy(asc(containers.processType), asc(containers.number))
            .limit(limit)
            .offset(offset),
        ),
    }),
  }),
});

ProcessTypeRef.implement({
  authScopes: (p) => ({ projectRead: p.projectId }),
  fields: (t) => ({
    name: t.exposeString('name'),
    exposure: t.field({ type: ExposureEnum, resolve: (p) => p.exposure }),
    application: t.field({ type: ApplicationRef, resolve: (p, _x, ctx) => getApplication(ctx.services.db.read, p.applicationId) }),
  }),
});

builder.queryFields((t) => ({
  application: t.field({
    type: ApplicationRef,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: (_r, { id }, ctx) => loadApplication(ctx, String(id), 'read'),
  }),
  privateDomainNames: t.field({
    type: ['String'],
    description: "Every private DNS name of an application (like Scalingo's private-networks-domain-names).",
    args: { applicationId: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { applicationId }, ctx) => namesOf(ctx, await loadApplication(ctx, String(applicationId), 'read')),
  }),
}));

const ApplicationPayload = entityPayload('ApplicationPayload', 'application', ApplicationRef, (ctx, id) => getApplication(ctx.services.db.read, id));

const CreateApplicationInput = builder.inputType('CreateApplicationInput', {
  fields: (t) => ({
    projectId: t.id({ required: true }),
    name: t.string({ required: true }),
    processTypes: t.stringList({ description: 'Process types to declare now (more appear as containers are created).' }),
    defaultProcessType: t.string({ description: 'The type the app-level name resolves to. Default web.' }),
    ports: t.field({ type: [ProcessPortInput], description: 'Ports the process types declare (SRV records).' }),
  }),
});

builder.mutationFields((t) => ({
  createApplication: t.field({
    type: ApplicationPayload,
    args: { input: t.arg({ type: CreateApplicationInput, required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { input }, ctx) => {
      assertProjectAccess(ctx, String(input.projectId), 'write', 'project', String(input.projectId));
      const { result, changes } = await createApplication(ctx.services, { ...input, projectId: String(input.projectId) });
      return { id: result.applicationId, revision: lastRevision(changes) };
    },
  }),
  deleteApplication: t.field({
    type: DeletePayload,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, { id }, ctx) => {
      await loadApplication(ctx, String(id), 'write');
      const { changes } = await deleteApplication(ctx.services, String(id));
      return { id: String(id), revision: lastRevision(changes) };
    },
  }),
  setProcessExposure: t.field({
    type: ApplicationPayload,
    description: 'Switch a process type between PUBLIC and PRIVATE without renaming it.',
    args: {
      applicationId: t.arg.id({ required: true }),
      processType: t.arg.string({ required: true }),
      exposure: t.arg({ type: ExposureEnum, required: true }),
    },
    authScopes: { authenticated: true },
    resolve: async (_r, args, ctx) => {
      await loadApplication(ctx, String(args.applicationId), 'write');
      const { changes } = await setProcessExposure(ctx.services, String(args.applicationId), args.processType, args.exposure);
      return { id: String(args.applicationId), revision: lastRevision(changes) };
    },
  }),
  setDefaultProcessType: t.field({
    type: ApplicationPayload,
    args: { applicationId: t.arg.id({ required: true }), processType: t.arg.string({ required: true }) },
    authScopes: { authenticated: true },
    resolve: async (_r, args, ctx) => {
      await loadApplication(ctx, String(args.applicationId), 'write');
      const { changes } = await setDefaultProcessType(ctx.services, String(args.applicationId), args.processType);
      return { id: String(args.applicationId), revision: lastRevision(changes) };
    },
  }),
}));

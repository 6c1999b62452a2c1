/**
 * Row-level checks for fields that take an ID. A user who may not read a project gets NOT_FOUND —
 * the same answer as for an ID that does not exist — so nothing reveals another project's existence.
 */
import { projectRole } from '../auth/actor.ts';
import type { Reader } from '../db/client.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import type { GraphQLContext } from './context.ts';

/** Throws unless the actor holds `role` on the project; `what`/`id` name the entity in NOT_FOUND. */
export function assertProjectAccess(ctx: GraphQLContext, projectId: string, role: 'read' | 'write', what: string, id: string): void {
  if (ctx.actor.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'not authenticated');
  const held = projectRole(ctx.actor, projectId);
  if (!held) throw notFound(what, id);
  if (role === 'write' && held !== 'write') throw new DomainError('FORBIDDEN', `read-only access to project ${projectId}`);
}

/**
 * Loads an entity by id and checks the caller's role on its project: a missing entity and one the
 * caller may not see give the same NOT_FOUND. `allowed` admits callers without a project role
 * (e.g. the agent of the container's host).
 */
export async function loadVisible<T>(
  ctx: GraphQLContext,
  what: string,
  id: string,
  load: (db: Reader, id: string) => Promise<T>,
  projectOf: (row: T) => string,
  role: 'read' | 'write' = 'read',
  allowed: (row: T) => boolean = () => false,
): Promise<T> {
  const row = await load(ctx.services.db.read, id); // NOT_FOUND when it does not exist
  if (!allowed(row)) assertProjectAccess(ctx, projectOf(row), role, what, id);
  return row;
}

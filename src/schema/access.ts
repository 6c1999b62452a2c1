/**
 * Row-level checks for fields that take an ID. A user who may not read a project gets NOT_FOUND —
 * the same answer as for an ID that does not exist — so nothing reveals another project's existence.
 */
import { projectRole } from '../auth/actor.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import type { GraphQLContext } from './context.ts';

/** Throws unless the actor holds `role` on the project; `what`/`id` name the entity in NOT_FOUND. */
export function assertProjectAccess(ctx: GraphQLContext, projectId: string, role: 'read' | 'write', what: string, id: string): void {
  if (ctx.actor.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'not authenticated');
  const held = projectRole(ctx.actor, projectId);
  if (!held) throw notFound(what, id);
  if (role === 'write' && held !== 'write') throw new DomainError('FORBIDDEN', `read-only access to project ${projectId}`);
}

/** Only admins act on hosts, containers' placement and the whole fleet. */
export function assertAdmin(ctx: GraphQLContext): void {
  if (ctx.actor.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'not authenticated');
  if (ctx.actor.kind !== 'admin') throw new DomainError('FORBIDDEN', 'admin only');
}

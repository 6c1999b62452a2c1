/**
 * The one seam where a request's actor is resolved: from the `Authorization: Bearer` header only
 * (never a query string), verified with jose, and — for agents — checked against the host's current
 * token version so that rotation and revocation take effect at once.
 */
import { eq } from 'drizzle-orm';
import type { Reader } from '../db/client.ts';
import { hosts } from '../db/schema/index.ts';
import type { SigningKeys } from './keys.ts';
import { type Role, type TokenSettings, verifyToken } from './jwt.ts';

export type Actor =
  | { kind: 'anonymous'; reason?: string }
  | { kind: 'admin'; sub: string }
  | { kind: 'user'; sub: string; projects: Record<string, Role> }
  | { kind: 'agent'; sub: string; hostId: string };

/** Resolves the actor of a request; an invalid token yields anonymous with the reason. */
export async function resolveActor(authorization: string | null | undefined, deps: { keys: SigningKeys; settings: TokenSettings; db: Reader }): Promise<Actor> {
  if (!authorization) return { kind: 'anonymous' };
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization.trim());
  if (!match) return { kind: 'anonymous', reason: 'Authorization header must be "Bearer <token>"' };
  try {
    const claims = await verifyToken(deps.keys, deps.settings, match[1]);
    if (claims.kind !== 'agent') return claims;
    const [host] = await deps.db.select({ ver: hosts.tokenVersion }).from(hosts).where(eq(hosts.id, claims.host));
    if (!host || host.ver !== claims.ver) return { kind: 'anonymous', reason: 'agent token was revoked or its host no longer exists' };
    return { kind: 'agent', sub: claims.sub, hostId: claims.host };
  } catch (error) {
    return { kind: 'anonymous', reason: (error as Error).message };
  }
}

/**
 * The role an actor holds on a project, if any. Admins write everywhere; agents hold none. Only the
 * claim's own keys count: an id like "constructor" must not find a role on Object.prototype.
 */
export function projectRole(actor: Actor, projectId: string): Role | null {
  if (actor.kind === 'admin') return 'write';
  if (actor.kind === 'user') return Object.hasOwn(actor.projects, projectId) ? actor.projects[projectId] : null;
  return null;
}

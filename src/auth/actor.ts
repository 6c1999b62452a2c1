/**
 * The one seam where a request's actor is resolved: from the `Authorization: Bearer` header only
 * (never a query string), verified with jose, and — for agents — checked against the host's current
 * token version so that rotation and revocation take effect at once — also on open subscriptions,
 * which check `streamTokenCheck` before each event (app.ts).
 */
import { inArray } from 'drizzle-orm';
import type { Reader } from '../db/client.ts';
import { hosts } from '../db/schema/index.ts';
import type { TokenWatch } from '../feed/hub.ts';
import type { TokenMark } from '../feed/token-changes.ts';
import type { SigningKeys } from './keys.ts';
import { type Role, type TokenSettings, type VerifiedClaims, verifyToken } from './jwt.ts';

/** `expiresAt` (ms since the epoch) lets a long-lived subscription notice that its token ran out. */
export type Actor =
  | { kind: 'anonymous'; reason?: string }
  | { kind: 'admin'; sub: string; expiresAt: number }
  | { kind: 'user'; sub: string; projects: Record<string, Role>; expiresAt: number }
  | { kind: 'agent'; sub: string; hostId: string; ver: number; expiresAt: number };

/**
 * Resolves the actor of a request; an invalid token yields anonymous with the reason. `verify`
 * replaces the signature check (a cache of verified tokens: ./token-cache.ts). With
 * `revocation: 'caller'` an agent token's version is not read here: the caller checks it where it
 * writes (the agent report route), and nothing else may be done with the actor.
 */
export async function resolveActor(
  authorization: string | null | undefined,
  deps: { keys: SigningKeys; settings: TokenSettings; db: Reader; verify?: (token: string) => Promise<VerifiedClaims>; revocation?: 'now' | 'caller' },
): Promise<Actor> {
  if (!authorization) return { kind: 'anonymous' };
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization.trim());
  if (!match) return { kind: 'anonymous', reason: 'Authorization header must be "Bearer <token>"' };
  try {
    const claims = await (deps.verify ? deps.verify(match[1]) : verifyToken(deps.keys, deps.settings, match[1]));
    const expiresAt = claims.exp * 1000;
    if (claims.kind === 'admin') return { kind: 'admin', sub: claims.sub, expiresAt };
    if (claims.kind === 'user') return { kind: 'user', sub: claims.sub, projects: claims.projects, expiresAt };
    const revoked = deps.revocation === 'caller' ? null : await agentRevoked(deps.db, claims.host, claims.ver);
    if (revoked) return { kind: 'anonymous', reason: revoked };
    return { kind: 'agent', sub: claims.sub, hostId: claims.host, ver: claims.ver, expiresAt };
  } catch (error) {
    return { kind: 'anonymous', reason: (error as Error).message };
  }
}

async function agentRevoked(db: Reader, hostId: string, ver: number): Promise<string | null> {
  const current = await tokenVersionOf(db, hostId);
  return current !== ver ? 'agent token was revoked or its host no longer exists' : null;
}

/**
 * A host's current token version (undefined: no such host), read fresh for every call. The calls
 * made before the microtask queue reaches the read share one statement: a change that concerns ten
 * hosts wakes ten agent streams at once, and each asks before delivering it (`actorLapsed`). A
 * later turn (setImmediate) would batch more, but a busy event loop reaches it only after every
 * request it has read meanwhile, which held each delivery back by tens of milliseconds.
 */
function tokenVersionOf(db: Reader, hostId: string): Promise<number | undefined> {
  let batch = pendingVersions.get(db);
  if (!batch) {
    const created = new Map<string, Waiter[]>();
    pendingVersions.set(db, (batch = created));
    queueMicrotask(async () => {
      pendingVersions.delete(db);
      const ids = [...created.keys()];
      try {
        const rows = await db.select({ id: hosts.id, ver: hosts.tokenVersion }).from(hosts).where(inArray(hosts.id, ids));
        const found = new Map(rows.map((r) => [r.id, r.ver]));
        for (const [id, waiting] of created) for (const w of waiting) w.resolve(found.get(id));
      } catch (error) {
        for (const waiting of created.values()) for (const w of waiting) w.reject(error); // as a read of its own would have failed
      }
    });
  }
  const waiting = batch.get(hostId) ?? [];
  batch.set(hostId, waiting);
  return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
}

type Waiter = { resolve: (version: number | undefined) => void; reject: (error: unknown) => void };
const pendingVersions = new WeakMap<Reader, Map<string, Waiter[]>>();

/**
 * Why an actor resolved earlier is no longer valid (its token expired, or an agent's token was
 * rotated or revoked since), or null.
 */
export async function actorLapsed(actor: Actor, deps: { db: Reader; now: () => number }): Promise<string | null> {
  if (actor.kind === 'anonymous') return null;
  if (deps.now() >= actor.expiresAt) return 'token expired';
  return actor.kind === 'agent' ? agentRevoked(deps.db, actor.hostId, actor.ver) : null;
}

/**
 * The check an open subscription makes before delivering each event: `actorLapsed`, given the
 * event's revision when it has one. With the watch cache (`tokens`), an agent's token found valid
 * once is not read again while no token row for its host follows that read in the feed and the
 * event is one the cache has read (src/feed/token-changes.ts): a rotation or revocation still ends
 * the stream before any event committed after it. Without the cache (Workers), every event reads.
 */
export function streamTokenCheck(
  actor: Actor,
  deps: { db: Reader; now: () => number; tokens?: TokenWatch },
): (revision: number | undefined) => Promise<string | null> {
  let mark: TokenMark | null = null;
  return async (revision) => {
    const agent = actor.kind === 'agent' ? actor : null;
    if (agent && mark && deps.now() < agent.expiresAt && deps.tokens?.holds(agent.hostId, mark, revision)) return null;
    const next = (agent && deps.tokens?.mark()) ?? null; // before the read: a token row it does not see comes after it
    const reason = await actorLapsed(actor, deps);
    mark = reason ? null : next;
    return reason;
  };
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

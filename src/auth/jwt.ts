/**
 * Weft's tokens (docs/architecture.md §7.1). Three kinds of actor travel in one claim shape:
 *   admin: { kind: "admin" }                                  operators, the scheduler
 *   user:  { kind: "user", projects: { "<prj-id>": "read" | "write" } }
 *   agent: { kind: "agent", host: "<host-id>", ver: <n> }    one host; `ver` revokes old tokens
 * Verification always pins the algorithm, issuer and audience and requires an expiry. Tokens of an
 * external IdP (optional) are recognised by their issuer and are only ever user tokens.
 */
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { SigningKeys } from './keys.ts';

export type Role = 'read' | 'write';

export type TokenClaims =
  | { kind: 'admin'; sub: string }
  | { kind: 'user'; sub: string; projects: Record<string, Role> }
  | { kind: 'agent'; sub: string; host: string; ver: number };

/** Claims of a verified token, with its expiry (seconds since the epoch; `exp` is required). */
export type VerifiedClaims = TokenClaims & { exp: number };

export interface TokenSettings {
  issuer: string;
  audience: string;
  userJwksUrl?: string; // an external IdP for user tokens
  userIssuer?: string;
  userAudience?: string;
}

/** Signs a token for one actor; `ttlSeconds` bounds its life. */
export async function signToken(keys: SigningKeys, settings: TokenSettings, claims: TokenClaims, ttlSeconds: number): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT(rest as JWTPayload)
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(keys.signKey);
}

export class TokenError extends Error {}

/** Checks the claim shape after the signature has been verified. */
function toClaims(payload: JWTPayload, allowed: TokenClaims['kind'][]): TokenClaims {
  const sub = typeof payload.sub === 'string' ? payload.sub : '';
  const kind = payload.kind;
  if (!allowed.includes(kind as TokenClaims['kind'])) throw new TokenError(`token kind ${String(kind)} is not accepted here`);
  if (kind === 'admin') return { kind, sub };
  if (kind === 'agent') {
    if (typeof payload.host !== 'string' || typeof payload.ver !== 'number') throw new TokenError('agent token without host or ver');
    return { kind, sub, host: payload.host, ver: payload.ver };
  }
  const projects = payload.projects;
  if (!projects || typeof projects !== 'object' || Array.isArray(projects) || Object.values(projects).some((r) => r !== 'read' && r !== 'write')) {
    throw new TokenError('user token needs a projects claim mapping project ids to "read" or "write"');
  }
  // A prototype-free copy: role lookups see only the ids the token lists.
  return { kind: 'user', sub, projects: Object.assign(Object.create(null) as Record<string, Role>, projects) };
}

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * Refuses token settings that would verify less than they seem to: an external IdP must name its
 * issuer (jose skips the issuer check when none is given), and that issuer must differ from Weft's
 * own so that a token is only ever checked against one key set. Called once at start-up.
 */
export function assertTokenSettings(settings: TokenSettings): void {
  if (!settings.issuer || !settings.audience) throw new Error('AUTH_ISSUER and AUTH_AUDIENCE must not be empty');
  if (!settings.userJwksUrl) return;
  if (!settings.userIssuer) throw new Error('AUTH_USER_JWKS_URL needs AUTH_USER_ISSUER: IdP tokens are only accepted from a named issuer');
  if (settings.userIssuer === settings.issuer) throw new Error('AUTH_USER_ISSUER must differ from AUTH_ISSUER');
}

/** The unverified `iss`, only to pick the key set; the chosen verifier checks it again. */
function claimedIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a bearer token. A token whose issuer is the configured IdP's is verified against the
 * IdP's JWKS and can only ever be a user token (whatever `kind` it claims); every other token is
 * verified with Weft's own key and issuer.
 */
export async function verifyToken(keys: SigningKeys, settings: TokenSettings, token: string): Promise<VerifiedClaims> {
  try {
    if (settings.userJwksUrl && settings.userIssuer && claimedIssuer(token) === settings.userIssuer) {
      let set = remoteSets.get(settings.userJwksUrl);
      if (!set) remoteSets.set(settings.userJwksUrl, (set = createRemoteJWKSet(new URL(settings.userJwksUrl))));
      const { payload } = await jwtVerify(token, set, {
        algorithms: ['EdDSA', 'ES256', 'RS256'],
        issuer: settings.userIssuer,
        audience: settings.userAudience ?? settings.audience,
        requiredClaims: ['exp', 'sub'],
      });
      return { ...toClaims({ ...payload, kind: 'user' }, ['user']), exp: payload.exp! };
    }
    const { payload } = await jwtVerify(token, keys.verifyKey, {
      algorithms: [keys.alg],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ['exp', 'sub'],
    });
    return { ...toClaims(payload, ['admin', 'user', 'agent']), exp: payload.exp! };
  } catch (error) {
    throw describe(error);
  }
}

function describe(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWTExpired) return new TokenError('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenError(`token claim "${error.claim}" is invalid`);
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenError('token algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenError('token signature is invalid');
  return new TokenError('token is malformed or not verifiable');
}

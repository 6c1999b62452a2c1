/**
 * Verified agent tokens, remembered until they expire (issue 17): an agent sends the same token with
 * every report and read, and checking its signature again each time was a tenth of a report's CPU.
 * Only agent tokens, which Weft signs with its own key, are kept: a user token of an external IdP
 * is checked each time, so a key its JWKS drops stops working at once. What the signature cannot
 * say — whether the host's token was rotated or revoked since (`ver`) — is still checked on every
 * request (src/auth/actor.ts, or inside the report's write: src/services/hosts/report.ts).
 * A failed check is never kept. Bounded: past `max` entries the oldest is dropped.
 */
import type { VerifiedClaims } from './jwt.ts';

export function cachedVerifier(
  verify: (token: string) => Promise<VerifiedClaims>,
  now: () => number = Date.now,
  max = 10_000,
): (token: string) => Promise<VerifiedClaims> {
  const verified = new Map<string, VerifiedClaims>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit && now() < hit.exp * 1000) return hit;
    if (hit) verified.delete(token);
    const claims = await verify(token);
    if (claims.kind === 'agent') {
      if (verified.size >= max) verified.delete(verified.keys().next().value as string);
      verified.set(token, claims);
    }
    return claims;
  };
}

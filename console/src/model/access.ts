/**
 * What the signed-in token may do, read from its claims (docs/security.md): only to show or disable
 * controls. The API decides; a forged claim here changes nothing but the page.
 */
export type Role = 'admin' | 'write' | 'read' | 'none';

export interface Claims {
  kind?: string;
  projects?: Record<string, string>;
  exp?: number;
  sub?: string;
}

/** The claims of a JWT (its middle part), or null when it is not one. No signature check: the API does that. */
export function decodeClaims(token: string): Claims | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (ch) => ch.charCodeAt(0)));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

export function roleIn(claims: Claims | null, projectId: string): Role {
  if (claims?.kind === 'admin') return 'admin';
  const role = claims?.kind === 'user' ? claims.projects?.[projectId] : undefined;
  return role === 'write' || role === 'read' ? role : 'none';
}

export const canWrite = (role: Role) => role === 'admin' || role === 'write';

/** True once the token's `exp` (seconds) has passed at `nowMs`. */
export const expired = (claims: Claims | null, nowMs: number) => typeof claims?.exp === 'number' && claims.exp * 1000 <= nowMs;
